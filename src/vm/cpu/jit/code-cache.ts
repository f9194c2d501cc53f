// The JIT's code cache: compiled regions keyed by the entry's physical address and the mode
// key, hotness counted per physical page, per-page invalidation (stores, DMA) and a cap
// with a whole flush when it is reached (v86 and blink found "clear all" simplest).

import type { Cpu } from '../cpu.js';
import { PAGE_RAM } from '../../machine/physical-memory.js';
import { compileRegion, type Region, type RegionEnvironment } from './region-compiler.js';
import { memoryHelpers, type MemoryHelpers } from './memory-helpers.js';

export interface JitOptions {
  /** Instructions interpreted on a physical page before code there is compiled; 0 = at first sight. */
  threshold?: number;
  /** Compiled regions kept before everything is flushed. */
  maxRegions?: number;
}

interface Entry {
  region: Region;
  eip: number;
}

export interface JitStats {
  compiled: number;
  invalidations: number;
  flushes: number;
  /** Region entries, and lookups that found nothing compiled. */
  hits: number;
  misses: number;
  /** Instructions executed inside compiled regions. */
  compiledInstructions: number;
}

const PAGES = 1 << 20;
const MEMO_BITS = 14;
const MEMO_MASK = (1 << MEMO_BITS) - 1;

/** The lookup memo's slot for an entry's physical address. */
function memoSlot(phys: number): number {
  return (phys ^ (phys >>> MEMO_BITS)) & MEMO_MASK;
}

export class CodeCache implements RegionEnvironment {
  readonly threshold: number;
  readonly maxRegions: number;
  /** 1 for each physical page holding compiled code (the store check's table). */
  readonly codePages = new Uint8Array(PAGES);
  readonly stats: JitStats = { compiled: 0, invalidations: 0, flushes: 0, hits: 0, misses: 0, compiledInstructions: 0 };
  private readonly heat = new Uint32Array(PAGES);
  /**
   * Regions by the physical address of each of their blocks (a small integer below 1 GiB,
   * so no boxing): a region is entered at any block start, not just where it was compiled
   * from, so leaving mid-loop (budget) does not breed overlapping copies. Variants differ
   * by mode key and EIP (a virtual alias or another CS base is another variant).
   */
  private readonly byEntry = new Map<number, Entry[]>();
  private readonly byPage = new Map<number, Region[]>();
  /**
   * A direct-mapped memo of recent lookups: the run loop looks a region up at every entry
   * (tens of millions in a Linux boot), and a Map probe plus a list scan cost as much as a
   * short region's run. A slot is used only while its region is valid.
   */
  private readonly memoPhys = new Int32Array(MEMO_MASK + 1).fill(-1);
  private readonly memoEip = new Int32Array(MEMO_MASK + 1);
  private readonly memoKey = new Int32Array(MEMO_MASK + 1);
  private readonly memoRegion: (Region | null)[] = new Array<Region | null>(MEMO_MASK + 1).fill(null);
  private count = 0;
  readonly memorySuper: MemoryHelpers;
  readonly memoryUser: MemoryHelpers;

  constructor(private readonly cpu: Cpu, options: JitOptions = {}) {
    this.threshold = options.threshold ?? 10000;
    this.maxRegions = options.maxRegions ?? 4096;
    const invalidate = (page: number): void => this.invalidatePage(page);
    this.memorySuper = memoryHelpers(cpu, this.codePages, invalidate, false);
    this.memoryUser = memoryHelpers(cpu, this.codePages, invalidate, true);
  }

  get regionCount(): number {
    return this.count;
  }

  /**
   * The compiled region entered at physical `phys` under `key` with this EIP, if any. The
   * same bytes reached through another EIP (a virtual alias, another CS base) are another
   * region: the blocks' switch is keyed by EIP. `eip` is taken as an int32.
   */
  lookup(phys: number, key: number, eip: number): Region | undefined {
    const slot = memoSlot(phys);
    if (this.memoPhys[slot] === phys && this.memoEip[slot] === eip && this.memoKey[slot] === key) {
      const region = this.memoRegion[slot]!;
      if (region.valid) {
        this.stats.hits++;
        return region;
      }
    }
    const list = this.byEntry.get(phys);
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (e.eip === eip && e.region.key === key) {
          this.stats.hits++;
          this.memoPhys[slot] = phys;
          this.memoEip[slot] = eip;
          this.memoKey[slot] = key;
          this.memoRegion[slot] = e.region;
          return e.region;
        }
      }
    }
    this.stats.misses++;
    return undefined;
  }

  /**
   * Counts `n` interpreted instructions on the page of `phys`; true once the page is hot.
   * Only RAM pages compile: ROM and MMIO code stays interpreted.
   */
  countHeat(phys: number, n: number): boolean {
    const page = phys >>> 12;
    if (this.cpu.host.memory.pageKind[page] !== PAGE_RAM) return false;
    const h = this.heat[page] + n;
    this.heat[page] = h;
    return h >= this.threshold;
  }

  /** Compiles the region entered at cpu.eip (physical `phys`) under `key`. */
  compile(phys: number, key: number): Region {
    if (this.count >= this.maxRegions) this.flush();
    const region = compileRegion(this.cpu, phys, this);
    for (let i = 0; i < region.blockEips.length; i++) {
      const at = region.blockPhys[i];
      const entry = { region, eip: region.blockEips[i] | 0 };
      this.forget(at);
      const list = this.byEntry.get(at);
      if (list) list.unshift(entry); // the newest region wins: it starts at this block
      else this.byEntry.set(at, [entry]);
    }
    this.count++;
    const page = phys >>> 12;
    const list = this.byPage.get(page);
    if (list) list.push(region);
    else this.byPage.set(page, [region]);
    this.codePages[page] = 1;
    this.stats.compiled++;
    return region;
  }

  /** Drops the compiled code of one physical page (a store or DMA wrote it). */
  invalidatePage(page: number): void {
    const list = this.byPage.get(page);
    this.codePages[page] = 0;
    this.heat[page] = 0;
    if (!list) return;
    this.byPage.delete(page);
    for (const r of list) {
      r.valid = false;
      for (const at of r.blockPhys) {
        this.byEntry.delete(at);
        this.forget(at);
      }
    }
    this.count -= list.length;
    this.stats.invalidations++;
  }

  /** Clears the memo slot of a block start (a newer region starts there, or it is gone). */
  private forget(phys: number): void {
    const slot = memoSlot(phys);
    if (this.memoPhys[slot] === phys) {
      this.memoPhys[slot] = -1;
      this.memoRegion[slot] = null;
    }
  }

  /** Invalidates every page in [addr, addr + length) that holds code (PhysicalMemory.onExternalWrite). */
  invalidateRange(addr: number, length: number): void {
    if (length <= 0) return;
    const last = ((addr + length - 1) >>> 12) & (PAGES - 1);
    for (let p = addr >>> 12; p <= last; p++) if (this.codePages[p]) this.invalidatePage(p);
  }

  /** The monitor's `info jit` text. */
  infoText(): string {
    const st = this.stats;
    const lookups = st.hits + st.misses;
    const rate = lookups ? ((100 * st.hits) / lookups).toFixed(1) : '0.0';
    return [
      `JIT: threshold ${this.threshold} instructions per page, cap ${this.maxRegions} regions`,
      `regions            ${this.count} on ${this.byPage.size} pages`,
      `compiled           ${st.compiled}`,
      `invalidations      ${st.invalidations}`,
      `flushes            ${st.flushes}`,
      `hit rate           ${rate}% (${st.hits} of ${lookups} lookups)`,
      `compiled insns     ${st.compiledInstructions}`,
    ].join('\n') + '\n';
  }

  /** Drops everything (cap reached, or the board remapped memory). */
  flush(): void {
    for (const list of this.byPage.values()) for (const r of list) r.valid = false;
    for (const page of this.byPage.keys()) this.codePages[page] = 0;
    this.byEntry.clear();
    this.memoPhys.fill(-1);
    this.memoRegion.fill(null);
    this.count = 0;
    this.byPage.clear();
    this.heat.fill(0);
    this.stats.flushes++;
  }
}
