// Protected-mode descriptors: reading them from the GDT/LDT, decoding base/limit/flags,
// and the checks of MOV/POP to a segment register, LLDT, LTR, LAR, LSL, VERR, VERW.

import type { Cpu } from './cpu.js';
import {
  SS, LDTR, TR, NP, SSF,
  DESC_S, DESC_CODE, DESC_RW, DESC_CE, DESC_P, DESC_A, DESC_G,
} from './constants.js';

/** The descriptor most recently read by readDescriptor (avoids allocating pairs). */
export const desc = { lo: 0, hi: 0, addr: 0 };

/** Reads the descriptor `sel` names into `desc`; false when it lies outside its table. */
export function readDescriptor(c: Cpu, sel: number): boolean {
  let base: number, limit: number;
  if (sel & 4) {
    if (c.segRHi[LDTR] < 0 || (c.segSel[LDTR] & ~3) === 0) return false;
    base = c.segBase[LDTR];
    limit = c.segLimit[LDTR];
  } else {
    base = c.gdtr.base;
    limit = c.gdtr.limit;
  }
  const index = sel & ~7 & 0xffff;
  if (index + 7 > limit) return false;
  desc.addr = (base + index) | 0;
  desc.lo = c.mmu.sysRead32(desc.addr);
  desc.hi = c.mmu.sysRead32((desc.addr + 4) | 0);
  return true;
}

export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
}

export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return hi & DESC_G ? ((raw << 12) | 0xfff) >>> 0 : raw;
}

export function descFlags(hi: number): number {
  return hi & 0x00f0ff00;
}

/** The cached flags of a segment loaded from descriptor word `hi`: loading sets its accessed bit (markAccessed). */
export function loadedFlags(hi: number): number {
  return descFlags(hi | DESC_A);
}

export function descDpl(hi: number): number {
  return (hi >> 13) & 3;
}

/** Sets the accessed bit in memory, as the CPU does on a segment load. */
export function markAccessed(c: Cpu): void {
  if (!(desc.hi & DESC_A)) {
    desc.hi |= DESC_A;
    c.mmu.sysWrite32((desc.addr + 4) | 0, desc.hi);
  }
}

/** Loads the hidden part from `desc`. */
export function loadFromDesc(c: Cpu, seg: number, sel: number): void {
  c.loadSegmentCache(seg, sel, descBase(desc.lo, desc.hi), descLimit(desc.lo, desc.hi), descFlags(desc.hi));
}

/** MOV/POP/LxS to a data or stack segment register, with every protected-mode check. */
export function loadSegment(c: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if (!c.protectedMode || c.v86) {
    c.loadRealSegment(seg, sel);
    return;
  }
  const err = sel & 0xfffc;
  if (err === 0) {
    if (seg === SS) c.gp(0);
    c.loadNullSegment(seg, sel);
    return;
  }
  if (!readDescriptor(c, sel)) c.gp(err);
  const hi = desc.hi;
  const dpl = descDpl(hi), rpl = sel & 3, cpl = c.cpl;
  const isCode = (hi & DESC_CODE) !== 0;
  if (seg === SS) {
    if (rpl !== cpl || dpl !== cpl || !(hi & DESC_S) || isCode || !(hi & DESC_RW)) c.gp(err);
    if (!(hi & DESC_P)) c.raise(SSF, err);
  } else {
    if (!(hi & DESC_S) || (isCode && !(hi & DESC_RW))) c.gp(err);
    if (!isCode || !(hi & DESC_CE)) {
      if (rpl > dpl || cpl > dpl) c.gp(err);
    }
    if (!(hi & DESC_P)) c.raise(NP, err);
  }
  markAccessed(c);
  loadFromDesc(c, seg, sel);
}

/** After a return to an outer ring: data segments the new CPL may not use become null. */
export function nullInaccessibleSegments(c: Cpu, segs: readonly number[]): void {
  for (const s of segs) {
    const f = c.segFlags[s];
    const dpl = (f >> 13) & 3;
    const conformingCode = (f & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE);
    if ((c.segSel[s] & ~3) !== 0 && !conformingCode && dpl < c.cpl) c.loadNullSegment(s, 0);
    else if ((c.segSel[s] & ~3) === 0 || c.segRHi[s] < 0) c.loadNullSegment(s, c.segSel[s]);
  }
}

/** LLDT. */
export function loadLdt(c: Cpu, sel: number): void {
  const err = sel & 0xfffc;
  if (err === 0) {
    c.loadNullSegment(LDTR, sel);
    return;
  }
  if (sel & 4 || !readDescriptor(c, sel)) c.gp(err);
  if (desc.hi & DESC_S || ((desc.hi >> 8) & 0xf) !== 2) c.gp(err);
  if (!(desc.hi & DESC_P)) c.raise(NP, err);
  loadFromDesc(c, LDTR, sel);
}

/** LTR: loads TR and marks the TSS busy. */
export function loadTr(c: Cpu, sel: number): void {
  const err = sel & 0xfffc;
  if (err === 0 || sel & 4) c.gp(err);
  if (!readDescriptor(c, sel)) c.gp(err);
  const type = (desc.hi >> 8) & 0xf;
  if (desc.hi & DESC_S || (type !== 1 && type !== 9)) c.gp(err);
  if (!(desc.hi & DESC_P)) c.raise(NP, err);
  desc.hi |= 0x200;
  c.mmu.sysWrite32((desc.addr + 4) | 0, desc.hi);
  loadFromDesc(c, TR, sel);
}

/** Descriptor visibility for LAR/LSL/VERR/VERW: true when the selector's DPL admits CPL and RPL. */
function visible(c: Cpu, sel: number, systemTypes: number): boolean {
  if ((sel & 0xfffc) === 0 || !readDescriptor(c, sel)) return false;
  const hi = desc.hi;
  if (!(hi & DESC_S)) {
    if (!((systemTypes >> ((hi >> 8) & 0xf)) & 1)) return false;
  } else if ((hi & (DESC_CODE | DESC_CE)) === (DESC_CODE | DESC_CE)) return true;
  const dpl = descDpl(hi);
  return !(c.cpl > dpl || (sel & 3) > dpl);
}

// System types LAR accepts (TSS, LDT, gates) and LSL accepts (TSS, LDT).
const LAR_TYPES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) | (1 << 11) | (1 << 12) | (1 << 0xc);
const LSL_TYPES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 11);

/** LAR: the access rights, or -1 (ZF = 0). */
export function accessRights(c: Cpu, sel: number): number {
  return visible(c, sel, LAR_TYPES) ? desc.hi & 0x00f0ff00 : -1;
}

/** LSL: the byte-granular limit, or -1. */
export function segmentLimit(c: Cpu, sel: number): number {
  return visible(c, sel, LSL_TYPES) ? descLimit(desc.lo, desc.hi) : -1;
}

/** VERR (write=false) / VERW. */
export function verify(c: Cpu, sel: number, write: boolean): boolean {
  if (!visible(c, sel, 0)) return false;
  const hi = desc.hi;
  if (!(hi & DESC_S)) return false;
  if (write) return !(hi & DESC_CODE) && (hi & DESC_RW) !== 0;
  return !(hi & DESC_CODE) || (hi & DESC_RW) !== 0;
}

