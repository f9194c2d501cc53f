// Static decoding of one x86 instruction from a code page for the region compiler: prefixes,
// opcode, ModRM/SIB effective-address parts, immediates and length. It never executes and
// never faults; an instruction it cannot fully decode (bytes past the page, unknown forms)
// is marked so the compiler hands it to the interpreter instead.

/** The pieces of a decoded instruction the emitter needs. */
export interface Decoded {
  eip: number;
  len: number;
  /** One-byte opcode, or 0x100 | second byte for the 0F map. */
  op: number;
  o32: boolean;
  a32: boolean;
  /** Segment override (0-5) or -1. */
  seg: number;
  rep: number;
  lock: boolean;
  /** ModRM byte, or -1 when the opcode has none. */
  modrm: number;
  /** Memory operand: base and index registers (-1 = none), scale shift, displacement, default segment. */
  base: number;
  index: number;
  scale: number;
  disp: number;
  defSeg: number;
  /** Immediate (sign handled by the emitter per opcode) and a second one (ENTER, far pointers). */
  imm: number;
  imm2: number;
  /** False when the bytes run off the page or the form is unknown: length is then a guess. */
  complete: boolean;
}

const DS = 3, SS = 2;

// Opcodes with a ModRM byte (one-byte map).
const HAS_MODRM = new Uint8Array(256);
for (let op = 0; op < 0x40; op++) if ((op & 7) < 4) HAS_MODRM[op] = 1;
for (const op of [0x62, 0x63, 0x69, 0x6b, 0xc0, 0xc1, 0xc4, 0xc5, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff]) HAS_MODRM[op] = 1;
for (let op = 0x80; op <= 0x8f; op++) HAS_MODRM[op] = 1;
for (let op = 0xd8; op <= 0xdf; op++) HAS_MODRM[op] = 1;

// 0F opcodes without a ModRM byte.
const NO_MODRM_0F = new Uint8Array(256);
for (const op of [0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x77, 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa]) NO_MODRM_0F[op] = 1;
for (let op = 0x80; op <= 0x8f; op++) NO_MODRM_0F[op] = 1;
for (let op = 0xc8; op <= 0xcf; op++) NO_MODRM_0F[op] = 1;

/** Immediate size in bytes of a one-byte opcode: 1, 2, 4 (=operand size), 6 (=operand size + 2), 3 (ENTER), 8 (moffs = address size). */
function immKind(op: number, modrm: number): number {
  if (op < 0x40) return (op & 7) === 4 ? 1 : (op & 7) === 5 ? 4 : 0;
  if (op >= 0x70 && op <= 0x7f) return 1;
  if (op >= 0xb0 && op <= 0xb7) return 1;
  if (op >= 0xb8 && op <= 0xbf) return 4;
  if (op >= 0xe0 && op <= 0xe7) return 1;
  if (op >= 0xa0 && op <= 0xa3) return 8;
  switch (op) {
    case 0x68: case 0x69: case 0x81: case 0xa9: case 0xc7: case 0xe8: case 0xe9: return 4;
    case 0x6a: case 0x6b: case 0x80: case 0x82: case 0x83: case 0xa8: case 0xc0: case 0xc1: case 0xc6:
    case 0xcd: case 0xd4: case 0xd5: case 0xeb: return 1;
    case 0xc2: case 0xca: return 2;
    case 0xc8: return 3;
    case 0x9a: case 0xea: return 6;
    case 0xf6: return ((modrm >> 3) & 7) < 2 ? 1 : 0;
    case 0xf7: return ((modrm >> 3) & 7) < 2 ? 4 : 0;
  }
  return 0;
}

function immKind0f(op: number): number {
  if (op >= 0x80 && op <= 0x8f) return 4;
  if ((op >= 0x70 && op <= 0x73) || op === 0xa4 || op === 0xac || op === 0xba || (op >= 0xc2 && op <= 0xc6)) return 1;
  return 0;
}

/**
 * Decodes the instruction at page offset `offset` of `page` (4096 bytes), whose EIP is `eip`.
 * `code32` is the CS default size. Bytes at or past `end` (the page end unless given) make the result incomplete.
 */
export function decode(page: Uint8Array, offset: number, eip: number, code32: boolean, end = 4096): Decoded {
  const d: Decoded = {
    eip, len: 0, op: 0, o32: code32, a32: code32, seg: -1, rep: 0, lock: false, modrm: -1,
    base: -1, index: -1, scale: 0, disp: 0, defSeg: DS, imm: 0, imm2: 0, complete: false,
  };
  let p = offset;
  const byte = (): number => (p < end ? page[p++] : (p++, -1));
  let op = byte();
  for (let n = 0; n < 14 && op >= 0; n++) {
    if (op === 0x26 || op === 0x2e || op === 0x36 || op === 0x3e) d.seg = (op >> 3) & 3;
    else if (op === 0x64 || op === 0x65) d.seg = op - 0x60;
    else if (op === 0x66) d.o32 = !code32;
    else if (op === 0x67) d.a32 = !code32;
    else if (op === 0xf0) d.lock = true;
    else if (op === 0xf2) d.rep = 2;
    else if (op === 0xf3) d.rep = 1;
    else break;
    op = byte();
  }
  if (op < 0) return finish(d, p, offset);
  let hasModrm: boolean, imm: number;
  if (op === 0x0f) {
    const op2 = byte();
    if (op2 < 0) return finish(d, p, offset);
    d.op = 0x100 | op2;
    hasModrm = NO_MODRM_0F[op2] === 0;
    imm = immKind0f(op2);
  } else {
    d.op = op;
    hasModrm = HAS_MODRM[op] === 1;
    imm = -1;
  }
  if (hasModrm) {
    const modrm = byte();
    if (modrm < 0) return finish(d, p, offset);
    d.modrm = modrm;
    if (modrm < 0xc0 && !decodeAddress(d, modrm, () => byte())) return finish(d, p, offset);
  }
  if (imm < 0) imm = immKind(op, d.modrm);
  const opSize = d.o32 ? 4 : 2;
  let value = 0;
  const readN = (n: number): boolean => {
    value = 0;
    for (let i = 0; i < n; i++) {
      const b = byte();
      if (b < 0) return false;
      value |= b << (8 * i);
    }
    return true;
  };
  switch (imm) {
    case 1: case 2:
      if (!readN(imm)) return finish(d, p, offset);
      d.imm = value;
      break;
    case 4:
      if (!readN(opSize)) return finish(d, p, offset);
      d.imm = value;
      break;
    case 8:
      if (!readN(d.a32 ? 4 : 2)) return finish(d, p, offset);
      d.imm = value;
      break;
    case 3:
      if (!readN(2)) return finish(d, p, offset);
      d.imm = value;
      if (!readN(1)) return finish(d, p, offset);
      d.imm2 = value;
      break;
    case 6:
      if (!readN(opSize)) return finish(d, p, offset);
      d.imm = value;
      if (!readN(2)) return finish(d, p, offset);
      d.imm2 = value;
      break;
  }
  d.complete = true;
  return finish(d, p, offset);
}

function finish(d: Decoded, p: number, offset: number): Decoded {
  d.len = p - offset;
  return d;
}

/** ModRM/SIB/displacement; false when the bytes run off the page. */
function decodeAddress(d: Decoded, modrm: number, byte: () => number): boolean {
  const mod = modrm >> 6, rm = modrm & 7;
  const signed8 = (): number => {
    const b = byte();
    return b < 0 ? NaN : (b << 24) >> 24;
  };
  const word = (): number => {
    const lo = byte(), hi = byte();
    return lo < 0 || hi < 0 ? NaN : lo | (hi << 8);
  };
  const dword = (): number => {
    const a = word(), b = word();
    return Number.isNaN(a) || Number.isNaN(b) ? NaN : a | (b << 16);
  };
  let disp = 0;
  if (!d.a32) {
    // 16-bit forms: base/index pairs BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (or disp16), BX.
    const BASE = [3, 3, 5, 5, 6, 7, 5, 3];
    const INDEX = [6, 7, 6, 7, -1, -1, -1, -1];
    if (rm === 6 && mod === 0) {
      d.base = -1;
      disp = word();
    } else {
      d.base = BASE[rm];
      d.index = INDEX[rm];
      if (rm === 2 || rm === 3 || rm === 6) d.defSeg = SS;
    }
    if (mod === 1) disp = signed8();
    else if (mod === 2) disp = word();
  } else {
    if (rm === 4) {
      const sib = byte();
      if (sib < 0) return false;
      const base = sib & 7, index = (sib >> 3) & 7;
      if (base === 5 && mod === 0) {
        d.base = -1;
        disp = dword();
      } else {
        d.base = base;
        if (base === 4 || base === 5) d.defSeg = SS;
      }
      if (index !== 4) {
        d.index = index;
        d.scale = sib >> 6;
      }
    } else if (rm === 5 && mod === 0) {
      d.base = -1;
      disp = dword();
    } else {
      d.base = rm;
      if (rm === 5) d.defSeg = SS;
    }
    if (mod === 1) disp = signed8();
    else if (mod === 2) disp = dword();
  }
  if (Number.isNaN(disp)) return false;
  d.disp = disp | 0;
  return true;
}
