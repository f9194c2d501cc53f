// The two-byte (0F xx) opcode map of a Pentium II: system instructions, Jcc near, SETcc,
// CMOVcc, bit operations, SHLD/SHRD, MOVZX/MOVSX, CMPXCHG/XADD/CMPXCHG8B, BSWAP, CPUID,
// RDTSC, RDMSR/WRMSR, SYSENTER/SYSEXIT, FXSAVE/FXRSTOR and the MMX opcodes (handed to the FPU).

import type { Cpu } from './cpu.js';
import {
  SS, FS, GS, LDTR, TR, EAX, ECX, EDX, EBX, NM,
  CR0_PE, CR0_TS, CR0_EM, CR0_PG, CR4_TSD, CR4_PSE, CR4_PGE, CR4_OSFXSR, CR4_DE,
} from './constants.js';
import { CF, ZF } from './flags.js';
import { arith, bswap, doubleShift, imulTrunc, bsf, bsr, widthMask } from './alu.js';
import { decodeModrm, getReg, setReg, readEa, getRm, getRmForWrite, setRm, regField } from './operands.js';
import { loadLdt, loadTr, accessRights, segmentLimit, verify } from './segments.js';
import { sysenter, sysexit } from './transfers.js';
import { cpuid } from './cpuid.js';
import { jumpNear, pushSeg, popSeg, loadFarPointer, fpuChecks, opcodeTable } from './interpreter.js';

const cpuidOut = new Int32Array(4);

/** CR4 bits this CPU accepts: DE, PSE, TSD, PGE, PCE, OSFXSR, OSXMMEXCPT. */
const CR4_WRITABLE = CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | 0x100 | CR4_OSFXSR | 0x400;

/** The MMX opcodes of a Pentium II (second byte), as a bitmap over 0x60-0xff. */
const MMX_OPS = new Uint8Array(256);
for (const op of [
  0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6e, 0x6f,
  0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x7e, 0x7f,
  0xd1, 0xd2, 0xd3, 0xd5, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xdf, 0xe1, 0xe2, 0xe5, 0xe8, 0xe9, 0xeb,
  0xec, 0xed, 0xef, 0xf1, 0xf2, 0xf3, 0xf5, 0xf8, 0xf9, 0xfa, 0xfc, 0xfd, 0xfe,
]) MMX_OPS[op] = 1;

function topV(c: Cpu): number {
  return c.o32 ? 31 : 15;
}

function privileged(c: Cpu): void {
  if (c.protectedMode && c.cpl !== 0) c.gp(0);
}

function protectedOnly(c: Cpu): void {
  if (!c.protectedMode || c.v86) c.ud();
}

/** Jcc rel16/32 (0F 80–8F). */
function jccNear(c: Cpu, op: number): void {
  const rel = c.o32 ? c.fetch32() : (c.fetch16() << 16) >> 16;
  if (c.lf.condition(op & 0xf)) jumpNear(c, c.eip + rel);
}

/** SETcc r/m8 (0F 90–9F). */
function setcc(c: Cpu, op: number): void {
  decodeModrm(c);
  setRm(c, 7, c.lf.condition(op & 0xf) ? 1 : 0);
}

/** CMOVcc reg, r/m (0F 40–4F): the source is read, and may fault, whatever the condition. */
function cmovcc(c: Cpu, op: number): void {
  const top = topV(c);
  decodeModrm(c);
  const v = getRm(c, top);
  if (c.lf.condition(op & 0xf)) setReg(c, regField(c), top, v);
}

/** IMUL reg, r/m (0F AF). */
function imulRegRm(c: Cpu): void {
  const top = topV(c);
  decodeModrm(c);
  setReg(c, regField(c), top, imulTrunc(c.lf, getReg(c, regField(c), top), getRm(c, top), top));
}

/** MOVZX and MOVSX (0F B6 B7 BE BF). */
function movExtend(c: Cpu, op: number): void {
  decodeModrm(c);
  const srcTop = op & 1 ? 15 : 7;
  let v = getRm(c, srcTop);
  if (op >= 0xbe) v = srcTop === 7 ? (v << 24) >> 24 : (v << 16) >> 16;
  setReg(c, regField(c), topV(c), v);
}

/**
 * As interpreter.ts's HANDLERS, for the second byte: the common opcodes in small functions,
 * the rest in a switch per row of the map (V8 deoptimises a function the first time one of
 * its cases runs), MMX in `mmx`.
 */
const HANDLERS_0F = opcodeTable((c) => c.ud(), [
  [0x00, 0x1f, system0x1x],
  [0x20, 0x3f, system2x3x],
  [0xa0, 0xbf, rowAxBx],
  [0xc0, 0xc7, rowCx],
  [0xc8, 0xcf, bswapReg],
  ...[...MMX_OPS.keys()].filter((op) => MMX_OPS[op] !== 0).map((op): [number, number, typeof mmx] => [op, op, mmx]),
  // The opcodes with a function of their own, over the rows above.
  [0x40, 0x4f, cmovcc],
  [0x80, 0x8f, jccNear],
  [0x90, 0x9f, setcc],
  [0xaf, 0xaf, imulRegRm],
  [0xb6, 0xb7, movExtend],
  [0xbe, 0xbf, movExtend],
]);

export function execute0f(c: Cpu): void {
  const op = c.fetch8();
  HANDLERS_0F[op](c, op);
}

/** BSWAP r32. */
function bswapReg(c: Cpu, op: number): void {
  const r = c.reg32;
  r[op & 7] = bswap(r[op & 7]);
}

/** 0F 00-1F: groups 6 and 7 (descriptor tables, INVLPG), LAR/LSL, CLTS, INVD/WBINVD, UD2, the hint NOPs. */
function system0x1x(c: Cpu, op: number): void {
  const lf = c.lf;
  switch (op) {
    case 0x00: group6(c); return;
    case 0x01: group7(c); return;
    case 0x02:
    case 0x03: {
      protectedOnly(c);
      decodeModrm(c);
      const sel = getRm(c, 15);
      const v = op === 0x02 ? accessRights(c, sel) : segmentLimit(c, sel);
      if (v === -1 && op === 0x02) lf.setBits(ZF, 0);
      else if (op === 0x03 && v === -1) lf.setBits(ZF, 0);
      else {
        setReg(c, regField(c), topV(c), v);
        lf.setBits(ZF, ZF);
      }
      return;
    }
    case 0x06:
      privileged(c);
      c.cr0 = c.cr0 & ~CR0_TS;
      return;
    case 0x08:
    case 0x09:
      privileged(c);
      return;
    case 0x0b:
      c.ud();
      return;
    case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
      // Hint NOPs (NOP Ev): decode the operand, touch nothing.
      decodeModrm(c);
      return;
    default:
      c.ud();
  }
}

/** 0F 20-3F: MOV to and from control and debug registers, WRMSR, RDTSC, RDMSR, RDPMC, SYSENTER, SYSEXIT. */
function system2x3x(c: Cpu, op: number): void {
  const r = c.reg32;
  switch (op) {
    case 0x20:
    case 0x22: {
      privileged(c);
      const modrm = c.fetch8();
      const cr = (modrm >> 3) & 7, reg = modrm & 7;
      if (op === 0x20) {
        let v: number;
        switch (cr) {
          case 0: v = c.cr0; break;
          case 2: v = c.cr2; break;
          case 3: v = c.cr3; break;
          case 4: v = c.cr4; break;
          default: c.ud();
        }
        r[reg] = v;
      } else writeCr(c, cr, r[reg]);
      return;
    }
    case 0x21:
    case 0x23: {
      privileged(c);
      const modrm = c.fetch8();
      let dr = (modrm >> 3) & 7;
      const reg = modrm & 7;
      if (dr === 4 || dr === 5) {
        if (c.cr4 & CR4_DE) c.ud();
        dr += 2;
      }
      if (op === 0x21) r[reg] = c.dr[dr];
      else c.dr[dr] = dr === 6 ? (r[reg] & 0xe00f) | 0xffff0ff0 : dr === 7 ? (r[reg] & 0xffff2bff) | 0x400 : r[reg];
      return;
    }
    case 0x30: { // WRMSR
      privileged(c);
      const value = (BigInt(r[EDX] >>> 0) << 32n) | BigInt(r[EAX] >>> 0);
      if (!c.msr.write(r[ECX] >>> 0, value)) c.gp(0);
      return;
    }
    case 0x31: { // RDTSC
      if (c.cr4 & CR4_TSD && c.protectedMode && c.cpl !== 0) c.gp(0);
      const t = c.msr.tsc();
      r[EAX] = t % 4294967296;
      r[EDX] = Math.floor(t / 4294967296);
      return;
    }
    case 0x32: { // RDMSR
      privileged(c);
      const v = c.msr.read(r[ECX] >>> 0);
      if (v === undefined) c.gp(0);
      r[EAX] = Number(v & 0xffffffffn);
      r[EDX] = Number((v >> 32n) & 0xffffffffn);
      return;
    }
    case 0x33: // RDPMC: no counters are modelled; both read as zero.
      if (r[ECX] >>> 0 > 1 || (c.protectedMode && c.cpl !== 0 && !(c.cr4 & 0x100))) c.gp(0);
      r[EAX] = 0;
      r[EDX] = 0;
      return;
    case 0x34: sysenter(c); return;
    case 0x35: sysexit(c); return;
    default:
      c.ud();
  }
}

/** 0F A0-BF without a handler of their own: PUSH/POP FS and GS, CPUID, BT/BTS/BTR/BTC, SHLD/SHRD, the FXSAVE group, CMPXCHG, LSS/LFS/LGS, BSF/BSR. */
function rowAxBx(c: Cpu, op: number): void {
  const lf = c.lf;
  const r = c.reg32;
  switch (op) {
    case 0xa0: pushSeg(c, FS); return;
    case 0xa1: popSeg(c, FS); return;
    case 0xa8: pushSeg(c, GS); return;
    case 0xa9: popSeg(c, GS); return;
    case 0xa2:
      cpuid(r[EAX], cpuidOut);
      r[EAX] = cpuidOut[0];
      r[EBX] = cpuidOut[1];
      r[ECX] = cpuidOut[2];
      r[EDX] = cpuidOut[3];
      return;
    case 0xa3: bitOp(c, 0, false); return;
    case 0xab: bitOp(c, 1, false); return;
    case 0xb3: bitOp(c, 2, false); return;
    case 0xbb: bitOp(c, 3, false); return;
    case 0xba: bitOp(c, -1, true); return;
    case 0xa4:
    case 0xa5:
    case 0xac:
    case 0xad: {
      const top = topV(c);
      decodeModrm(c);
      const dst = getRmForWrite(c, top);
      const count = (op & 1 ? c.reg8[4] : c.fetch8()) & 31;
      const res = doubleShift(lf, op < 0xa8, dst, getReg(c, regField(c), top), count, top);
      if (count) setRm(c, top, res);
      return;
    }
    case 0xae: fxGroup(c); return;
    case 0xb0:
    case 0xb1: {
      const top = op & 1 ? topV(c) : 7;
      decodeModrm(c);
      const dst = getRmForWrite(c, top);
      const acc = getReg(c, EAX, top);
      arith(lf, 7, acc, dst, top);
      if (lf.zf()) setRm(c, top, getReg(c, regField(c), top));
      else {
        setRm(c, top, dst);
        setReg(c, EAX, top, dst);
      }
      return;
    }
    case 0xb2: farPointer(c, SS); return;
    case 0xb4: farPointer(c, FS); return;
    case 0xb5: farPointer(c, GS); return;
    case 0xbc:
    case 0xbd: {
      const top = topV(c);
      decodeModrm(c);
      const v = getRm(c, top) & widthMask(top);
      if (v === 0) lf.setBits(ZF, ZF);
      else {
        lf.setBits(ZF, 0);
        setReg(c, regField(c), top, op === 0xbc ? bsf(v) : bsr(v));
      }
      return;
    }
    default:
      c.ud();
  }
}

/** 0F C0-C7: XADD, CMPXCHG8B. */
function rowCx(c: Cpu, op: number): void {
  const lf = c.lf;
  const r = c.reg32;
  switch (op) {
    case 0xc0:
    case 0xc1: {
      const top = op & 1 ? topV(c) : 7;
      decodeModrm(c);
      const dst = getRmForWrite(c, top);
      const src = getReg(c, regField(c), top);
      const sum = arith(lf, 0, dst, src, top);
      setReg(c, regField(c), top, dst);
      setRm(c, top, sum);
      return;
    }
    case 0xc7: {
      decodeModrm(c);
      if (regField(c) !== 1 || c.modrm >= 0xc0) c.ud();
      c.probeWrite(c.eaSeg, c.eaOff, 8);
      const lo = c.read32(c.eaSeg, c.eaOff), hi = c.read32(c.eaSeg, (c.eaOff + 4) >>> 0);
      if (lo === r[EAX] && hi === r[EDX]) {
        c.write32(c.eaSeg, c.eaOff, r[EBX]);
        c.write32(c.eaSeg, (c.eaOff + 4) >>> 0, r[ECX]);
        lf.setBits(ZF, ZF);
      } else {
        c.write32(c.eaSeg, c.eaOff, lo);
        c.write32(c.eaSeg, (c.eaOff + 4) >>> 0, hi);
        r[EAX] = lo;
        r[EDX] = hi;
        lf.setBits(ZF, 0);
      }
      return;
    }
    default:
      c.ud();
  }
}

function farPointer(c: Cpu, seg: number): void {
  decodeModrm(c);
  if (c.modrm >= 0xc0) c.ud();
  loadFarPointer(c, seg);
}

function writeCr(c: Cpu, cr: number, v: number): void {
  switch (cr) {
    case 0:
      if ((v & CR0_PG) && !(v & CR0_PE)) c.gp(0);
      if ((v & 0x60000000) === 0x20000000) c.gp(0); // NW without CD
      c.cr0 = v;
      return;
    case 2:
      c.cr2 = v >>> 0;
      return;
    case 3:
      c.cr3 = v;
      return;
    case 4:
      if (v & ~CR4_WRITABLE) c.gp(0);
      c.cr4 = v;
      return;
    default:
      c.ud();
  }
}

/** BT/BTS/BTR/BTC (kind 0-3); `imm` for the 0F BA group (kind from ModRM.reg). */
function bitOp(c: Cpu, kind: number, imm: boolean): void {
  const lf = c.lf;
  const top = topV(c);
  decodeModrm(c);
  if (imm) {
    const reg = regField(c);
    if (reg < 4) c.ud();
    kind = reg - 4;
  }
  let bit = imm ? c.fetch8() : getReg(c, regField(c), top);
  if (c.modrm >= 0xc0 || imm) bit &= top;
  else {
    // A register bit offset reaches beyond the operand: move the address by whole operands.
    const signed = top === 31 ? bit : (bit << 16) >> 16;
    const bytes = (signed >> (top === 31 ? 5 : 4)) * ((top + 1) >> 3);
    c.eaOff = c.a32 ? (c.eaOff + bytes) >>> 0 : (c.eaOff + bytes) & 0xffff;
    bit &= top;
  }
  const v = kind === 0 ? getRm(c, top) : getRmForWrite(c, top);
  const cf = (v >>> bit) & 1;
  if (kind !== 0) {
    const m = 1 << bit;
    const nv = kind === 1 ? v | m : kind === 2 ? v & ~m : v ^ m;
    setRm(c, top, nv & widthMask(top));
  }
  lf.setBits(CF, cf);
}

function group6(c: Cpu): void {
  protectedOnly(c);
  decodeModrm(c);
  const reg = regField(c);
  switch (reg) {
    case 0:
    case 1: {
      const v = c.segSel[reg === 0 ? LDTR : TR];
      if (c.modrm >= 0xc0) setReg(c, c.modrm & 7, topV(c), v);
      else c.write16(c.eaSeg, c.eaOff, v);
      return;
    }
    case 2:
      privileged(c);
      loadLdt(c, getRm(c, 15));
      return;
    case 3:
      privileged(c);
      loadTr(c, getRm(c, 15));
      return;
    case 4:
    case 5:
      c.lf.setBits(ZF, verify(c, getRm(c, 15), reg === 5) ? ZF : 0);
      return;
    default:
      c.ud();
  }
}

function group7(c: Cpu): void {
  decodeModrm(c);
  const reg = regField(c);
  const mem = c.modrm < 0xc0;
  switch (reg) {
    case 0:
    case 1: {
      if (!mem) c.ud();
      const t = reg === 0 ? c.gdtr : c.idtr;
      c.probeWrite(c.eaSeg, c.eaOff, 6);
      c.write16(c.eaSeg, c.eaOff, t.limit);
      c.write32(c.eaSeg, (c.eaOff + 2) >>> 0, c.o32 ? t.base : t.base & 0xffffff);
      return;
    }
    case 2:
    case 3: {
      if (!mem) c.ud();
      privileged(c);
      const limit = readEa(c, 15);
      let base = c.read32(c.eaSeg, (c.eaOff + 2) >>> 0);
      if (!c.o32) base &= 0xffffff;
      if (reg === 2) c.gdtr = { base: base | 0, limit };
      else c.idtr = { base: base | 0, limit };
      return;
    }
    case 4: {
      const v = c.cr0;
      if (!mem) setReg(c, c.modrm & 7, topV(c), v);
      else c.write16(c.eaSeg, c.eaOff, v);
      return;
    }
    case 6: {
      privileged(c);
      const v = getRm(c, 15);
      // LMSW sets PE, MP, EM, TS but can clear only MP, EM, TS.
      c.cr0 = (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & CR0_PE);
      return;
    }
    case 7:
      if (!mem) c.ud();
      privileged(c);
      c.mmu.invalidatePage((c.segBase[c.eaSeg] + c.eaOff) | 0);
      return;
    default:
      c.ud();
  }
}

/** 0F AE: FXSAVE /0 and FXRSTOR /1 (the SSE forms do not exist on this CPU). */
function fxGroup(c: Cpu): void {
  decodeModrm(c);
  const reg = regField(c);
  if (c.modrm >= 0xc0 || reg > 1) c.ud();
  if (c.cr0 & CR0_EM) c.ud();
  if (c.cr0 & CR0_TS) c.raise(NM);
  if (c.eaOff & 15) c.gp(0);
  const lin = c.linearFor(c.eaSeg, c.eaOff, 512, reg === 0);
  if (reg === 0) c.fpu.fxsave(lin, c.fpuMemory);
  else c.fpu.fxrstor(lin, c.fpuMemory);
}

function mmx(c: Cpu, op: number): void {
  if (c.prefixBytes & 1 || c.rep) c.ud(); // the 66/F3/F2 forms are SSE2, absent here
  if (c.cr0 & CR0_EM) c.ud();
  fpuChecks(c, true);
  if (op === 0x77) {
    // EMMS has no ModRM byte.
    c.fpu.executeMmx(op, 0, 0, c.fpuMemory, c.reg32, 0);
    return;
  }
  decodeModrm(c);
  // 0F 71-73 (shift by immediate) are register-only and carry an imm8.
  let imm8 = 0;
  if (op >= 0x71 && op <= 0x73) {
    if (c.modrm < 0xc0) c.ud();
    imm8 = c.fetch8();
  }
  const linear = c.modrm < 0xc0 ? c.linearFor(c.eaSeg, c.eaOff, 1, false) : 0;
  c.fpu.executeMmx(op, c.modrm, linear, c.fpuMemory, c.reg32, imm8);
}
