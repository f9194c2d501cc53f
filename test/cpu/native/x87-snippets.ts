// x87 and MMX test snippets for the differential tests: a data window of operands
// (control words, special and random values in every memory format) and snippets that
// load, compute and store with them. Every memory operand is an absolute [disp32], so
// the same bytes run natively, in termu's CPU, and in the FPU-only harness (x87-direct.ts).

import { DATA_BASE, DATA_SIZE } from './native-host.js';

/** Offsets in the data window. */
export const CW_TABLE = 0x000; // 8 control words
export const M80 = 0x010; // 16 × 10 bytes
export const I16 = 0x0b0; // 8 × 2
export const I32 = 0x0c0; // 8 × 4
const I64 = 0x0e0; // 8 × 8
const BCD = 0x120; // 4 × 10
export const F32 = 0x150; // 16 × 4
export const F64 = 0x200; // 64 × 8
export const MMX = 0x400; // 16 × 8
const COUNTS = 0x480; // 8 × 8 shift counts
export const ODD_CW = 0x4c0; // 4 control words with reserved bits set or clear
const TRIG = 0x4c8; // 7 arguments for FSIN/FCOS/FPTAN near and far from multiples of π/2
const IMAGE = 0x500; // a hand-made FSAVE image (108 bytes)
const FXIMAGE = 0x600; // a hand-made FXSAVE image (512 bytes, 16-byte aligned)
export const OUT = 0x800;

/** Control words: PC=53 with RC 0-3, PC=64, PC=24, PC=53 with IE unmasked, PC=53 with ZE unmasked. */
export const CONTROL_WORDS = [0x027f, 0x067f, 0x0a7f, 0x0e7f, 0x037f, 0x007f, 0x027e, 0x027b];

export interface Snippet {
  name: string;
  body: string;
  /**
   * Relative tolerance for ST values and the `approxSlots` doubles (C1 is then ignored):
   * transcendentals, which termu computes in double precision.
   */
  tolerance?: number;
  /** Byte offsets (in the data window) of results written as doubles, for approx snippets. */
  approxSlots?: number[];
  /** Data ranges [offset, length] not compared. */
  ignoreData?: [number, number][];
  /**
   * FCS/FDS fields of a saved environment: the native process runs with selectors
   * 0x23/0x2b, termu's ring-0 test machine with 0x08/0x10, so the CPU run skips them.
   */
  selectorFields?: [number, number][];
}

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** Builds the initial data window. */
export function x87Data(seed: number): Uint8Array {
  const d = new Uint8Array(DATA_SIZE);
  const dv = new DataView(d.buffer);
  const r = rng(seed);
  CONTROL_WORDS.forEach((w, i) => dv.setUint16(CW_TABLE + i * 2, w, true));
  const m80: [number, number, number][] = [
    [0x3fff, 0x80000000, 0], [0xbfff, 0xc0000000, 0x00000001], [0x4000, 0xc90fdaa2, 0x2168c234],
    [0x0000, 0x00000000, 0x00000123], [0x0000, 0x80000000, 0x00000001], [0x7fff, 0xc0000000, 0x12345678],
    [0xffff, 0x80000000, 0x00000001], [0x7fff, 0x80000000, 0], [0x7fff, 0x00000000, 0x00000001],
    [0x3fff, 0x40000000, 0], [0x43fe, 0xffffffff, 0xfffff800], [0x3c00, 0x80000000, 0x00000401],
    [0x401e, 0xa0000000, 0x00000001], [0x8000, 0x00000000, 0], [0x4010, 0x9abcdef0, 0x12345678], [0x3ffe, 0xffffffff, 0xffffffff],
  ];
  m80.forEach(([se, hi, lo], i) => {
    dv.setUint32(M80 + i * 10, lo, true);
    dv.setUint32(M80 + i * 10 + 4, hi, true);
    dv.setUint16(M80 + i * 10 + 8, se, true);
  });
  [0, 1, -1, 32767, -32768, 12345, -300, 7].forEach((v, i) => dv.setInt16(I16 + i * 2, v, true));
  [0, 1, -1, 0x7fffffff, -0x80000000, 123456789, -98765, 3].forEach((v, i) => dv.setInt32(I32 + i * 4, v, true));
  [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x123456789abcdefn, -0x20000000000001n, 0x1fffffffffffffn]
    .forEach((v, i) => dv.setBigInt64(I64 + i * 8, v, true));
  const bcds = [[0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0], [0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x80],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80], [0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0]];
  bcds.forEach((b, i) => b.forEach((x, k) => (d[BCD + i * 10 + k] = x)));
  const f32 = [0, -0, 1, -1.5, Infinity, -Infinity, 3.4e38, 1e-40, 0.1, -123.25];
  f32.forEach((v, i) => dv.setFloat32(F32 + i * 4, v, true));
  dv.setUint32(F32 + 10 * 4, 0x7fc01234, true); // QNaN with payload
  dv.setUint32(F32 + 11 * 4, 0xff800001, true); // SNaN
  for (let i = 12; i < 16; i++) dv.setFloat32(F32 + i * 4, (r() / 2 ** 32 - 0.5) * 2 ** ((r() % 40) - 20), true);
  const f64 = [0, -0, 1, -1, Infinity, -Infinity, NaN, NaN, 0.5, 1 / 3, Math.PI, 2 ** 60 + 2 ** 8, -2.5, 3.5, 1e-310, 1e300];
  f64.forEach((v, i) => dv.setFloat64(F64 + i * 8, v, true));
  dv.setUint32(F64 + 6 * 8, 0x00001234, true);
  dv.setUint32(F64 + 6 * 8 + 4, 0xfff80000, true); // QNaN with payload
  dv.setUint32(F64 + 7 * 8, 0x00000001, true);
  dv.setUint32(F64 + 7 * 8 + 4, 0x7ff00000, true); // SNaN
  for (let i = 16; i < 64; i++) {
    const mant = 1 + r() / 2 ** 32 + r() / 2 ** 64;
    const sign = r() & 1 ? -1 : 1;
    dv.setFloat64(F64 + i * 8, sign * mant * 2 ** ((r() % 120) - 60), true);
  }
  for (let i = 0; i < 32; i++) dv.setUint32(MMX + i * 4, i < 4 ? [0x7fff8000, 0x80017f80, 0xffffffff, 0x00010002][i] : r(), true);
  [3, 0, 17, 40, 64, 1, 15, 31].forEach((c, i) => dv.setUint32(COUNTS + i * 8, c, true));
  dv.setUint32(COUNTS + 7 * 8 + 4, 1, true); // a count above 2^32
  [0xffff, 0x0000, 0xf0c0, 0x1e72].forEach((w, i) => dv.setUint16(ODD_CW + i * 2, w, true));
  [2 * Math.PI, 1.5 * Math.PI, 1e5 * Math.PI, 123456.789, 1048575.5, 3e6, 1e15 * Math.PI].forEach((v, i) => dv.setFloat64(TRIG + i * 8, v, true));
  // FSAVE image: TOP = 5, some flags and condition codes, R0-R4 empty, R5-R7 in use.
  dv.setUint32(IMAGE, 0xffff027f, true);
  dv.setUint32(IMAGE + 4, 0xffff2d21, true);
  dv.setUint32(IMAGE + 8, 0xffff63ff, true);
  dv.setUint32(IMAGE + 12, 0x00401234, true);
  dv.setUint32(IMAGE + 16, 0x01dd0023, true);
  dv.setUint32(IMAGE + 20, 0x00500010, true);
  dv.setUint32(IMAGE + 24, 0xffff002b, true);
  for (let i = 0; i < 8; i++) {
    const [se, hi, lo] = m80[(i * 5 + 2) % 16];
    dv.setUint32(IMAGE + 28 + i * 10, lo, true);
    dv.setUint32(IMAGE + 32 + i * 10, hi, true);
    dv.setUint16(IMAGE + 36 + i * 10, se, true);
  }
  // FXSAVE image: TOP = 6, abridged tags for R6, R7, R0 in use.
  dv.setUint16(FXIMAGE, 0x0e7f, true);
  dv.setUint16(FXIMAGE + 2, 0x3000, true);
  dv.setUint8(FXIMAGE + 4, 0xc1);
  dv.setUint32(FXIMAGE + 24, 0x1f80, true);
  for (let i = 0; i < 8; i++) {
    const [se, hi, lo] = m80[(i * 3 + 1) % 16];
    dv.setUint32(FXIMAGE + 32 + i * 16, lo, true);
    dv.setUint32(FXIMAGE + 36 + i * 16, hi, true);
    dv.setUint16(FXIMAGE + 40 + i * 16, se, true);
  }
  return d;
}

export const a = (off: number): string => `[0x${(DATA_BASE + off).toString(16)}]`;
export const cw = (k: number): string => `fldcw word ${a(CW_TABLE + k * 2)}`;
const f64 = (i: number): string => `qword ${a(F64 + i * 8)}`;
const out = (k: number): string => a(OUT + k * 16);

/** Operand indices used for arithmetic: specials, simple values and random ones (within double range on squaring). */
const ARITH_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];

export function x87Snippets(seed: number): Snippet[] {
  const r = rng(seed);
  const pick = (list: readonly number[]): number => list[r() % list.length];
  const s: Snippet[] = [];
  const ops = ['fadd', 'fmul', 'fsub', 'fsubr', 'fdiv', 'fdivr'];

  // Arithmetic, memory and register forms, all rounding modes and precisions.
  for (const op of ops) {
    for (let n = 0; n < 24; n++) {
      const x = pick(ARITH_VALUES);
      const y = pick(ARITH_VALUES);
      const k = n % 6;
      s.push({ name: `${op} m64 cw${k}`, body: `${cw(k)}\nfld ${f64(x)}\n${op} ${f64(y)}\nfst qword ${out(0)}` });
      s.push({ name: `${op} st(i) cw${k}`, body: `${cw(k)}\nfld ${f64(x)}\nfld ${f64(y)}\n${op} st1, st0\n${op} st0, st1` });
      s.push({ name: `${op}p cw${k}`, body: `${cw(k)}\nfld ${f64(x)}\nfld ${f64(y)}\n${op}p st1, st0\nfstp qword ${out(0)}` });
    }
    s.push({ name: `${op} m32`, body: `${cw(0)}\nfld ${f64(pick(ARITH_VALUES))}\n${op} dword ${a(F32 + (r() % 16) * 4)}` });
    s.push({ name: `fi${op.slice(1)} m32`, body: `${cw(0)}\nfld ${f64(pick(ARITH_VALUES))}\nfi${op.slice(1)} dword ${a(I32 + (r() % 8) * 4)}` });
    s.push({ name: `fi${op.slice(1)} m16`, body: `${cw(4)}\nfld ${f64(pick(ARITH_VALUES))}\nfi${op.slice(1)} word ${a(I16 + (r() % 8) * 2)}` });
  }
  s.push({ name: 'fsqrt', body: `${cw(0)}\nfld ${f64(pick(ARITH_VALUES))}\nfsqrt\nfld ${f64(16 + (r() % 48))}\nfabs\nfsqrt` });
  for (let k = 0; k < 4; k++) s.push({ name: `fsqrt rc${k}`, body: `${cw(k)}\nfld ${f64(17 + k)}\nfabs\nfsqrt\nfld ${f64(9)}\nfsqrt` });

  // Exact loads and stores in every format.
  for (let i = 0; i < 16; i++) {
    s.push({ name: `fld/fstp m80 #${i}`, body: `fld tword ${a(M80 + i * 10)}\nfld st0\nfstp tword ${out(0)}\nfxam\nfnstsw ax` });
    s.push({ name: `fld m80 #${i} fst m64/m32`, body: `${cw(4)}\nfld tword ${a(M80 + i * 10)}\nfst qword ${out(0)}\nfst dword ${out(1)}` });
  }
  for (let i = 0; i < 16; i++) {
    s.push({ name: `fld m32 #${i}`, body: `fld dword ${a(F32 + i * 4)}\nfst dword ${out(0)}\nfstp qword ${out(1)}` });
    s.push({ name: `fld m64 #${i}`, body: `fld ${f64(i)}\nfst qword ${out(0)}\nfst dword ${out(1)}\nfstp tword ${out(2)}` });
  }
  for (let i = 0; i < 8; i++) {
    for (let k = 0; k < 4; k++) {
      s.push({ name: `fild/fist m16 #${i} rc${k}`, body: `${cw(k)}\nfild word ${a(I16 + i * 2)}\nfist word ${out(0)}\nfld ${f64(12 + (k & 1))}\nfistp word ${out(1)}` });
      s.push({ name: `fild/fistp m32 #${i} rc${k}`, body: `${cw(k)}\nfild dword ${a(I32 + i * 4)}\nfistp dword ${out(0)}\nfld ${f64(16 + i)}\nfistp dword ${out(1)}` });
    }
    s.push({ name: `fild/fistp m64 #${i}`, body: `${cw(4)}\nfild qword ${a(I64 + i * 8)}\nfld st0\nfistp qword ${out(0)}\nfstp tword ${out(1)}` });
  }
  for (let i = 0; i < 4; i++) {
    s.push({ name: `fbld/fbstp #${i}`, body: `fbld tword ${a(BCD + i * 10)}\nfld st0\nfbstp tword ${out(0)}\nfchs\nfbstp tword ${out(1)}` });
  }
  s.push({ name: 'fbstp out of range', body: `fld ${f64(11)}\nfbstp tword ${out(0)}\nfld ${f64(12)}\nfbstp tword ${out(1)}` });
  s.push({ name: 'fist overflow', body: `fld ${f64(11)}\nfist dword ${out(0)}\nfistp word ${out(1)}\nfld ${f64(4)}\nfistp qword ${out(2)}` });

  // Constants under every rounding mode.
  for (let k = 0; k < 4; k++) {
    s.push({ name: `constants rc${k}`, body: `${cw(k)}\nfld1\nfldl2t\nfldl2e\nfldpi\nfldlg2\nfldln2\nfldz` });
  }

  // Compares, condition codes and EFLAGS.
  for (let n = 0; n < 24; n++) {
    const x = pick(ARITH_VALUES.slice(0, 14));
    const y = pick(ARITH_VALUES.slice(0, 14));
    s.push({ name: `fcom family ${x},${y}`, body: `fld ${f64(y)}\nfld ${f64(x)}\nfcom st1\nfnstsw ax\nmov [${DATA_BASE + OUT}], ax\nfucom st1\nfnstsw ax\nmov [${DATA_BASE + OUT + 2}], ax\nfcom ${f64(y)}\nfnstsw ax\nmov [${DATA_BASE + OUT + 4}], ax\nfucomp st1\nfnstsw ax` });
    s.push({ name: `fcomi ${x},${y}`, body: `fld ${f64(y)}\nfld ${f64(x)}\nfcomi st1\nfucomip st1` });
    s.push({ name: `ftst/fxam ${x}`, body: `fld ${f64(x)}\nftst\nfnstsw ax\nmov [${DATA_BASE + OUT}], ax\nfxam` });
  }
  s.push({ name: 'fcompp', body: `fld1\nfldz\nfcompp\nfnstsw ax` });
  s.push({ name: 'fucompp nan', body: `fld ${f64(6)}\nfldz\nfucompp\nfnstsw ax` });
  s.push({ name: 'ficom', body: `fld ${f64(2)}\nficom dword ${a(I32 + 4)}\nfnstsw ax\nmov [${DATA_BASE + OUT}], ax\nficomp word ${a(I16 + 2)}\nfnstsw ax` });
  for (let cc = 0; cc < 8; cc++) {
    const names = ['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu', 'fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'];
    s.push({ name: names[cc], body: `fld1\nfldpi\n${names[cc]} st0, st1\nfldz\n${names[cc]} st0, st2` });
  }

  // Other operations on the stack.
  for (let n = 0; n < 8; n++) {
    const x = pick(ARITH_VALUES);
    const y = 16 + (r() % 48);
    s.push({ name: `frndint ${x} rc${n & 3}`, body: `${cw(n & 3)}\nfld ${f64(x)}\nfrndint\nfld ${f64(y)}\nfrndint\nfld ${f64(12)}\nfrndint` });
    s.push({ name: `fxtract ${y}`, body: `fld ${f64(y)}\nfxtract\nfld tword ${a(M80 + (n + 2) * 10 % 160)}\nfxtract` });
    s.push({ name: `fscale ${x}`, body: `fld ${f64(12 + (n & 1))}\nfld ${f64(x)}\nfscale` });
    s.push({ name: `fprem ${y}`, body: `fld ${f64(16 + (r() % 48))}\nfabs\nfld ${f64(y)}\nfprem\nfnstsw ax\nfstp qword ${out(0)}\nfld ${f64(16 + (r() % 48))}\nfld ${f64(y)}\nfprem1` });
    s.push({ name: `fabs/fchs ${x}`, body: `fld ${f64(x)}\nfabs\nfld ${f64(x)}\nfchs\nfld tword ${a(M80 + n * 10)}\nfchs` });
  }
  s.push({ name: 'fprem big quotient', body: `fld ${f64(9)}\nfld ${f64(15)}\nfprem\nfnstsw ax` });

  // Transcendentals, compared with a tolerance.
  const tr = ['fsin', 'fcos', 'f2xm1'];
  for (let n = 0; n < 18; n++) {
    const op = tr[n % 3];
    // F2XM1 is defined for |x| <= 1 only.
    const x = op === 'f2xm1' ? [2, 3, 8, 9, 0, 1][n % 6] : [8, 9, 10, 11, 12, 13, 16, 17, 2][n % 9];
    s.push({ name: `${op} ${x}`, body: `fld ${f64(x)}\n${op}\nfst qword ${out(0)}`, tolerance: 1e-13, approxSlots: [OUT] });
  }
  for (let i = 0; i < 7; i++) {
    for (const op of ['fsin', 'fcos']) {
      s.push({ name: `${op} trig #${i}`, body: `fld qword ${a(TRIG + i * 8)}\n${op}\nfst qword ${out(0)}`, tolerance: 1e-13, approxSlots: [OUT] });
    }
    s.push({ name: `fptan trig #${i}`, body: `fld qword ${a(TRIG + i * 8)}\nfptan\nfstp qword ${out(0)}\nfst qword ${out(1)}`, tolerance: 1e-13, approxSlots: [OUT, OUT + 16] });
  }
  for (let n = 0; n < 8; n++) {
    const x = 16 + (r() % 48);
    const y = 16 + (r() % 48);
    s.push({ name: `fpatan ${x},${y}`, body: `fld ${f64(y)}\nfld ${f64(x)}\nfpatan\nfst qword ${out(0)}`, tolerance: 1e-13, approxSlots: [OUT] });
    s.push({ name: `fyl2x ${x},${y}`, body: `fld ${f64(y)}\nfld ${f64(x)}\nfabs\nfyl2x\nfst qword ${out(0)}`, tolerance: 1e-13, approxSlots: [OUT] });
    s.push({ name: `fyl2xp1 ${y}`, body: `fld ${f64(y)}\nfld ${f64(9)}\nfyl2xp1\nfst qword ${out(0)}`, tolerance: 1e-13, approxSlots: [OUT] });
    s.push({ name: `fptan ${x}`, body: `fld ${f64(x)}\nfptan\nfstp qword ${out(0)}\nfst qword ${out(1)}`, tolerance: 1e-13, approxSlots: [OUT, OUT + 16] });
    s.push({ name: `fsincos ${x}`, body: `fld ${f64(x)}\nfsincos\nfstp qword ${out(0)}\nfst qword ${out(1)}`, tolerance: 1e-13, approxSlots: [OUT, OUT + 16] });
  }

  // The extended exponent range: squaring up to overflow and down into denormals, large FSCALE, stores out of range.
  for (let k = 0; k < 5; k++) {
    s.push({ name: `overflow by squaring cw${k}`, body: `${cw(k)}\nfld tword ${a(M80 + 100)}\nfmul st0, st0\nfmul st0, st0\nfmul st0, st0\nfld st0\nfmul st0, st0\nfmul st0, st0\nfst qword ${out(0)}\nfst dword ${out(1)}` });
    s.push({ name: `underflow by squaring cw${k}`, body: `${cw(k)}\nfld tword ${a(M80 + 110)}\nfmul st0, st0\nfmul st0, st0\nfmul st0, st0\nfld st0\nfmul st0, st0\nfld st0\nfmul qword ${f64(9)}\nfst qword ${out(0)}\nfdiv qword ${f64(11)}\nfld st2\nfsqrt` });
    s.push({ name: `fscale extremes cw${k}`, body: `${cw(k)}\nfild word ${a(I16 + 6)}\nfld1\nfscale\nfild word ${a(I16 + 8)}\nfldpi\nfscale\nfild word ${a(I16 + 10)}\nfldl2e\nfscale\nfprem\nfnstsw ${a(OUT)}` });
  }

  // Stack faults, exceptions, #MF on the next waiting instruction.
  s.push({ name: 'stack overflow', body: 'fld1\nfld1\nfld1\nfld1\nfld1\nfld1\nfld1\nfld1\nfldpi' });
  s.push({ name: 'stack underflow', body: 'fld1\nfstp st0\nfadd st0, st1\nfstp qword ' + out(0) });
  s.push({ name: 'fxch empty', body: 'fld1\nfxch st3' });
  s.push({ name: 'ffree/fincstp/fdecstp', body: 'fld1\nfldpi\nffree st1\nfincstp\nfdecstp\nfdecstp' });
  // Every exception unmasked (CW 0xf0c0, PC = 24): aborting ones (IE, DE, ZE) leave the destination alone,
  // PE delivers the result; ES is set and the next waiting instruction raises #MF.
  const allUnmasked = `fldcw word ${a(ODD_CW + 4)}`;
  s.push({ name: 'unmasked PE', body: `fld1\nfld ${f64(9)}\n${allUnmasked}\nfadd st0, st1\nfnstsw ${a(OUT)}\nfwait` });
  s.push({ name: 'unmasked ZE', body: `fld1\nfldz\n${allUnmasked}\nfdivr st0, st1\nfnstsw ${a(OUT)}\nfnclex\nfdivp st1, st0\nfnstsw ${a(OUT + 2)}\nfld1` });
  s.push({ name: 'unmasked IE sqrt', body: `fld1\nfchs\n${allUnmasked}\nfsqrt\nfnstsw ${a(OUT)}\nfnclex\nfst dword ${a(OUT + 4)}` });
  s.push({ name: 'unmasked DE', body: `fld1\nfld tword ${a(M80 + 30)}\n${allUnmasked}\nfadd st0, st1\nfnstsw ${a(OUT)}\nfnclex\nfmul qword ${a(F64 + 8 * 14)}\nfnstsw ${a(OUT + 2)}\nfnclex` });
  s.push({ name: 'unmasked OE wraps the exponent', body: `fld tword ${a(M80 + 100)}\nfmul st0, st0\nfmul st0, st0\nfmul st0, st0\nfmul st0, st0\nfnclex\n${allUnmasked}\nfmul st0, st0\nfnstsw ${a(OUT)}\nfnclex\nfld tword ${a(M80 + 100)}\nfld1\nfscale\nfnstsw ${a(OUT + 2)}\nfnclex` });
  s.push({ name: 'unmasked UE wraps the exponent', body: `fld tword ${a(M80 + 110)}\nfmul st0, st0\nfmul st0, st0\nfmul st0, st0\nfmul st0, st0\nfnclex\n${allUnmasked}\nfmul st0, st0\nfnstsw ${a(OUT)}\nfnclex\nfld1\nfild word ${a(I16 + 8)}\nfxch st1\nfscale\nfnstsw ${a(OUT + 2)}\nfnclex` });
  s.push({ name: 'unmasked stack overflow', body: `${allUnmasked}\nfld1\nfld1\nfld1\nfld1\nfld1\nfld1\nfld1\nfld1\nfldz\nfnstsw ${a(OUT)}\nfwait` });
  s.push({ name: 'unmasked IE on FIST', body: `fld ${f64(11)}\n${allUnmasked}\nfistp dword ${a(OUT)}\nfnstsw ${a(OUT + 4)}\nfnclex\nfist word ${a(OUT + 8)}` });
  s.push({ name: 'unmasked IE then #MF', body: `${cw(6)}\nfldz\nfldz\nfdiv st0, st1\nfnstsw ax\nmov [${DATA_BASE + OUT}], ax\nfld1` });
  s.push({ name: 'unmasked ZE then #MF', body: `${cw(7)}\nfld1\nfldz\nfdivp st1, st0\nfnstsw ax\nmov [${DATA_BASE + OUT}], ax\nfwait` });
  s.push({ name: 'fnclex clears ES', body: `${cw(7)}\nfld1\nfldz\nfdivp st1, st0\nfnclex\nfld1` });
  s.push({ name: 'snan load', body: `fld ${f64(7)}\nfld dword ${a(F32 + 44)}\nfnstsw ax` });
  s.push({ name: 'denormal operand', body: `fld tword ${a(M80 + 30)}\nfld1\nfadd st0, st1\nfnstsw ax` });
  s.push({ name: 'fnstcw/fldcw', body: `fnstcw ${a(OUT)}\n${cw(3)}\nfnstcw ${a(OUT + 2)}` });
  for (let i = 0; i < 4; i++) {
    s.push({ name: `fldcw reserved bits #${i}`, body: `fldcw ${a(ODD_CW + i * 2)}\nfnstcw ${a(OUT)}\nfninit` });
  }

  // Environment images (FCS/FDS/FIP/FDP are masked where modern hosts deprecate them).
  const envSelectors: [number, number][] = [[OUT + 16, 2], [OUT + 24, 2]];
  s.push({ name: 'fnstenv', body: `${cw(0)}\nfld1\nfldpi\nfadd st0, st1\nfnstenv ${a(OUT)}\nfld1`, selectorFields: envSelectors });
  s.push({ name: 'fnsave/frstor', body: `fld1\nfldpi\nfld tword ${a(M80 + 50)}\nfnsave ${a(OUT)}\nfld1\nfrstor ${a(OUT)}\nfmul st0, st0`, selectorFields: envSelectors });
  // FXSAVE's FOP/FIP/FCS/FDP/FDS: modern Intel hosts save FOP only with an exception pending, AMD hosts
  // save none of them unless ES is set; the P6 always saves them. Compared in the FNSTENV/FNSAVE images instead.
  // MXCSR and MXCSR_MASK (bytes 24-31) belong to the host's SSE unit.
  s.push({ name: 'fxsave/fxrstor', body: `fld1\nfld tword ${a(M80 + 60)}\nfxsave ${a(OUT + 0x100)}\nfninit\nfxrstor ${a(OUT + 0x100)}`,
    ignoreData: [[OUT + 0x106, 26]] });
  s.push({ name: 'frstor hand-made image', body: `frstor ${a(IMAGE)}\nfnsave ${a(OUT)}\nfrstor ${a(OUT)}\nfxam\nfnstsw ax\nfld st1`, selectorFields: envSelectors });
  s.push({ name: 'fldenv hand-made image', body: `fld1\nfldpi\nfldenv ${a(IMAGE)}\nfnstenv ${a(OUT)}`, selectorFields: envSelectors });
  s.push({ name: 'fxrstor hand-made image', body: `fxrstor ${a(FXIMAGE)}\nfnsave ${a(OUT)}\nfrstor ${a(OUT)}`, selectorFields: envSelectors });
  // 16-bit (operand-size prefix) protected-mode images: 14-byte environment.
  const env16: [number, number][] = [[OUT + 8, 2], [OUT + 12, 2]];
  s.push({ name: 'o16 fnstenv', body: `${cw(0)}\nfld1\nfldpi\nfadd st0, st1\no16 fnstenv ${a(OUT)}\nfld1`, selectorFields: env16 });
  s.push({ name: 'o16 fnsave/frstor', body: `${cw(0)}\nfld1\nfld tword ${a(M80 + 20)}\no16 fnsave ${a(OUT)}\nfldpi\no16 frstor ${a(OUT)}\nfadd st0, st1`, selectorFields: env16 });
  s.push({ name: 'o16 fldenv', body: `fld1\no16 fnstenv ${a(OUT)}\nfld1\nfld1\no16 fldenv ${a(OUT)}`, selectorFields: env16 });
  s.push({ name: 'fldenv', body: `fld1\nfnstenv ${a(OUT)}\nfld1\nfld1\nfldenv ${a(OUT)}`, selectorFields: envSelectors });

  // MMX.
  const mmxOps = ['paddb', 'paddw', 'paddd', 'paddsb', 'paddsw', 'paddusb', 'paddusw', 'psubb', 'psubw', 'psubd',
    'psubsb', 'psubsw', 'psubusb', 'psubusw', 'pmullw', 'pmulhw', 'pmaddwd', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd',
    'pcmpgtb', 'pcmpgtw', 'pcmpgtd', 'packsswb', 'packssdw', 'packuswb', 'punpcklbw', 'punpcklwd', 'punpckldq',
    'punpckhbw', 'punpckhwd', 'punpckhdq', 'pand', 'pandn', 'por', 'pxor', 'psllw', 'pslld', 'psllq', 'psrlw',
    'psrld', 'psrlq', 'psraw', 'psrad'];
  for (const op of mmxOps) {
    for (let n = 0; n < 3; n++) {
      const p = r() % 16;
      const q = n === 0 ? (p + 1) % 16 : r() % 16;
      const shiftOp = /^ps(ll|rl|ra)/.test(op);
      const src = shiftOp ? `qword ${a(COUNTS + 8 * (r() % 8))}` : `qword ${a(MMX + q * 8)}`;
      s.push({ name: `${op} #${n}`, body: `movq mm0, qword ${a(MMX + p * 8)}\nmovq mm1, qword ${a(MMX + q * 8)}\n${op} mm0, mm1\nmovq mm2, mm1\n${op} mm2, ${src}\nmovq ${a(OUT)}, mm0` });
    }
  }
  for (const op of ['psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad']) {
    for (const c of [0, 1, 7, 15, 16, 31, 33, 63, 64, 200]) {
      s.push({ name: `${op} imm ${c}`, body: `movq mm3, qword ${a(MMX + 8 * (c % 16))}\n${op} mm3, ${c}` });
    }
  }
  s.push({ name: 'movd', body: `movd mm4, eax\nmovd mm5, ${a(MMX)}\nmovd ecx, mm5\nmovd ${a(OUT)}, mm4\npaddd mm4, mm5` });
  s.push({ name: 'emms', body: `fld1\nmovq mm0, ${a(MMX)}\nemms\nfld1` });
  s.push({ name: 'mmx after x87', body: `fld1\nfldpi\nmovq mm1, ${a(MMX)}\nfnstsw ax\nfnstenv ${a(OUT)}`, selectorFields: envSelectors });
  return s;
}
