// The MMX unit (Pentium II set): MM0-MM7 are the significands of the x87's physical
// registers R0-R7. Every MMX instruction but EMMS sets TOP = 0 and tags all registers
// valid; writing an MM register sets that register's sign+exponent to all ones.

import type { FpuMemory } from './fpu-memory.js';
import type { X87 } from './x87.js';

// Operands are unpacked into lanes here: bytes 0-7 the destination, 8-15 the source.
const buf = new ArrayBuffer(16);
const u8 = new Uint8Array(buf);
const i8 = new Int8Array(buf);
const u16 = new Uint16Array(buf);
const i16 = new Int16Array(buf);
const u32 = new Uint32Array(buf);
const i32 = new Int32Array(buf);

function readMm(f: X87, r: number, at: number): void {
  f.ensureRaw(r);
  u32[at] = f.lo[r];
  u32[at + 1] = f.hi[r];
}

function writeMm(f: X87, r: number): void {
  f.setRaw(r, 0xffff, u32[1], u32[0]);
}

function satS8(v: number): number {
  return v > 127 ? 127 : v < -128 ? -128 : v;
}
function satU8(v: number): number {
  return v > 255 ? 255 : v < 0 ? 0 : v;
}
function satS16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
function satU16(v: number): number {
  return v > 65535 ? 65535 : v < 0 ? 0 : v;
}

/** Logical/arithmetic shift of each lane of the destination (bits = 16, 32 or 64); `right`, `arith` select the kind. */
function shift(bits: number, count: number, right: boolean, arith: boolean): void {
  if (bits === 64) {
    const lo = u32[0];
    const hi = u32[1];
    if (count > 63) {
      u32[0] = 0;
      u32[1] = 0;
    } else if (count >= 32) {
      u32[0] = right ? hi >>> (count - 32) : 0;
      u32[1] = right ? 0 : lo << (count - 32);
    } else if (count > 0) {
      u32[0] = right ? (lo >>> count) | (hi << (32 - count)) : lo << count;
      u32[1] = right ? hi >>> count : (hi << count) | (lo >>> (32 - count));
    }
    return;
  }
  const lanes = 64 / bits;
  for (let k = 0; k < lanes; k++) {
    if (bits === 16) {
      if (arith) i16[k] = i16[k] >> (count > 15 ? 15 : count);
      else u16[k] = count > 15 ? 0 : right ? u16[k] >>> count : u16[k] << count;
    } else {
      if (arith) i32[k] = i32[k] >> (count > 31 ? 31 : count);
      else u32[k] = count > 31 ? 0 : right ? u32[k] >>> count : u32[k] << count;
    }
  }
}

/** Interleaves lanes of `size` bytes from the low (or high) halves of destination and source. */
function unpack(size: number, high: boolean): void {
  const tmp = unpackScratch;
  const base = high ? 4 : 0;
  for (let k = 0; k < 4 / size; k++) {
    for (let b = 0; b < size; b++) {
      tmp[2 * k * size + b] = u8[base + k * size + b];
      tmp[(2 * k + 1) * size + b] = u8[8 + base + k * size + b];
    }
  }
  u8.set(tmp);
}
const unpackScratch = new Uint8Array(8);
const packed = new Uint8Array(8);
const packedWords = new Int16Array(packed.buffer);

export function executeMmx(f: X87, op2: number, modrm: number, linear: number, mem: FpuMemory,
  regs: Int32Array, imm8: number): void {
  if (op2 === 0x77) {
    f.empty.fill(1, 0, 8);
    return;
  }
  const reg = (modrm >>> 3) & 7;
  const rm = modrm & 7;
  const isMem = modrm < 0xc0;

  // Moves out of MMX registers and the immediate shifts, which have their own operand shapes.
  if (op2 === 0x7e) {
    readMm(f, reg, 0);
    if (isMem) mem.write32(linear, u32[0]);
    else regs[rm] = u32[0] | 0;
    enterMmx(f);
    return;
  }
  if (op2 === 0x7f) {
    readMm(f, reg, 0);
    if (isMem) {
      mem.probeWrite(linear, 8);
      mem.write32(linear, u32[0]);
      mem.write32(linear + 4, u32[1]);
    } else {
      enterMmx(f);
      writeMm(f, rm);
      return;
    }
    enterMmx(f);
    return;
  }
  if (op2 >= 0x71 && op2 <= 0x73) {
    readMm(f, rm, 0);
    const bits = op2 === 0x71 ? 16 : op2 === 0x72 ? 32 : 64;
    shift(bits, imm8 & 0xff, reg !== 6, reg === 4);
    enterMmx(f);
    writeMm(f, rm);
    return;
  }

  // Source operand into bytes 8-15.
  if (op2 === 0x6e) {
    u32[2] = isMem ? mem.read32(linear) >>> 0 : regs[rm] >>> 0;
    u32[3] = 0;
  } else if (isMem) {
    u32[2] = mem.read32(linear) >>> 0;
    u32[3] = mem.read32(linear + 4) >>> 0;
  } else readMm(f, rm, 2);
  readMm(f, reg, 0);

  switch (op2) {
    case 0x6e: case 0x6f: u32[0] = u32[2]; u32[1] = u32[3]; break;
    case 0x60: unpack(1, false); break;
    case 0x61: unpack(2, false); break;
    case 0x62: unpack(4, false); break;
    case 0x68: unpack(1, true); break;
    case 0x69: unpack(2, true); break;
    case 0x6a: unpack(4, true); break;
    // PACK: words (dwords) 0-3 of the 16 bytes are the destination's then the source's lanes.
    case 0x63: for (let k = 0; k < 8; k++) packed[k] = satS8(i16[k]); u8.set(packed); break;
    case 0x67: for (let k = 0; k < 8; k++) packed[k] = satU8(i16[k]); u8.set(packed); break;
    case 0x6b: for (let k = 0; k < 4; k++) packedWords[k] = satS16(i32[k]); u8.set(packed); break;
    case 0x64: for (let k = 0; k < 8; k++) u8[k] = i8[k] > i8[8 + k] ? 0xff : 0; break;
    case 0x65: for (let k = 0; k < 4; k++) u16[k] = i16[k] > i16[4 + k] ? 0xffff : 0; break;
    case 0x66: for (let k = 0; k < 2; k++) u32[k] = i32[k] > i32[2 + k] ? 0xffffffff : 0; break;
    case 0x74: for (let k = 0; k < 8; k++) u8[k] = u8[k] === u8[8 + k] ? 0xff : 0; break;
    case 0x75: for (let k = 0; k < 4; k++) u16[k] = u16[k] === u16[4 + k] ? 0xffff : 0; break;
    case 0x76: for (let k = 0; k < 2; k++) u32[k] = u32[k] === u32[2 + k] ? 0xffffffff : 0; break;
    case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2: case 0xf1: case 0xf2: case 0xf3: {
      const count = u32[3] !== 0 ? 64 : Math.min(u32[2], 64);
      const low = op2 & 0xf;
      const bits = low === 1 ? 16 : low === 2 ? 32 : 64;
      shift(bits, count, op2 < 0xf0, op2 >= 0xe0 && op2 < 0xf0);
      break;
    }
    case 0xd5: for (let k = 0; k < 4; k++) i16[k] = Math.imul(i16[k], i16[4 + k]); break;
    case 0xe5: for (let k = 0; k < 4; k++) i16[k] = (i16[k] * i16[4 + k]) >> 16; break;
    case 0xf5: {
      const a = i16[0] * i16[4] + i16[1] * i16[5];
      const b = i16[2] * i16[6] + i16[3] * i16[7];
      i32[0] = a | 0;
      i32[1] = b | 0;
      break;
    }
    case 0xd8: for (let k = 0; k < 8; k++) u8[k] = satU8(u8[k] - u8[8 + k]); break;
    case 0xd9: for (let k = 0; k < 4; k++) u16[k] = satU16(u16[k] - u16[4 + k]); break;
    case 0xdc: for (let k = 0; k < 8; k++) u8[k] = satU8(u8[k] + u8[8 + k]); break;
    case 0xdd: for (let k = 0; k < 4; k++) u16[k] = satU16(u16[k] + u16[4 + k]); break;
    case 0xe8: for (let k = 0; k < 8; k++) i8[k] = satS8(i8[k] - i8[8 + k]); break;
    case 0xe9: for (let k = 0; k < 4; k++) i16[k] = satS16(i16[k] - i16[4 + k]); break;
    case 0xec: for (let k = 0; k < 8; k++) i8[k] = satS8(i8[k] + i8[8 + k]); break;
    case 0xed: for (let k = 0; k < 4; k++) i16[k] = satS16(i16[k] + i16[4 + k]); break;
    case 0xf8: for (let k = 0; k < 8; k++) u8[k] = u8[k] - u8[8 + k]; break;
    case 0xf9: for (let k = 0; k < 4; k++) u16[k] = u16[k] - u16[4 + k]; break;
    case 0xfa: for (let k = 0; k < 2; k++) u32[k] = u32[k] - u32[2 + k]; break;
    case 0xfc: for (let k = 0; k < 8; k++) u8[k] = u8[k] + u8[8 + k]; break;
    case 0xfd: for (let k = 0; k < 4; k++) u16[k] = u16[k] + u16[4 + k]; break;
    case 0xfe: for (let k = 0; k < 2; k++) u32[k] = u32[k] + u32[2 + k]; break;
    case 0xdb: u32[0] &= u32[2]; u32[1] &= u32[3]; break;
    case 0xdf: u32[0] = ~u32[0] & u32[2]; u32[1] = ~u32[1] & u32[3]; break;
    case 0xeb: u32[0] |= u32[2]; u32[1] |= u32[3]; break;
    case 0xef: u32[0] ^= u32[2]; u32[1] ^= u32[3]; break;
    default: return; // not an MMX opcode on this CPU: the decoder raises #UD before calling
  }
  enterMmx(f);
  writeMm(f, reg);
}


function enterMmx(f: X87): void {
  f.top = 0;
  f.empty.fill(0, 0, 8);
}
