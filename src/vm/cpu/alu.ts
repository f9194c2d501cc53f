// Integer instruction semantics, written once. The hot operations (the group-1 ALU ops,
// INC/DEC, NEG, shifts and rotates) are templates that return JavaScript source (`…Src`)
// over variable names: the interpreter's functions below (`arith`, `inc`, `dec`, `neg`,
// `shift`) are compiled from them at module load with the flags in a LazyFlags object, and
// the JIT emits the same source inline with the flags in a region's locals. The others are
// plain functions both call. Operand width is `top` (7, 15 or 31, the sign bit's position).

import {
  LAZY_ADD, LAZY_SUB, LAZY_LOGIC, ARITH, CF, OF, AF, ZF, SF, PF, LazyFlags, type FlagVars, type KnownFlags,
  flagFields, compileTemplate, recordArithSrc, recordIncDecSrc, recordLogicSrc, recordResultWithSrc, setBitsSrc, cfSrc,
} from './flags.js';

export function widthMask(top: number): number {
  return top === 31 ? -1 : (2 << top) - 1;
}

/** An operand width in emitted code: sign bit position, value mask and bit count (literals or names). */
export interface Width {
  readonly top: number | string;
  readonly mask: number | string;
  readonly bits: number | string;
}

/** A width known at compile time. */
export function widthOf(top: number): Width {
  return { top, mask: widthMask(top), bits: top + 1 };
}

/**
 * Group-1 ALU op (0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP) as statements that
 * set `r` to the masked result and record the flags. `a` and `b` are masked operands, given
 * as variables or literals; `k` is what is known of the flags before (ADC/SBB read CF).
 */
export function arithSrc(F: FlagVars, op: number, a: string, b: string, r: string, w: Width, k?: KnownFlags): string {
  switch (op) {
    case 0: return `${r} = (${a} + ${b}) & ${w.mask}; ${recordArithSrc(F, LAZY_ADD, a, b, r, w.top, k)}`;
    case 1: return `${r} = ${a} | ${b}; ${recordLogicSrc(F, r, w.top, k)}`;
    case 2: return `${r} = (${a} + ${b} + ${cfSrc(F, k)}) & ${w.mask}; ${recordArithSrc(F, LAZY_ADD, a, b, r, w.top, k)}`;
    case 3: return `${r} = (${a} - ${b} - ${cfSrc(F, k)}) & ${w.mask}; ${recordArithSrc(F, LAZY_SUB, a, b, r, w.top, k)}`;
    case 4: return `${r} = ${a} & ${b}; ${recordLogicSrc(F, r, w.top, k)}`;
    case 6: return `${r} = ${a} ^ ${b}; ${recordLogicSrc(F, r, w.top, k)}`;
    default: return `${r} = (${a} - ${b}) & ${w.mask}; ${recordArithSrc(F, LAZY_SUB, a, b, r, w.top, k)}`; // SUB, CMP
  }
}

/** The flag state after arithSrc(op) at width `top`. */
export function arithKnown(op: number, top: number): KnownFlags {
  if (op === 1 || op === 4 || op === 6) return { kind: LAZY_LOGIC, top, mask: ARITH, exact: false };
  return { kind: op === 0 || op === 2 ? LAZY_ADD : LAZY_SUB, top, mask: ARITH, exact: op !== 2 && op !== 3 };
}

/** INC (`dec` false) or DEC of `a` into `r`: ADD/SUB by one that keeps CF. */
export function incDecSrc(F: FlagVars, dec: boolean, a: string, r: string, w: Width, k?: KnownFlags): string {
  const kind = dec ? LAZY_SUB : LAZY_ADD;
  return `${r} = (${a} ${dec ? '-' : '+'} 1) & ${w.mask}; ${recordIncDecSrc(F, kind, a, r, w.top, k)}`;
}

export function incDecKnown(dec: boolean, top: number): KnownFlags {
  return { kind: dec ? LAZY_SUB : LAZY_ADD, top, mask: ARITH & ~CF, exact: true };
}

/** NEG: 0 - a, flags as that SUB. */
export function negSrc(F: FlagVars, a: string, r: string, w: Width, k?: KnownFlags): string {
  return `${r} = (0 - ${a}) & ${w.mask}; ${recordArithSrc(F, LAZY_SUB, '0', a, r, w.top, k)}`;
}

export function negKnown(top: number): KnownFlags {
  return { kind: LAZY_SUB, top, mask: ARITH, exact: true };
}

/** Sign-extends a value of width top+1 to 32 bits. */
export function signExtend(v: number, top: number): number {
  const s = 31 - top;
  return (v << s) >> s;
}

/**
 * Shift or rotate (0 ROL, 1 ROR, 4 SHL, 5 SHR, 6 SAL, 7 SAR; RCL and RCR are in `shift`) of
 * the masked value `v` by a count already masked to 5 bits and NOT zero (a zero count
 * changes nothing, flags included), into `r`. OF is computed for every count (Intel defines
 * it only for 1).
 */
export function shiftSrc(F: FlagVars, op: number, v: string, count: number | string, r: string, w: Width, k?: KnownFlags): string {
  const { top, mask, bits } = w;
  switch (op) {
    case 0: {
      const n = typeof count === 'number' && typeof bits === 'number' ? `${count % bits}` : `(${count} % ${bits})`;
      return `${r} = ${n} === 0 ? ${v} : ((${v} << ${n}) | (${v} >>> (${bits} - ${n}))) & ${mask}; ` +
        setBitsSrc(F, CF | OF, `((${r} & 1) | ((((${r} >>> ${top}) ^ ${r}) & 1) << 11))`);
    }
    case 1: {
      const n = typeof count === 'number' && typeof bits === 'number' ? `${count % bits}` : `(${count} % ${bits})`;
      return `${r} = ${n} === 0 ? ${v} : ((${v} >>> ${n}) | (${v} << (${bits} - ${n}))) & ${mask}; ` +
        setBitsSrc(F, CF | OF, `(((${r} >>> ${top}) & 1) | ((((${r} >>> ${top}) ^ (${r} >>> (${top} - 1))) & 1) << 11))`);
    }
    case 5: {
      const cf = `((${v} >>> (${count} - 1)) & 1)`;
      // Below 2^31 (the count is at least 1): `| 0` says so, to V8 and to the wasm translator's
      // types (an unsigned `v` made every value it reached of unknown sign, refusing regions).
      return `${r} = (${v} >>> ${count}) | 0; ${recordResultWithSrc(F, r, top, `(${cf} | (((${v} >>> ${top}) & 1) << 11))`, k)}`;
    }
    case 7: {
      const sv = `((${v} << (31 - ${top})) >> (31 - ${top}))`;
      return `${r} = (${sv} >> ${count}) & ${mask}; ${recordResultWithSrc(F, r, top, `((${sv} >> (${count} - 1)) & 1)`, k)}`;
    }
    default: { // SHL, SAL
      const cf = typeof count === 'number' && typeof bits === 'number'
        ? (count <= bits ? `((${v} >>> ${bits - count}) & 1)` : '0')
        : `(${count} <= ${bits} ? (${v} >>> (${bits} - ${count})) & 1 : 0)`;
      return `${r} = (${v} << ${count}) & ${mask}; ${recordResultWithSrc(F, r, top, `(${cf} | ((((${r} >>> ${top}) & 1) ^ ${cf}) << 11))`, k)}`;
    }
  }
}

/** The flag state after shiftSrc(op), given what was known before. */
export function shiftKnown(op: number, top: number, before: KnownFlags | undefined): KnownFlags | undefined {
  if (op === 0 || op === 1) return before && { ...before, mask: before.mask & ~(CF | OF) };
  return resultKnown(top);
}

// ---- the interpreter's functions, compiled from the templates ----------------------------

const LF = flagFields('lf');
const VARIABLE: Width = { top: 'top', mask: 'mask', bits: 'bits' };
const MASK = 'const mask = top === 31 ? -1 : (2 << top) - 1;';

/** Group-1 ALU op (0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP). */
export const arith = compileTemplate<(lf: LazyFlags, op: number, a: number, b: number, top: number) => number>(
  'arith', 'lf, op, a, b, top',
  `${MASK} let r = 0;
  switch (op) {
${[0, 1, 2, 3, 4, 5, 6, 7].map((op) => `    case ${op}: ${arithSrc(LF, op, 'a', 'b', 'r', VARIABLE)} return r;`).join('\n')}
  }
  return r;`);

export const inc = compileTemplate<(lf: LazyFlags, a: number, top: number) => number>(
  'inc', 'lf, a, top', `${MASK} let r = 0; ${incDecSrc(LF, false, 'a', 'r', VARIABLE)} return r;`);

export const dec = compileTemplate<(lf: LazyFlags, a: number, top: number) => number>(
  'dec', 'lf, a, top', `${MASK} let r = 0; ${incDecSrc(LF, true, 'a', 'r', VARIABLE)} return r;`);

export const neg = compileTemplate<(lf: LazyFlags, a: number, top: number) => number>(
  'neg', 'lf, a, top', `${MASK} let r = 0; ${negSrc(LF, 'a', 'r', VARIABLE)} return r;`);

/**
 * Shift/rotate group (0 ROL, 1 ROR, 2 RCL, 3 RCR, 4 SHL, 5 SHR, 6 SAL, 7 SAR).
 * `count` is already masked to 5 bits; a zero count changes nothing, flags included.
 * RCL/RCR rotate bit by bit through CF (33 or 17/9 positions).
 */
export const shift = compileTemplate<(lf: LazyFlags, op: number, v: number, count: number, top: number) => number>(
  'shift', 'lf, op, v, count, top',
  `if (count === 0) return v;
  ${MASK} const bits = top + 1;
  v &= mask;
  let r = 0;
  switch (op) {
    case 2: {
      const n = bits === 32 ? count : count % (bits + 1);
      let cf = ${cfSrc(LF)};
      r = v;
      for (let i = 0; i < n; i++) {
        const out = (r >>> top) & 1;
        r = ((r << 1) | cf) & mask;
        cf = out;
      }
      ${setBitsSrc(LF, CF | OF, '(cf | ((((r >>> top) & 1) ^ cf) << 11))')}
      return r;
    }
    case 3: {
      const n = bits === 32 ? count : count % (bits + 1);
      let cf = ${cfSrc(LF)};
      r = v;
      let of = ((r >>> top) & 1) ^ cf;
      for (let i = 0; i < n; i++) {
        const out = r & 1;
        r = ((r >>> 1) | (cf << top)) & mask;
        cf = out;
      }
      if (n !== 1) of = ((r >>> top) ^ (r >>> (top - 1))) & 1;
      ${setBitsSrc(LF, CF | OF, '(cf | (of << 11))')}
      return r;
    }
${[0, 1, 4, 5, 6, 7].map((op) => `    case ${op}: ${shiftSrc(LF, op, 'v', 'count', 'r', VARIABLE)} return r;`).join('\n')}
  }
  return r;`);

/** IMUL r, r/m(, imm) at width `top` (15 or 31). */
export const imulTrunc = compileTemplate<(lf: LazyFlags, a: number, b: number, top: number) => number>(
  'imulTrunc', 'lf, a, b, top',
  `let r = 0;
  if (top === 31) { ${imulSrc(LF, 'a', 'b', 'r', 31)} } else { ${imulSrc(LF, 'a', 'b', 'r', 15)} }
  return r;`, { imulOverflows });

/** BSWAP: the bytes of the 32-bit `v` reversed (the interpreter and the JIT use this one source). */
export function bswapSrc(v: string): string {
  return `(((${v} & 0xff) << 24) | ((${v} & 0xff00) << 8) | ((${v} >>> 8) & 0xff00) | (${v} >>> 24))`;
}

export const bswap = compileTemplate<(v: number) => number>('bswap', 'v', `return ${bswapSrc('v')};`);

/** SHLD (left) / SHRD: shifts `dst`, filling from `src`; count masked to 5 bits. */
export function doubleShift(lf: LazyFlags, left: boolean, dst: number, src: number, count: number, top: number): number {
  if (count === 0) return dst;
  const mask = widthMask(top);
  let r: number, cf: number;
  if (top === 31) {
    if (left) {
      r = (dst << count) | (src >>> (32 - count));
      cf = (dst >>> (32 - count)) & 1;
    } else {
      r = (dst >>> count) | (src << (32 - count));
      cf = (dst >>> (count - 1)) & 1;
    }
  } else {
    // 16-bit: shift the 32-bit pair dst:src (or src:dst); counts above 16 are undefined.
    if (left) {
      const pair = ((dst & 0xffff) << 16) | (src & 0xffff);
      const wide = count <= 16 ? pair << count : (src & 0xffff) << (count - 16);
      r = (wide >>> 16) & 0xffff;
      cf = count <= 16 ? (dst >>> (16 - count)) & 1 : (src >>> (32 - count)) & 1;
    } else {
      const pair = ((src & 0xffff) << 16) | (dst & 0xffff);
      r = (count <= 16 ? pair >>> count : (src & 0xffff) >>> (count - 16)) & 0xffff;
      cf = count <= 16 ? (dst >>> (count - 1)) & 1 : (src >>> (count - 17)) & 1;
    }
  }
  r &= mask;
  const of = ((r ^ dst) >>> top) & 1;
  lf.setResultWith(r, top, cf | (of << 11));
  return r;
}

/** Scratch for 64-bit results of 32-bit multiplies: [low, high] as int32. */
export const wide = new Int32Array(2);

/** Unsigned 32×32 → 64 into `wide`. */
export function mulU32(a: number, b: number): void {
  a >>>= 0;
  b >>>= 0;
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const p0 = al * bl, p1 = ah * bl, p2 = al * bh, p3 = ah * bh;
  const mid = Math.floor(p0 / 65536) + (p1 % 65536) + (p2 % 65536);
  wide[0] = Math.imul(a, b);
  wide[1] = p3 + Math.floor(p1 / 65536) + Math.floor(p2 / 65536) + Math.floor(mid / 65536);
}

/** Signed 32×32 → 64 into `wide`. */
export function mulS32(a: number, b: number): void {
  mulU32(a, b);
  let hi = wide[1];
  if (a < 0) hi -= b;
  if (b < 0) hi -= a;
  wide[1] = hi;
}

/**
 * The high 32 bits of the unsigned (mulHigh) or signed (mulHighS) 64-bit product of two 32-bit
 * values. Emitted code calls them by name; the wasm translator uses a 64-bit multiply.
 */
export function mulHigh(a: number, b: number): number {
  mulU32(a, b);
  return wide[1];
}
export function mulHighS(a: number, b: number): number {
  mulS32(a, b);
  return wide[1];
}

/**
 * MUL or one-operand IMUL at 32 bits: `hi`:`lo` = `a` × `b` (pure expressions, neither of
 * them `lo` or `hi`), unsigned or signed, with CF = OF = the high half is significant and
 * SF/ZF/PF from the low half.
 */
export function mulWideSrc(F: FlagVars, signed: boolean, a: string, b: string, lo: string, hi: string, k?: KnownFlags): string {
  const overflow = signed ? `${hi} !== (${lo} >> 31)` : `${hi} !== 0`;
  return `${hi} = ${signed ? 'mulHighS' : 'mulHigh'}(${a}, ${b}); ${lo} = Math.imul(${a}, ${b}); ` +
    recordResultWithSrc(F, lo, 31, `(${overflow} ? ${CF | OF} : 0)`, k);
}

/** MUL/IMUL r/m32 for the interpreter: returns EAX's new value; EDX's is left in wide[1]. */
export const mulWide = compileTemplate<(lf: LazyFlags, signed: boolean, a: number, b: number) => number>(
  'mulWide', 'lf, signed, a, b',
  `let lo = 0, hi = 0;
  if (signed) { ${mulWideSrc(LF, true, 'a', 'b', 'lo', 'hi')} } else { ${mulWideSrc(LF, false, 'a', 'b', 'lo', 'hi')} }
  wide[1] = hi;
  return lo;`, { mulHigh, mulHighS, wide });

/** MUL/IMUL flags: CF = OF = the high half is significant; SF/ZF/PF from the low half. */
export function setMulFlags(lf: LazyFlags, low: number, overflow: boolean, top: number): void {
  lf.setResultWith(low, top, overflow ? CF | OF : 0);
}

/**
 * Whether the signed product of int32s `a` and `b` does not fit in 32 bits (1) or does (0).
 * The double product is exact whenever it fits, and out of int32 range whenever it does not.
 * Emitted code calls it by name; the wasm translator computes it with a 64-bit multiply.
 */
export function imulOverflows(a: number, b: number): number {
  return a * b !== Math.imul(a, b) ? 1 : 0;
}

/**
 * IMUL r, r/m(, imm) at width `top` (15 or 31) into `r`: the truncated signed product of the
 * masked operands `a` and `b` (pure expressions), with CF = OF = the product did not fit.
 */
export function imulSrc(F: FlagVars, a: string, b: string, r: string, top: 15 | 31, k?: KnownFlags): string {
  if (top === 31) return `${r} = Math.imul(${a}, ${b}); ${recordResultWithSrc(F, r, 31, `(imulOverflows(${a}, ${b}) ? ${CF | OF} : 0)`, k)}`;
  const product = `${r} = Math.imul((${a} << 16) >> 16, (${b} << 16) >> 16);`;
  const overflow = `(((${r} << 16) >> 16) !== ${r} ? ${CF | OF} : 0)`;
  return `${product} ${recordResultWithSrc(F, `(${r} & 0xffff)`, 15, overflow, k)} ${r} = ${r} & 0xffff;`;
}

/** The flag state after imulSrc or a shift: ZF, SF and PF lazy from the result. */
export function resultKnown(top: number): KnownFlags {
  return { kind: LAZY_LOGIC, top, mask: ZF | SF | PF, exact: false };
}

/** DIV/IDIV results: quotient and remainder, or a divide error (returns false). */
export const divResult = { q: 0, r: 0 };

/** Unsigned divide of hi:lo (each `top+1` bits wide) by d. False means #DE. */
export function divU(hi: number, lo: number, d: number, top: number): boolean {
  d = top === 31 ? d >>> 0 : d;
  if (d === 0) return false;
  if (top !== 31) {
    const n = hi * (2 << top) + lo;
    const q = Math.floor(n / d);
    if (q > widthMask(top)) return false;
    divResult.q = q;
    divResult.r = n - q * d;
    return true;
  }
  return divWide(hi, lo, d);
}

/** divResult = the unsigned 64-bit `hi`:`lo` divided by `d`, for 0 < d and hi < d (unsigned: the quotient fits 32 bits). */
function divide64(hi: number, lo: number, d: number): void {
  hi >>>= 0;
  lo >>>= 0;
  d >>>= 0;
  if (hi < 0x200000) {
    const n = hi * 4294967296 + lo;
    let q = Math.floor(n / d);
    let r = n - q * d;
    if (r < 0) { q--; r += d; }
    else if (r >= d) { q++; r -= d; }
    divResult.q = q | 0;
    divResult.r = r | 0;
    return;
  }
  const n = (BigInt(hi) << 32n) | BigInt(lo);
  const bd = BigInt(d);
  divResult.q = Number(n / bd) | 0;
  divResult.r = Number(n % bd) | 0;
}

/**
 * The quotient of the unsigned 64-bit `hi`:`lo` by `d`, where divWideSrc allows it (0 < d,
 * hi < d). Emitted code calls it by name; the wasm translator uses a 64-bit divide.
 */
export function divQuot(hi: number, lo: number, d: number): number {
  divide64(hi, lo, d);
  return divResult.q;
}

/**
 * DIV r/m32: `q` and `r` = quotient and remainder of `hi`:`lo` (EDX:EAX) by `d` (pure
 * expressions, neither of them `q`), as int32, after running `fault` (a statement that
 * raises #DE) when d is 0 or the quotient would not fit 32 bits. The flags are unchanged.
 * The remainder is below 2^32, so it is the dividend's low half minus q × d, modulo 2^32:
 * one divide.
 */
export function divWideSrc(hi: string, lo: string, d: string, q: string, r: string, fault: string): string {
  return `if (${d} === 0 || (${hi} >>> 0) >= (${d} >>> 0)) { ${fault} } ${q} = divQuot(${hi}, ${lo}, ${d}); ${r} = (${lo} - Math.imul(${q}, ${d})) | 0;`;
}

/** DIV r/m32 for the interpreter: false for #DE, else the result in divResult. */
const divWide = compileTemplate<(hi: number, lo: number, d: number) => boolean>(
  'divWide', 'hi, lo, d',
  `let q = 0, r = 0;
  ${divWideSrc('hi', 'lo', 'd', 'q', 'r', 'return false;')}
  divResult.q = q;
  divResult.r = r;
  return true;`, { divQuot, divResult });

/** Signed divide of hi:lo by d. False means #DE. */
export function divS(hi: number, lo: number, d: number, top: number): boolean {
  d = signExtend(d, top);
  if (d === 0) return false;
  if (top !== 31) {
    const n = signExtend(hi, top) * (2 << top) + (lo & widthMask(top));
    const q = Math.trunc(n / d);
    const limit = 1 << top;
    if (q >= limit || q < -limit) return false;
    divResult.q = q & widthMask(top);
    divResult.r = (n - q * d) & widthMask(top);
    return true;
  }
  if (hi === lo >> 31) {
    const q = Math.trunc(lo / d);
    if (q > 0x7fffffff) return false; // only -2^31 / -1
    divResult.q = q | 0;
    divResult.r = (lo - q * d) | 0;
    return true;
  }
  const n = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  const bd = BigInt(d);
  const q = n / bd;
  if (q > 0x7fffffffn || q < -0x80000000n) return false;
  divResult.q = Number(q) | 0;
  divResult.r = Number(n % bd) | 0;
  return true;
}

// ---- BCD adjust (AL/AX in, AX out). Algorithms as the SDM gives them. ----------------

export function daa(lf: LazyFlags, al: number): number {
  const oldAl = al, oldCf = lf.cf();
  let cf = 0, af = 0;
  if ((al & 0xf) > 9 || lf.af()) {
    cf = oldCf | (al + 6 > 0xff ? 1 : 0);
    al = (al + 6) & 0xff;
    af = 1;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al + 0x60) & 0xff;
    cf = 1;
  } else cf = 0;
  lf.setResultWith(al, 7, cf | (af ? AF : 0));
  return al;
}

export function das(lf: LazyFlags, al: number): number {
  const oldAl = al, oldCf = lf.cf();
  let cf = 0, af = 0;
  if ((al & 0xf) > 9 || lf.af()) {
    cf = oldCf | (al < 6 ? 1 : 0);
    al = (al - 6) & 0xff;
    af = 1;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al - 0x60) & 0xff;
    cf = 1;
  }
  lf.setResultWith(al, 7, cf | (af ? AF : 0));
  return al;
}

export function aaa(lf: LazyFlags, ax: number): number {
  if ((ax & 0xf) > 9 || lf.af()) {
    ax = (ax + 0x106) & 0xffff;
    lf.setResultWith(ax & 0xff, 7, CF | AF);
  } else lf.setResultWith(ax & 0xff, 7, 0);
  return ax & 0xff0f;
}

export function aas(lf: LazyFlags, ax: number): number {
  if ((ax & 0xf) > 9 || lf.af()) {
    const al = (ax - 6) & 0xff;
    const ah = ((ax >> 8) - 1 - ((ax & 0xff) < 6 ? 1 : 0)) & 0xff;
    ax = (ah << 8) | al;
    lf.setResultWith(al, 7, CF | AF);
  } else lf.setResultWith(ax & 0xff, 7, 0);
  return ax & 0xff0f;
}

/** AAD: AL = AL + AH*imm, AH = 0; flags as an 8-bit ADD of AL and AH*imm. */
export function aad(lf: LazyFlags, ax: number, imm: number): number {
  const a = ax & 0xff, b = ((ax >> 8) * imm) & 0xff;
  const r = (a + b) & 0xff;
  lf.setArith(LAZY_ADD, a, b, r, 7);
  return r;
}

/** AAM (imm ≠ 0): AH = AL / imm, AL = AL mod imm. */
export function aam(lf: LazyFlags, al: number, imm: number): number {
  const r = al % imm;
  lf.setLogic(r, 7);
  return (Math.floor(al / imm) << 8) | r;
}

// ---- bit scans --------------------------------------------------------------------------

export function bsf(v: number): number {
  return 31 - Math.clz32(v & -v);
}

export function bsr(v: number): number {
  return 31 - Math.clz32(v);
}
