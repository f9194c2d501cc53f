// Bit-exact conversions between the x87's 80-bit extended format (sign+exponent word,
// 64-bit significand with an explicit integer bit, held as two 32-bit halves) and the
// formats JavaScript can compute with (double) or that memory holds (single, double, int).
// Results go to the caller's Uint32Array [signExp, hi, lo] so nothing is allocated.

const scratch = new ArrayBuffer(8);
const f64 = new Float64Array(scratch);
const f32 = new Float32Array(scratch);
/** u32[0] = low word, u32[1] = high word of f64[0] (little-endian host, as x86 and Node on it). */
const u32 = new Uint32Array(scratch);

/** Classes of an 80-bit value, as FXAM and the operand checks see them. */
export const F80_ZERO = 0;
export const F80_NORMAL = 1;
/** Exponent 0 with a non-zero significand, including pseudo-denormals (integer bit set). */
export const F80_DENORMAL = 2;
export const F80_INFINITY = 3;
export const F80_QNAN = 4;
export const F80_SNAN = 5;
/** Pseudo-NaN, pseudo-infinity and unnormals: the 387+ treats them as invalid operands. */
export const F80_UNSUPPORTED = 6;

export function classifyF80(se: number, hi: number, lo: number): number {
  const exp = se & 0x7fff;
  if (exp === 0) return (hi | lo) === 0 ? F80_ZERO : F80_DENORMAL;
  if ((hi & 0x80000000) === 0) return F80_UNSUPPORTED;
  if (exp === 0x7fff) {
    if ((hi & 0x7fffffff) === 0 && lo === 0) return F80_INFINITY;
    return hi & 0x40000000 ? F80_QNAN : F80_SNAN;
  }
  return F80_NORMAL;
}

/** The exact 80-bit form of a double (every double is representable). */
export function doubleToF80(v: number, out: Uint32Array): void {
  f64[0] = v;
  const whi = u32[1];
  const wlo = u32[0];
  const sign = (whi >>> 16) & 0x8000;
  const exp = (whi >>> 20) & 0x7ff;
  const frac = whi & 0xfffff;
  if (exp === 0x7ff) {
    out[0] = sign | 0x7fff;
    out[1] = (0x80000000 | (frac << 11) | (wlo >>> 21)) >>> 0;
    out[2] = (wlo << 11) >>> 0;
    return;
  }
  if (exp === 0) {
    if ((frac | wlo) === 0) {
      out[0] = sign;
      out[1] = 0;
      out[2] = 0;
      return;
    }
    // A double subnormal is a normal extended number: shift its leading one up to bit 63.
    let hi = ((frac << 11) | (wlo >>> 21)) >>> 0;
    let lo = (wlo << 11) >>> 0;
    let e = 1 - 1023 + 16383;
    const shift = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
    if (shift >= 32) {
      hi = (lo << (shift - 32)) >>> 0;
      lo = 0;
    } else if (shift > 0) {
      hi = ((hi << shift) | (lo >>> (32 - shift))) >>> 0;
      lo = (lo << shift) >>> 0;
    }
    e -= shift;
    out[0] = sign | e;
    out[1] = hi;
    out[2] = lo;
    return;
  }
  out[0] = sign | (exp - 1023 + 16383);
  out[1] = (0x80000000 | (frac << 11) | (wlo >>> 21)) >>> 0;
  out[2] = (wlo << 11) >>> 0;
}

/**
 * The nearest double to an 80-bit value (one rounding: hi·2³² + lo is rounded once to 53
 * bits, the power-of-two scaling is exact unless the result leaves the double range).
 * NaNs and unsupported encodings give NaN; the caller keeps the exact bits for those.
 */
export function f80ToDouble(se: number, hi: number, lo: number): number {
  const exp = se & 0x7fff;
  const neg = (se & 0x8000) !== 0;
  if (exp === 0x7fff) {
    if ((hi & 0x80000000) !== 0 && (hi & 0x7fffffff) === 0 && lo === 0) return neg ? -Infinity : Infinity;
    return NaN;
  }
  if (exp !== 0 && (hi & 0x80000000) === 0) return NaN;
  const mant = (hi >>> 0) * 4294967296 + (lo >>> 0);
  const e = (exp === 0 ? 1 : exp) - 16383 - 63;
  const m = scale2(mant, e);
  return neg ? -m : m;
}

/** 2^k for k in [−1150, 1150], so the common scalings are one multiplication. */
const POW2_BIAS = 1150;
const POW2 = new Float64Array(2 * POW2_BIAS + 1);
for (let k = -POW2_BIAS; k <= POW2_BIAS; k++) POW2[k + POW2_BIAS] = k < -1074 ? 0 : k > 1023 ? Infinity : 2 ** k;

/** x · 2^n for any integer n, without overflowing the intermediate power. */
function scale2(x: number, n: number): number {
  if (n >= -1022 && n <= 1023) return x * POW2[n + POW2_BIAS];
  if (n > 3000) n = 3000;
  else if (n < -3000) n = -3000;
  while (n > 1000) {
    x *= 2 ** 1000;
    n -= 1000;
  }
  while (n < -1000) {
    x *= 2 ** -1000;
    n += 1000;
  }
  return x * 2 ** n;
}

/** Single-precision bits → 80-bit, exact, NaN payload kept (SNaNs stay signalling). */
export function f32BitsToF80(bits: number, out: Uint32Array): void {
  const exp = (bits >>> 23) & 0xff;
  if (exp === 0xff) {
    out[0] = ((bits >>> 16) & 0x8000) | 0x7fff;
    out[1] = (0x80000000 | ((bits & 0x7fffff) << 8)) >>> 0;
    out[2] = 0;
    return;
  }
  u32[0] = bits;
  doubleToF80(f32[0], out);
}

/** Double bits (hi, lo words) → 80-bit, exact, NaN payload kept. */
export function f64BitsToF80(whi: number, wlo: number, out: Uint32Array): void {
  if (((whi >>> 20) & 0x7ff) === 0x7ff) {
    out[0] = ((whi >>> 16) & 0x8000) | 0x7fff;
    out[1] = (0x80000000 | ((whi & 0xfffff) << 11) | (wlo >>> 21)) >>> 0;
    out[2] = (wlo << 11) >>> 0;
    return;
  }
  u32[0] = wlo;
  u32[1] = whi;
  doubleToF80(f64[0], out);
}

export function f32BitsToDouble(bits: number): number {
  u32[0] = bits;
  return f32[0];
}

export function f64BitsToDouble(whi: number, wlo: number): number {
  u32[0] = wlo;
  u32[1] = whi;
  return f64[0];
}

/** Single bits of an 80-bit NaN: top 23 fraction bits, quiet bit forced. */
export function f80NanToF32Bits(se: number, hi: number): number {
  return (((se & 0x8000) << 16) | 0x7fc00000 | ((hi >>> 8) & 0x7fffff)) >>> 0;
}

/** Double bits of an 80-bit NaN into out[1], out[2]: top 52 fraction bits, quiet bit forced. */
export function f80NanToF64Bits(se: number, hi: number, lo: number, out: Uint32Array): void {
  out[1] = (((se & 0x8000) << 16) | 0x7ff80000 | ((hi >>> 11) & 0xfffff)) >>> 0;
  out[2] = ((hi << 21) | (lo >>> 11)) >>> 0;
}

/** A signed 64-bit integer (two's complement halves) → exact 80-bit. */
export function int64ToF80(hi: number, lo: number, out: Uint32Array): void {
  let sign = 0;
  hi >>>= 0;
  lo >>>= 0;
  if (hi & 0x80000000) {
    sign = 0x8000;
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  if ((hi | lo) === 0) {
    out[0] = sign;
    out[1] = 0;
    out[2] = 0;
    return;
  }
  const shift = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  if (shift >= 32) {
    hi = (lo << (shift - 32)) >>> 0;
    lo = 0;
  } else if (shift > 0) {
    hi = ((hi << shift) | (lo >>> (32 - shift))) >>> 0;
    lo = (lo << shift) >>> 0;
  }
  out[0] = sign | (16383 + 63 - shift);
  out[1] = hi;
  out[2] = lo;
}

/** Rounding-control values (control word bits 10-11). */
export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_CHOP = 3;

/** Flags returned by f80ToInt64. */
export const TOINT_INEXACT = 1;
export const TOINT_ROUNDED_UP = 2;
export const TOINT_OVERFLOW = 4;

/**
 * Rounds a finite 80-bit value to a signed 64-bit integer with rounding control `rc`;
 * the two's complement result goes to out[1] (hi), out[2] (lo). Returns TOINT_* flags;
 * TOINT_OVERFLOW when it does not fit in 64 bits (the caller range-checks smaller sizes).
 */
export function f80ToInt64(se: number, hi: number, lo: number, rc: number, out: Uint32Array): number {
  const neg = (se & 0x8000) !== 0;
  const e = (se & 0x7fff) - 16383;
  let ih = 0;
  let il = 0;
  let round = 0;
  let sticky = false;
  if (e >= 63) {
    if (e === 63 && neg && hi === 0x80000000 && lo === 0) {
      out[1] = 0x80000000;
      out[2] = 0;
      return 0;
    }
    return TOINT_OVERFLOW;
  }
  if (e < 0) {
    round = e === -1 ? hi >>> 31 : 0;
    sticky = e === -1 ? ((hi & 0x7fffffff) | lo) !== 0 : (hi | lo) !== 0;
  } else {
    const s = 63 - e;
    if (s < 32) {
      ih = hi >>> s;
      il = ((hi << (32 - s)) | (lo >>> s)) >>> 0;
      round = (lo >>> (s - 1)) & 1;
      sticky = (lo & ((1 << (s - 1)) - 1)) !== 0;
    } else if (s === 32) {
      il = hi;
      round = lo >>> 31;
      sticky = (lo & 0x7fffffff) !== 0;
    } else {
      il = hi >>> (s - 32);
      round = (hi >>> (s - 33)) & 1;
      sticky = (hi & ((1 << (s - 33)) - 1)) !== 0 || lo !== 0;
    }
  }
  const inexact = round !== 0 || sticky;
  let up = false;
  if (inexact) {
    if (rc === RC_NEAREST) up = round !== 0 && (sticky || (il & 1) !== 0);
    else if (rc === RC_DOWN) up = neg;
    else if (rc === RC_UP) up = !neg;
  }
  if (up) {
    il = (il + 1) >>> 0;
    if (il === 0) ih = (ih + 1) >>> 0;
  }
  if (ih & 0x80000000 && !(neg && ih === 0x80000000 && il === 0)) return TOINT_OVERFLOW;
  if (neg) {
    il = (~il + 1) >>> 0;
    ih = (~ih + (il === 0 ? 1 : 0)) >>> 0;
  }
  out[1] = ih >>> 0;
  out[2] = il;
  return (inexact ? TOINT_INEXACT : 0) | (up ? TOINT_ROUNDED_UP : 0);
}
