// A little byte-array memory implementing FpuMemory, for driving the X87 without a CPU.
// Accesses outside the array throw like a page fault would, so probe-before-store is testable.

import type { FpuMemory } from '../../../src/vm/cpu/fpu/fpu-memory.js';

export class FlatMemory implements FpuMemory {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  private check(a: number, n: number): void {
    if (a < 0 || a + n > this.bytes.length) throw new RangeError(`fault at ${a.toString(16)}`);
  }
  read8(a: number): number { this.check(a, 1); return this.bytes[a]; }
  read16(a: number): number { this.check(a, 2); return this.bytes[a] | (this.bytes[a + 1] << 8); }
  /** Signed, as the CPU's accessors return it: the FPU must not depend on the sign. */
  read32(a: number): number { this.check(a, 4); return this.read16(a) | (this.read16(a + 2) << 16); }
  write8(a: number, v: number): void { this.check(a, 1); this.bytes[a] = v; }
  write16(a: number, v: number): void { this.write8(a, v & 0xff); this.write8(a + 1, (v >>> 8) & 0xff); }
  write32(a: number, v: number): void { this.write16(a, v & 0xffff); this.write16(a + 2, v >>> 16); }
  probeRead(a: number, n: number): void { this.check(a, n); }
  probeWrite(a: number, n: number): void { this.check(a, n); }
}
