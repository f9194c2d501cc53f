// The loads and stores compiled regions call: the software TLB's fast path inline (one
// masked compare admits a permitted plain-RAM page; aligned accesses are one typed-array
// element), `Cpu.read*/write*` as the slow path (segment checks, page walks, faults, MMIO).
// A store to a page with compiled code takes the slow path (its TLB write entries carry
// TLB_CODE), where the MMU invalidates the page first.
//
// Flat offsets arrive as int32 (see RegionSource.segOffset) and become unsigned only for
// the slow path's segment checks.
//
// One set per CPU and privilege class, shared by every region: V8 optimises these once, so a
// region that has just been compiled (and still runs in V8's interpreter) already calls
// optimised accessors, and optimised regions inline them at a monomorphic call site.

import type { Cpu } from '../cpu.js';
import { LITTLE_ENDIAN, TLB_CODE, TLB_SLOW, fastPathBit } from '../mmu.js';

export interface MemoryHelpers {
  ld8(seg: number, off: number): number;
  ld16(seg: number, off: number): number;
  ld32(seg: number, off: number): number;
  st8(seg: number, off: number, v: number): void;
  st16(seg: number, off: number, v: number): void;
  st32(seg: number, off: number, v: number): void;
  /** Faults exactly as a store of `n` bytes would, writing nothing. */
  pw(seg: number, off: number, n: number): void;
  /** Whether the page at linear `lin` (page-aligned) is in the TLB for this privilege and its first bytes, under `mask`, are `expected`. */
  codeIs(lin: number, expected: number, mask: number): boolean;
  /**
   * REP MOVS and STOS in one step (the region compiler's repInOneStep): `n` bytes from linear
   * `src` to `dst`, or `n` copies of `byte` to `dst`, each range within one page. Returns 1
   * when done: the TLB admits both pages for plain RAM (the destination without compiled
   * code) and a copy's destination does not start inside its source ahead of it (the element
   * loop replicates a pattern there). Else 0, having done nothing: the interpreter takes it.
   */
  ramCopy(dst: number, src: number, n: number): number;
  ramFill(dst: number, byte: number, n: number): number;
}

/** The helpers for code running at CPL 3 (`user`) or CPL 0-2, for flat segments: `off` is the linear address. */
export function memoryHelpers(cpu: Cpu, user: boolean): MemoryHelpers {
  const mmu = cpu.mmu, tr = mmu.tlbRead, tw = mmu.tlbWrite;
  const ram = cpu.host.memory.ram;
  const ram16 = new Uint16Array(ram.buffer, ram.byteOffset, ram.length >> 1);
  const ram32 = new Int32Array(ram.buffer, ram.byteOffset, ram.length >> 2);
  const NB = fastPathBit(user);
  const CM = NB | TLB_SLOW | TLB_CODE;
  return {
    ld8(s, o) {
      const l = o | 0, e = tr[l >>> 12];
      if ((e & CM) === NB) return ram[(e & -4096) | (l & 4095)];
      return cpu.read8(s, o >>> 0);
    },
    ld16(s, o) {
      const l = o | 0, e = tr[l >>> 12];
      if ((e & CM) === NB) {
        const p = (e & -4096) | (l & 4095);
        if ((l & 1) === 0 && LITTLE_ENDIAN) return ram16[p >> 1];
        if ((l & 4095) !== 4095) return ram[p] | (ram[p + 1] << 8);
      }
      return cpu.read16(s, o >>> 0);
    },
    ld32(s, o) {
      const l = o | 0, e = tr[l >>> 12];
      if ((e & CM) === NB) {
        const p = (e & -4096) | (l & 4095);
        if ((l & 3) === 0 && LITTLE_ENDIAN) return ram32[p >> 2];
        if ((l & 4095) <= 4092) return ram[p] | (ram[p + 1] << 8) | (ram[p + 2] << 16) | (ram[p + 3] << 24);
      }
      return cpu.read32(s, o >>> 0);
    },
    st8(s, o, v) {
      const l = o | 0, e = tw[l >>> 12];
      if ((e & CM) === NB) {
        const p = (e & -4096) | (l & 4095);
        ram[p] = v;
        return;
      }
      cpu.write8(s, o >>> 0, v);
    },
    st16(s, o, v) {
      const l = o | 0, e = tw[l >>> 12];
      if ((e & CM) === NB && (l & 4095) !== 4095) {
        const p = (e & -4096) | (l & 4095);
        if ((l & 1) === 0 && LITTLE_ENDIAN) ram16[p >> 1] = v;
        else {
          ram[p] = v;
          ram[p + 1] = v >> 8;
        }
        return;
      }
      cpu.write16(s, o >>> 0, v);
    },
    st32(s, o, v) {
      const l = o | 0, e = tw[l >>> 12];
      if ((e & CM) === NB && (l & 4095) <= 4092) {
        const p = (e & -4096) | (l & 4095);
        if ((l & 3) === 0 && LITTLE_ENDIAN) ram32[p >> 2] = v;
        else {
          ram[p] = v;
          ram[p + 1] = v >> 8;
          ram[p + 2] = v >> 16;
          ram[p + 3] = v >> 24;
        }
        return;
      }
      cpu.write32(s, o >>> 0, v);
    },
    codeIs(lin, expected, mask) {
      const e = tr[lin >>> 12];
      return (e & (NB | TLB_SLOW)) === NB && (ram32[(e & -4096) >> 2] & mask) === expected;
    },
    ramCopy(dst, src, n) {
      const de = tw[dst >>> 12], se = tr[src >>> 12];
      if ((de & CM) !== NB || (se & CM) !== NB) return 0;
      const dp = (de & -4096) | (dst & 4095), sp = (se & -4096) | (src & 4095);
      if (dp > sp && dp < sp + n) return 0;
      ram.copyWithin(dp, sp, sp + n);
      return 1;
    },
    ramFill(dst, byte, n) {
      const de = tw[dst >>> 12];
      if ((de & CM) !== NB) return 0;
      const dp = (de & -4096) | (dst & 4095);
      ram.fill(byte, dp, dp + n);
      return 1;
    },
    pw(s, o, n) {
      const l = o | 0, e = tw[l >>> 12];
      if ((e & CM) !== NB || (l & 4095) > 4096 - n) cpu.probeWrite(s, o >>> 0, n);
    },
  };
}
