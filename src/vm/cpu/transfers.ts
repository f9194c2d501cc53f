// Control transfers that change CS: interrupt and exception delivery (IVT and IDT gates),
// far JMP/CALL/RET, IRET in all its forms, call gates, task switches, SYSENTER/SYSEXIT.
// State is committed only after every check has passed, so a fault leaves the
// instruction restartable.

import type { Cpu } from './cpu.js';
import {
  ES, CS, SS, DS, FS, GS, TR, ESP, GP, NP, SSF, TS,
  DESC_S, DESC_CODE, DESC_CE, DESC_P, DESC_RW, DESC_B, CR0_TS,
} from './constants.js';
import { IF, TF, NT, RF, VM, AC, IOPL, VIF, VIP, ID } from './flags.js';
import {
  desc, readDescriptor, descBase, descLimit, descFlags, loadedFlags, descDpl, markAccessed, loadLdt,
  nullInaccessibleSegments,
} from './segments.js';

const DATA_SEGS = [ES, DS, FS, GS] as const;

/** A stack that is not (yet) SS: base, limit and size, written with supervisor rights. */
class OtherStack {
  base = 0;
  limit = 0;
  big = false;
  sp = 0;
  sel = 0;

  set(base: number, limit: number, big: boolean, sp: number, sel: number): void {
    this.base = base;
    this.limit = limit;
    this.big = big;
    this.sp = big ? sp >>> 0 : sp & 0xffff;
    this.sel = sel;
  }

  push(c: Cpu, v: number, size: number, user: boolean): void {
    const sp = this.big ? (this.sp - size) >>> 0 : (this.sp - size) & 0xffff;
    if (sp + size - 1 > this.limit) c.raise(SSF, this.sel & 0xfffc);
    const lin = (this.base + sp) | 0;
    if (user) {
      if (size === 4) c.mmu.write32(lin, v);
      else c.mmu.write16(lin, v);
    } else if (size === 4) c.mmu.sysWrite32(lin, v);
    else c.mmu.sysWrite16(lin, v);
    this.sp = sp;
  }
}
const newStack = new OtherStack();

// ---- interrupts and exceptions ----------------------------------------------------------

/** Delivers vector `vector`: through the IVT in real mode, the IDT otherwise. */
export function deliverInterrupt(c: Cpu, vector: number, software: boolean, hasError: boolean, error: number, external: boolean): void {
  if (!c.protectedMode) {
    realModeInterrupt(c, vector);
    return;
  }
  const ext = external ? 1 : 0;
  if (software && c.v86 && (c.lf.flags & IOPL) !== IOPL) c.gp(0);
  const idx = vector << 3;
  if (idx + 7 > c.idtr.limit) c.gp(idx + 2 + ext);
  const lo = c.mmu.sysRead32((c.idtr.base + idx) | 0);
  const hi = c.mmu.sysRead32((c.idtr.base + idx + 4) | 0);
  const type = (hi >> 8) & 0x1f;
  if (type !== 5 && type !== 6 && type !== 7 && type !== 14 && type !== 15) c.gp(idx + 2 + ext);
  if (software && descDpl(hi) < c.cpl) c.gp(idx + 2);
  if (!(hi & DESC_P)) c.raise(NP, idx + 2 + ext);
  const sel = lo >>> 16;
  if (type === 5) {
    taskSwitch(c, sel, SWITCH_CALL, ext);
    if (hasError) {
      if (c.stack32) c.push32(error);
      else c.push16(error);
    }
    return;
  }
  const gate32 = (type & 8) !== 0;
  const trapGate = (type & 1) !== 0;
  const offset = gate32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  if ((sel & 0xfffc) === 0) c.gp(ext);
  if (!readDescriptor(c, sel)) c.gp((sel & 0xfffc) + ext);
  const chi = desc.hi, clo = desc.lo;
  const dpl = descDpl(chi);
  if ((chi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE) || dpl > c.cpl) c.gp((sel & 0xfffc) + ext);
  if (!(chi & DESC_P)) c.raise(NP, (sel & 0xfffc) + ext);
  const conforming = (chi & DESC_CE) !== 0;
  const limit = descLimit(clo, chi);
  const oldFlags = c.getEflags();
  const size = gate32 ? 4 : 2;
  const wasV86 = c.v86;

  if (!conforming && dpl < c.cpl) {
    if (wasV86 && dpl !== 0) c.gp(sel & 0xfffc);
    const ssInfo = innerStack(c, dpl, ext);
    const oldSs = c.segSel[SS], oldEsp = c.reg32[ESP];
    newStack.set(ssInfo.base, ssInfo.limitHi, ssInfo.big, ssInfo.esp, ssInfo.sel);
    if (wasV86) {
      newStack.push(c, c.segSel[GS], size, false);
      newStack.push(c, c.segSel[FS], size, false);
      newStack.push(c, c.segSel[DS], size, false);
      newStack.push(c, c.segSel[ES], size, false);
    }
    newStack.push(c, oldSs, size, false);
    newStack.push(c, oldEsp, size, false);
    newStack.push(c, oldFlags, size, false);
    newStack.push(c, c.segSel[CS], size, false);
    newStack.push(c, c.eip, size, false);
    if (hasError) newStack.push(c, error, size, false);
    if (offset > limit) c.gp(ext);
    // Commit.
    c.lf.set(oldFlags & ~(TF | NT | RF | VM | (trapGate ? 0 : IF)));
    if (wasV86) for (const s of DATA_SEGS) c.loadNullSegment(s, 0);
    c.cpl = dpl;
    c.loadSegmentCache(SS, ssInfo.sel, ssInfo.base, ssInfo.limit, ssInfo.flags);
    c.reg32[ESP] = ssInfo.big ? newStack.sp : (c.reg32[ESP] & ~0xffff) | newStack.sp;
    markAccessedAt(c, sel);
    c.loadSegmentCache(CS, (sel & 0xfffc) | dpl, descBase(clo, chi), limit, loadedFlags(chi));
    c.setCpl(dpl);
    c.eip = offset;
    return;
  }
  if (wasV86 || (!conforming && dpl !== c.cpl)) c.gp((sel & 0xfffc) + ext);
  if (offset > limit) c.gp(ext);
  if (size === 4) {
    c.push32(oldFlags);
    c.push32(c.segSel[CS]);
    c.push32(c.eip);
    if (hasError) c.push32(error);
  } else {
    c.push16(oldFlags);
    c.push16(c.segSel[CS]);
    c.push16(c.eip);
    if (hasError) c.push16(error);
  }
  c.lf.set(oldFlags & ~(TF | NT | RF | VM | (trapGate ? 0 : IF)));
  markAccessedAt(c, sel);
  c.loadSegmentCache(CS, (sel & 0xfffc) | c.cpl, descBase(clo, chi), limit, loadedFlags(chi));
  c.updateMode();
  c.eip = offset;
}

function realModeInterrupt(c: Cpu, vector: number): void {
  const idx = vector << 2;
  if (idx + 3 > c.idtr.limit) c.gp();
  const ip = c.mmu.sysRead16((c.idtr.base + idx) | 0);
  const cs = c.mmu.sysRead16((c.idtr.base + idx + 2) | 0);
  const flags = c.getEflags();
  c.push16(flags);
  c.push16(c.segSel[CS]);
  c.push16(c.eip);
  c.lf.set(flags & ~(IF | TF | AC | RF));
  c.loadRealSegment(CS, cs);
  c.eip = ip;
}

function markAccessedAt(c: Cpu, sel: number): void {
  if (readDescriptor(c, sel)) markAccessed(c);
}

/** The stack for privilege level `dpl` from the current TSS, checked. */
const stackInfo = { sel: 0, esp: 0, base: 0, limit: 0, limitHi: 0, flags: 0, big: false };
function innerStack(c: Cpu, dpl: number, ext: number): typeof stackInfo {
  const trBase = c.segBase[TR];
  const tss32 = (c.segFlags[TR] & 0x800) !== 0;
  let sel: number, esp: number;
  if (tss32) {
    const off = 4 + dpl * 8;
    if (off + 5 > c.segLimit[TR]) c.raise(TS, (c.segSel[TR] & 0xfffc) + ext);
    esp = c.mmu.sysRead32((trBase + off) | 0);
    sel = c.mmu.sysRead16((trBase + off + 4) | 0);
  } else {
    const off = 2 + dpl * 4;
    if (off + 3 > c.segLimit[TR]) c.raise(TS, (c.segSel[TR] & 0xfffc) + ext);
    esp = c.mmu.sysRead16((trBase + off) | 0);
    sel = c.mmu.sysRead16((trBase + off + 2) | 0);
  }
  const err = (sel & 0xfffc) + ext;
  if ((sel & 0xfffc) === 0) c.raise(TS, ext);
  if (!readDescriptor(c, sel)) c.raise(TS, err);
  const hi = desc.hi;
  if ((sel & 3) !== dpl || descDpl(hi) !== dpl || (hi & (DESC_S | DESC_CODE | DESC_RW)) !== (DESC_S | DESC_RW)) c.raise(TS, err);
  if (!(hi & DESC_P)) c.raise(SSF, err);
  markAccessed(c);
  stackInfo.sel = sel;
  stackInfo.esp = esp;
  stackInfo.base = descBase(desc.lo, hi);
  stackInfo.limit = descLimit(desc.lo, hi);
  stackInfo.limitHi = stackInfo.limit;
  stackInfo.flags = loadedFlags(hi);
  stackInfo.big = (hi & DESC_B) !== 0;
  return stackInfo;
}

// ---- far JMP / CALL ----------------------------------------------------------------------

/** Far JMP (call = false) or CALL to sel:offset. */
export function farTransfer(c: Cpu, sel: number, offset: number, call: boolean): void {
  sel &= 0xffff;
  if (!c.protectedMode || c.v86) {
    if (call) {
      if (c.o32) {
        c.push32(c.segSel[CS]);
        c.push32(c.eip);
      } else {
        c.push16(c.segSel[CS]);
        c.push16(c.eip);
      }
    }
    if (offset > c.segLimit[CS] && c.v86) c.gp(0);
    c.loadRealSegment(CS, sel);
    c.eip = c.o32 ? offset >>> 0 : offset & 0xffff;
    return;
  }
  const err = sel & 0xfffc;
  if (err === 0) c.gp(0);
  if (!readDescriptor(c, sel)) c.gp(err);
  const hi = desc.hi, lo = desc.lo;
  const dpl = descDpl(hi);
  if (hi & DESC_S) {
    if (!(hi & DESC_CODE)) c.gp(err);
    if (hi & DESC_CE) {
      if (dpl > c.cpl) c.gp(err);
    } else if ((sel & 3) > c.cpl || dpl !== c.cpl) c.gp(err);
    if (!(hi & DESC_P)) c.raise(NP, err);
    const limit = descLimit(lo, hi);
    const target = c.o32 ? offset >>> 0 : offset & 0xffff;
    if (target > limit) c.gp(0);
    if (call) {
      if (c.o32) {
        c.push32(c.segSel[CS]);
        c.push32(c.eip);
      } else {
        c.push16(c.segSel[CS]);
        c.push16(c.eip);
      }
    }
    markAccessed(c);
    c.loadSegmentCache(CS, (sel & 0xfffc) | c.cpl, descBase(lo, hi), limit, loadedFlags(hi));
    c.eip = target;
    return;
  }
  const type = (hi >> 8) & 0xf;
  if (type === 1 || type === 9 || type === 5) {
    if (dpl < c.cpl || dpl < (sel & 3)) c.gp(err);
    if (!(hi & DESC_P)) c.raise(NP, err);
    const tssSel = type === 5 ? lo >>> 16 : sel;
    taskSwitch(c, tssSel, call ? SWITCH_CALL : SWITCH_JMP, 0);
    return;
  }
  if (type !== 4 && type !== 12) c.gp(err);
  callGate(c, sel, lo, hi, call);
}

function callGate(c: Cpu, gateSel: number, glo: number, ghi: number, call: boolean): void {
  const gerr = gateSel & 0xfffc;
  const gdpl = descDpl(ghi);
  if (gdpl < c.cpl || gdpl < (gateSel & 3)) c.gp(gerr);
  if (!(ghi & DESC_P)) c.raise(NP, gerr);
  const gate32 = (ghi & 0x800) !== 0;
  const sel = glo >>> 16;
  const offset = gate32 ? (glo & 0xffff) | (ghi & 0xffff0000) : glo & 0xffff;
  const paramCount = ghi & 0x1f;
  const err = sel & 0xfffc;
  if (err === 0) c.gp(0);
  if (!readDescriptor(c, sel)) c.gp(err);
  const hi = desc.hi, lo = desc.lo;
  const dpl = descDpl(hi);
  if ((hi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE) || dpl > c.cpl) c.gp(err);
  if (!call && !(hi & DESC_CE) && dpl !== c.cpl) c.gp(err);
  if (!(hi & DESC_P)) c.raise(NP, err);
  const limit = descLimit(lo, hi);
  if (offset > limit) c.gp(0);
  const size = gate32 ? 4 : 2;
  if (call && !(hi & DESC_CE) && dpl < c.cpl) {
    const info = innerStack(c, dpl, 0);
    newStack.set(info.base, info.limitHi, info.big, info.esp, info.sel);
    const oldSs = c.segSel[SS], oldEsp = c.reg32[ESP];
    newStack.push(c, oldSs, size, false);
    newStack.push(c, oldEsp, size, false);
    for (let i = paramCount - 1; i >= 0; i--) {
      const v = size === 4 ? c.peek32(i * 4) : c.peek16(i * 2);
      newStack.push(c, v, size, false);
    }
    newStack.push(c, c.segSel[CS], size, false);
    newStack.push(c, c.eip, size, false);
    c.loadSegmentCache(SS, info.sel, info.base, info.limit, info.flags);
    c.reg32[ESP] = info.big ? newStack.sp : (c.reg32[ESP] & ~0xffff) | newStack.sp;
    markAccessedAt(c, sel);
    c.loadSegmentCache(CS, (sel & 0xfffc) | dpl, descBase(lo, hi), limit, loadedFlags(hi));
    c.setCpl(dpl);
    c.eip = offset;
    return;
  }
  if (call) {
    if (size === 4) {
      c.push32(c.segSel[CS]);
      c.push32(c.eip);
    } else {
      c.push16(c.segSel[CS]);
      c.push16(c.eip);
    }
  }
  markAccessedAt(c, sel);
  c.loadSegmentCache(CS, (sel & 0xfffc) | c.cpl, descBase(lo, hi), limit, loadedFlags(hi));
  c.eip = offset;
}

// ---- far RET and IRET ----------------------------------------------------------------------

/** RETF [imm]: pops EIP and CS, then `extra` bytes of parameters. */
export function farReturn(c: Cpu, extra: number): void {
  const size = c.o32 ? 4 : 2;
  const eip = size === 4 ? c.peek32(0) : c.peek16(0);
  const sel = (size === 4 ? c.peek32(4) : c.peek16(2)) & 0xffff;
  if (!c.protectedMode || c.v86) {
    if (c.v86 && eip > c.segLimit[CS]) c.gp(0);
    c.loadRealSegment(CS, sel);
    c.eip = eip >>> 0;
    c.setSp(c.reg32[ESP] + 2 * size + extra);
    return;
  }
  const rpl = sel & 3;
  const codeLimit = checkReturnCs(c, sel);
  const clo = desc.lo, chi = desc.hi;
  if (rpl > c.cpl) {
    const espOff = 2 * size + extra;
    const newEsp = size === 4 ? c.peek32(espOff) : c.peek16(espOff);
    const ssSel = (size === 4 ? c.peek32(espOff + size) : c.peek16(espOff + size)) & 0xffff;
    const ss = checkReturnSs(c, ssSel, rpl);
    if (eip >>> 0 > codeLimit) c.gp(0);
    c.loadSegmentCache(CS, sel, descBase(clo, chi), codeLimit, descFlags(chi));
    c.setCpl(rpl);
    c.loadSegmentCache(SS, ssSel, ss.base, ss.limit, ss.flags);
    c.setSp(newEsp + extra);
    c.eip = eip >>> 0;
    nullInaccessibleSegments(c, DATA_SEGS);
    return;
  }
  if (eip >>> 0 > codeLimit) c.gp(0);
  c.loadSegmentCache(CS, sel, descBase(clo, chi), codeLimit, descFlags(chi));
  c.eip = eip >>> 0;
  c.setSp(c.reg32[ESP] + 2 * size + extra);
}

/** Checks a CS popped by RETF/IRET (`desc` holds it afterwards); returns its limit. */
function checkReturnCs(c: Cpu, sel: number): number {
  const err = sel & 0xfffc;
  if (err === 0) c.gp(0);
  if (!readDescriptor(c, sel)) c.gp(err);
  const hi = desc.hi;
  const rpl = sel & 3, dpl = descDpl(hi);
  if (rpl < c.cpl) c.gp(err);
  if ((hi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE)) c.gp(err);
  if (hi & DESC_CE ? dpl > rpl : dpl !== rpl) c.gp(err);
  if (!(hi & DESC_P)) c.raise(NP, err);
  markAccessed(c);
  return descLimit(desc.lo, hi);
}

const returnSs = { base: 0, limit: 0, flags: 0 };
function checkReturnSs(c: Cpu, sel: number, rpl: number): typeof returnSs {
  const err = sel & 0xfffc;
  const saveLo = desc.lo, saveHi = desc.hi, saveAddr = desc.addr;
  if (err === 0) c.gp(0);
  if (!readDescriptor(c, sel)) c.gp(err);
  const hi = desc.hi;
  if ((sel & 3) !== rpl || descDpl(hi) !== rpl || (hi & (DESC_S | DESC_CODE | DESC_RW)) !== (DESC_S | DESC_RW)) c.gp(err);
  if (!(hi & DESC_P)) c.raise(SSF, err);
  markAccessed(c);
  returnSs.base = descBase(desc.lo, hi);
  returnSs.limit = descLimit(desc.lo, hi);
  returnSs.flags = loadedFlags(hi);
  desc.lo = saveLo;
  desc.hi = saveHi;
  desc.addr = saveAddr;
  return returnSs;
}

export function iret(c: Cpu): void {
  const o32 = c.o32;
  c.nmiBlocked = false;
  const size = o32 ? 4 : 2;
  if (!c.protectedMode) {
    const eip = o32 ? c.peek32(0) : c.peek16(0);
    const cs = o32 ? c.peek32(4) : c.peek16(2);
    const fl = o32 ? c.peek32(8) : c.peek16(4);
    if (eip >>> 0 > c.segLimit[CS]) c.gp(0);
    c.setSp(c.reg32[ESP] + 3 * size);
    c.loadRealSegment(CS, cs);
    c.eip = eip >>> 0;
    c.writeEflagsMasked(fl, o32 ? 0x257fd5 : 0x7fd5);
    return;
  }
  if (c.v86) {
    if ((c.lf.flags & IOPL) !== IOPL) c.gp(0);
    const eip = o32 ? c.peek32(0) : c.peek16(0);
    const cs = o32 ? c.peek32(4) : c.peek16(2);
    const fl = o32 ? c.peek32(8) : c.peek16(4);
    if (eip >>> 0 > 0xffff) c.gp(0);
    c.setSp(c.reg32[ESP] + 3 * size);
    c.loadRealSegment(CS, cs);
    c.eip = eip >>> 0;
    c.writeEflagsMasked(fl, (o32 ? 0x244dd5 | TF : 0x4dd5 | TF) | IF);
    return;
  }
  if (c.lf.flags & NT) {
    const back = c.mmu.sysRead16(c.segBase[TR]);
    taskSwitch(c, back, SWITCH_IRET, 0);
    return;
  }
  const eip = o32 ? c.peek32(0) : c.peek16(0);
  const sel = (o32 ? c.peek32(4) : c.peek16(2)) & 0xffff;
  const fl = o32 ? c.peek32(8) : c.peek16(4);
  if (o32 && fl & VM && c.cpl === 0) {
    returnToV86(c, eip, sel, fl);
    return;
  }
  const oldCpl = c.cpl;
  const rpl = sel & 3;
  const codeLimit = checkReturnCs(c, sel);
  const clo = desc.lo, chi = desc.hi;
  const iopl = (c.lf.flags & IOPL) >> 12;
  let mask = 0x0dd5 | TF | NT | (o32 ? AC | ID : 0);
  if (oldCpl === 0) mask |= IOPL | (o32 ? VIF | VIP : 0);
  if (oldCpl <= iopl) mask |= IF;
  if (!o32) mask &= 0xffff;
  if (rpl > oldCpl) {
    const newEsp = o32 ? c.peek32(12) : c.peek16(6);
    const ssSel = (o32 ? c.peek32(16) : c.peek16(8)) & 0xffff;
    const ss = checkReturnSs(c, ssSel, rpl);
    if (eip >>> 0 > codeLimit) c.gp(0);
    c.loadSegmentCache(CS, sel, descBase(clo, chi), codeLimit, descFlags(chi));
    c.writeEflagsMasked(fl, mask);
    c.setCpl(rpl);
    c.loadSegmentCache(SS, ssSel, ss.base, ss.limit, ss.flags);
    c.setSp(newEsp);
    c.eip = eip >>> 0;
    nullInaccessibleSegments(c, DATA_SEGS);
    return;
  }
  if (eip >>> 0 > codeLimit) c.gp(0);
  c.setSp(c.reg32[ESP] + 3 * size);
  c.loadSegmentCache(CS, sel, descBase(clo, chi), codeLimit, descFlags(chi));
  c.writeEflagsMasked(fl, mask);
  c.eip = eip >>> 0;
}

function returnToV86(c: Cpu, eip: number, cs: number, fl: number): void {
  const esp = c.peek32(12), ss = c.peek32(16);
  const es = c.peek32(20), ds = c.peek32(24), fs = c.peek32(28), gs = c.peek32(32);
  c.lf.set(fl);
  c.updateMode();
  c.loadRealSegment(CS, cs);
  c.loadRealSegment(SS, ss);
  c.loadRealSegment(ES, es);
  c.loadRealSegment(DS, ds);
  c.loadRealSegment(FS, fs);
  c.loadRealSegment(GS, gs);
  c.reg32[ESP] = esp;
  c.eip = eip & 0xffff;
}

// ---- task switches ---------------------------------------------------------------------------

export const SWITCH_JMP = 0, SWITCH_CALL = 1, SWITCH_IRET = 2;

/** Switches to the task whose TSS selector is `sel` (32-bit TSS layout; 286 TSSs are refused). */
export function taskSwitch(c: Cpu, sel: number, reason: number, ext: number): void {
  const err = (sel & 0xfffc) + ext;
  if (sel & 4 || !readDescriptor(c, sel)) c.raise(TS, err);
  const nlo = desc.lo, nhi = desc.hi, naddr = desc.addr;
  const type = (nhi >> 8) & 0x1f;
  if (reason === SWITCH_IRET ? type !== 0x0b : type !== 0x09) c.raise(reason === SWITCH_IRET ? TS : GP, err);
  if (!(nhi & DESC_P)) c.raise(NP, err);
  const nbase = descBase(nlo, nhi), nlimit = descLimit(nlo, nhi);
  if (nlimit < 0x67) c.raise(TS, err);
  const m = c.mmu;
  // Read the whole new TSS first: a fault here leaves the old task untouched.
  const r = (off: number) => m.sysRead32((nbase + off) | 0);
  const newCr3 = r(0x1c), newEip = r(0x20);
  let newFlags = r(0x24);
  const regs = [r(0x28), r(0x2c), r(0x30), r(0x34), r(0x38), r(0x3c), r(0x40), r(0x44)];
  const sels = [r(0x48), r(0x4c), r(0x50), r(0x54), r(0x58), r(0x5c)].map((v) => v & 0xffff);
  const ldt = r(0x60) & 0xffff;
  // Save the outgoing task.
  const obase = c.segBase[TR];
  const w = (off: number, v: number) => m.sysWrite32((obase + off) | 0, v);
  let oldFlags = c.getEflags();
  if (reason === SWITCH_IRET) oldFlags &= ~NT;
  w(0x20, c.eip);
  w(0x24, oldFlags);
  for (let i = 0; i < 8; i++) w(0x28 + i * 4, c.reg32[i]);
  for (let i = 0; i < 6; i++) m.sysWrite16((obase + 0x48 + i * 4) | 0, c.segSel[i]);
  if (reason === SWITCH_JMP || reason === SWITCH_IRET) setBusy(c, c.segSel[TR], false);
  if (reason === SWITCH_CALL) {
    m.sysWrite16(nbase, c.segSel[TR]);
    newFlags |= NT;
  }
  if (reason !== SWITCH_IRET) {
    desc.addr = naddr;
    m.sysWrite32((naddr + 4) | 0, nhi | 0x200);
  }
  c.loadSegmentCache(TR, sel, nbase, nlimit, descFlags(nhi | 0x200));
  c.cr0 = c.cr0 | CR0_TS;
  if (c.cr0 & 0x80000000) c.cr3 = newCr3;
  for (let i = 0; i < 8; i++) c.reg32[i] = regs[i];
  c.lf.set(newFlags);
  c.eip = newEip;
  c.updateMode();
  // Load the new task's segments; faults now belong to the new task (#TS).
  if (newFlags & VM) {
    for (let i = 0; i < 6; i++) c.loadRealSegment(i, sels[i]);
    c.setCpl(3);
    loadLdt(c, ldt);
    return;
  }
  const rpl = sels[CS] & 3;
  for (let i = 0; i < 6; i++) c.loadNullSegment(i, sels[i]);
  if (ldt & 4) c.raise(TS, ldt & 0xfffc);
  loadLdt(c, ldt);
  if ((sels[CS] & 0xfffc) === 0 || !readDescriptor(c, sels[CS]) || (desc.hi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE)) c.raise(TS, sels[CS] & 0xfffc);
  if (!(desc.hi & DESC_P)) c.raise(NP, sels[CS] & 0xfffc);
  c.loadSegmentCache(CS, sels[CS], descBase(desc.lo, desc.hi), descLimit(desc.lo, desc.hi), descFlags(desc.hi));
  c.setCpl(rpl);
  for (const s of [SS, ES, DS, FS, GS]) {
    const v = sels[s];
    if ((v & 0xfffc) === 0) {
      if (s === SS) c.raise(TS, 0);
      continue;
    }
    if (!readDescriptor(c, v) || !(desc.hi & DESC_S)) c.raise(TS, v & 0xfffc);
    if (!(desc.hi & DESC_P)) c.raise(s === SS ? SSF : NP, v & 0xfffc);
    markAccessed(c);
    c.loadSegmentCache(s, v, descBase(desc.lo, desc.hi), descLimit(desc.lo, desc.hi), descFlags(desc.hi));
  }
  if (c.eip > c.segLimit[CS]) c.gp(0);
}

function setBusy(c: Cpu, sel: number, busy: boolean): void {
  if (!readDescriptor(c, sel)) return;
  const hi = busy ? desc.hi | 0x200 : desc.hi & ~0x200;
  c.mmu.sysWrite32((desc.addr + 4) | 0, hi);
}

// ---- SYSENTER / SYSEXIT --------------------------------------------------------------------

export function sysenter(c: Cpu): void {
  const cs = c.msr.sysenterCs & 0xfffc;
  if (!c.protectedMode || cs === 0) c.gp(0);
  c.lf.setBits(VM | IF | RF, 0);
  c.setCpl(0);
  c.loadSegmentCache(CS, cs, 0, 0xffffffff, 0x00cf9b00);
  c.loadSegmentCache(SS, cs + 8, 0, 0xffffffff, 0x00cf9300);
  c.reg32[ESP] = c.msr.sysenterEsp;
  c.eip = c.msr.sysenterEip >>> 0;
}

export function sysexit(c: Cpu): void {
  const cs = c.msr.sysenterCs & 0xfffc;
  if (!c.protectedMode || c.v86 || c.cpl !== 0 || cs === 0) c.gp(0);
  c.setCpl(3);
  c.loadSegmentCache(CS, (cs + 16) | 3, 0, 0xffffffff, 0x00cffb00);
  c.loadSegmentCache(SS, (cs + 24) | 3, 0, 0xffffffff, 0x00cff300);
  c.reg32[ESP] = c.reg32[1];
  c.eip = c.reg32[2] >>> 0;
}

