// Operand decoding: ModRM/SIB effective addresses (16- and 32-bit forms, segment defaults
// and overrides) and register/memory operand access by width (`top` = 7, 15 or 31).

import type { Cpu } from './cpu.js';
import {
  SS, DS
} from './constants.js';

/** reg8 index of AL CL DL BL AH CH DH BH inside the little-endian reg32 buffer. */
export const R8 = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

/** Reads the ModRM byte and, for a memory form, computes eaSeg/eaOff. */
export function decodeModrm(c: Cpu): void {
  const modrm = c.fetch8();
  c.modrm = modrm;
  if (modrm < 0xc0) computeAddress(c, modrm);
}

export function computeAddress(c: Cpu, modrm: number): void {
  const mod = modrm >> 6, rm = modrm & 7;
  const r = c.reg32;
  let seg = DS, off: number;
  if (!c.a32) {
    switch (rm) {
      case 0: off = r[3] + r[6]; break;
      case 1: off = r[3] + r[7]; break;
      case 2: off = r[5] + r[6]; seg = SS; break;
      case 3: off = r[5] + r[7]; seg = SS; break;
      case 4: off = r[6]; break;
      case 5: off = r[7]; break;
      case 6:
        if (mod === 0) off = c.fetch16();
        else { off = r[5]; seg = SS; }
        break;
      default: off = r[3]; break;
    }
    if (mod === 1) off += (c.fetch8() << 24) >> 24;
    else if (mod === 2) off += c.fetch16();
    c.eaOff = off & 0xffff;
  } else {
    if (rm === 4) {
      const sib = c.fetch8();
      const base = sib & 7, index = (sib >> 3) & 7;
      if (base === 5 && mod === 0) off = c.fetch32();
      else {
        off = r[base];
        if (base === 4 || base === 5) seg = SS;
      }
      if (index !== 4) off += r[index] << (sib >> 6);
    } else if (rm === 5 && mod === 0) off = c.fetch32();
    else {
      off = r[rm];
      if (rm === 5) seg = SS;
    }
    if (mod === 1) off += (c.fetch8() << 24) >> 24;
    else if (mod === 2) off += c.fetch32();
    c.eaOff = off >>> 0;
  }
  c.eaSeg = c.segOverride >= 0 ? c.segOverride : seg;
}

export function getReg(c: Cpu, r: number, top: number): number {
  if (top === 7) return c.reg8[R8[r]];
  if (top === 15) return c.reg16[r << 1];
  return c.reg32[r];
}

export function setReg(c: Cpu, r: number, top: number, v: number): void {
  if (top === 7) c.reg8[R8[r]] = v;
  else if (top === 15) c.reg16[r << 1] = v;
  else c.reg32[r] = v;
}

export function readEa(c: Cpu, top: number): number {
  if (top === 7) return c.read8(c.eaSeg, c.eaOff);
  if (top === 15) return c.read16(c.eaSeg, c.eaOff);
  return c.read32(c.eaSeg, c.eaOff);
}

export function writeEa(c: Cpu, top: number, v: number): void {
  if (top === 7) c.write8(c.eaSeg, c.eaOff, v);
  else if (top === 15) c.write16(c.eaSeg, c.eaOff, v);
  else c.write32(c.eaSeg, c.eaOff, v);
}

/** The r/m operand's value. */
export function getRm(c: Cpu, top: number): number {
  return c.modrm >= 0xc0 ? getReg(c, c.modrm & 7, top) : readEa(c, top);
}

/** The r/m operand's value for a read-modify-write: a memory operand is checked for writing first. */
export function getRmForWrite(c: Cpu, top: number): number {
  if (c.modrm >= 0xc0) return getReg(c, c.modrm & 7, top);
  c.probeWrite(c.eaSeg, c.eaOff, (top + 1) >> 3);
  return readEa(c, top);
}

export function setRm(c: Cpu, top: number, v: number): void {
  if (c.modrm >= 0xc0) setReg(c, c.modrm & 7, top, v);
  else writeEa(c, top, v);
}

/** The ModRM reg field. */
export function regField(c: Cpu): number {
  return (c.modrm >> 3) & 7;
}

/** Immediate of the operand width (8, 16 or 32 bits). */
export function fetchImm(c: Cpu, top: number): number {
  if (top === 7) return c.fetch8();
  if (top === 15) return c.fetch16();
  return c.fetch32();
}
