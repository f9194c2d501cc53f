// EFLAGS bit positions and the lazy arithmetic flags.
//
// An arithmetic instruction does not compute CF/PF/AF/ZF/SF/OF; it records its operands,
// result, width and kind (`LazyFlags`). The flags are derived only when something reads
// them (Jcc, PUSHF, ADC …). `lazyMask` says which bits of the stored flags word are stale
// and must be derived. The interpreter and, later, the JIT share this representation, so
// leaving compiled code mid-block needs no conversion.

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const VM = 0x20000;
export const AC = 0x40000;
export const VIF = 0x80000;
export const VIP = 0x100000;
export const ID = 0x200000;

/** The six arithmetic flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** Bits that can ever be 1 in EFLAGS on this CPU (bit 1 is always 1). */
export const EFLAGS_IMPLEMENTED = ARITH | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID | 2;

/** How CF, OF and AF follow from the recorded operands. */
export const LAZY_ADD = 0;
export const LAZY_SUB = 1;
/** CF = OF = AF = 0 (logic ops); also used when only ZF/SF/PF are lazy. */
export const LAZY_LOGIC = 2;

export class LazyFlags {
  /** Stored flags; bits in lazyMask are stale. */
  flags = 2;
  lazyMask = 0;
  lazyKind = LAZY_LOGIC;
  lazyA = 0;
  lazyB = 0;
  lazyR = 0;
  /** Operand width minus one (7, 15 or 31): the sign bit's position. */
  lazyTop = 31;

  /** Records an ADD-like (kind LAZY_ADD) or SUB-like result for all six flags. */
  setArith(kind: number, a: number, b: number, r: number, top: number): void {
    this.lazyKind = kind;
    this.lazyA = a;
    this.lazyB = b;
    this.lazyR = r;
    this.lazyTop = top;
    this.lazyMask = ARITH;
  }

  /** INC/DEC: like ADD/SUB by one but CF is kept. */
  setIncDec(kind: number, a: number, r: number, top: number): void {
    const cf = this.cf();
    this.flags = (this.flags & ~CF) | cf;
    this.lazyKind = kind;
    this.lazyA = a;
    this.lazyB = 1;
    this.lazyR = r;
    this.lazyTop = top;
    this.lazyMask = ARITH & ~CF;
  }

  /** Logic ops: CF = OF = AF = 0, ZF/SF/PF from the result. */
  setLogic(r: number, top: number): void {
    this.flags &= ~(CF | OF | AF);
    this.lazyKind = LAZY_LOGIC;
    this.lazyR = r;
    this.lazyTop = top;
    this.lazyMask = ZF | SF | PF;
  }

  /** ZF/SF/PF from `r`, and the given CF/OF/AF values written directly (shifts, BCD, MUL). */
  setResultWith(r: number, top: number, cfOfAf: number): void {
    this.flags = (this.flags & ~(CF | OF | AF)) | cfOfAf;
    this.lazyKind = LAZY_LOGIC;
    this.lazyR = r;
    this.lazyTop = top;
    this.lazyMask = ZF | SF | PF;
  }

  cf(): number {
    if (!(this.lazyMask & CF)) return this.flags & CF;
    const a = this.lazyA, b = this.lazyB, r = this.lazyR;
    if (this.lazyKind === LAZY_ADD) return (((a & b) | ((a | b) & ~r)) >>> this.lazyTop) & 1;
    if (this.lazyKind === LAZY_SUB) return (((~a & b) | ((~a | b) & r)) >>> this.lazyTop) & 1;
    return 0;
  }

  of(): number {
    if (!(this.lazyMask & OF)) return (this.flags >> 11) & 1;
    const a = this.lazyA, b = this.lazyB, r = this.lazyR;
    if (this.lazyKind === LAZY_ADD) return (((a ^ r) & (b ^ r)) >>> this.lazyTop) & 1;
    if (this.lazyKind === LAZY_SUB) return (((a ^ b) & (a ^ r)) >>> this.lazyTop) & 1;
    return 0;
  }

  af(): number {
    if (!(this.lazyMask & AF)) return (this.flags >> 4) & 1;
    if (this.lazyKind === LAZY_LOGIC) return 0;
    return ((this.lazyA ^ this.lazyB ^ this.lazyR) >> 4) & 1;
  }

  zf(): number {
    if (!(this.lazyMask & ZF)) return (this.flags >> 6) & 1;
    const shift = 31 - this.lazyTop;
    return (this.lazyR << shift) === 0 ? 1 : 0;
  }

  sf(): number {
    if (!(this.lazyMask & SF)) return (this.flags >> 7) & 1;
    return (this.lazyR >>> this.lazyTop) & 1;
  }

  pf(): number {
    if (!(this.lazyMask & PF)) return (this.flags >> 2) & 1;
    return PARITY[this.lazyR & 0xff];
  }

  /** The full flags word with every lazy bit derived; also makes the stored word current. */
  get(): number {
    if (this.lazyMask !== 0) {
      let f = this.flags & ~this.lazyMask;
      const m = this.lazyMask;
      if (m & CF) f |= this.cf();
      if (m & PF) f |= this.pf() << 2;
      if (m & AF) f |= this.af() << 4;
      if (m & ZF) f |= this.zf() << 6;
      if (m & SF) f |= this.sf() << 7;
      if (m & OF) f |= this.of() << 11;
      this.flags = f;
      this.lazyMask = 0;
    }
    return this.flags;
  }

  /** Replaces the whole word (no checks: callers decide which bits may change). */
  set(v: number): void {
    this.flags = (v & EFLAGS_IMPLEMENTED) | 2;
    this.lazyMask = 0;
  }

  /** Sets or clears individual bits, materialising the lazy ones first. */
  setBits(mask: number, value: number): void {
    const f = this.get();
    this.flags = (f & ~mask) | (value & mask);
  }

  /** x86 condition code 0-15 (the low nibble of Jcc/SETcc/CMOVcc). */
  condition(cc: number): boolean {
    let r: number;
    switch (cc >> 1) {
      case 0: r = this.of(); break;
      case 1: r = this.cf(); break;
      case 2: r = this.zf(); break;
      case 3: r = this.cf() | this.zf(); break;
      case 4: r = this.sf(); break;
      case 5: r = this.pf(); break;
      case 6: r = this.sf() ^ this.of(); break;
      default: r = (this.sf() ^ this.of()) | this.zf(); break;
    }
    return (r !== 0) !== ((cc & 1) !== 0);
  }
}

/** PARITY[b] = 1 when byte b has an even number of set bits (PF). */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let v = i; v; v >>= 1) bits += v & 1;
  PARITY[i] = bits & 1 ? 0 : 1;
}
