// Exact x87 arithmetic on the 80-bit format: FADD/FSUB/FMUL/FDIV with the result rounded
// once to the precision control's 64, 53 or 24 bits in any rounding mode over the full
// extended exponent range, and the rounding of extended values into single and double
// memory formats. Significands are 64-bit integers held as two 32-bit halves; wide
// intermediates are 128 bits in `w` (w[0] most significant). Nothing is allocated.

import { RC_DOWN, RC_NEAREST, RC_UP } from './float80.js';

/** The 128-bit working significand. */
const w = new Uint32Array(4);
const v = new Uint32Array(4);

/** Flags of the last operation (x87 status word bit positions). */
export const XF_OVERFLOW = 0x08;
export const XF_UNDERFLOW = 0x10;
export const XF_INEXACT = 0x20;
/** C1: the rounded magnitude is larger than the exact one. */
export const XF_ROUNDED_UP = 0x200;

/** The rounded result: sign, unbiased exponent, significand (bit 63 set unless denormal or zero), flags. */
let rSign = 0;
let rExp = 0;
let rHi = 0;
let rLo = 0;
let rInfinity = false;
export let resultFlags = 0;
/** Extended encodings and memory images are returned here: [signExp, hi, lo] or [_, hi, lo] words. */
export const result = new Uint32Array(3);

/**
 * Unmasked overflow/underflow (XF_OVERFLOW | XF_UNDERFLOW bits of ~CW): register results
 * then get their exponent wrapped by 24576 instead of the masked response (SDM vol. 1, 8.5.4-5).
 */
let traps = 0;
export function setExtendedTraps(unmasked: number): void {
  traps = unmasked & (XF_OVERFLOW | XF_UNDERFLOW);
}
const WRAP = 24576;

/** Target formats for roundPack. */
interface Format { precision: number; emin: number; emax: number }
const EXTENDED: Format = { precision: 64, emin: -16382, emax: 16383 };
const EXT53: Format = { precision: 53, emin: -16382, emax: 16383 };
const EXT24: Format = { precision: 24, emin: -16382, emax: 16383 };
const DOUBLE: Format = { precision: 53, emin: -1022, emax: 1023 };
const SINGLE: Format = { precision: 24, emin: -126, emax: 127 };

/** The extended format at the precision control's width (CW bits 8-9). */
export function extendedFormat(pc: number): Format {
  return pc === 3 ? EXTENDED : pc === 2 ? EXT53 : EXT24;
}

function shiftRightJam(a: Uint32Array, s: number): void {
  if (s <= 0) return;
  let sticky = 0;
  while (s >= 32) {
    sticky |= a[3];
    a[3] = a[2]; a[2] = a[1]; a[1] = a[0]; a[0] = 0;
    s -= 32;
    if (a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0) break;
  }
  if (s > 0 && s < 32) {
    sticky |= a[3] << (32 - s);
    a[3] = (a[3] >>> s) | (a[2] << (32 - s));
    a[2] = (a[2] >>> s) | (a[1] << (32 - s));
    a[1] = (a[1] >>> s) | (a[0] << (32 - s));
    a[0] = a[0] >>> s;
  }
  if (sticky !== 0) a[3] |= 1;
}

function shiftLeft(a: Uint32Array, s: number): void {
  while (s >= 32) {
    a[0] = a[1]; a[1] = a[2]; a[2] = a[3]; a[3] = 0;
    s -= 32;
  }
  if (s > 0) {
    a[0] = (a[0] << s) | (a[1] >>> (32 - s));
    a[1] = (a[1] << s) | (a[2] >>> (32 - s));
    a[2] = (a[2] << s) | (a[3] >>> (32 - s));
    a[3] = a[3] << s;
  }
}

function leadingZeros(a: Uint32Array): number {
  for (let i = 0; i < 4; i++) if (a[i] !== 0) return i * 32 + Math.clz32(a[i]);
  return 128;
}

/**
 * Rounds sign · w · 2^(exp − 127) (w normalised: bit 127 set) to format `f` under `rc`,
 * denormalising below f.emin, into rSign/rExp/rHi/rLo/rInfinity and resultFlags.
 */
function roundPack(sign: number, exp: number, f: Format, rc: number): void {
  let flags = 0;
  let tiny = false;
  const register = f.emin === -16382;
  if (exp < f.emin) {
    if (register && traps & XF_UNDERFLOW && exp + WRAP >= f.emin) {
      // Unmasked: signalled whenever the result is tiny, delivered with the exponent wrapped up.
      flags |= XF_UNDERFLOW;
      exp += WRAP;
    } else {
      shiftRightJam(w, f.emin - exp);
      exp = f.emin;
      tiny = true;
    }
  }
  // Discarded bits below the precision: round bit and sticky.
  const p = f.precision;
  let round: number;
  let sticky: boolean;
  let lsb: number;
  if (p === 64) {
    round = w[2] >>> 31;
    sticky = (w[2] & 0x7fffffff) !== 0 || w[3] !== 0;
    lsb = w[1] & 1;
  } else if (p === 53) {
    round = (w[1] >>> 10) & 1;
    sticky = (w[1] & 0x3ff) !== 0 || w[2] !== 0 || w[3] !== 0;
    lsb = (w[1] >>> 11) & 1;
  } else {
    round = (w[0] >>> 7) & 1;
    sticky = (w[0] & 0x7f) !== 0 || w[1] !== 0 || w[2] !== 0 || w[3] !== 0;
    lsb = (w[0] >>> 8) & 1;
  }
  const inexact = round !== 0 || sticky;
  let up = false;
  if (inexact) {
    flags |= XF_INEXACT;
    if (tiny) flags |= XF_UNDERFLOW;
    if (rc === RC_NEAREST) up = round !== 0 && (sticky || lsb !== 0);
    else if (rc === RC_UP) up = sign === 0;
    else if (rc === RC_DOWN) up = sign !== 0;
  }
  // Keep the top p bits.
  let hi: number;
  let lo: number;
  if (p === 64) { hi = w[0]; lo = w[1]; }
  else if (p === 53) { hi = w[0]; lo = (w[1] & ~0x7ff) >>> 0; }
  else { hi = (w[0] & ~0xff) >>> 0; lo = 0; }
  if (up) {
    flags |= XF_ROUNDED_UP;
    const unit = p === 64 ? 1 : p === 53 ? 0x800 : 0;
    if (p === 24) {
      hi = (hi + 0x100) >>> 0;
      if (hi === 0) { hi = 0x80000000; exp += 1; }
    } else {
      lo = (lo + unit) >>> 0;
      if (lo < unit) {
        hi = (hi + 1) >>> 0;
        if (hi === 0) { hi = 0x80000000; exp += 1; }
      }
    }
  }
  rSign = sign;
  rInfinity = false;
  if (exp > f.emax && register && traps & XF_OVERFLOW && exp - WRAP <= f.emax) {
    flags |= XF_OVERFLOW;
    exp -= WRAP;
  } else if (exp > f.emax) {
    flags |= XF_OVERFLOW | XF_INEXACT;
    // Unmasked, but too large even wrapped (FSCALE): infinity.
    rInfinity = (register && (traps & XF_OVERFLOW) !== 0) || rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign !== 0);
    flags = rInfinity ? flags | XF_ROUNDED_UP : flags & ~XF_ROUNDED_UP;
    // Toward zero: the largest finite value of the format.
    exp = f.emax;
    hi = p === 24 ? 0xffffff00 : 0xffffffff;
    lo = p === 64 ? 0xffffffff : p === 53 ? 0xfffff800 : 0;
  }
  rExp = exp;
  rHi = hi;
  rLo = lo;
  resultFlags = flags;
}

/** The rounded result as an extended encoding in result[]. */
function packExtended(): void {
  const s = rSign ? 0x8000 : 0;
  if (rInfinity) {
    result[0] = s | 0x7fff; result[1] = 0x80000000; result[2] = 0;
    return;
  }
  result[0] = s | (rHi & 0x80000000 ? rExp + 16383 : 0);
  result[1] = rHi;
  result[2] = rLo;
}

/** Loads w with an operand's significand at the top. */
function loadW(hi: number, lo: number): void {
  w[0] = hi; w[1] = lo; w[2] = 0; w[3] = 0;
}

/** Unbiased exponent of a finite non-zero extended value whose significand is normalised by `normalise`. */
let nHi = 0;
let nLo = 0;
function normalise(se: number, hi: number, lo: number): number {
  let e = (se & 0x7fff) - 16383;
  if ((se & 0x7fff) === 0) e = -16382;
  const z = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  if (z >= 32) { hi = (lo << (z - 32)) >>> 0; lo = 0; }
  else if (z > 0) { hi = ((hi << z) | (lo >>> (32 - z))) >>> 0; lo = (lo << z) >>> 0; }
  nHi = hi;
  nLo = lo;
  return e - z;
}

/** Exact a ± b (sub: b's sign flipped) for finite operands, at least one non-zero. */
export function addExtended(ase: number, ahi: number, alo: number, bse: number, bhi: number, blo: number,
  f: Format, rc: number): void {
  let sa = ase >>> 15;
  let sb = bse >>> 15;
  const aZero = (ahi | alo) === 0;
  const bZero = (bhi | blo) === 0;
  let ea = aZero ? -1e9 : normalise(ase, ahi, alo);
  let ah = nHi, al = nLo;
  let eb = bZero ? -1e9 : normalise(bse, bhi, blo);
  let bh = nHi, bl = nLo;
  if (aZero) { ah = 0; al = 0; }
  if (bZero) { bh = 0; bl = 0; }
  // Order by magnitude: a is the larger.
  if (eb > ea || (eb === ea && (bh > ah || (bh === ah && bl > al)))) {
    let t = ea; ea = eb; eb = t;
    t = ah; ah = bh; bh = t;
    t = al; al = bl; bl = t;
    t = sa; sa = sb; sb = t;
  }
  loadW(ah, al);
  v[0] = bh; v[1] = bl; v[2] = 0; v[3] = 0;
  if (bh !== 0 || bl !== 0) shiftRightJam(v, ea - eb > 200 ? 200 : ea - eb);
  let exp = ea;
  if (sa === sb) {
    let c = 0;
    for (let i = 3; i >= 0; i--) {
      const s = w[i] + v[i] + c;
      w[i] = s >>> 0;
      c = s > 0xffffffff ? 1 : 0;
    }
    if (c) {
      shiftRightJam(w, 1);
      w[0] |= 0x80000000;
      exp += 1;
    }
  } else {
    let borrow = 0;
    for (let i = 3; i >= 0; i--) {
      const d = w[i] - v[i] - borrow;
      w[i] = d >>> 0;
      borrow = d < 0 ? 1 : 0;
    }
    const z = leadingZeros(w);
    if (z === 128) {
      // Exact cancellation: +0, or −0 when rounding down.
      result[0] = rc === RC_DOWN ? 0x8000 : 0;
      result[1] = 0;
      result[2] = 0;
      resultFlags = 0;
      return;
    }
    shiftLeft(w, z);
    exp -= z;
  }
  roundPack(sa, exp, f, rc);
  packExtended();
}

/** Exact a · b for finite non-zero operands. */
export function mulExtended(ase: number, ahi: number, alo: number, bse: number, bhi: number, blo: number,
  f: Format, rc: number): void {
  const sign = (ase ^ bse) >>> 15 & 1;
  const ea = normalise(ase, ahi, alo);
  const ah = nHi, al = nLo;
  const eb = normalise(bse, bhi, blo);
  const bh = nHi, bl = nLo;
  // 64×64 → 128 bits from 16-bit limbs; each column sum stays below 2^53.
  const a0 = al & 0xffff, a1 = al >>> 16, a2 = ah & 0xffff, a3 = ah >>> 16;
  const b0 = bl & 0xffff, b1 = bl >>> 16, b2 = bh & 0xffff, b3 = bh >>> 16;
  let c = a0 * b0;
  const p0 = c % 65536;
  c = Math.floor(c / 65536) + a0 * b1 + a1 * b0;
  const p1 = c % 65536;
  c = Math.floor(c / 65536) + a0 * b2 + a1 * b1 + a2 * b0;
  const p2 = c % 65536;
  c = Math.floor(c / 65536) + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const p3 = c % 65536;
  c = Math.floor(c / 65536) + a1 * b3 + a2 * b2 + a3 * b1;
  const p4 = c % 65536;
  c = Math.floor(c / 65536) + a2 * b3 + a3 * b2;
  const p5 = c % 65536;
  c = Math.floor(c / 65536) + a3 * b3;
  const p6 = c % 65536;
  const p7 = Math.floor(c / 65536);
  w[0] = p7 * 65536 + p6;
  w[1] = p5 * 65536 + p4;
  w[2] = p3 * 65536 + p2;
  w[3] = p1 * 65536 + p0;
  let exp = ea + eb + 1;
  if (!(w[0] & 0x80000000)) {
    shiftLeft(w, 1);
    exp -= 1;
  }
  roundPack(sign, exp, f, rc);
  packExtended();
}

/** Exact a / b for finite non-zero operands. */
export function divExtended(ase: number, ahi: number, alo: number, bse: number, bhi: number, blo: number,
  f: Format, rc: number): void {
  const sign = (ase ^ bse) >>> 15 & 1;
  const ea = normalise(ase, ahi, alo);
  let rh = nHi, rl = nLo;
  const eb = normalise(bse, bhi, blo);
  const dh = nHi, dl = nLo;
  let exp = ea - eb;
  let top = 0; // bit 64 of the remainder
  if (rh < dh || (rh === dh && rl < dl)) {
    top = rh >>> 31;
    rh = ((rh << 1) | (rl >>> 31)) >>> 0;
    rl = (rl << 1) >>> 0;
    exp -= 1;
  }
  // 68 quotient bits, most significant first, into three 32-bit words (the last holds 4).
  let q0 = 0, q1 = 0, q2 = 0;
  for (let i = 0; i < 68; i++) {
    let bit = 0;
    if (top || rh > dh || (rh === dh && rl >= dl)) {
      const nl = rl - dl;
      rl = nl >>> 0;
      rh = (rh - dh - (nl < 0 ? 1 : 0)) >>> 0;
      bit = 1;
    }
    q0 = ((q0 << 1) | (q1 >>> 31)) >>> 0;
    q1 = ((q1 << 1) | (q2 >>> 31)) >>> 0;
    q2 = ((q2 << 1) | bit) >>> 0;
    top = rh >>> 31;
    rh = ((rh << 1) | (rl >>> 31)) >>> 0;
    rl = (rl << 1) >>> 0;
  }
  // q0:q1:q2 hold the 68 bits right-aligned in 96: move them to the top of w.
  w[0] = q0; w[1] = q1; w[2] = q2; w[3] = 0;
  shiftLeft(w, 96 - 68);
  if (top || rh || rl) w[3] |= 1;
  roundPack(sign, exp, f, rc);
  packExtended();
}

/** Rounds an extended value to double under rc; the bits go to result[1] (high word) and result[2]. */
export function extendedToDouble(se: number, hi: number, lo: number, rc: number): void {
  const s = se & 0x8000 ? 0x80000000 : 0;
  if ((hi | lo) === 0) {
    result[1] = s; result[2] = 0; resultFlags = 0;
    return;
  }
  const e = normalise(se, hi, lo);
  loadW(nHi, nLo);
  roundPack(se >>> 15 & 1, e, DOUBLE, rc);
  if (rInfinity) {
    result[1] = (s | 0x7ff00000) >>> 0; result[2] = 0;
    return;
  }
  const biased = rHi & 0x80000000 ? rExp + 1023 : 0;
  result[1] = (s | (biased << 20) | ((rHi >>> 11) & 0xfffff)) >>> 0;
  result[2] = (((rHi & 0x7ff) << 21) | (rLo >>> 11)) >>> 0;
}

/** Rounds an extended value to single under rc and returns the bits. */
export function extendedToSingle(se: number, hi: number, lo: number, rc: number): number {
  const s = se & 0x8000 ? 0x80000000 : 0;
  if ((hi | lo) === 0) {
    resultFlags = 0;
    return s >>> 0;
  }
  const e = normalise(se, hi, lo);
  loadW(nHi, nLo);
  roundPack(se >>> 15 & 1, e, SINGLE, rc);
  if (rInfinity) return (s | 0x7f800000) >>> 0;
  const biased = rHi & 0x80000000 ? rExp + 127 : 0;
  return (s | (biased << 23) | ((rHi >>> 8) & 0x7fffff)) >>> 0;
}

/** x · 2^n exactly (FSCALE), rounded only when the result leaves the extended range. */
export function scaleExtended(se: number, hi: number, lo: number, n: number, rc: number): void {
  const e = normalise(se, hi, lo);
  loadW(nHi, nLo);
  roundPack(se >>> 15 & 1, e + n, EXTENDED, rc);
  packExtended();
}

/** Quotient bits of the last remainderExtended (low three) and whether it was partial. */
export let remainderQuotient = 0;
export let remainderPartial = false;

/**
 * FPREM (ieee = false: truncated quotient) and FPREM1 (nearest quotient) of finite a by
 * finite non-zero b, exactly. When the exponents differ by 64 or more it reduces only by
 * b·2^(d−N), N = 32 + d mod 32, as the hardware does, and sets remainderPartial.
 */
export function remainderExtended(ase: number, ahi: number, alo: number, bse: number, bhi: number, blo: number,
  ieee: boolean): void {
  const sign = ase >>> 15 & 1;
  const ea = normalise(ase, ahi, alo);
  let rh = nHi, rl = nLo;
  const eb = normalise(bse, bhi, blo);
  const dh = nHi, dl = nLo;
  const d = ea - eb;
  remainderPartial = d >= 64;
  remainderQuotient = 0;
  let resultSign = sign;
  let exp: number;
  if (d < 0) {
    // |a| < |b|: the remainder is a (FPREM1 may still subtract b once).
    exp = ea;
    if (ieee && d === -1 && (rh > dh || (rh === dh && rl > dl))) {
      // |a| > |b|/2: a − b·sign, magnitude b − |a|.
      // 2·Mb − Ma < Mb fits in 64 bits, so the lost bit 64 of 2·Mb cancels out.
      let l = ((dl << 1) >>> 0) - rl;
      let h = (((dh << 1) | (dl >>> 31)) >>> 0) - rh;
      if (l < 0) { l += 4294967296; h -= 1; }
      rh = h >>> 0; rl = l >>> 0;
      resultSign ^= 1;
      remainderQuotient = 1;
    }
  } else {
    const steps = remainderPartial ? 32 + (d % 32) : d;
    let top = 0;
    let q = 0;
    for (let i = 0; i <= steps; i++) {
      q = (q << 1) & 7;
      if (top || rh > dh || (rh === dh && rl >= dl)) {
        const nl = rl - dl;
        rl = nl >>> 0;
        rh = (rh - dh - (nl < 0 ? 1 : 0)) >>> 0;
        q |= 1;
      }
      if (i < steps) {
        top = rh >>> 31;
        rh = ((rh << 1) | (rl >>> 31)) >>> 0;
        rl = (rl << 1) >>> 0;
      }
    }
    exp = ea - steps;
    if (ieee && !remainderPartial) {
      // Nearest quotient: take b − r when r > b/2, or r = b/2 with an odd quotient.
      const twiceH = ((rh << 1) | (rl >>> 31)) >>> 0;
      const twiceL = (rl << 1) >>> 0;
      const over = rh >>> 31 === 1 || twiceH > dh || (twiceH === dh && twiceL > dl);
      const half = rh >>> 31 === 0 && twiceH === dh && twiceL === dl;
      if (over || (half && (q & 1) === 1)) {
        let l = dl - rl;
        let h = dh - rh;
        if (l < 0) { l += 4294967296; h -= 1; }
        rh = h >>> 0; rl = l >>> 0;
        resultSign ^= 1;
        q = (q + 1) & 7;
      }
    }
    remainderQuotient = q;
  }
  if ((rh | rl) === 0) {
    result[0] = sign ? 0x8000 : 0; result[1] = 0; result[2] = 0;
    resultFlags = 0;
    return;
  }
  // The remainder R has its units at 2^(exp − 63); normalise it (exactly representable).
  const z = rh !== 0 ? Math.clz32(rh) : 32 + Math.clz32(rl);
  loadW(rh, rl);
  shiftLeft(w, z);
  roundPack(resultSign, exp - z, EXTENDED, RC_NEAREST);
  packExtended();
}

/** √a for a finite positive value (normal or denormal), rounded once to `f` under `rc`. */
export function sqrtExtended(se: number, hi: number, lo: number, f: Format, rc: number): void {
  const e = normalise(se, hi, lo);
  // X = M · 2^k with k = e − 63; make k even by doubling M (65 bits) when it is odd.
  let k = e - 63;
  // The radicand R = M' · 2^70 as bits 135..0, fed two at a time from the top.
  let m2 = nHi >>> 31; // bit 64 of M'
  let mh = nHi;
  let ml = nLo;
  if (k & 1) {
    m2 = mh >>> 31;
    mh = ((mh << 1) | (ml >>> 31)) >>> 0;
    ml = (ml << 1) >>> 0;
    k -= 1;
  } else {
    m2 = 0;
  }
  // Restoring square root; remainder and root as (high, low 32 bits) pairs of exact doubles.
  let remH = 0, remL = 0, rootH = 0, rootL = 0;
  for (let pos = 134; pos >= 0; pos -= 2) {
    // Bits pos+1 and pos of R: R's bit b is M' bit (b − 70).
    const b1 = bitOfM(m2, mh, ml, pos + 1 - 70);
    const b0 = bitOfM(m2, mh, ml, pos - 70);
    let l = remL * 4 + b1 * 2 + b0;
    remH = remH * 4 + Math.floor(l / 4294967296);
    remL = l % 4294967296;
    l = rootL * 4 + 1;
    const tH = rootH * 4 + Math.floor(l / 4294967296);
    const tL = l % 4294967296;
    if (remH > tH || (remH === tH && remL >= tL)) {
      let nl = remL - tL;
      let nh = remH - tH;
      if (nl < 0) { nl += 4294967296; nh -= 1; }
      remH = nh; remL = nl;
      l = rootL * 2 + 1;
    } else {
      l = rootL * 2;
    }
    rootH = rootH * 2 + Math.floor(l / 4294967296);
    rootL = l % 4294967296;
  }
  // root < 2^68 goes to w as root · 2^32, normalised; a non-zero remainder is the sticky bit.
  w[0] = Math.floor(rootH / 4294967296); w[1] = rootH % 4294967296; w[2] = rootL; w[3] = 0;
  const z = leadingZeros(w);
  shiftLeft(w, z);
  if (remH !== 0 || remL !== 0) w[3] |= 1;
  // root = √(M'·2^70) = √M' · 2^35, so √X = root · 2^(k/2 − 35); root's top bit is bit 95 − z.
  roundPack(0, 95 - z - 35 + k / 2, f, rc);
  packExtended();
}

function bitOfM(m2: number, mh: number, ml: number, b: number): number {
  if (b < 0 || b > 64) return 0;
  if (b === 64) return m2;
  return b >= 32 ? (mh >>> (b - 32)) & 1 : (ml >>> b) & 1;
}
