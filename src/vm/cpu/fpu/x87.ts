// The x87 floating-point unit of a P6-class CPU (and, through mmx.ts, the MMX unit that
// shares its registers). The CPU decodes D8-DF, checks CR0.EM/TS/MP and pending errors,
// and calls execute() with the operand's linear address.
//
// Register representation: each of the 8 physical registers holds its exact 80-bit
// encoding (`se` sign+exponent, `hi`/`lo` significand, valid where `exact` is 1) and the
// nearest double (`st`). FADD/FSUB/FMUL/FDIV (all forms), FSQRT, FPREM/FPREM1, FSCALE,
// FRNDINT, FXTRACT, the integer/BCD conversions and the stores to single and double are computed
// on the exact values (extended-arith.ts), rounded once at the precision control in the
// current rounding mode over the full extended exponent range: bit for bit what the
// hardware produces. The transcendentals compute in double precision from `st` (results
// correct to double precision; values outside the double range saturate there).
// Loads and stores of the 80-bit format, FXCH/FLD ST(i)/FST ST(i), FCHS/FABS, FSAVE/FRSTOR
// and MMX move bits exactly (NaN payloads, denormals, pseudo-values included). Slot 8 holds
// the memory operand of the current instruction, so memory and register forms share one
// code path.

import type { EflagsAccess, FpuMemory } from './fpu-memory.js';
import {
  F80_DENORMAL, F80_INFINITY, F80_NORMAL, F80_QNAN, F80_SNAN, F80_UNSUPPORTED, F80_ZERO,
  RC_CHOP, RC_DOWN, RC_UP, TOINT_INEXACT, TOINT_OVERFLOW, TOINT_ROUNDED_UP,
  classifyF80, doubleToF80, f32BitsToDouble, f32BitsToF80, f64BitsToDouble, f64BitsToF80,
  f80NanToF32Bits, f80NanToF64Bits, f80ToDouble, f80ToInt64, int64ToF80,
} from './float80.js';
import { BCD_LIMIT, bcdToBigInt, bigIntToBcd } from './packed-bcd.js';
import { fldenv, frstor, fsave, fstenv, fxrstor, fxsave } from './x87-images.js';
import { executeMmx } from './mmx.js';
import {
  XF_INEXACT, XF_OVERFLOW, XF_ROUNDED_UP, XF_UNDERFLOW, addExtended, divExtended, extendedFormat,
  extendedToDouble, extendedToSingle, mulExtended, remainderExtended, remainderPartial, remainderQuotient,
  result as xResult, resultFlags as xFlags, scaleExtended, setExtendedTraps, sqrtExtended,
} from './extended-arith.js';
import { DOUBLE_FIELD } from '../../machine/double-field.js';

// Status word bits.
export const SW_IE = 0x0001;
export const SW_DE = 0x0002;
export const SW_ZE = 0x0004;
export const SW_OE = 0x0008;
export const SW_UE = 0x0010;
export const SW_PE = 0x0020;
export const SW_SF = 0x0040;
export const SW_ES = 0x0080;
export const SW_C0 = 0x0100;
export const SW_C1 = 0x0200;
export const SW_C2 = 0x0400;
export const SW_C3 = 0x4000;
export const SW_B = 0x8000;
const SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;
const SW_TOP = 0x3800;

const MEM = 8;
const MIN_NORMAL = 2 ** -1022;

// EFLAGS bits FCOMI and FCMOVcc use.
const CF = 0x0001;
const PF = 0x0004;
const AF = 0x0010;
const ZF = 0x0040;
const SF = 0x0080;
const OF = 0x0800;

/** exactArith outcomes. */
const EXACT_NOT_HANDLED = 0;
const EXACT_DONE = 1;
const EXACT_ABORTED = 2;

/** Comparison outcomes. */
const CMP_GT = 0;
const CMP_LT = 1;
const CMP_EQ = 2;
const CMP_UN = 3;

/** Holds EFLAGS for an X87 used without a CPU (unit tests). */
class StandaloneEflags implements EflagsAccess {
  private v = 2;
  getEflags(): number { return this.v; }
  setEflags(v: number): void { this.v = v; }
}

/** The exact bits of the x87 constants (FLDPI …), rounded to nearest; `roundsUp` marks those whose nearest rounding went up. */
const CONSTANTS: readonly (readonly [number, number, number, boolean])[] = [
  [0x3fff, 0x80000000, 0x00000000, false], // 1
  [0x4000, 0xd49a784b, 0xcd1b8afe, false], // log2(10)
  [0x3fff, 0xb8aa3b29, 0x5c17f0bc, true], // log2(e)
  [0x4000, 0xc90fdaa2, 0x2168c235, true], // pi
  [0x3ffd, 0x9a209a84, 0xfbcff799, true], // log10(2)
  [0x3ffe, 0xb17217f7, 0xd1cf79ac, true], // ln(2)
  [0x0000, 0x00000000, 0x00000000, false], // +0
];

export class X87 {
  /** Per slot 0-7 (physical registers) and 8 (memory operand): the value as a double. */
  readonly st = new Float64Array(9);
  /** Exact 80-bit encoding, valid where `exact` is 1. */
  readonly se = new Uint32Array(9);
  readonly hi = new Uint32Array(9);
  readonly lo = new Uint32Array(9);
  readonly exact = new Uint8Array(9);
  /** Tag "empty" per physical register (the full tag is derived from the contents). */
  readonly empty = new Uint8Array(9);
  top = 0;
  cw = 0x0040;
  /** Status word without TOP (bits 11-13 live in `top`). */
  sw = 0;
  fip = DOUBLE_FIELD;
  fcs = 0;
  fdp = DOUBLE_FIELD;
  fds = 0;
  /** Last non-control opcode: 11 bits, ((first byte & 7) << 8) | ModRM. */
  fop = 0;
  mxcsr = 0x1f80;
  eflags: EflagsAccess;

  /** Scratch for conversions: [signExp, hi, lo]. */
  private readonly tmp = new Uint32Array(3);
  /** Scratch for m80 and BCD images. */
  private readonly bytes10 = new Uint8Array(10);
  /** Exceptions raised by the instruction in progress, committed by flush(). */
  private exc = 0;

  constructor(eflags?: EflagsAccess) {
    this.eflags = eflags ?? new StandaloneEflags();
    this.reset();
  }

  /** Power-on state (SDM vol. 3, table 9-1): CW 0x0040, SW 0, registers +0 tagged zero (TW 0x5555). */
  reset(): void {
    this.init();
    this.cw = 0x0040;
    this.mxcsr = 0x1f80;
    this.st.fill(0);
    this.se.fill(0);
    this.hi.fill(0);
    this.lo.fill(0);
    this.exact.fill(1);
    this.empty.fill(0, 0, 8);
  }

  /** FNINIT: registers keep their contents but are tagged empty. */
  init(): void {
    this.cw = 0x037f;
    this.sw = 0;
    this.top = 0;
    this.empty.fill(1, 0, 8);
    this.fip = this.fcs = this.fdp = this.fds = this.fop = 0;
  }

  get errorPending(): boolean {
    return (this.sw & SW_ES) !== 0;
  }

  get controlWord(): number {
    return this.cw;
  }
  set controlWord(v: number) {
    this.cw = (v & 0x1f7f) | 0x0040;
    this.updateErrorSummary();
  }

  get statusWord(): number {
    return (this.sw & ~SW_TOP) | (this.top << 11);
  }
  set statusWord(v: number) {
    this.sw = v & 0xffff & ~SW_TOP;
    this.top = (v >>> 11) & 7;
  }

  /** Full tag word: 00 valid, 01 zero, 10 special, 11 empty, per physical register. */
  get tagWord(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) t |= this.tagOf(p) << (p * 2);
    return t;
  }
  set tagWord(v: number) {
    for (let p = 0; p < 8; p++) this.empty[p] = ((v >>> (p * 2)) & 3) === 3 ? 1 : 0;
  }

  tagOf(p: number): number {
    if (this.empty[p]) return 3;
    const c = this.classOf(p);
    if (c === F80_NORMAL) return 0;
    return c === F80_ZERO ? 1 : 2;
  }

  /** ES and B follow the unmasked pending exceptions (after FLDCW, FLDENV, FRSTOR). */
  updateErrorSummary(): void {
    if (this.sw & ~this.cw & 0x3f) this.sw |= SW_ES | SW_B;
    else this.sw &= ~(SW_ES | SW_B);
  }

  /** The value of ST(i) as a double (NaN for NaNs and unsupported encodings); for monitors and tests. */
  stValue(i: number): number {
    return this.st[(this.top + i) & 7];
  }

  /** Makes the exact 80-bit encoding of slot p available in se/hi/lo. */
  ensureRaw(p: number): void {
    if (this.exact[p]) return;
    doubleToF80(this.st[p], this.tmp);
    this.se[p] = this.tmp[0];
    this.hi[p] = this.tmp[1];
    this.lo[p] = this.tmp[2];
    this.exact[p] = 1;
  }

  classOf(p: number): number {
    this.ensureRaw(p);
    return classifyF80(this.se[p], this.hi[p], this.lo[p]);
  }

  setRaw(p: number, se: number, hi: number, lo: number): void {
    this.se[p] = se;
    this.hi[p] = hi >>> 0;
    this.lo[p] = lo >>> 0;
    this.exact[p] = 1;
    this.empty[p] = 0;
    this.st[p] = f80ToDouble(se, this.hi[p], this.lo[p]);
  }

  private setDouble(p: number, v: number): void {
    if (v !== v) {
      this.setIndefinite(p);
      return;
    }
    this.st[p] = v;
    this.exact[p] = 0;
    this.empty[p] = 0;
  }

  private setIndefinite(p: number): void {
    this.setRaw(p, 0xffff, 0xc0000000, 0);
  }

  private copySlot(d: number, s: number): void {
    this.st[d] = this.st[s];
    this.se[d] = this.se[s];
    this.hi[d] = this.hi[s];
    this.lo[d] = this.lo[s];
    this.exact[d] = this.exact[s];
    this.empty[d] = this.empty[s];
  }

  private phys(i: number): number {
    return (this.top + i) & 7;
  }

  private pop(): void {
    this.empty[this.top] = 1;
    this.top = (this.top + 1) & 7;
  }

  /** Commits the instruction's exceptions; ES and B when any is unmasked. */
  private flush(): void {
    const e = this.exc;
    if (e === 0) return;
    this.exc = 0;
    this.sw |= e;
    if (e & ~this.cw & 0x3f) this.sw |= SW_ES | SW_B;
  }

  /** True when an exception in `flags` raised so far is unmasked: the instruction must not write its destination. */
  private aborts(flags: number): boolean {
    return (this.exc & flags & ~this.cw & 0x3f) !== 0;
  }

  private setC1(on: boolean): void {
    if (on) this.sw |= SW_C1;
    else this.sw &= ~SW_C1;
  }

  /** Stack underflow (reading an empty register). Returns true when unmasked (instruction aborts). */
  private underflow(): boolean {
    this.exc |= SW_IE | SW_SF;
    this.sw &= ~SW_C1;
    const abort = this.aborts(SW_IE);
    this.flush();
    return abort;
  }

  /** Pushes a slot's value. On overflow (ST(7) in use) pushes the indefinite when masked; aborts otherwise. */
  private push(src: number): void {
    const t = (this.top - 1) & 7;
    if (!this.empty[t]) {
      this.exc |= SW_IE | SW_SF;
      this.sw |= SW_C1;
      if (this.aborts(SW_IE)) return;
      this.top = t;
      this.setIndefinite(t);
      return;
    }
    this.top = t;
    this.copySlot(t, src);
    this.empty[t] = 0;
    this.sw &= ~SW_C1;
  }

  private pushDouble(v: number): void {
    this.setDouble(MEM, v);
    this.push(MEM);
  }

  /**
   * Finite operands that need rounding (not zero · y, 0 / y, x / 0, which the double path
   * gets exactly): computes d ← d op s on the exact 80-bit values, rounded once at the
   * precision control. Returns EXACT_NOT_HANDLED to leave the operation to the double path.
   */
  private exactArith(op: number, d: number, s: number): number {
    this.ensureRaw(d);
    this.ensureRaw(s);
    const dse = this.se[d], dhi = this.hi[d], dlo = this.lo[d];
    const sse = this.se[s], shi = this.hi[s], slo = this.lo[s];
    if ((dse & 0x7fff) === 0x7fff || (sse & 0x7fff) === 0x7fff) return EXACT_NOT_HANDLED; // infinities
    const dZero = (dhi | dlo) === 0;
    const sZero = (shi | slo) === 0;
    const f = extendedFormat((this.cw >>> 8) & 3);
    const rc = this.rc;
    setExtendedTraps(~this.cw);
    if ((op === 6 && sZero && !dZero) || (op === 7 && dZero && !sZero)) {
      // A finite non-zero value (of any exponent) divided by zero.
      this.exc |= SW_ZE;
      if (this.aborts(SW_ZE)) return EXACT_ABORTED;
      this.sw &= ~SW_C1;
      this.setRaw(d, ((dse ^ sse) & 0x8000) | 0x7fff, 0x80000000, 0);
      return EXACT_DONE;
    }
    if (op === 6 || op === 7 ? dZero && sZero : false) return EXACT_NOT_HANDLED; // 0/0: invalid, on the double path
    const zeroSign = (dse ^ sse) & 0x8000;
    switch (op) {
      case 0: case 4: case 5: {
        // d + s, d − s or s − d, with the subtrahend's sign flipped.
        const ase = op === 5 ? sse : dse;
        const ahi = op === 5 ? shi : dhi;
        const alo = op === 5 ? slo : dlo;
        const bse = (op === 5 ? dse : sse) ^ (op === 0 ? 0 : 0x8000);
        const bhi = op === 5 ? dhi : shi;
        const blo = op === 5 ? dlo : slo;
        if (dZero && sZero) {
          // Zeros of one sign keep it; opposite signs give +0, or −0 rounding down.
          const sum = (ase & 0x8000) === (bse & 0x8000) ? ase & 0x8000 : rc === RC_DOWN ? 0x8000 : 0;
          this.sw &= ~SW_C1;
          this.setRaw(d, sum, 0, 0);
          return EXACT_DONE;
        }
        addExtended(ase, ahi, alo, bse, bhi, blo, f, rc);
        break;
      }
      case 1:
        if (dZero || sZero) {
          this.sw &= ~SW_C1;
          this.setRaw(d, zeroSign, 0, 0);
          return EXACT_DONE;
        }
        mulExtended(dse, dhi, dlo, sse, shi, slo, f, rc);
        break;
      case 6:
        if (dZero) { this.sw &= ~SW_C1; this.setRaw(d, zeroSign, 0, 0); return EXACT_DONE; }
        divExtended(dse, dhi, dlo, sse, shi, slo, f, rc);
        break;
      default:
        if (sZero) { this.sw &= ~SW_C1; this.setRaw(d, zeroSign, 0, 0); return EXACT_DONE; }
        divExtended(sse, shi, slo, dse, dhi, dlo, f, rc);
        break;
    }
    const fl = xFlags;
    if (fl & XF_INEXACT) this.exc |= SW_PE;
    if (fl & XF_UNDERFLOW) this.exc |= SW_UE;
    if (fl & XF_OVERFLOW) this.exc |= SW_OE;
    this.setC1((fl & XF_ROUNDED_UP) !== 0);
    this.setRaw(d, xResult[0], xResult[1], xResult[2]);
    return EXACT_DONE;
  }

  private finiteNonZero(p: number): boolean {
    const c = this.classOf(p);
    return c === F80_NORMAL || c === F80_DENORMAL;
  }

  private isDenormal(p: number): boolean {
    return this.exact[p] === 1 && (this.se[p] & 0x7fff) === 0 && (this.hi[p] | this.lo[p]) !== 0;
  }

  private get rc(): number {
    return (this.cw >>> 10) & 3;
  }

  // ---- memory operands -------------------------------------------------------------

  private loadF32(linear: number, mem: FpuMemory): void {
    const bits = mem.read32(linear) >>> 0;
    if ((bits & 0x7f800000) === 0x7f800000) {
      f32BitsToF80(bits, this.tmp);
      this.setRaw(MEM, this.tmp[0], this.tmp[1], this.tmp[2]);
      return;
    }
    if ((bits & 0x7f800000) === 0 && (bits & 0x7fffff) !== 0) this.exc |= SW_DE;
    this.setDouble(MEM, f32BitsToDouble(bits));
  }

  private loadF64(linear: number, mem: FpuMemory): void {
    const wlo = mem.read32(linear) >>> 0;
    const whi = mem.read32(linear + 4) >>> 0;
    if ((whi & 0x7ff00000) === 0x7ff00000) {
      f64BitsToF80(whi, wlo, this.tmp);
      this.setRaw(MEM, this.tmp[0], this.tmp[1], this.tmp[2]);
      return;
    }
    if ((whi & 0x7ff00000) === 0 && ((whi & 0xfffff) | wlo) !== 0) this.exc |= SW_DE;
    this.setDouble(MEM, f64BitsToDouble(whi, wlo));
  }

  private loadF80(linear: number, mem: FpuMemory): void {
    const lo = mem.read32(linear);
    const hi = mem.read32(linear + 4);
    const se = mem.read16(linear + 8);
    this.setRaw(MEM, se & 0xffff, hi, lo);
  }

  private loadInt(linear: number, mem: FpuMemory, size: number): void {
    if (size === 2) this.setDouble(MEM, (mem.read16(linear) << 16) >> 16);
    else if (size === 4) this.setDouble(MEM, mem.read32(linear) | 0);
    else {
      const lo = mem.read32(linear) >>> 0;
      const hi = mem.read32(linear + 4) | 0;
      if (hi >= -0x200000 && hi < 0x200000) this.setDouble(MEM, hi * 4294967296 + lo);
      else {
        int64ToF80(hi, lo, this.tmp);
        this.setRaw(MEM, this.tmp[0], this.tmp[1], this.tmp[2]);
      }
    }
  }

  /** Loads the memory operand of D8/DA/DC/DE arithmetic into slot 8. */
  private loadArithOperand(opcode: number, linear: number, mem: FpuMemory): void {
    if (opcode === 0xd8) this.loadF32(linear, mem);
    else if (opcode === 0xdc) this.loadF64(linear, mem);
    else this.loadInt(linear, mem, opcode === 0xda ? 4 : 2);
  }

  // ---- arithmetic ---------------------------------------------------------------------

  /** dst ← dst op src for op = ModRM reg: 0 add, 1 mul, 4 dst−src, 5 src−dst, 6 dst/src, 7 src/dst. */
  private arith(op: number, d: number, s: number, pop: boolean): void {
    if (this.empty[d] || this.empty[s]) {
      this.exc &= ~SW_DE; // a stack fault takes precedence over a denormal memory operand
      if (this.underflow()) return;
      this.setIndefinite(d);
      if (pop) this.pop();
      return;
    }
    const x = this.st[d];
    const y = this.st[s];
    if (x !== x || y !== y) {
      this.exc &= ~SW_DE; // NaN operands are handled before denormal ones
      if (this.nanResult(d, s, d)) return;
    } else {
      if (this.isDenormal(d) || this.isDenormal(s)) this.exc |= SW_DE;
      // Division of a denormal by zero reports only the zero divide (as the hardware does).
      if ((op === 6 && y === 0 && x !== 0) || (op === 7 && x === 0 && y !== 0)) this.exc &= ~SW_DE;
      if (this.aborts(SW_DE)) {
        this.flush();
        return;
      }
      const handled = this.exactArith(op, d, s);
      if (handled !== EXACT_NOT_HANDLED) {
        if (pop && handled === EXACT_DONE) this.pop();
        this.flush();
        return;
      }
      const r = this.compute(op, x, y);
      if (this.aborts(SW_IE | SW_ZE)) {
        this.flush();
        return;
      }
      this.setDouble(d, r);
    }
    if (pop) this.pop();
    this.flush();
  }

  /**
   * NaN or unsupported operands: IE for SNaN/unsupported; the masked result (larger
   * significand NaN, quieted, or the indefinite) goes to `d`. Returns true when aborted.
   */
  private nanResult(a: number, b: number, d: number): boolean {
    const ca = this.classOf(a);
    const cb = this.classOf(b);
    if (ca === F80_SNAN || cb === F80_SNAN || ca === F80_UNSUPPORTED || cb === F80_UNSUPPORTED) this.exc |= SW_IE;
    if (this.aborts(SW_IE)) {
      this.flush();
      return true;
    }
    this.sw &= ~SW_C1;
    if (ca === F80_UNSUPPORTED || cb === F80_UNSUPPORTED) {
      this.setIndefinite(d);
      return false;
    }
    const aNan = ca === F80_QNAN || ca === F80_SNAN;
    const bNan = cb === F80_QNAN || cb === F80_SNAN;
    let src = aNan ? a : b;
    if (aNan && bNan) {
      if (ca !== cb) {
        // An SNaN and a QNaN: the QNaN wins.
        src = ca === F80_QNAN ? a : b;
      } else {
        // The larger significand wins (quiet bit aside); on a tie, the positive one.
        const ha = this.hi[a] | 0x40000000;
        const hb = this.hi[b] | 0x40000000;
        const la = this.lo[a];
        const lb = this.lo[b];
        if (hb > ha || (hb === ha && (lb > la || (lb === la && (this.se[a] & 0x8000) !== 0)))) src = b;
      }
    }
    this.setRaw(d, this.se[src], this.hi[src] | 0x40000000, this.lo[src]);
    return false;
  }

  /**
   * Arithmetic the exact path leaves here: an infinite operand, or 0/0. The results are
   * exact (an infinity or a signed zero) or the invalid operation.
   */
  private compute(op: number, x: number, y: number): number {
    let r: number;
    switch (op) {
      case 0: r = x + y; break;
      case 1: r = x * y; break;
      case 4: r = x - y; break;
      case 5: r = y - x; break;
      case 6: r = x / y; break;
      default: r = y / x; break;
    }
    return r !== r ? this.invalid() : this.exactResult(r);
  }

  /** FSQRT of zero, an infinity or a negative value (positive finite values are exact elsewhere). */
  private sqrt(x: number): number {
    return x < 0 ? this.invalid() : this.exactResult(Math.sqrt(x));
  }

  /** FSQRT of a positive finite value on the exact bits; false leaves zeros, negatives and infinities to sqrt(). */
  private sqrtExact(p: number): boolean {
    if (!this.finiteNonZero(p) || this.se[p] & 0x8000) return false;
    setExtendedTraps(~this.cw);
    sqrtExtended(this.se[p], this.hi[p], this.lo[p], extendedFormat((this.cw >>> 8) & 3), this.rc);
    const fl = xFlags;
    if (fl & XF_INEXACT) this.exc |= SW_PE;
    this.setC1((fl & XF_ROUNDED_UP) !== 0);
    this.setRaw(p, xResult[0], xResult[1], xResult[2]);
    return true;
  }

  private invalid(): number {
    this.exc |= SW_IE;
    this.sw &= ~SW_C1;
    return NaN;
  }

  private exactResult(r: number): number {
    this.sw &= ~SW_C1;
    return r;
  }

  // ---- comparisons --------------------------------------------------------------------

  /** Compares slots a and b. `quiet`: only SNaNs raise IE (FUCOM*). Returns CMP_*. */
  private compare(a: number, b: number, quiet: boolean): number {
    this.sw &= ~SW_C1;
    if (this.empty[a] || this.empty[b]) {
      this.exc = (this.exc & ~SW_DE) | SW_IE | SW_SF;
      return CMP_UN;
    }
    const x = this.st[a];
    const y = this.st[b];
    if (x !== x || y !== y) {
      this.exc &= ~SW_DE;
      const ca = this.classOf(a);
      const cb = this.classOf(b);
      if (!quiet || ca === F80_SNAN || cb === F80_SNAN || ca === F80_UNSUPPORTED || cb === F80_UNSUPPORTED) this.exc |= SW_IE;
      return CMP_UN;
    }
    if (this.isDenormal(a) || this.isDenormal(b)) this.exc |= SW_DE;
    if (x > y) return CMP_GT;
    if (x < y) return CMP_LT;
    if (x !== 0) {
      this.ensureRaw(a);
      this.ensureRaw(b);
      // Equal as doubles: the exact values decide (64-bit integers from FILD, extended results).
      const ea = this.se[a] & 0x7fff;
      const eb = this.se[b] & 0x7fff;
      const ha = this.hi[a];
      const hb = this.hi[b];
      const la = this.lo[a];
      const lb = this.lo[b];
      if (ea !== eb || ha !== hb || la !== lb) {
        const aBigger = ea > eb || (ea === eb && (ha > hb || (ha === hb && la > lb)));
        return aBigger === x > 0 ? CMP_GT : CMP_LT;
      }
    }
    return CMP_EQ;
  }

  /** FCOM/FUCOM/FTST: C3 C2 C0 from the outcome (unless an unmasked IE/DE aborts). */
  private setCompareCodes(r: number): void {
    if (this.aborts(SW_IE | SW_DE)) return;
    this.sw &= ~SW_CC;
    if (r === CMP_LT) this.sw |= SW_C0;
    else if (r === CMP_EQ) this.sw |= SW_C3;
    else if (r === CMP_UN) this.sw |= SW_C0 | SW_C2 | SW_C3;
  }

  private fcomi(i: number, quiet: boolean, pop: boolean): void {
    const r = this.compare(this.top, this.phys(i), quiet);
    if (!this.aborts(SW_IE | SW_DE)) {
      let f = this.eflags.getEflags() & ~(CF | PF | AF | ZF | SF | OF);
      if (r === CMP_LT) f |= CF;
      else if (r === CMP_EQ) f |= ZF;
      else if (r === CMP_UN) f |= ZF | PF | CF;
      this.eflags.setEflags(f);
      this.sw &= ~SW_C1;
    } else {
      this.flush();
      return;
    }
    if (pop) this.pop();
    this.flush();
  }

  private fcom(s: number, quiet: boolean, pops: number): void {
    const r = this.compare(this.top, s, quiet);
    this.setCompareCodes(r);
    if (!this.aborts(SW_IE | SW_DE)) for (let n = 0; n < pops; n++) this.pop();
    this.flush();
  }

  private fcmov(cc: number, i: number): void {
    const f = this.eflags.getEflags();
    let cond: boolean;
    switch (cc & 3) {
      case 0: cond = (f & CF) !== 0; break;
      case 1: cond = (f & ZF) !== 0; break;
      case 2: cond = (f & (CF | ZF)) !== 0; break;
      default: cond = (f & PF) !== 0; break;
    }
    if (cc & 4) cond = !cond;
    const s = this.phys(i);
    if (this.empty[s] || this.empty[this.top]) {
      if (this.underflow()) return;
      this.setIndefinite(this.top);
      return;
    }
    // C1 is left alone (the SDM changes it only on a stack underflow).
    if (cond) this.copySlot(this.top, s);
  }

  // ---- stores -------------------------------------------------------------------------

  /** FST/FSTP to memory in single (4), double (8) or extended (10) format. */
  private storeReal(size: number, linear: number, mem: FpuMemory, pop: boolean): void {
    mem.probeWrite(linear, size); // a faulting store must leave the FPU untouched
    const p = this.top;
    this.sw &= ~SW_C1; // set again below when the conversion rounds up
    if (this.empty[p]) {
      if (this.underflow()) return;
      this.setIndefinite(MEM);
    } else {
      this.copySlot(MEM, p);
    }
    const t = this.tmp;
    if (size === 10) {
      this.ensureRaw(MEM);
      this.sw &= ~SW_C1;
      mem.write32(linear, this.lo[MEM]);
      mem.write32(linear + 4, this.hi[MEM]);
      mem.write16(linear + 8, this.se[MEM]);
    } else {
      const v = this.st[MEM];
      let whi: number;
      let wlo = 0;
      if (v !== v) {
        const c = this.classOf(MEM);
        if (c === F80_SNAN || c === F80_UNSUPPORTED) this.exc |= SW_IE;
        if (this.aborts(SW_IE)) {
          this.flush();
          return;
        }
        if (c === F80_UNSUPPORTED) this.setIndefinite(MEM);
        if (size === 4) whi = f80NanToF32Bits(this.se[MEM], this.hi[MEM]);
        else {
          f80NanToF64Bits(this.se[MEM], this.hi[MEM], this.lo[MEM], t);
          whi = t[1];
          wlo = t[2];
        }
      } else {
        // Round the exact value once into the memory format, under RC.
        this.ensureRaw(MEM);
        const se = this.se[MEM];
        if ((se & 0x7fff) === 0x7fff) {
          whi = size === 4 ? (se & 0x8000 ? 0xff800000 : 0x7f800000) : (se & 0x8000 ? 0xfff00000 : 0x7ff00000);
        } else if (size === 4) {
          whi = extendedToSingle(se, this.hi[MEM], this.lo[MEM], this.rc);
        } else {
          extendedToDouble(se, this.hi[MEM], this.lo[MEM], this.rc);
          whi = xResult[1];
          wlo = xResult[2];
        }
        if ((se & 0x7fff) !== 0x7fff) {
          const fl = xFlags;
          if (fl & XF_INEXACT) this.exc |= SW_PE;
          if (fl & XF_UNDERFLOW) this.exc |= SW_UE;
          if (fl & XF_OVERFLOW) this.exc |= SW_OE;
          this.setC1((fl & XF_ROUNDED_UP) !== 0);
        }
        if (this.aborts(SW_DE | SW_OE | SW_UE)) {
          this.flush();
          return;
        }
      }
      if (size === 4) mem.write32(linear, whi);
      else {
        mem.write32(linear, wlo);
        mem.write32(linear + 4, whi);
      }
    }
    if (pop) this.pop();
    this.flush();
  }

  /** FIST/FISTP/FISTTP (truncate) to a 2, 4 or 8-byte integer. */
  private storeInt(size: number, linear: number, mem: FpuMemory, pop: boolean, truncate: boolean): void {
    mem.probeWrite(linear, size);
    const p = this.top;
    this.sw &= ~SW_C1; // set again below when rounding went up
    const t = this.tmp;
    let ih = 0;
    let il = 0;
    if (this.empty[p]) {
      if (this.underflow()) return;
      ih = 0x80000000;
      il = 0;
      if (size < 8) il = size === 2 ? 0x8000 : 0x80000000;
    } else {
      const c = this.classOf(p);
      let ok = c === F80_NORMAL || c === F80_ZERO || c === F80_DENORMAL;
      if (c === F80_DENORMAL) this.exc |= SW_DE;
      let flags = 0;
      if (ok) {
        flags = f80ToInt64(this.se[p], this.hi[p], this.lo[p], truncate ? RC_CHOP : this.rc, t);
        ih = t[1] | 0;
        il = t[2];
        if (flags & TOINT_OVERFLOW) ok = false;
        else if (size === 2) ok = ih === (il | 0) >> 31 && (il | 0) >= -32768 && (il | 0) <= 32767;
        else if (size === 4) ok = ih === (il | 0) >> 31;
      }
      if (!ok) {
        this.exc |= SW_IE;
        if (this.aborts(SW_IE)) {
          this.flush();
          return;
        }
        ih = 0x80000000;
        il = size === 2 ? 0x8000 : size === 4 ? 0x80000000 : 0;
      } else {
        if (flags & TOINT_INEXACT) this.exc |= SW_PE;
        this.setC1((flags & TOINT_ROUNDED_UP) !== 0);
      }
    }
    if (size === 2) mem.write16(linear, il & 0xffff);
    else if (size === 4) mem.write32(linear, il);
    else {
      mem.write32(linear, il);
      mem.write32(linear + 4, ih);
    }
    if (pop) this.pop();
    this.flush();
  }

  private fbld(linear: number, mem: FpuMemory): void {
    const b = this.bytes10;
    for (let i = 0; i < 10; i++) b[i] = mem.read8(linear + i) & 0xff;
    const v = bcdToBigInt(b);
    const neg = (b[9] & 0x80) !== 0;
    const mag = v < 0n ? -v : v;
    int64ToF80(Number(mag >> 32n), Number(mag & 0xffffffffn), this.tmp);
    this.setRaw(MEM, this.tmp[0] | (neg ? 0x8000 : 0), this.tmp[1], this.tmp[2]);
    this.push(MEM);
    this.flush();
  }

  private fbstp(linear: number, mem: FpuMemory): void {
    mem.probeWrite(linear, 10);
    const p = this.top;
    const b = this.bytes10;
    let indefinite = false;
    if (this.empty[p]) {
      if (this.underflow()) return;
      indefinite = true;
    } else {
      const c = this.classOf(p);
      if (c === F80_DENORMAL) this.exc |= SW_DE;
      const t = this.tmp;
      const flags = c === F80_NORMAL || c === F80_ZERO || c === F80_DENORMAL
        ? f80ToInt64(this.se[p], this.hi[p], this.lo[p], this.rc, t) : TOINT_OVERFLOW;
      const neg = (this.se[p] & 0x8000) !== 0;
      let mag = 0n;
      if (!(flags & TOINT_OVERFLOW)) {
        const v = (BigInt(t[1] | 0) << 32n) | BigInt(t[2]);
        mag = v < 0n ? -v : v;
      }
      if (flags & TOINT_OVERFLOW || mag >= BCD_LIMIT) {
        this.exc |= SW_IE;
        if (this.aborts(SW_IE)) {
          this.flush();
          return;
        }
        indefinite = true;
      } else {
        if (flags & TOINT_INEXACT) this.exc |= SW_PE;
        this.setC1((flags & TOINT_ROUNDED_UP) !== 0);
        bigIntToBcd(mag, neg, b);
      }
    }
    if (indefinite) {
      b.fill(0);
      b[7] = 0xc0;
      b[8] = 0xff;
      b[9] = 0xff;
    }
    for (let i = 0; i < 10; i++) mem.write8(linear + i, b[i]);
    this.pop();
    this.flush();
  }

  // ---- the other D9 register operations ---------------------------------------------

  private ftst(): void {
    this.setDouble(MEM, 0);
    this.fcom(MEM, false, 0);
  }

  private fxam(): void {
    const p = this.top;
    this.sw &= ~SW_CC;
    this.ensureRaw(p);
    if (this.se[p] & 0x8000) this.sw |= SW_C1;
    if (this.empty[p]) {
      this.sw |= SW_C3 | SW_C0;
      return;
    }
    switch (classifyF80(this.se[p], this.hi[p], this.lo[p])) {
      case F80_UNSUPPORTED: break;
      case F80_QNAN: case F80_SNAN: this.sw |= SW_C0; break;
      case F80_NORMAL: this.sw |= SW_C2; break;
      case F80_INFINITY: this.sw |= SW_C2 | SW_C0; break;
      case F80_ZERO: this.sw |= SW_C3; break;
      default: this.sw |= SW_C3 | SW_C2; break;
    }
  }

  private loadConstant(k: number): void {
    const c = CONSTANTS[k];
    let lo = c[2];
    const rc = this.rc;
    if (c[3] && (rc === RC_DOWN || rc === RC_CHOP)) lo -= 1;
    else if (k === 1 && rc === RC_UP) lo += 1;
    this.setRaw(MEM, c[0], c[1], lo);
    this.push(MEM);
    this.flush();
  }

  /** Unary operations on ST(0) that keep the stack depth: FCHS, FABS, FSQRT, FRNDINT, FSIN, FCOS, F2XM1. */
  private unary(kind: number): void {
    const p = this.top;
    if (this.empty[p]) {
      if (this.underflow()) return;
      this.setIndefinite(p);
      return;
    }
    if (kind === 0xe0 || kind === 0xe1) {
      // FCHS/FABS: exact sign manipulation, no exceptions.
      this.ensureRaw(p);
      const se = kind === 0xe0 ? this.se[p] ^ 0x8000 : this.se[p] & 0x7fff;
      this.setRaw(p, se, this.hi[p], this.lo[p]);
      this.sw &= ~SW_C1;
      return;
    }
    const x = this.st[p];
    if (x !== x) {
      this.nanResult(p, p, p);
      this.flush();
      return;
    }
    if (this.isDenormal(p)) this.exc |= SW_DE;
    if (this.aborts(SW_DE)) {
      this.flush();
      return;
    }
    let r: number;
    switch (kind) {
      case 0xfa:
        if (this.sqrtExact(p)) { this.flush(); return; }
        r = this.sqrt(x);
        break;
      case 0xfc: this.frndint(p); this.flush(); return;
      case 0xf0: r = this.transcendental(Math.expm1(x * Math.LN2), x === 0); break;
      default: {
        // FSIN/FCOS: out of range (|x| ≥ 2^63) sets C2 and leaves ST(0) alone.
        if (x - x !== 0) {
          r = this.invalid();
          break;
        }
        if (Math.abs(x) >= 2 ** 63) {
          this.sw |= SW_C2;
          return;
        }
        this.sw &= ~SW_C2;
        r = this.transcendental(kind === 0xfe ? x87Sin(x) : x87Cos(x), kind === 0xfe && x === 0);
      }
    }
    if (this.aborts(SW_IE)) {
      this.flush();
      return;
    }
    this.setDouble(p, r);
    this.flush();
  }

  /** A transcendental result: inexact unless `exactZero` (e.g. sin(±0) = ±0). */
  private transcendental(r: number, exactZero: boolean): number {
    if (r !== r) return this.invalid();
    if (exactZero) return this.exactResult(r);
    this.exc |= SW_PE;
    this.sw &= ~SW_C1;
    if (r !== 0 && Math.abs(r) < MIN_NORMAL) this.exc |= SW_UE;
    return r;
  }

  /** FRNDINT on the exact value, under RC (values of 2^63 and more are integers already). */
  private frndint(p: number): void {
    this.ensureRaw(p);
    const se = this.se[p];
    this.sw &= ~SW_C1;
    if ((this.hi[p] | this.lo[p]) === 0 || (se & 0x7fff) === 0x7fff || (se & 0x7fff) >= 16383 + 63) return;
    const t = this.tmp;
    const flags = f80ToInt64(se, this.hi[p], this.lo[p], this.rc, t);
    if (flags & TOINT_OVERFLOW) {
      // Rounded up to 2^63.
      this.setRaw(p, (se & 0x8000) | (16383 + 63), 0x80000000, 0);
    } else if ((t[1] | t[2]) === 0) {
      this.setRaw(p, se & 0x8000, 0, 0);
    } else {
      int64ToF80(t[1], t[2], t);
      this.setRaw(p, t[0], t[1], t[2]);
    }
    if (flags & TOINT_OVERFLOW || flags & TOINT_INEXACT) {
      this.exc |= SW_PE;
      this.setC1((flags & TOINT_OVERFLOW) !== 0 || (flags & TOINT_ROUNDED_UP) !== 0);
    }
  }

  /** FYL2X, FYL2XP1, FPATAN, FSCALE, FPREM, FPREM1: two operands ST(0), ST(1). */
  private binaryOnStack(kind: number): void {
    const p0 = this.top;
    const p1 = this.phys(1);
    const pops = kind === 0xf1 || kind === 0xf9 || kind === 0xf3;
    const dest = pops ? p1 : p0;
    // FPREM/FPREM1 clear C1 and report "complete" (C2 = 0) even when a stack fault, a NaN or an invalid operand ends them early.
    if (kind === 0xf8 || kind === 0xf5) this.sw &= ~(SW_C1 | SW_C2);
    if (this.empty[p0] || this.empty[p1]) {
      if (this.underflow()) return;
      this.setIndefinite(dest);
      if (pops) this.pop();
      return;
    }
    const x = this.st[p0];
    const y = this.st[p1];
    if (x !== x || y !== y) {
      if (this.nanResult(p0, p1, dest)) return;
      if (pops) this.pop();
      this.flush();
      return;
    }
    if (this.isDenormal(p0) || this.isDenormal(p1)) this.exc |= SW_DE;
    if (this.aborts(SW_DE)) {
      this.flush();
      return;
    }
    if (kind === 0xfd && y - y === 0 && this.classOf(p0) !== F80_ZERO && this.classOf(p0) !== F80_INFINITY) {
      // FSCALE of a finite value: an exact exponent change, rounded only outside the extended range.
      const n = Math.max(-100000, Math.min(100000, Math.trunc(y)));
      setExtendedTraps(~this.cw);
      scaleExtended(this.se[p0], this.hi[p0], this.lo[p0], n, this.rc);
      const fl = xFlags;
      if (fl & XF_INEXACT) this.exc |= SW_PE;
      if (fl & XF_UNDERFLOW) this.exc |= SW_UE;
      if (fl & XF_OVERFLOW) this.exc |= SW_OE;
      this.setC1((fl & XF_ROUNDED_UP) !== 0);
      this.setRaw(p0, xResult[0], xResult[1], xResult[2]);
      this.flush();
      return;
    }
    if ((kind === 0xf8 || kind === 0xf5) && this.finiteNonZero(p0) && this.finiteNonZero(p1)) {
      remainderExtended(this.se[p0], this.hi[p0], this.lo[p0], this.se[p1], this.hi[p1], this.lo[p1], kind === 0xf5);
      this.sw &= ~(SW_C0 | SW_C1 | SW_C2 | SW_C3);
      if (remainderPartial) this.sw |= SW_C2;
      else {
        const q = remainderQuotient;
        if (q & 4) this.sw |= SW_C0;
        if (q & 2) this.sw |= SW_C3;
        if (q & 1) this.sw |= SW_C1;
      }
      // The remainder is exact: no precision or (masked) underflow exception even when denormal.
      this.setRaw(p0, xResult[0], xResult[1], xResult[2]);
      this.flush();
      return;
    }
    if ((kind === 0xf8 || kind === 0xf5) && this.classOf(p0) === F80_ZERO && y === y && y !== 0) {
      // 0 rem y = 0, unchanged.
      this.sw &= ~(SW_C0 | SW_C1 | SW_C2 | SW_C3);
      this.flush();
      return;
    }
    if ((kind === 0xf8 || kind === 0xf5) && this.finiteNonZero(p0) && (y === Infinity || y === -Infinity)) {
      // x rem ±∞ = x, unchanged (exactly, whatever its precision).
      this.sw &= ~(SW_C0 | SW_C1 | SW_C2 | SW_C3);
      this.flush();
      return;
    }
    let r: number;
    switch (kind) {
      case 0xf1: r = this.fyl2x(x, y); break;
      case 0xf9: r = this.fyl2xp1(x, y); break;
      case 0xf3: r = this.transcendental(Math.atan2(y, x), y === 0); break;
      case 0xfd: r = this.fscale(x, y); break;
      // FPREM/FPREM1 left to here have a zero divisor or an infinite dividend.
      default: r = this.invalid(); break;
    }
    if (this.aborts(SW_IE | SW_ZE)) {
      this.flush();
      return;
    }
    this.setDouble(dest, r);
    if (pops) this.pop();
    this.flush();
  }

  /** ST(1) · log2(ST(0)). */
  private fyl2x(x: number, y: number): number {
    if (x < 0 || (x === 0 && y === 0) || (x === 1 && (y === Infinity || y === -Infinity)) ||
        (x === Infinity && y === 0)) return this.invalid();
    if (x === 0) {
      this.exc |= SW_ZE;
      return this.exactResult(y > 0 ? -Infinity : Infinity);
    }
    const l = Math.log2(x);
    if (l === 0 || y - y !== 0 || x === Infinity) return this.exactResult(y * l);
    return this.transcendental(y * l, false);
  }

  /** ST(1) · log2(ST(0) + 1), for |ST(0)| < 1 − √2/2 per the SDM (computed for any x > −1). */
  private fyl2xp1(x: number, y: number): number {
    if (x <= -1 || (x === 0 && (y === Infinity || y === -Infinity))) return this.invalid();
    const l = Math.log1p(x) / Math.LN2;
    return this.transcendental(y * l, x === 0 || y === 0);
  }

  /** FSCALE with a zero or infinite ST(0), or an infinite ST(1) (finite values scale exactly elsewhere). */
  private fscale(x: number, y: number): number {
    if ((x === 0 && y === Infinity) || ((x === Infinity || x === -Infinity) && y === -Infinity)) return this.invalid();
    if (y === Infinity) return this.exactResult(x * Infinity);
    if (y === -Infinity) return this.exactResult(x > 0 || 1 / x > 0 ? 0 : -0);
    return this.exactResult(x);
  }

  private fptan(): void {
    const p = this.top;
    if (this.empty[p]) {
      if (this.underflow()) return;
      this.setIndefinite(p);
      this.setDouble(MEM, NaN);
      this.push(MEM);
      return;
    }
    const x = this.st[p];
    if (x !== x) {
      if (this.nanResult(p, p, p)) return;
      this.copySlot(MEM, p);
      this.push(MEM);
      this.flush();
      return;
    }
    if (x - x !== 0) {
      this.exc |= SW_IE;
      if (this.aborts(SW_IE)) { this.flush(); return; }
      this.setIndefinite(p);
      this.copySlot(MEM, p);
      this.push(MEM);
      this.flush();
      return;
    }
    if (Math.abs(x) >= 2 ** 63) {
      this.sw |= SW_C2;
      return;
    }
    if (!this.empty[(this.top - 1) & 7]) {
      // Stack overflow: both ST(0) and the new top become the indefinite.
      this.exc |= SW_IE | SW_SF;
      this.sw |= SW_C1;
      if (this.aborts(SW_IE)) { this.flush(); return; }
      this.setIndefinite(p);
      this.push(MEM);
      this.setIndefinite(this.top);
      this.flush();
      return;
    }
    if (this.isDenormal(p)) this.exc |= SW_DE;
    if (this.aborts(SW_DE)) { this.flush(); return; }
    this.sw &= ~SW_C2;
    this.setDouble(p, this.transcendental(x87Tan(x), x === 0));
    this.pushDouble(1);
    this.flush();
  }

  private fsincos(): void {
    const p = this.top;
    if (this.empty[p]) {
      if (this.underflow()) return;
      this.setIndefinite(p);
      this.setIndefinite(MEM);
      this.push(MEM);
      return;
    }
    const x = this.st[p];
    if (x !== x || x - x !== 0) {
      if (x !== x) { if (this.nanResult(p, p, p)) return; }
      else {
        this.exc |= SW_IE;
        if (this.aborts(SW_IE)) { this.flush(); return; }
        this.setIndefinite(p);
      }
      this.copySlot(MEM, p);
      this.push(MEM);
      this.flush();
      return;
    }
    if (Math.abs(x) >= 2 ** 63) {
      this.sw |= SW_C2;
      return;
    }
    if (this.isDenormal(p)) this.exc |= SW_DE;
    if (this.aborts(SW_DE)) { this.flush(); return; }
    this.sw &= ~SW_C2;
    const s = this.transcendental(x87Sin(x), x === 0);
    const c = this.transcendental(x87Cos(x), false);
    this.setDouble(p, s);
    this.pushDouble(c);
    this.flush();
  }

  private fxtract(): void {
    const p = this.top;
    if (this.empty[p]) {
      if (this.underflow()) return;
      this.setIndefinite(p);
      this.setIndefinite(MEM);
      this.push(MEM);
      return;
    }
    const c = this.classOf(p);
    if (c === F80_QNAN || c === F80_SNAN || c === F80_UNSUPPORTED) {
      if (this.nanResult(p, p, p)) return;
      this.copySlot(MEM, p);
      this.push(MEM);
      this.flush();
      return;
    }
    this.copySlot(MEM, p);
    if (c === F80_ZERO) {
      this.exc |= SW_ZE;
      if (this.aborts(SW_ZE)) { this.flush(); return; }
      this.setDouble(p, -Infinity);
    } else if (c === F80_INFINITY) {
      this.setDouble(p, Infinity);
    } else {
      if (c === F80_DENORMAL) this.exc |= SW_DE;
      if (this.aborts(SW_DE)) { this.flush(); return; }
      let hi = this.hi[p];
      let lo = this.lo[p];
      let e = (this.se[p] & 0x7fff) - 16383;
      if (c === F80_DENORMAL) {
        // Normalise: the denormal's true exponent is −16382 minus the leading zeros.
        const z = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
        e = -16382 - z;
        if (z >= 32) { hi = (lo << (z - 32)) >>> 0; lo = 0; }
        else if (z > 0) { hi = ((hi << z) | (lo >>> (32 - z))) >>> 0; lo = (lo << z) >>> 0; }
      }
      this.setDouble(p, e);
      this.setRaw(MEM, (this.se[MEM] & 0x8000) | 0x3fff, hi, lo);
    }
    this.push(MEM);
    this.flush();
  }

  // ---- dispatch -----------------------------------------------------------------------

  /** One x87 instruction (see the interface notes in docs/ARCHITECTURE.md and the CPU). */
  execute(opcode: number, modrm: number, linear: number, mem: FpuMemory, o32: boolean, realOrV86: boolean,
    cs: number, ip: number, ds: number, regs?: Int32Array): void {
    const reg = (modrm >>> 3) & 7;
    const isMem = modrm < 0xc0;
    if (isMem) this.executeMem(opcode, reg, linear, mem, o32, realOrV86);
    else this.executeReg(opcode, modrm, regs);
    // Reached only when no memory fault was thrown: a faulting instruction leaves the pointers alone.
    if (isMem ? !isControlMem(opcode, reg) : !isControlReg(opcode, modrm)) {
      this.fop = ((opcode & 7) << 8) | modrm;
      this.fcs = cs & 0xffff;
      this.fip = realOrV86 ? ((cs << 4) + ip) >>> 0 : ip >>> 0;
      if (isMem) {
        this.fds = ds & 0xffff;
        this.fdp = linear >>> 0;
      }
    }
  }

  private executeMem(opcode: number, reg: number, linear: number, mem: FpuMemory, o32: boolean, real: boolean): void {
    switch (opcode) {
      case 0xd8: case 0xdc: case 0xda: case 0xde:
        this.loadArithOperand(opcode, linear, mem);
        if (reg === 2 || reg === 3) this.fcom(MEM, false, reg - 2);
        else this.arith(reg, this.top, MEM, false);
        return;
      case 0xd9:
        switch (reg) {
          case 0:
            this.loadF32(linear, mem);
            this.loadPush();
            return;
          case 2: this.storeReal(4, linear, mem, false); return;
          case 3: this.storeReal(4, linear, mem, true); return;
          case 4: fldenv(this, linear, mem, o32, real); return;
          case 5: this.controlWord = mem.read16(linear); return;
          case 6: fstenv(this, linear, mem, o32, real); return;
          case 7: mem.write16(linear, this.cw); return;
          default: return;
        }
      case 0xdb:
        switch (reg) {
          case 0: this.loadInt(linear, mem, 4); this.push(MEM); this.flush(); return;
          case 1: this.storeInt(4, linear, mem, true, true); return;
          case 2: this.storeInt(4, linear, mem, false, false); return;
          case 3: this.storeInt(4, linear, mem, true, false); return;
          case 5: this.loadF80(linear, mem); this.push(MEM); this.flush(); return;
          case 7: this.storeReal(10, linear, mem, true); return;
          default: return;
        }
      case 0xdd:
        switch (reg) {
          case 0:
            this.loadF64(linear, mem);
            this.loadPush();
            return;
          case 1: this.storeInt(8, linear, mem, true, true); return;
          case 2: this.storeReal(8, linear, mem, false); return;
          case 3: this.storeReal(8, linear, mem, true); return;
          case 4: frstor(this, linear, mem, o32, real); return;
          case 6: fsave(this, linear, mem, o32, real); return;
          case 7: mem.write16(linear, this.statusWord); return;
          default: return;
        }
      default: // 0xdf
        switch (reg) {
          case 0: this.loadInt(linear, mem, 2); this.push(MEM); this.flush(); return;
          case 1: this.storeInt(2, linear, mem, true, true); return;
          case 2: this.storeInt(2, linear, mem, false, false); return;
          case 3: this.storeInt(2, linear, mem, true, false); return;
          case 4: this.fbld(linear, mem); return;
          case 5: this.loadInt(linear, mem, 8); this.push(MEM); this.flush(); return;
          case 6: this.fbstp(linear, mem); return;
          default: this.storeInt(8, linear, mem, true, false); return;
        }
    }
  }

  /** FLD m32/m64: an SNaN raises IE and loads quieted; a denormal raises DE. */
  private loadPush(): void {
    if (this.st[MEM] !== this.st[MEM] && this.classOf(MEM) === F80_SNAN) {
      this.exc |= SW_IE;
      this.hi[MEM] |= 0x40000000;
    }
    if (this.aborts(SW_IE | SW_DE)) { this.flush(); return; }
    this.push(MEM);
    this.flush();
  }

  private executeReg(opcode: number, modrm: number, regs: Int32Array | undefined): void {
    const reg = (modrm >>> 3) & 7;
    const i = modrm & 7;
    switch (opcode) {
      case 0xd8:
        if (reg === 2 || reg === 3) this.fcom(this.phys(i), false, reg - 2);
        else this.arith(reg, this.top, this.phys(i), false);
        return;
      case 0xdc:
        if (reg === 2 || reg === 3) this.fcom(this.phys(i), false, reg - 2);
        else this.arith(reg >= 4 ? reg ^ 1 : reg, this.phys(i), this.top, false);
        return;
      case 0xde:
        if (reg === 3) {
          if (i === 1) this.fcom(this.phys(1), false, 2);
        } else if (reg === 2) this.fcom(this.phys(i), false, 1);
        else this.arith(reg >= 4 ? reg ^ 1 : reg, this.phys(i), this.top, true);
        return;
      case 0xd9: this.executeD9(modrm); return;
      case 0xda:
        if (reg < 4) this.fcmov(reg, i);
        else if (modrm === 0xe9) this.fcom(this.phys(1), true, 2);
        this.flush();
        return;
      case 0xdb:
        if (reg < 4) this.fcmov(reg | 4, i);
        else if (reg === 5) this.fcomi(i, true, false);
        else if (reg === 6) this.fcomi(i, false, false);
        else if (modrm === 0xe2) this.sw &= ~(0xff | SW_B);
        else if (modrm === 0xe3) this.init();
        this.flush();
        return;
      case 0xdd:
        switch (reg) {
          case 0: this.empty[this.phys(i)] = 1; return;
          case 1: this.fxch(i); return;
          case 2: this.fstReg(i, false); return;
          case 3: this.fstReg(i, true); return;
          case 4: this.fcom(this.phys(i), true, 0); return;
          case 5: this.fcom(this.phys(i), true, 1); return;
          default: return;
        }
      default: // 0xdf
        switch (reg) {
          case 0: this.empty[this.phys(i)] = 1; this.pop(); return; // FFREEP
          case 1: this.fxch(i); return;
          case 2: case 3: this.fstReg(i, true); return;
          case 4:
            if (modrm === 0xe0 && regs) regs[0] = (regs[0] & ~0xffff) | this.statusWord;
            return;
          case 5: this.fcomi(i, true, true); return;
          case 6: this.fcomi(i, false, true); return;
          default: return;
        }
    }
  }

  private executeD9(modrm: number): void {
    const reg = (modrm >>> 3) & 7;
    const i = modrm & 7;
    switch (reg) {
      case 0: {
        const s = this.phys(i);
        if (this.empty[s]) {
          if (this.underflow()) return;
          this.setIndefinite(MEM);
        } else this.copySlot(MEM, s);
        this.push(MEM);
        this.flush();
        return;
      }
      case 1: this.fxch(i); return;
      case 2: return; // FNOP (D9 D0)
      case 3: this.fstReg(i, true); return; // FSTP1 alias
      case 4:
        if (i === 0 || i === 1) this.unary(0xe0 + i);
        else if (i === 4) this.ftst();
        else if (i === 5) this.fxam();
        return;
      case 5:
        if (i < 7) this.loadConstant(i);
        return;
      case 6:
        switch (modrm) {
          case 0xf0: this.unary(0xf0); return;
          case 0xf1: case 0xf3: case 0xf5: this.binaryOnStack(modrm); return;
          case 0xf2: this.fptan(); return;
          case 0xf4: this.fxtract(); return;
          case 0xf6: this.top = (this.top - 1) & 7; this.sw &= ~SW_C1; return;
          default: this.top = (this.top + 1) & 7; this.sw &= ~SW_C1; return;
        }
      default:
        switch (modrm) {
          case 0xf8: case 0xf9: case 0xfd: this.binaryOnStack(modrm); return;
          case 0xfb: this.fsincos(); return;
          default: this.unary(modrm); return; // FSQRT FA, FRNDINT FC, FSIN FE, FCOS FF
        }
    }
  }

  private fxch(i: number): void {
    const a = this.top;
    const b = this.phys(i);
    if (this.empty[a] || this.empty[b]) {
      if (this.underflow()) return;
      if (this.empty[a]) this.setIndefinite(a);
      if (this.empty[b]) this.setIndefinite(b);
    }
    this.copySlot(MEM, a);
    this.copySlot(a, b);
    this.copySlot(b, MEM);
    this.sw &= ~SW_C1;
  }

  private fstReg(i: number, pop: boolean): void {
    const s = this.top;
    if (this.empty[s]) {
      if (this.underflow()) return;
      this.setIndefinite(this.phys(i));
    } else {
      this.copySlot(this.phys(i), s);
      this.sw &= ~SW_C1;
    }
    if (pop) this.pop();
  }

  // ---- images and MMX -----------------------------------------------------------------

  fxsave(linear: number, mem: FpuMemory): void {
    fxsave(this, linear, mem);
  }

  fxrstor(linear: number, mem: FpuMemory): void {
    fxrstor(this, linear, mem);
  }

  /** MMX (0F 60-7F, D1-FE, 77 EMMS): op2 = the byte after 0F; imm8 for the 0F 71-73 shifts. */
  executeMmx(op2: number, modrm: number, linear: number, mem: FpuMemory, regs: Int32Array, imm8 = 0): void {
    executeMmx(this, op2, modrm, linear, mem, regs, imm8);
  }

  saveState(): object {
    return {
      st: Array.from(this.st.subarray(0, 8)),
      se: Array.from(this.se.subarray(0, 8)),
      hi: Array.from(this.hi.subarray(0, 8)),
      lo: Array.from(this.lo.subarray(0, 8)),
      exact: Array.from(this.exact.subarray(0, 8)),
      empty: Array.from(this.empty.subarray(0, 8)),
      top: this.top, cw: this.cw, sw: this.sw,
      fip: this.fip, fcs: this.fcs, fdp: this.fdp, fds: this.fds, fop: this.fop, mxcsr: this.mxcsr,
    };
  }

  loadState(s: object): void {
    const o = s as Record<string, unknown>;
    const arr = (k: string): number[] => {
      const v = o[k];
      if (!Array.isArray(v) || v.length !== 8) throw new Error(`x87 state: bad field ${k}`);
      return v as number[];
    };
    this.st.set(arr('st'));
    this.se.set(arr('se'));
    this.hi.set(arr('hi'));
    this.lo.set(arr('lo'));
    this.exact.set(arr('exact'));
    this.empty.set(arr('empty'));
    const num = (k: string): number => {
      const v = o[k];
      if (typeof v !== 'number') throw new Error(`x87 state: bad field ${k}`);
      return v;
    };
    this.top = num('top') & 7;
    this.cw = num('cw');
    this.sw = num('sw');
    this.fip = num('fip');
    this.fcs = num('fcs');
    this.fdp = num('fdp');
    this.fds = num('fds');
    this.fop = num('fop');
    this.mxcsr = num('mxcsr');
    // NaN doubles do not survive JSON: rebuild every value from its exact bits.
    for (let p = 0; p < 8; p++) if (this.exact[p]) this.st[p] = f80ToDouble(this.se[p], this.hi[p], this.lo[p]);
  }
}

/** Control instructions leave FIP/FDP/FOP alone: FLDENV FLDCW FNSTENV FNSTCW FRSTOR FNSAVE FNSTSW. */
function isControlMem(opcode: number, reg: number): boolean {
  return (opcode === 0xd9 && reg >= 4) || (opcode === 0xdd && reg >= 4 && reg !== 5);
}

function isControlReg(opcode: number, modrm: number): boolean {
  return (opcode === 0xdb && modrm >= 0xe0 && modrm <= 0xe4) || (opcode === 0xdf && modrm === 0xe0);
}




// The x87 reduces trigonometric arguments by a 66-bit approximation of π (SDM vol. 1,
// 8.3.10), so results near multiples of π/2 differ from the exact ones (fsin(M_PI) is
// 1.2246063538223773e-16, not 1.2246467991473532e-16). These reduce the same way.
const PI66 = 0xc90fdaa22168c234n * 4n + 3n; // π·2^64 rounded to 66 bits
const FIX = 128n; // fixed-point fraction bits of the reduction
const PIO2_FIX = PI66 << (FIX - 65n);
const reducedScratch = new Uint32Array(3);
let quadrant = 0;
// π66/2 as two 33-bit halves, so n·P1 and n·P2 are exact doubles for n < 2^20.
const PIO2_HI = Number(PI66 >> 33n) * 2 ** -32;
const PIO2_LO = Number(PI66 & 0x1ffffffffn) * 2 ** -65;

/** x − n·π66/2 with n nearest; sets `quadrant` = n mod 4. */
function reduce(x: number): number {
  const ax = Math.abs(x);
  if (ax <= Math.PI / 4) {
    quadrant = 0;
    return x;
  }
  if (ax < 2 ** 20) {
    // Cody-Waite: ax − n·P1 is exact (Sterbenz), so r is rounded once.
    const n = Math.round(ax / (Math.PI / 2));
    const r = (ax - n * PIO2_HI) - n * PIO2_LO;
    quadrant = x < 0 ? (4 - (n & 3)) & 3 : n & 3;
    return x < 0 ? -r : r;
  }
  doubleToF80(ax, reducedScratch);
  const e = BigInt((reducedScratch[0] & 0x7fff) - 16383 - 63);
  const m = (BigInt(reducedScratch[1]) << 32n) | BigInt(reducedScratch[2]);
  const X = e + FIX >= 0n ? m << (e + FIX) : m >> -(e + FIX);
  const n = (X + PIO2_FIX / 2n) / PIO2_FIX;
  const r = Number(X - n * PIO2_FIX) * 2 ** -Number(FIX);
  const q = Number(n & 3n);
  quadrant = x < 0 ? (4 - q) & 3 : q;
  return x < 0 ? -r : r;
}

function x87Sin(x: number): number {
  const r = reduce(x);
  switch (quadrant) {
    case 0: return Math.sin(r);
    case 1: return Math.cos(r);
    case 2: return -Math.sin(r);
    default: return -Math.cos(r);
  }
}

function x87Cos(x: number): number {
  const r = reduce(x);
  switch (quadrant) {
    case 0: return Math.cos(r);
    case 1: return -Math.sin(r);
    case 2: return -Math.cos(r);
    default: return Math.sin(r);
  }
}

function x87Tan(x: number): number {
  const r = reduce(x);
  return quadrant & 1 ? -1 / Math.tan(r) : Math.tan(r);
}
