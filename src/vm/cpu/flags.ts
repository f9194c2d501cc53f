// EFLAGS bit positions and the lazy arithmetic flags.
//
// An arithmetic instruction does not compute CF/PF/AF/ZF/SF/OF; it records its operands,
// result, width and kind (`LazyFlags`). The flags are derived only when something reads
// them (Jcc, PUSHF, ADC …). `lazyMask` says which bits of the stored flags word are stale
// and must be derived. The interpreter and the JIT share this representation, so leaving
// compiled code mid-block needs no conversion.
//
// The recording and the derivations are written once, as templates that return JavaScript
// source (`…Src`) over a set of variable names (`FlagVars`). LazyFlags' methods are compiled
// from them at module load with the state in the object's fields; the JIT emits the same
// source with the state in a region's locals and, where it knows at compile time which kind
// of instruction produced the flags (`KnownFlags`), specialised to it: `cmp; jb` becomes one
// unsigned compare.

import { DOUBLE_FIELD } from '../machine/double-field.js';

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


/** Where emitted code keeps the lazy flag state: a LazyFlags object's fields or a region's locals. */
export interface FlagVars {
  readonly flags: string;
  readonly mask: string;
  readonly kind: string;
  readonly a: string;
  readonly b: string;
  readonly r: string;
  readonly top: string;
}

/** The state in the fields of the LazyFlags object named `obj`. */
export function flagFields(obj: string): FlagVars {
  return {
    flags: `${obj}.flags`, mask: `${obj}.lazyMask`, kind: `${obj}.lazyKind`,
    a: `${obj}.lazyA`, b: `${obj}.lazyB`, r: `${obj}.lazyR`, top: `${obj}.lazyTop`,
  };
}

/**
 * What a compiler knows about the flag state in straight-line code: the kind, width and
 * lazy mask the last producer recorded; `exact` when its result was a op b with no carry
 * in (ADD, SUB, CMP, NEG; not ADC/SBB), so CF and the comparisons are plain compares of a
 * and b. Absent (undefined) where nothing is known, e.g. in the interpreter.
 */
export interface KnownFlags {
  readonly kind: number;
  readonly top: number;
  readonly mask: number;
  readonly exact: boolean;
}

// ---- recording ---------------------------------------------------------------------------

// `k`, where given, is what is known before the producer: stores of a kind, width or mask
// the state already holds are left out.

/** Stores kind, width and mask, except those `k` says are already there. */
function recordShape(F: FlagVars, kind: number | string, top: number | string, mask: number, k?: KnownFlags): string {
  return (k && k.kind === kind ? '' : ` ${F.kind} = ${kind};`) + (k && k.top === top ? '' : ` ${F.top} = ${top};`) +
    (k && k.mask === mask ? '' : ` ${F.mask} = ${mask};`);
}

/** Records an ADD-like (LAZY_ADD) or SUB-like result for all six flags. */
export function recordArithSrc(F: FlagVars, kind: number | string, a: string, b: string, r: string, top: number | string, k?: KnownFlags): string {
  return `${F.a} = ${a}; ${F.b} = ${b}; ${F.r} = ${r};${recordShape(F, kind, top, ARITH, k)}`;
}

/** INC/DEC: like ADD/SUB by one, but CF keeps its value (stored in the word first). */
export function recordIncDecSrc(F: FlagVars, kind: number | string, a: string, r: string, top: number | string, k?: KnownFlags): string {
  const keepCf = k && (k.mask & CF) === 0 ? '' : `${F.flags} = (${F.flags} & ${~CF}) | ${cfSrc(F, k)}; `;
  return `${keepCf}${F.a} = ${a}; ${F.b} = 1; ${F.r} = ${r};${recordShape(F, kind, top, ARITH & ~CF, k)}`;
}

/** Logic ops: CF = OF = AF = 0 (what LAZY_LOGIC derives), ZF/SF/PF from the result. */
export function recordLogicSrc(F: FlagVars, r: string, top: number | string, k?: KnownFlags): string {
  return `${F.r} = ${r};${recordShape(F, LAZY_LOGIC, top, ARITH, k)}`;
}

/** ZF/SF/PF from `r`, and CF/OF/AF given by `cfOfAf` (those bits' values) directly: shifts, BCD, MUL. */
export function recordResultWithSrc(F: FlagVars, r: string, top: number | string, cfOfAf: string, k?: KnownFlags): string {
  return `${F.flags} = (${F.flags} & ${~(CF | OF | AF)}) | ${cfOfAf}; ${F.r} = ${r};${recordShape(F, LAZY_LOGIC, top, ZF | SF | PF, k)}`;
}

/** Sets the bits of `bits` to those of `value` (both int expressions); they stop being lazy. */
export function setBitsSrc(F: FlagVars, bits: number | string, value: string): string {
  return `${F.flags} = (${F.flags} & ~${bits}) | (${value} & ${bits}); ${F.mask} &= ~${bits};`;
}

// ---- derivations (expressions giving 0 or 1) -------------------------------------------

function carryOf(F: FlagVars, kind: number, top: string): string {
  const { a, b, r } = F;
  return kind === LAZY_ADD
    ? `((((${a} & ${b}) | ((${a} | ${b}) & ~${r})) >>> ${top}) & 1)`
    : `((((~${a} & ${b}) | ((~${a} | ${b}) & ${r})) >>> ${top}) & 1)`;
}

function overflowOf(F: FlagVars, kind: number, top: string): string {
  const { a, b, r } = F;
  return kind === LAZY_ADD
    ? `((((${a} ^ ${r}) & (${b} ^ ${r})) >>> ${top}) & 1)`
    : `((((${a} ^ ${b}) & (${a} ^ ${r})) >>> ${top}) & 1)`;
}

/** `bit` taken from the stored word (it is not lazy). */
function storedBit(F: FlagVars, bit: number): string {
  const pos = 31 - Math.clz32(bit);
  return pos === 0 ? `(${F.flags} & 1)` : `((${F.flags} >> ${pos}) & 1)`;
}

/** A flag that is derived (when lazy) from the kind: ADD-like, SUB-like, or 0 for LAZY_LOGIC. */
function byKind(F: FlagVars, bit: number, k: KnownFlags | undefined, derive: (kind: number, top: string) => string): string {
  if (k) {
    if ((k.mask & bit) === 0) return storedBit(F, bit);
    return k.kind === LAZY_LOGIC ? '0' : derive(k.kind, `${k.top}`);
  }
  return `((${F.mask} & ${bit}) === 0 ? ${storedBit(F, bit)} : ${F.kind} === ${LAZY_ADD} ? ${derive(LAZY_ADD, F.top)} : ` +
    `${F.kind} === ${LAZY_SUB} ? ${derive(LAZY_SUB, F.top)} : 0)`;
}

export function cfSrc(F: FlagVars, k?: KnownFlags): string {
  return byKind(F, CF, k, (kind, top) => carryOf(F, kind, top));
}

export function ofSrc(F: FlagVars, k?: KnownFlags): string {
  return byKind(F, OF, k, (kind, top) => overflowOf(F, kind, top));
}

export function afSrc(F: FlagVars, k?: KnownFlags): string {
  return byKind(F, AF, k, () => `(((${F.a} ^ ${F.b} ^ ${F.r}) >> 4) & 1)`);
}

/** A flag derived from the result alone (ZF, SF, PF), whatever the kind. */
function fromResult(F: FlagVars, bit: number, k: KnownFlags | undefined, derived: string): string {
  if (k) return (k.mask & bit) === 0 ? storedBit(F, bit) : derived;
  return `((${F.mask} & ${bit}) === 0 ? ${storedBit(F, bit)} : ${derived})`;
}

export function zfSrc(F: FlagVars, k?: KnownFlags): string {
  const shift = k ? `${31 - k.top}` : `(31 - ${F.top})`;
  return fromResult(F, ZF, k, `((${F.r} << ${shift}) === 0 ? 1 : 0)`);
}

export function sfSrc(F: FlagVars, k?: KnownFlags): string {
  return fromResult(F, SF, k, `((${F.r} >>> ${k ? k.top : F.top}) & 1)`);
}

export function pfSrc(F: FlagVars, k?: KnownFlags): string {
  return fromResult(F, PF, k, `PARITY[${F.r} & 0xff]`);
}

/** The whole flags word with every lazy bit derived, made current in the stored word (statements). */
export function materialiseSrc(F: FlagVars): string {
  return `if (${F.mask} !== 0) {
    let f = ${F.flags} & ~${F.mask};
    const m = ${F.mask};
    if (m & ${CF}) f |= ${cfSrc(F)};
    if (m & ${PF}) f |= ${pfSrc(F)} << 2;
    if (m & ${AF}) f |= ${afSrc(F)} << 4;
    if (m & ${ZF}) f |= ${zfSrc(F)} << 6;
    if (m & ${SF}) f |= ${sfSrc(F)} << 7;
    if (m & ${OF}) f |= ${ofSrc(F)} << 11;
    ${F.flags} = f;
    ${F.mask} = 0;
  }`;
}

/**
 * x86 condition code 0-15 (the low nibble of Jcc/SETcc/CMOVcc) as a boolean expression.
 * When the producer is known to be an exact SUB/CMP or a logic op with all six flags lazy,
 * the condition is a compare of its operands or result.
 */
export function conditionSrc(F: FlagVars, cc: number, k?: KnownFlags): string {
  const test = conditionTest(F, cc >> 1, k);
  return cc & 1 ? `!${test}` : test;
}

function conditionTest(F: FlagVars, c: number, k?: KnownFlags): string {
  const s = k ? 31 - k.top : 0;
  const signed = (x: string): string => (s ? `(${x} << ${s})` : `(${x} | 0)`);
  const unsigned = (x: string): string => (s ? x : `(${x} >>> 0)`);
  // ZF and SF come from the result alone, whatever the kind.
  if (k && c === 2 && (k.mask & ZF) !== 0) return `(${signed(F.r)} === 0)`;
  if (k && c === 4 && (k.mask & SF) !== 0) return `(${signed(F.r)} < 0)`;
  if (k && k.mask === ARITH && (k.kind === LAZY_LOGIC || (k.kind === LAZY_SUB && k.exact))) {
    if (k.kind === LAZY_SUB) {
      switch (c) {
        case 1: return `(${unsigned(F.a)} < ${unsigned(F.b)})`;
        case 2: return `(${signed(F.r)} === 0)`;
        case 3: return `(${unsigned(F.a)} <= ${unsigned(F.b)})`;
        case 4: return `(${signed(F.r)} < 0)`;
        case 6: return `(${signed(F.a)} < ${signed(F.b)})`;
        case 7: return `(${signed(F.a)} <= ${signed(F.b)})`;
      }
    } else {
      switch (c) {
        case 0: case 1: return 'false';
        case 2: case 3: return `(${signed(F.r)} === 0)`;
        case 4: case 6: return `(${signed(F.r)} < 0)`;
        case 7: return `(${signed(F.r)} <= 0)`;
      }
    }
  }
  const cf = cfSrc(F, k), zf = zfSrc(F, k), sf = sfSrc(F, k), of = ofSrc(F, k);
  switch (c) {
    case 0: return `(${of} !== 0)`;
    case 1: return `(${cf} !== 0)`;
    case 2: return `(${zf} !== 0)`;
    case 3: return `((${cf} | ${zf}) !== 0)`;
    case 4: return `(${sf} !== 0)`;
    case 5: return `(${pfSrc(F, k)} !== 0)`;
    case 6: return `(${sf} !== ${of})`;
    default: return `(((${sf} ^ ${of}) | ${zf}) !== 0)`;
  }
}

// ---- the interpreter's representation ---------------------------------------------------

export class LazyFlags {
  /** Stored flags; bits in lazyMask are stale. */
  flags = 2;
  lazyMask = 0;
  lazyKind = LAZY_LOGIC;
  lazyA = DOUBLE_FIELD;
  lazyB = DOUBLE_FIELD;
  lazyR = DOUBLE_FIELD;
  /** Operand width minus one (7, 15 or 31): the sign bit's position. */
  lazyTop = 31;

  /** Replaces the whole word (no checks: callers decide which bits may change). */
  set(v: number): void {
    this.flags = (v & EFLAGS_IMPLEMENTED) | 2;
    this.lazyMask = 0;
  }
}

/** The methods compiled from the templates above (declaration merging with the class). */
export interface LazyFlags {
  setArith(kind: number, a: number, b: number, r: number, top: number): void;
  setIncDec(kind: number, a: number, r: number, top: number): void;
  setLogic(r: number, top: number): void;
  setResultWith(r: number, top: number, cfOfAf: number): void;
  /** Sets or clears individual bits (they stop being lazy). */
  setBits(mask: number, value: number): void;
  cf(): number;
  of(): number;
  af(): number;
  zf(): number;
  sf(): number;
  pf(): number;
  /** The full flags word with every lazy bit derived; also makes the stored word current. */
  get(): number;
  condition(cc: number): boolean;
}

/** PARITY[b] = 1 when byte b has an even number of set bits (PF). */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let v = i; v; v >>= 1) bits += v & 1;
  PARITY[i] = bits & 1 ? 0 : 1;
}

/** Compiles emitted source into a function that can see PARITY and `names` (new Function sees only globals). */
export function compileTemplate<T>(name: string, params: string, body: string, names: Record<string, unknown> = {}): T {
  const all: Record<string, unknown> = { PARITY, ...names };
  const keys = Object.keys(all);
  return new Function(...keys, `'use strict'; return function ${name}(${params}) {\n${body}\n};`)(...keys.map((n) => all[n])) as T;
}

{
  const THIS = flagFields('this');
  const methods: Record<string, [string, string]> = {
    setArith: ['kind, a, b, r, top', recordArithSrc(THIS, 'kind', 'a', 'b', 'r', 'top')],
    setIncDec: ['kind, a, r, top', recordIncDecSrc(THIS, 'kind', 'a', 'r', 'top')],
    setLogic: ['r, top', recordLogicSrc(THIS, 'r', 'top')],
    setResultWith: ['r, top, cfOfAf', recordResultWithSrc(THIS, 'r', 'top', 'cfOfAf')],
    setBits: ['mask, value', setBitsSrc(THIS, 'mask', 'value')],
    cf: ['', `return ${cfSrc(THIS)};`],
    of: ['', `return ${ofSrc(THIS)};`],
    af: ['', `return ${afSrc(THIS)};`],
    zf: ['', `return ${zfSrc(THIS)};`],
    sf: ['', `return ${sfSrc(THIS)};`],
    pf: ['', `return ${pfSrc(THIS)};`],
    get: ['', `${materialiseSrc(THIS)}\nreturn this.flags;`],
    condition: ['cc', `switch (cc) {\n${Array.from({ length: 16 }, (_, cc) => `case ${cc}: return ${conditionSrc(THIS, cc)};`).join('\n')}\n}\nreturn false;`],
  };
  const proto = LazyFlags.prototype as unknown as Record<string, unknown>;
  for (const [name, [params, body]] of Object.entries(methods)) proto[name] = compileTemplate(name, params, body);
}
