// The JIT's code cache as the CPU uses it: besides the cache's own table of code pages,
// every TLB write entry mapping a page that gets compiled code is marked (TLB_CODE), so
// interpreted stores, string moves and FPU stores through any virtual alias take the MMU's
// slow path, which invalidates the page before the store lands.

import type { Cpu } from './cpu.js';
import type { Mmu } from './mmu.js';
import { CodeCache, type JitOptions } from './jit/code-cache.js';
import type { Region } from './jit/region-compiler.js';

export class TlbTrackedCodeCache extends CodeCache {
  constructor(private readonly mmu: Mmu, cpu: Cpu, options: JitOptions) {
    super(cpu, options);
    mmu.codePages = this.codePages;
    mmu.onCodeWrite = (page) => this.invalidatePage(page);
    // Entries filled before now carry no TLB_CODE bits; refills consult codePages.
    mmu.flush(false);
  }

  override compile(phys: number, key: number): Region {
    const region = super.compile(phys, key);
    this.mmu.markCodePage(phys >>> 12);
    return region;
  }

  /** Stops marking stores: the CPU runs interpreted from now on. */
  detach(): void {
    this.flush();
    this.mmu.codePages = null;
    this.mmu.flush(false);
  }
}
