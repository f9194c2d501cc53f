// The interpreter: prefix decoding and the one-byte opcode map. The 0F map is in
// interpreter-0f.ts. Semantics come from alu.ts (shared with the future JIT); this file
// only decodes operands and sequences the effects, writing memory before registers so a
// fault leaves the instruction restartable.

import type { Cpu } from './cpu.js';
import {
  ES, CS, SS, DS, FS, GS, EAX, ECX, EDX, EBX, ESP, EBP,
  DE, BP, OFV, BR, NM, MF, CR0_EM, CR0_TS, CR0_MP, CR0_NE,
} from './constants.js';
import { CF, PF, AF, ZF, SF, IF, DF, IOPL } from './flags.js';
import {
  arith, inc, dec, neg, shift, signExtend, widthMask, mulWide, wide, setMulFlags, imulTrunc,
  divU, divS, divResult, daa, das, aaa, aas, aad, aam,
} from './alu.js';
import {
  R8, decodeModrm, computeAddress, getReg, setReg, readEa, getRm, getRmForWrite, setRm, regField, fetchImm,
} from './operands.js';
import { loadSegment } from './segments.js';
import { farTransfer, farReturn, iret } from './transfers.js';
import { stringOp, portIn, portOut, MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS } from './string-io.js';
import { execute0f } from './interpreter-0f.js';

/** Executes one instruction at CS:EIP. */
export function executeOne(c: Cpu): void {
  c.o32 = c.code32;
  c.a32 = c.code32;
  c.segOverride = -1;
  c.rep = 0;
  c.lock = false;
  c.prefixBytes = 0;
  let op = c.fetch8();
  if (PREFIX[op] !== 0) {
    op = prefixes(c, op);
    if (c.lock) checkLock(c, op);
  }
  HANDLERS[op](c, op);
}

/** The prefix bytes (a table lookup, so an instruction without any passes no compare chain). */
const PREFIX = new Uint8Array(256);
for (const op of [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]) PREFIX[op] = 1;

/** Takes the prefixes starting with `op`; returns the opcode byte after them. */
function prefixes(c: Cpu, op: number): number {
  for (;;) {
    switch (op) {
      case 0x26: c.segOverride = ES; break;
      case 0x2e: c.segOverride = CS; break;
      case 0x36: c.segOverride = SS; break;
      case 0x3e: c.segOverride = DS; break;
      case 0x64: c.segOverride = FS; break;
      case 0x65: c.segOverride = GS; break;
      case 0x66: c.o32 = !c.code32; c.prefixBytes |= 1; break;
      case 0x67: c.a32 = !c.code32; break;
      case 0xf0: c.lock = true; break;
      case 0xf2: c.rep = 2; break;
      case 0xf3: c.rep = 1; break;
      default: return op;
    }
    if (c.eip - c.startEip >= 14) c.gp(0);
    op = c.fetch8();
  }
}

/** LOCK is allowed only on read-modify-write instructions with a memory destination. */
function checkLock(c: Cpu, op: number): void {
  const save = c.eip;
  let ok = false;
  if (op === 0x0f) {
    const op2 = c.fetch8();
    const modrm = c.fetch8();
    const reg = (modrm >> 3) & 7;
    ok = modrm < 0xc0 && (op2 === 0xab || op2 === 0xb3 || op2 === 0xbb || op2 === 0xb0 || op2 === 0xb1 ||
      op2 === 0xc0 || op2 === 0xc1 || (op2 === 0xba && reg >= 5) || (op2 === 0xc7 && reg === 1));
  } else {
    const modrm = c.fetch8();
    const reg = (modrm >> 3) & 7;
    if (modrm < 0xc0) {
      if (op < 0x40) ok = (op & 7) < 2 && op >> 3 !== 7;
      else if (op >= 0x80 && op <= 0x83) ok = reg !== 7;
      else if (op === 0x86 || op === 0x87) ok = true;
      else if (op === 0xf6 || op === 0xf7) ok = reg === 2 || reg === 3;
      else if (op === 0xfe || op === 0xff) ok = reg < 2;
    }
  }
  c.eip = save;
  if (!ok) c.ud();
}

function topV(c: Cpu): number {
  return c.o32 ? 31 : 15;
}

/** Near jump target check and commit (16-bit operand size wraps IP). */
export function jumpNear(c: Cpu, target: number): void {
  target = c.o32 ? target >>> 0 : target & 0xffff;
  if (target > c.segLimit[CS]) c.gp(0);
  c.eip = target;
}

function setFlagsFromAh(c: Cpu): void {
  const ah = c.reg8[1];
  c.lf.setBits(SF | ZF | AF | PF | CF, ah);
}

export function pushSeg(c: Cpu, seg: number): void {
  if (c.o32) {
    // A 32-bit push of a segment register writes only the low word on P6.
    const sp = (c.reg32[ESP] - 4) & c.stackMask;
    c.write16(SS, sp >>> 0, c.segSel[seg]);
    c.setSp(sp);
  } else c.push16(c.segSel[seg]);
}

export function popSeg(c: Cpu, seg: number): void {
  const v = c.o32 ? c.peek32(0) : c.peek16(0);
  loadSegment(c, seg, v & 0xffff);
  c.setSp(c.reg32[ESP] + (c.o32 ? 4 : 2));
  if (seg === SS) c.inhibitInterrupts = true;
}

/** CLI/STI/PUSHF/POPF/INT privilege: IOPL-sensitive outside real mode. */
function iopl(c: Cpu): number {
  return (c.lf.flags & IOPL) >> 12;
}

/** #NM / #MF checks shared by x87 and WAIT. */
export function fpuChecks(c: Cpu, waiting: boolean): void {
  const cr0 = c.cr0;
  if (cr0 & (CR0_EM | CR0_TS)) c.raise(NM);
  if (waiting && c.fpu.errorPending && cr0 & CR0_NE) c.raise(MF);
}

function escape(c: Cpu, op: number): void {
  decodeModrm(c);
  const modrm = c.modrm;
  // FNINIT, FNCLEX, FNSTENV, FNSTCW, FNSAVE, FNSTSW do not wait for pending errors.
  const reg = (modrm >> 3) & 7;
  const nonWaiting = (op === 0xdb && (modrm === 0xe2 || modrm === 0xe3)) ||
    (modrm < 0xc0 && ((op === 0xd9 && reg >= 6) || (op === 0xdd && reg >= 6))) || (op === 0xdf && modrm === 0xe0);
  fpuChecks(c, !nonWaiting);
  const linear = modrm < 0xc0 ? c.linearFor(c.eaSeg, c.eaOff, 1, false) : 0;
  const realOrV86 = !c.protectedMode || c.v86;
  c.fpu.execute(op, modrm, linear, c.fpuMemory, c.o32, realOrV86, c.segSel[CS], c.startEip, modrm < 0xc0 ? c.segSel[c.eaSeg] : 0, c.reg32);
}

/** ADD OR ADC SBB AND SUB XOR CMP r/m, reg (00 01 08 09 … 38 39). */
function aluRmReg(c: Cpu, op: number): void {
  const aluOp = op >> 3;
  const top = op & 1 ? topV(c) : 7;
  decodeModrm(c);
  const b = getReg(c, regField(c), top);
  const a = aluOp === 7 ? getRm(c, top) : getRmForWrite(c, top);
  const res = arith(c.lf, aluOp, a, b, top);
  if (aluOp !== 7) setRm(c, top, res);
}

/** The same, reg, r/m (02 03 0A 0B … 3A 3B). */
function aluRegRm(c: Cpu, op: number): void {
  const aluOp = op >> 3;
  const top = op & 1 ? topV(c) : 7;
  decodeModrm(c);
  const b = getRm(c, top);
  const a = getReg(c, regField(c), top);
  const res = arith(c.lf, aluOp, a, b, top);
  if (aluOp !== 7) setReg(c, regField(c), top, res);
}

/** The same, AL/eAX, immediate (04 05 0C 0D … 3C 3D). */
function aluAccImm(c: Cpu, op: number): void {
  const aluOp = op >> 3;
  const top = op & 1 ? topV(c) : 7;
  const b = fetchImm(c, top);
  const res = arith(c.lf, aluOp, getReg(c, EAX, top), b, top);
  if (aluOp !== 7) setReg(c, EAX, top, res);
}

/** INC/DEC reg (40–4F). */
function incDecReg(c: Cpu, op: number): void {
  const top = topV(c), reg = op & 7, lf = c.lf;
  setReg(c, reg, top, op < 0x48 ? inc(lf, getReg(c, reg, top), top) : dec(lf, getReg(c, reg, top), top));
}

function pushReg(c: Cpu, op: number): void {
  c.pushOp(getReg(c, op & 7, topV(c)));
}

function popReg(c: Cpu, op: number): void {
  const v = c.popOp();
  setReg(c, op & 7, topV(c), v);
}

/** Jcc rel8 (70–7F). */
function jccShort(c: Cpu, op: number): void {
  const rel = (c.fetch8() << 24) >> 24;
  if (c.lf.condition(op & 0xf)) jumpNear(c, c.eip + rel);
}

function movReg8Imm(c: Cpu, op: number): void {
  c.reg8[R8[op & 7]] = c.fetch8();
}

function movRegImm(c: Cpu, op: number): void {
  const top = topV(c);
  setReg(c, op & 7, top, fetchImm(c, top));
}

/** Group 1: the eight ALU operations on r/m and an immediate (80–83). */
function group1(c: Cpu, op: number): void {
  const top = op === 0x81 || op === 0x83 ? topV(c) : 7;
  decodeModrm(c);
  const aluOp = regField(c);
  const a = aluOp === 7 ? getRm(c, top) : getRmForWrite(c, top);
  const b = op === 0x81 ? fetchImm(c, top) : op === 0x83 ? ((c.fetch8() << 24) >> 24) & widthMask(top) : c.fetch8();
  const res = arith(c.lf, aluOp, a, b, top);
  if (aluOp !== 7) setRm(c, top, res);
}

/** TEST r/m, reg (84 85). */
function testRmReg(c: Cpu, op: number): void {
  const top = op & 1 ? topV(c) : 7;
  decodeModrm(c);
  arith(c.lf, 4, getRm(c, top), getReg(c, regField(c), top), top);
}

/** MOV r/m, reg (88 89). */
function movRmReg(c: Cpu, op: number): void {
  const top = op & 1 ? topV(c) : 7;
  decodeModrm(c);
  setRm(c, top, getReg(c, regField(c), top));
}

/** MOV reg, r/m (8A 8B). */
function movRegRm(c: Cpu, op: number): void {
  const top = op & 1 ? topV(c) : 7;
  decodeModrm(c);
  setReg(c, regField(c), top, getRm(c, top));
}

function lea(c: Cpu): void {
  decodeModrm(c);
  if (c.modrm >= 0xc0) c.ud();
  setReg(c, regField(c), topV(c), c.eaOff);
}

/** MOV r/m, immediate (C6 C7). */
function movRmImm(c: Cpu, op: number): void {
  const top = op & 1 ? topV(c) : 7;
  decodeModrm(c);
  if (regField(c) !== 0) c.ud();
  setRm(c, top, fetchImm(c, top));
}

/** Group 2: rotates and shifts by an immediate, 1 or CL (C0 C1 D0–D3). */
function group2(c: Cpu, op: number): void {
  const top = op & 1 ? topV(c) : 7;
  decodeModrm(c);
  const v = getRmForWrite(c, top);
  const count = (op <= 0xc1 ? c.fetch8() : op <= 0xd1 ? 1 : c.reg8[4]) & 31;
  const res = shift(c.lf, regField(c), v, count, top);
  if (count !== 0) setRm(c, top, res);
}

/** RET and RET imm16 (C3 C2). */
function retNear(c: Cpu, op: number): void {
  const extra = op === 0xc2 ? c.fetch16() : 0;
  const target = c.o32 ? c.peek32(0) : c.peek16(0);
  jumpNear(c, target);
  c.setSp(c.reg32[ESP] + (c.o32 ? 4 : 2) + extra);
}

function callRel(c: Cpu): void {
  const rel = fetchImm(c, topV(c));
  const target = c.o32 ? (c.eip + rel) >>> 0 : (c.eip + rel) & 0xffff;
  if (target > c.segLimit[CS]) c.gp(0);
  c.pushOp(c.eip);
  c.eip = target;
}

/** JMP rel16/32 (E9) and rel8 (EB). */
function jmpRel(c: Cpu, op: number): void {
  const rel = op === 0xeb ? (c.fetch8() << 24) >> 24 : fetchImm(c, topV(c));
  jumpNear(c, c.eip + rel);
}

/** An opcode's handler; `op` is the opcode byte (the second byte in the 0F map). */
export type OpcodeHandler = (c: Cpu, op: number) => void;

type OpcodeRange = [first: number, last: number, handler: OpcodeHandler];

/** A 256-entry opcode table: `rest` everywhere but in the [first, last] ranges given. */
export function opcodeTable(rest: OpcodeHandler, ranges: OpcodeRange[]): OpcodeHandler[] {
  const table: OpcodeHandler[] = [];
  for (let op = 0; op < 256; op++) table.push(rest);
  for (const [first, last, handler] of ranges) for (let op = first; op <= last; op++) table[op] = handler;
  return table;
}

/**
 * The handler of each opcode. The common ones have their own small function, which V8
 * optimises with its operand and memory helpers inlined (it inlines none of them into one
 * big switch): the compute loop of `npm run bench -- cpu` interprets 1.3–1.6 times as fast.
 * The rest share a switch per row of the opcode map: V8 deoptimises a function the first
 * time one of its cases runs, and one switch for all of them was re-optimised ~12 times a
 * boot (~270 ms of the second core's TurboFan time).
 */
const HANDLERS = opcodeTable((c) => c.ud(), [
  [0x06, 0x07, segmentAndBcd], [0x0e, 0x0e, segmentAndBcd], [0x16, 0x17, segmentAndBcd], [0x1e, 0x1f, segmentAndBcd],
  [0x27, 0x27, segmentAndBcd], [0x2f, 0x2f, segmentAndBcd], [0x37, 0x37, segmentAndBcd], [0x3f, 0x3f, segmentAndBcd],
  [0x60, 0x6f, row6x],
  [0x86, 0x9f, row8x9x],
  [0x91, 0x97, xchgAccumulator],
  [0xa0, 0xaf, rowAx],
  [0xc4, 0xcf, rowCx],
  [0xd4, 0xef, rowDxEx],
  [0xd8, 0xdf, escape],
  [0xf1, 0xfe, rowFx],
  // The opcodes with a function of their own, over the rows above.
  // The eight ALU operations (ADD … CMP) at 8n: r/m,reg at 8n+0/1, reg,r/m at 8n+2/3, acc,imm at 8n+4/5.
  ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((n): OpcodeRange[] => [
    [n * 8, n * 8 + 1, aluRmReg], [n * 8 + 2, n * 8 + 3, aluRegRm], [n * 8 + 4, n * 8 + 5, aluAccImm],
  ]),
  [0x0f, 0x0f, execute0f],
  [0x40, 0x4f, incDecReg],
  [0x50, 0x57, pushReg],
  [0x58, 0x5f, popReg],
  [0x70, 0x7f, jccShort],
  [0x80, 0x83, group1],
  [0x84, 0x85, testRmReg],
  [0x88, 0x89, movRmReg],
  [0x8a, 0x8b, movRegRm],
  [0x8d, 0x8d, lea],
  [0xb0, 0xb7, movReg8Imm],
  [0xb8, 0xbf, movRegImm],
  [0xc0, 0xc1, group2],
  [0xc2, 0xc3, retNear],
  [0xc6, 0xc7, movRmImm],
  [0xd0, 0xd3, group2],
  [0xe8, 0xe8, callRel],
  [0xe9, 0xe9, jmpRel],
  [0xeb, 0xeb, jmpRel],
  [0xf6, 0xf7, (c, op) => group3(c, op & 1 ? topV(c) : 7)],
  [0xff, 0xff, group5],
]);

/** XCHG of a register with the accumulator, 91-97 (90, XCHG with itself, is row8x9x's NOP). */
function xchgAccumulator(c: Cpu, op: number): void {
  const top = topV(c), reg = op & 7;
  const t = getReg(c, reg, top);
  setReg(c, reg, top, getReg(c, EAX, top));
  setReg(c, EAX, top, t);
}

/** Opcodes 06-3F without a handler of their own: PUSH/POP of ES, CS, SS, DS, and the BCD adjustments. */
function segmentAndBcd(c: Cpu, op: number): void {
  const lf = c.lf;
  switch (op) {
    case 0x06: pushSeg(c, ES); return;
    case 0x07: popSeg(c, ES); return;
    case 0x0e: pushSeg(c, CS); return;
    case 0x16: pushSeg(c, SS); return;
    case 0x17: popSeg(c, SS); return;
    case 0x1e: pushSeg(c, DS); return;
    case 0x1f: popSeg(c, DS); return;
    case 0x27: c.reg8[0] = daa(lf, c.reg8[0]); return;
    case 0x2f: c.reg8[0] = das(lf, c.reg8[0]); return;
    case 0x37: c.reg16[0] = aaa(lf, c.reg16[0]); return;
    case 0x3f: c.reg16[0] = aas(lf, c.reg16[0]); return;
    default:
      c.ud();
  }
}

/** Opcodes 60-6F without a handler of their own: PUSHA, POPA, BOUND, ARPL, PUSH imm, IMUL imm, INS, OUTS. */
function row6x(c: Cpu, op: number): void {
  const lf = c.lf;
  const r = c.reg32;
  switch (op) {
    case 0x60: { // PUSHA
      const top = topV(c);
      const sp0 = r[ESP];
      for (let i = 0; i < 8; i++) c.pushOp(i === ESP ? sp0 : getReg(c, i, top));
      return;
    }
    case 0x61: { // POPA
      const top = topV(c);
      const size = c.o32 ? 4 : 2;
      const vals = [0, 0, 0, 0, 0, 0, 0, 0];
      for (let i = 0; i < 8; i++) vals[7 - i] = size === 4 ? c.peek32(i * 4) : c.peek16(i * 2);
      for (let i = 0; i < 8; i++) if (i !== ESP) setReg(c, i, top, vals[i]);
      c.setSp(r[ESP] + 8 * size);
      return;
    }
    case 0x62: { // BOUND
      decodeModrm(c);
      if (c.modrm >= 0xc0) c.ud();
      const top = topV(c);
      const idx = signExtend(getReg(c, regField(c), top), top);
      const size = c.o32 ? 4 : 2;
      const lower = signExtend(readEa(c, top), top);
      const upper = signExtend(top === 31 ? c.read32(c.eaSeg, (c.eaOff + size) >>> 0) : c.read16(c.eaSeg, (c.eaOff + size) & (c.a32 ? -1 : 0xffff)), top);
      if (idx < lower || idx > upper) c.raise(BR);
      return;
    }
    case 0x63: { // ARPL
      if (!c.protectedMode || c.v86) c.ud();
      decodeModrm(c);
      const dst = getRmForWrite(c, 15), src = getReg(c, regField(c), 15);
      if ((dst & 3) < (src & 3)) {
        setRm(c, 15, (dst & ~3) | (src & 3));
        lf.setBits(ZF, ZF);
      } else lf.setBits(ZF, 0);
      return;
    }
    case 0x68: c.pushOp(fetchImm(c, topV(c))); return;
    case 0x6a: c.pushOp((c.fetch8() << 24) >> 24); return;
    case 0x69:
    case 0x6b: {
      const top = topV(c);
      decodeModrm(c);
      const a = getRm(c, top);
      const b = op === 0x69 ? fetchImm(c, top) : (c.fetch8() << 24) >> 24;
      setReg(c, regField(c), top, imulTrunc(lf, a, b, top));
      return;
    }
    case 0x6c: stringOp(c, INS, 7); return;
    case 0x6d: stringOp(c, INS, topV(c)); return;
    case 0x6e: stringOp(c, OUTS, 7); return;
    case 0x6f: stringOp(c, OUTS, topV(c)); return;
    default:
      c.ud();
  }
}

/** Opcodes 86-9F without a handler of their own: XCHG r/m, MOV to and from segment registers, POP r/m, NOP, CBW/CWD, far CALL, WAIT, PUSHF/POPF, SAHF/LAHF. */
function row8x9x(c: Cpu, op: number): void {
  const lf = c.lf;
  const r = c.reg32;
  switch (op) {
    case 0x86:
    case 0x87: {
      const top = op & 1 ? topV(c) : 7;
      decodeModrm(c);
      const a = getRmForWrite(c, top);
      setRm(c, top, getReg(c, regField(c), top));
      setReg(c, regField(c), top, a);
      return;
    }
    case 0x8c: {
      decodeModrm(c);
      const sreg = regField(c);
      if (sreg > 5) c.ud();
      if (c.modrm >= 0xc0) setReg(c, c.modrm & 7, topV(c), c.segSel[sreg]);
      else c.write16(c.eaSeg, c.eaOff, c.segSel[sreg]);
      return;
    }
    case 0x8e: {
      decodeModrm(c);
      const sreg = regField(c);
      if (sreg > 5 || sreg === CS) c.ud();
      loadSegment(c, sreg, getRm(c, 15));
      if (sreg === SS) c.inhibitInterrupts = true;
      return;
    }
    case 0x8f: {
      const modrm = c.fetch8();
      c.modrm = modrm;
      if ((modrm >> 3) & 7) c.ud();
      const top = topV(c);
      const v = c.popOp();
      if (modrm >= 0xc0) setReg(c, modrm & 7, top, v);
      else {
        computeAddress(c, modrm);
        setRm(c, top, v);
      }
      return;
    }
    case 0x90:
      return;
    case 0x98:
      if (c.o32) r[EAX] = c.reg16[0] << 16 >> 16;
      else c.reg16[0] = (c.reg8[0] << 24) >> 24;
      return;
    case 0x99:
      if (c.o32) r[EDX] = r[EAX] >> 31;
      else c.reg16[EDX * 2] = (c.reg16[0] << 16) >> 31;
      return;
    case 0x9a: {
      const off = fetchImm(c, topV(c));
      const sel = c.fetch16();
      farTransfer(c, sel, off, true);
      return;
    }
    case 0x9b:
      if ((c.cr0 & (CR0_TS | CR0_MP)) === (CR0_TS | CR0_MP)) c.raise(NM);
      if (c.fpu.errorPending && c.cr0 & CR0_NE) c.raise(MF);
      return;
    case 0x9c: // PUSHF
      if (c.v86 && iopl(c) < 3) c.gp(0);
      if (c.o32) c.push32(c.getEflags() & ~0x30000);
      else c.push16(c.getEflags());
      return;
    case 0x9d: { // POPF
      if (c.v86 && iopl(c) < 3) c.gp(0);
      const v = c.o32 ? c.peek32(0) : c.peek16(0);
      c.writeEflagsMasked(v, c.popfMask(c.o32));
      c.setSp(r[ESP] + (c.o32 ? 4 : 2));
      return;
    }
    case 0x9e: setFlagsFromAh(c); return;
    case 0x9f: c.reg8[1] = (lf.get() & 0xd7) | 2; return;
    default:
      c.ud();
  }
}

/** Opcodes A0-AF: MOV with a memory offset, the string instructions, TEST acc, imm. */
function rowAx(c: Cpu, op: number): void {
  const lf = c.lf;
  switch (op) {
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: {
      const top = op & 1 ? topV(c) : 7;
      c.eaOff = c.a32 ? c.fetch32() >>> 0 : c.fetch16();
      c.eaSeg = c.segOverride >= 0 ? c.segOverride : DS;
      c.modrm = 0;
      if (op < 0xa2) setReg(c, EAX, top, readEa(c, top));
      else setRm(c, top, getReg(c, EAX, top));
      return;
    }
    case 0xa4: stringOp(c, MOVS, 7); return;
    case 0xa5: stringOp(c, MOVS, topV(c)); return;
    case 0xa6: stringOp(c, CMPS, 7); return;
    case 0xa7: stringOp(c, CMPS, topV(c)); return;
    case 0xa8: arith(lf, 4, c.reg8[0], c.fetch8(), 7); return;
    case 0xa9: {
      const top = topV(c);
      arith(lf, 4, getReg(c, EAX, top), fetchImm(c, top), top);
      return;
    }
    case 0xaa: stringOp(c, STOS, 7); return;
    case 0xab: stringOp(c, STOS, topV(c)); return;
    case 0xac: stringOp(c, LODS, 7); return;
    case 0xad: stringOp(c, LODS, topV(c)); return;
    case 0xae: stringOp(c, SCAS, 7); return;
    case 0xaf: stringOp(c, SCAS, topV(c)); return;
    default:
      c.ud();
  }
}

/** Opcodes C4-CF without a handler of their own: LES/LDS, ENTER, LEAVE, far RET, INT3, INT, INTO, IRET. */
function rowCx(c: Cpu, op: number): void {
  const lf = c.lf;
  const r = c.reg32;
  switch (op) {
    case 0xc4:
    case 0xc5: {
      decodeModrm(c);
      if (c.modrm >= 0xc0) c.ud();
      loadFarPointer(c, op === 0xc4 ? ES : DS);
      return;
    }
    case 0xc8: enter(c); return;
    case 0xc9: { // LEAVE
      const bp = c.stack32 ? r[EBP] : c.reg16[EBP * 2];
      const v = c.o32 ? c.read32(SS, bp >>> 0) : c.read16(SS, bp >>> 0);
      c.setSp(bp + (c.o32 ? 4 : 2));
      setReg(c, EBP, topV(c), v);
      return;
    }
    case 0xca:
    case 0xcb:
      farReturn(c, op === 0xca ? c.fetch16() : 0);
      return;
    case 0xcc: c.deliverEvent(BP, true, false, 0, false); return;
    case 0xcd: c.deliverEvent(c.fetch8(), true, false, 0, false); return;
    case 0xce: if (lf.of()) c.deliverEvent(OFV, true, false, 0, false); return;
    case 0xcf: iret(c); return;
    default:
      c.ud();
  }
}

/** Opcodes D4-EF without a handler of their own: AAM, AAD, SALC, XLAT, LOOP*, JCXZ, IN/OUT, far JMP. */
function rowDxEx(c: Cpu, op: number): void {
  const lf = c.lf;
  const r = c.reg32;
  switch (op) {
    case 0xd4: {
      const imm = c.fetch8();
      if (imm === 0) c.raise(DE);
      c.reg16[0] = aam(lf, c.reg8[0], imm);
      return;
    }
    case 0xd5: c.reg16[0] = aad(lf, c.reg16[0], c.fetch8()); return;
    case 0xd6: c.reg8[0] = lf.cf() ? 0xff : 0; return; // SALC
    case 0xd7: {
      const base = c.a32 ? r[EBX] + c.reg8[0] : (c.reg16[EBX * 2] + c.reg8[0]) & 0xffff;
      c.reg8[0] = c.read8(c.segOverride >= 0 ? c.segOverride : DS, base >>> 0);
      return;
    }
    case 0xe0:
    case 0xe1:
    case 0xe2: {
      const rel = (c.fetch8() << 24) >> 24;
      const count = c.a32 ? (r[ECX] = r[ECX] - 1) : (c.reg16[ECX * 2] = c.reg16[ECX * 2] - 1);
      const zf = lf.zf();
      if (count !== 0 && (op === 0xe2 || (op === 0xe1 ? zf : !zf))) jumpNear(c, c.eip + rel);
      return;
    }
    case 0xe3: {
      const rel = (c.fetch8() << 24) >> 24;
      if ((c.a32 ? r[ECX] : c.reg16[ECX * 2]) === 0) jumpNear(c, c.eip + rel);
      return;
    }
    case 0xe4: c.reg8[0] = portIn(c, c.fetch8(), 1); return;
    case 0xe5: {
      const port = c.fetch8();
      setReg(c, EAX, topV(c), portIn(c, port, c.o32 ? 4 : 2));
      return;
    }
    case 0xe6: portOut(c, c.fetch8(), 1, c.reg8[0]); return;
    case 0xe7: {
      const port = c.fetch8();
      portOut(c, port, c.o32 ? 4 : 2, getReg(c, EAX, topV(c)));
      return;
    }
    case 0xea: {
      const off = fetchImm(c, topV(c));
      const sel = c.fetch16();
      farTransfer(c, sel, off, false);
      return;
    }
    case 0xec: c.reg8[0] = portIn(c, c.reg16[EDX * 2], 1); return;
    case 0xed: setReg(c, EAX, topV(c), portIn(c, c.reg16[EDX * 2], c.o32 ? 4 : 2)); return;
    case 0xee: portOut(c, c.reg16[EDX * 2], 1, c.reg8[0]); return;
    case 0xef: portOut(c, c.reg16[EDX * 2], c.o32 ? 4 : 2, getReg(c, EAX, topV(c))); return;
    default:
      c.ud();
  }
}

/** Opcodes F1-FE without a handler of their own: INT1, HLT, CMC, CLC/STC, CLI/STI, CLD/STD, INC/DEC r/m8. */
function rowFx(c: Cpu, op: number): void {
  const lf = c.lf;
  switch (op) {
    case 0xf1: c.deliverEvent(1, false, false, 0, false); return; // INT1 / ICEBP
    case 0xf4:
      if (c.protectedMode && c.cpl !== 0) c.gp(0);
      c.halted = true;
      return;
    case 0xf5: lf.setBits(CF, lf.cf() ^ 1); return;
    case 0xf8: lf.setBits(CF, 0); return;
    case 0xf9: lf.setBits(CF, CF); return;
    case 0xfa:
      if (c.protectedMode && iopl(c) < c.cpl) c.gp(0);
      lf.setBits(IF, 0);
      return;
    case 0xfb:
      if (c.protectedMode && iopl(c) < c.cpl) c.gp(0);
      if (!(lf.flags & IF)) c.inhibitInterrupts = true;
      lf.setBits(IF, IF);
      return;
    case 0xfc: lf.setBits(DF, 0); return;
    case 0xfd: lf.setBits(DF, DF); return;
    case 0xfe: {
      decodeModrm(c);
      const reg = regField(c);
      if (reg > 1) c.ud();
      const v = getRmForWrite(c, 7);
      setRm(c, 7, reg === 0 ? inc(lf, v, 7) : dec(lf, v, 7));
      return;
    }
    default:
      c.ud();
  }
}

/** LDS/LES/LSS/LFS/LGS: offset then selector from memory. */
export function loadFarPointer(c: Cpu, seg: number): void {
  const top = c.o32 ? 31 : 15;
  const off = readEa(c, top);
  const selOff = c.a32 ? (c.eaOff + (c.o32 ? 4 : 2)) >>> 0 : (c.eaOff + (c.o32 ? 4 : 2)) & 0xffff;
  const sel = c.read16(c.eaSeg, selOff);
  loadSegment(c, seg, sel);
  if (seg === SS) c.inhibitInterrupts = true;
  setReg(c, regField(c), top, off);
}

function enter(c: Cpu): void {
  const alloc = c.fetch16();
  const level = c.fetch8() & 31;
  const r = c.reg32;
  const size = c.o32 ? 4 : 2;
  const top = c.o32 ? 31 : 15;
  c.pushOp(getReg(c, EBP, top));
  const frame = r[ESP] & c.stackMask;
  let bp = c.stack32 ? r[EBP] : c.reg16[EBP * 2];
  for (let i = 1; i < level; i++) {
    bp = (bp - size) & c.stackMask;
    c.pushOp(size === 4 ? c.read32(SS, bp >>> 0) : c.read16(SS, bp >>> 0));
  }
  if (level > 0) c.pushOp(frame);
  const newSp = (r[ESP] - alloc) & c.stackMask;
  // The frame must be addressable (a #SS/#PF here leaves nothing changed but ESP, which the fault restores).
  if (alloc) c.probeWrite(SS, newSp >>> 0, 1);
  setReg(c, EBP, top, frame);
  c.setSp(newSp);
}

function group3(c: Cpu, top: number): void {
  const lf = c.lf;
  decodeModrm(c);
  const reg = regField(c);
  switch (reg) {
    case 0:
    case 1:
      arith(lf, 4, getRm(c, top), fetchImm(c, top), top);
      return;
    case 2:
      setRm(c, top, ~getRmForWrite(c, top) & widthMask(top));
      return;
    case 3:
      setRm(c, top, neg(lf, getRmForWrite(c, top), top));
      return;
  }
  const src = getRm(c, top);
  const r = c.reg32, r16 = c.reg16;
  switch (reg) {
    case 4: // MUL
      if (top === 7) {
        const p = c.reg8[0] * src;
        r16[0] = p;
        setMulFlags(lf, p & 0xff, p > 0xff, 7);
      } else if (top === 15) {
        const p = r16[0] * src;
        r16[0] = p;
        r16[EDX * 2] = p >>> 16;
        setMulFlags(lf, p & 0xffff, p > 0xffff, 15);
      } else {
        r[EAX] = mulWide(lf, false, r[EAX], src);
        r[EDX] = wide[1];
      }
      return;
    case 5: // IMUL
      if (top === 7) {
        const p = ((c.reg8[0] << 24) >> 24) * ((src << 24) >> 24);
        r16[0] = p;
        setMulFlags(lf, p & 0xff, p !== (p << 24) >> 24, 7);
      } else if (top === 15) {
        const p = ((r16[0] << 16) >> 16) * ((src << 16) >> 16);
        r16[0] = p;
        r16[EDX * 2] = p >> 16;
        setMulFlags(lf, p & 0xffff, p !== (p << 16) >> 16, 15);
      } else {
        r[EAX] = mulWide(lf, true, r[EAX], src);
        r[EDX] = wide[1];
      }
      return;
    default: { // DIV, IDIV
      const signed = reg === 7;
      let hi: number, lo: number;
      if (top === 7) { hi = c.reg8[1]; lo = c.reg8[0]; }
      else if (top === 15) { hi = r16[EDX * 2]; lo = r16[0]; }
      else { hi = r[EDX]; lo = r[EAX]; }
      const ok = signed ? divS(hi, lo, src, top) : divU(hi, lo, src, top);
      if (!ok) c.raise(DE);
      if (top === 7) { c.reg8[0] = divResult.q; c.reg8[1] = divResult.r; }
      else if (top === 15) { r16[0] = divResult.q; r16[EDX * 2] = divResult.r; }
      else { r[EAX] = divResult.q; r[EDX] = divResult.r; }
      return;
    }
  }
}

function group5(c: Cpu): void {
  const lf = c.lf;
  decodeModrm(c);
  const reg = regField(c);
  const top = topV(c);
  switch (reg) {
    case 0:
    case 1: {
      const v = getRmForWrite(c, top);
      setRm(c, top, reg === 0 ? inc(lf, v, top) : dec(lf, v, top));
      return;
    }
    case 2: {
      const target = getRm(c, top);
      const t = c.o32 ? target >>> 0 : target & 0xffff;
      if (t > c.segLimit[CS]) c.gp(0);
      c.pushOp(c.eip);
      c.eip = t;
      return;
    }
    case 3:
    case 5: {
      if (c.modrm >= 0xc0) c.ud();
      const off = readEa(c, top);
      const sel = c.read16(c.eaSeg, c.a32 ? (c.eaOff + (c.o32 ? 4 : 2)) >>> 0 : (c.eaOff + (c.o32 ? 4 : 2)) & 0xffff);
      farTransfer(c, sel, off, reg === 3);
      return;
    }
    case 4:
      jumpNear(c, getRm(c, top));
      return;
    case 6:
      c.pushOp(getRm(c, top));
      return;
    default:
      c.ud();
  }
}

