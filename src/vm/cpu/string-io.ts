// String instructions (MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS) with REP prefixes, and
// port I/O with the protected-mode IOPL / TSS I/O-bitmap check.

import type { Cpu } from './cpu.js';
import {
  ES, DS, ECX, ESI, EDI, EDX, TR
} from './constants.js';
import { DF, IOPL } from './flags.js';
import { arith } from './alu.js';
import { getReg, setReg } from './operands.js';
import type { IoSize } from '../machine/io-bus.js';
import { PAGE_RAM } from '../machine/physical-memory.js';

export const MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4, INS = 5, OUTS = 6;

/** Iterations of a REP string instruction before it yields (EIP stays on it, so it resumes). */
const REP_SLICE = 0x4000;

/** Raises #GP(0) unless the current privilege may access ports [port, port+size). */
export function checkIoPermission(c: Cpu, port: number, size: number): void {
  if (!c.protectedMode) return;
  if (!c.v86 && c.cpl <= (c.lf.flags & IOPL) >> 12) return;
  // The TSS I/O bitmap: a 32-bit TSS, its offset at 0x66, one bit per port.
  if ((c.segFlags[TR] & 0xf00) !== 0xb00 && (c.segFlags[TR] & 0xf00) !== 0x900) c.gp(0);
  const limit = c.segLimit[TR];
  if (limit < 0x67) c.gp(0);
  const base = c.segBase[TR];
  const mapOff = c.mmu.sysRead16((base + 0x66) | 0);
  const byteOff = mapOff + (port >> 3);
  if (byteOff + 1 > limit) c.gp(0);
  const bits = c.mmu.sysRead16((base + byteOff) | 0);
  if ((bits >> (port & 7)) & ((1 << size) - 1)) c.gp(0);
}

export function portIn(c: Cpu, port: number, size: number): number {
  checkIoPermission(c, port, size);
  return c.host.io.read(port, size as IoSize);
}

export function portOut(c: Cpu, port: number, size: number, v: number): void {
  checkIoPermission(c, port, size);
  c.host.io.write(port, size as IoSize, size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1));
}

function readSized(c: Cpu, seg: number, off: number, top: number): number {
  return top === 7 ? c.read8(seg, off) : top === 15 ? c.read16(seg, off) : c.read32(seg, off);
}

function writeSized(c: Cpu, seg: number, off: number, top: number, v: number): void {
  if (top === 7) c.write8(seg, off, v);
  else if (top === 15) c.write16(seg, off, v);
  else c.write32(seg, off, v);
}

/** One string instruction, `kind` as above, operand width `top`; honours c.rep. */
export function stringOp(c: Cpu, kind: number, top: number): void {
  const size = (top + 1) >> 3;
  const a32 = c.a32;
  const r = c.reg32, r16 = c.reg16;
  const delta = c.lf.flags & DF ? -size : size;
  const srcSeg = c.segOverride >= 0 ? c.segOverride : DS;
  const rep = c.rep;
  let count = 0;
  if (rep) {
    count = a32 ? r[ECX] >>> 0 : r16[ECX * 2];
    if (count === 0) return;
  }
  const checkZf = kind === CMPS || kind === SCAS;
  if (kind === INS || kind === OUTS) checkIoPermission(c, r16[EDX * 2], size);
  let slice = REP_SLICE;
  const forwards = rep !== 0 && delta > 0 && a32;
  const bulk = forwards && (kind === MOVS || kind === STOS);
  const bulkMatch = forwards && size === 1 && checkZf;
  for (;;) {
    if (bulk || bulkMatch) {
      const n = bulk ? bulkForward(c, kind, top, srcSeg, Math.min(count, slice)) : bulkBytesMatch(c, kind === CMPS, rep === 1, srcSeg, Math.min(count, slice));
      if (n > 0) {
        const bytes = n * size;
        if (kind !== STOS && kind !== SCAS) r[ESI] = r[ESI] + bytes;
        r[EDI] = r[EDI] + bytes;
        count -= n;
        r[ECX] = count;
        if (count === 0) return;
        if (bulkMatch && c.lf.zf() !== (rep === 1 ? 1 : 0)) return;
        slice -= n;
        if (slice <= 0) {
          c.eip = c.startEip;
          return;
        }
        continue;
      }
    }
    const si = a32 ? r[ESI] >>> 0 : r16[ESI * 2];
    const di = a32 ? r[EDI] >>> 0 : r16[EDI * 2];
    switch (kind) {
      case MOVS:
        writeSized(c, ES, di, top, readSized(c, srcSeg, si, top));
        advance(c, ESI, si + delta);
        advance(c, EDI, di + delta);
        break;
      case CMPS:
        arith(c.lf, 7, readSized(c, srcSeg, si, top), readSized(c, ES, di, top), top);
        advance(c, ESI, si + delta);
        advance(c, EDI, di + delta);
        break;
      case STOS:
        writeSized(c, ES, di, top, getReg(c, 0, top));
        advance(c, EDI, di + delta);
        break;
      case LODS:
        setReg(c, 0, top, readSized(c, srcSeg, si, top));
        advance(c, ESI, si + delta);
        break;
      case SCAS:
        arith(c.lf, 7, getReg(c, 0, top), readSized(c, ES, di, top), top);
        advance(c, EDI, di + delta);
        break;
      case INS:
        c.probeWrite(ES, di, size);
        writeSized(c, ES, di, top, c.host.io.read(r16[EDX * 2], size as IoSize));
        advance(c, EDI, di + delta);
        break;
      default:
        portOutUnchecked(c, r16[EDX * 2], size, readSized(c, srcSeg, si, top));
        advance(c, ESI, si + delta);
        break;
    }
    if (!rep) return;
    count--;
    if (a32) r[ECX] = count;
    else r16[ECX * 2] = count;
    if (count === 0) return;
    if (checkZf && c.lf.zf() !== (rep === 1 ? 1 : 0)) return;
    if (--slice === 0) {
      c.eip = c.startEip;
      return;
    }
  }
}

/** The run pageRun found: its length in elements and the physical addresses of its two ends' starts. */
const run = { n: 0, src: 0, dst: 0 };

/**
 * The run of up to `max` elements of `size` bytes going forwards from ES:EDI, and from
 * srcSeg:ESI when `withSource`, that stays inside one page on each side and within the
 * segments' limits, over plain RAM: false when there is none (an element crossing a page,
 * MMIO/ROM, limits), else true with the run in `run`. Translation happens in the order the
 * element loop would fault (source, then destination, which `store` translates for a write).
 */
function pageRun(c: Cpu, withSource: boolean, srcSeg: number, size: number, max: number, store: boolean): boolean {
  const user = c.cpl === 3;
  const pageKind = c.host.memory.pageKind;
  const di = c.reg32[EDI] >>> 0;
  const dLin = (c.segBase[ES] + di) | 0;
  let n = Math.min(max, ((0x1000 - (dLin & 0xfff)) / size) | 0);
  run.src = 0;
  if (withSource) {
    const si = c.reg32[ESI] >>> 0;
    const sLin = (c.segBase[srcSeg] + si) | 0;
    n = Math.min(n, ((0x1000 - (sLin & 0xfff)) / size) | 0);
    if (n === 0 || si < c.segLo[srcSeg] || si + n * size - 1 > c.segRHi[srcSeg]) return false;
    run.src = c.mmu.translate(sLin, false, user);
    if (pageKind[run.src >>> 12] !== PAGE_RAM) return false;
  }
  if (n === 0 || di < c.segLo[ES] || di + n * size - 1 > (store ? c.segWHi[ES] : c.segRHi[ES])) return false;
  run.dst = store ? c.mmu.translateWrite(dLin, user, n * size) : c.mmu.translate(dLin, false, user);
  run.n = n;
  return pageKind[run.dst >>> 12] === PAGE_RAM;
}

/**
 * REP MOVS/STOS going forwards with 32-bit addressing over plain RAM (memcpy, memset and
 * page clearing in the kernel): moves the run of elements that stays inside one page on
 * each side in one step (pageRun). Returns the elements done, or 0 when the general loop
 * must take the next element (no such run, or an overlapping forward copy).
 */
function bulkForward(c: Cpu, kind: number, top: number, srcSeg: number, max: number): number {
  const size = (top + 1) >> 3;
  if (!pageRun(c, kind === MOVS, srcSeg, size, max, true)) return 0;
  const { n, src: sPhys, dst: dPhys } = run;
  const ram = c.host.memory.ram;
  const bytes = n * size;
  if (kind === MOVS) {
    // A forward copy onto itself a few bytes ahead replicates a pattern; copyWithin would not.
    if (dPhys > sPhys && dPhys < sPhys + bytes) return 0;
    ram.copyWithin(dPhys, sPhys, sPhys + bytes);
  } else {
    const v = getReg(c, 0, top);
    if (size === 1) ram.fill(v, dPhys, dPhys + bytes);
    else {
      for (let p = dPhys, end = dPhys + bytes; p < end; p += size) {
        ram[p] = v;
        ram[p + 1] = v >> 8;
        if (size === 4) {
          ram[p + 2] = v >> 16;
          ram[p + 3] = v >> 24;
        }
      }
    }
  }
  return n;
}

/**
 * REPE/REPNE CMPSB and SCASB going forwards with 32-bit addressing over plain RAM (strlen,
 * strcmp and memcmp in the kernel): the run of bytes that stays inside one page on each side
 * (pageRun) in one step, up to the first byte that stops the repeat. The flags are those of
 * the last compare. Returns the bytes done, or 0 when the element loop must take the next one.
 */
function bulkBytesMatch(c: Cpu, cmps: boolean, whileEqual: boolean, srcSeg: number, max: number): number {
  if (!pageRun(c, cmps, srcSeg, 1, max, false)) return 0;
  const { n, src: sPhys, dst: dPhys } = run;
  const ram = c.host.memory.ram;
  const al = c.reg8[0];
  let k = 0, a = 0, b = 0;
  if (cmps) {
    // CMPS compares the source with the destination.
    do {
      a = ram[sPhys + k];
      b = ram[dPhys + k];
      k++;
    } while (k < n && (a === b) === whileEqual);
  } else {
    a = al;
    do b = ram[dPhys + k++];
    while (k < n && (b === al) === whileEqual);
  }
  arith(c.lf, 7, a, b, 7);
  return k;
}

function portOutUnchecked(c: Cpu, port: number, size: number, v: number): void {
  c.host.io.write(port, size as IoSize, size === 4 ? v >>> 0 : v);
}

function advance(c: Cpu, reg: number, v: number): void {
  if (c.a32) c.reg32[reg] = v;
  else c.reg16[reg * 2] = v;
}
