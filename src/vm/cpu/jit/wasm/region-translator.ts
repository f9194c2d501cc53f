// Translates a region's blocks, as the region compiler emitted them in JavaScript, into one
// WebAssembly function: the same locals (registers, lazy flags, pc, done, the temporaries),
// the same `switch (pc)` in a loop (nested blocks and a br_table, so a case falls into the
// next one as in JavaScript), the same budget check before each dispatch.
//
// Numbers: every value is an i32. JavaScript keeps int32 and uint32 apart only where a
// comparison or `%` sees them, so each expression gets a static type — signed ('i'),
// unsigned ('u', from `>>> 0`) or unknown ('x', e.g. a sum that may exceed 32 bits) — and a
// comparison whose meaning would depend on a type it cannot know is Unsupported (the region
// stays JavaScript). Bit operators and stores truncate exactly as ToInt32 does.
//
// The names the blocks use map to the guest arena: `R[n]` (the CPU's registers), `lf.*` (the
// lazy flags while the region runs), `cpu.eip/startEip/startEsp/code32` (cells shared with
// the imports), `PARITY[x]`, and `self.valid` (the region's page still holds code: a region
// is invalidated only with its page; after a store, checked on its slow path only). Loads and
// stores through flat segments, and through segments with a base but no limit (FS, GS), get
// the TLB fast path inline; everything else calls the imports (IMPORTS).
//
// Faults: an import that may fault catches the CPU's FAULT, sets CELL_FAULTED and returns;
// the call is followed by a check of that cell, which branches to the fault path: it writes the
// locals back unless an interpreted instruction already had the state (CELL_SYNCED), stores
// `done`, and returns EXIT_FAULT; the caller finishes the JavaScript catch's work and throws
// FAULT on. The faulting instruction's `cur` and `k` are constants the translator follows
// (not locals): each call that may fault stores them to their cells first, on its slow path.
// As locals they were live across the whole region, and Liftoff stored them to their stack
// slots at every branch of a memory access that merges (nine alternated boots of ten faster).
// Not a wasm try/catch_all: an exception edge from every call made every value the catch
// reads live at each slow path, and TurboFan's code ~9% bigger.

import {
  ARENA_CELLS, ARENA_CODE_PAGES, ARENA_FLAGS, ARENA_PARITY, ARENA_RAM, ARENA_REGS, ARENA_SEG_BASE, ARENA_SEG_OPEN, ARENA_TLB_READ, ARENA_TLB_WRITE,
  SEG_OPEN_READ, SEG_OPEN_WRITE,
  CELL_CODE32, CELL_CUR, CELL_DONE, CELL_EIP, CELL_FAULTED, CELL_K, CELL_START_EIP, CELL_START_ESP, CELL_SYNCED,
} from '../../../machine/guest-arena.js';
import { EXIT_FAULT } from '../exit-reasons.js';
import { Bytes, I32, Op, REGION_PARAMS, VOID, buildModule, type BranchHint, type ImportSpec } from './wasm-module.js';
import { TLB_CODE, TLB_SLOW, fastPathBit } from '../../mmu.js';
import { KEY_CPL3 } from '../mode-key.js';
import { parseStatements, Unsupported, type Expr, type Stmt } from './js-subset.js';
import { tieringBudget, useTieringBudget } from './tiering-budget.js';

/** The functions every region module imports, in this order. */
export const IMPORTS: readonly ImportSpec[] = [
  { name: 'ld8', params: 2, results: 1 }, { name: 'ld16', params: 2, results: 1 }, { name: 'ld32', params: 2, results: 1 },
  { name: 'st8', params: 3, results: 0 }, { name: 'st16', params: 3, results: 0 }, { name: 'st32', params: 3, results: 0 },
  { name: 'pw', params: 3, results: 0 },
  { name: 'write8', params: 3, results: 0 }, { name: 'write16', params: 3, results: 0 }, { name: 'write32', params: 3, results: 0 },
  { name: 'read8', params: 2, results: 1 }, { name: 'read16', params: 2, results: 1 }, { name: 'read32', params: 2, results: 1 },
  { name: 'probeWrite', params: 3, results: 0 },
  { name: 'executeOne', params: 0, results: 0 },
  { name: 'leave', params: 3, results: 1 },
  { name: 'shift', params: 4, results: 1 }, { name: 'doubleShift', params: 5, results: 1 },
  { name: 'raise', params: 1, results: 0 },
];
const importIndex = new Map(IMPORTS.map((f, i) => [f.name, i]));
/** The imports that may fault: each call is followed by the CELL_FAULTED check (wasm-regions.ts makes them catch FAULT). */
export const FAULTING_IMPORTS: ReadonlySet<string> = new Set([
  'ld8', 'ld16', 'ld32', 'st8', 'st16', 'st32', 'pw', 'write8', 'write16', 'write32', 'read8', 'read16', 'read32',
  'probeWrite', 'executeOne', 'raise',
]);

/** Calls whose first argument (`lf` or `cpu`) the import already knows. */
const CONTEXT_ARG = new Set(['executeOne', 'shift', 'doubleShift']);
const CPU_CALLS: Record<string, string> = {
  'cpu.read8': 'read8', 'cpu.read16': 'read16', 'cpu.read32': 'read32', 'cpu.probeWrite': 'probeWrite',
  'cpu.write8': 'write8', 'cpu.write16': 'write16', 'cpu.write32': 'write32', 'cpu.raise': 'raise',
};

const FLAG_FIELDS = ['flags', 'lazyMask', 'lazyKind', 'lazyA', 'lazyB', 'lazyR', 'lazyTop'];
const FLAG_LOCALS = ['ff', 'fm', 'fk', 'fa', 'fb', 'fr', 'ft'];
const CPU_CELLS: Record<string, number> = { eip: CELL_EIP, startEip: CELL_START_EIP, startEsp: CELL_START_ESP, code32: CELL_CODE32 };
const NAMED_LOCALS = [
  'budget', 'entry', 'r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', ...FLAG_LOCALS,
  'pc', 'left', 'reason', 'o', 'a', 'b', 'v', 't', 'n', 'codeLin', 'bi',
];
/** Temporaries of the inline memory paths: offset, TLB entry, value, linear address; one set per nesting depth. */
const TEMP_DEPTHS = 4;
const TEMPS_PER_DEPTH = 4;
/** The function's i32 locals after its parameters, `budget` and `entry`; the v128 local after them is the imports' tag. */
const I32_LOCALS = NAMED_LOCALS.length - REGION_PARAMS + TEMP_DEPTHS * TEMPS_PER_DEPTH;
const TAG_LOCAL = REGION_PARAMS + I32_LOCALS;

type Ty = 'i' | 'u' | 'x';

export interface RegionBlocks {
  /** Each block's entry EIP (int32) and its statements, in the order the JavaScript switch has them. */
  readonly cases: readonly { start: number; code: string }[];
  readonly key: number;
  readonly physPage: number;
}

/** The module's bytes; throws Unsupported when a block uses JavaScript the translator does not take. */
export function translateRegion(region: RegionBlocks): Uint8Array {
  return new Translator(region).module();
}

/**
 * The region's compiled module with its byte size, or why there is none: 'refused' (the
 * translator does not take a block) or 'invalid' (V8 rejected the module: a translator bug,
 * which the tests require never to happen). Any other error is thrown.
 */
export type RegionModule =
  | { outcome: 'module'; module: WebAssembly.Module; size: number }
  | { outcome: 'refused' | 'invalid' };

export function compileRegionModule(region: RegionBlocks): RegionModule {
  let bytes: Uint8Array;
  try {
    bytes = translateRegion(region);
  } catch (e) {
    if (e instanceof Unsupported) return { outcome: 'refused' };
    throw e;
  }
  try {
    useTieringBudget(tieringBudget(region.key));
    return { outcome: 'module', module: new WebAssembly.Module(bytes), size: bytes.length };
  } catch {
    return { outcome: 'invalid' };
  }
}

class Translator {
  private readonly out = new Bytes();
  private readonly locals = new Map<string, number>();
  private readonly types = new Map<string, Ty>();
  private readonly labels: string[] = [];
  /** Every name the blocks read or assign, and those they assign. */
  private readonly named = new Set<string>();
  private readonly assigned = new Set<string>();
  private readonly bodies: Stmt[][];
  private readonly hints: BranchHint[] = [];
  private depth = 0;
  /** The case being translated, and the constant `pc` holds at this point of it (null: not known). */
  private caseIndex = 0;
  private pcConst: number | null = null;
  /** The faulting instruction's EIP (`cur`) and index in its block (`k`) at this point of the case (null: not set yet). */
  private curConst: number | null = null;
  private kConst: number | null = null;
  /** Case index by block start. */
  private readonly caseAt = new Map<number, number>();
  /** Emitted on the next store's slow path, after the import (stmts: the page-lost check). */
  private slowExit: (() => void) | null = null;

  constructor(private readonly r: RegionBlocks) {
    NAMED_LOCALS.forEach((n, i) => this.locals.set(n, i));
    r.cases.forEach((c, i) => this.caseAt.set(c.start | 0, i));
    this.bodies = r.cases.map((c) => parseStatements(c.code));
    this.inferTypes();
    this.bodies.forEach((b) => b.forEach((s) => this.collectNames(s)));
  }

  module(): Uint8Array {
    this.prologue();
    const o = this.out;
    // bi: the case to run next, or -1 when only pc tells (computed jumps; an entry from the run
    // loop, while the hub passes the case its memo has for pc).
    this.get('entry');
    this.set('bi');
    this.open(Op.Block, 'exit');
    this.open(Op.Block, 'fault');
    this.open(Op.Loop, 'L');
    this.get('left').out.i32Const(0).op(Op.I32LeS);
    this.hintedIf(false);
    o.i32Const(1);
    this.set('reason');
    this.br('exit');
    this.close();
    this.open(Op.Block, 'default');
    const n = this.r.cases.length;
    for (let i = n - 1; i >= 0; i--) this.open(Op.Block, `c${i}`);
    this.get('bi').out.i32Const(0).op(Op.I32LtS);
    this.open(Op.If, '', I32);
    this.dispatch();
    o.op(Op.Else);
    this.get('bi');
    this.close();
    o.op(Op.BrTable).u32(n);
    for (let i = 0; i < n; i++) o.u32(i);
    o.u32(n);
    for (let i = 0; i < n; i++) {
      this.close();
      this.caseIndex = i;
      this.pcConst = null;
      this.curConst = null;
      this.kConst = null;
      this.stmts(this.bodies[i]);
    }
    this.close();
    this.br('exit');
    this.close(); // loop
    this.close(); // fault: reached only by the checks after faulting calls
    this.cell(CELL_SYNCED, true).op(Op.I32Eqz);
    this.open(Op.If, '');
    this.writeBack();
    this.close();
    this.setCell(CELL_DONE, () => this.done());
    o.i32Const(EXIT_FAULT).op(Op.Return);
    this.close(); // exit
    this.writeBack();
    this.setCell(CELL_EIP, () => this.get('pc'));
    this.setCell(CELL_DONE, () => this.done());
    this.get('reason');
    o.op(Op.End);
    return buildModule({ imports: IMPORTS, params: REGION_PARAMS, locals: I32_LOCALS, body: o, hints: this.hints });
  }

  // ---- frame -------------------------------------------------------------------------

  /**
   * The CPU state the region keeps in locals, with its arena offset: registers and flags the
   * blocks name. The others stay in the arena, untouched (a region entered ~150 M times in a
   * boot loads and stores only what it uses).
   */
  private stateLocals(): { name: string; offset: number }[] {
    const all = [
      ...Array.from({ length: 8 }, (_, i) => ({ name: `r${i}`, offset: ARENA_REGS + 4 * i })),
      ...FLAG_LOCALS.map((name, i) => ({ name, offset: ARENA_FLAGS + 4 * i })),
    ];
    return all.filter((s) => this.named.has(s.name));
  }

  /** Pushes the instructions the region has run: the blocks' `done`, kept as `left` = budget - done (one value fewer live in the loop). */
  private done(): void {
    this.get('budget').get('left').out.op(Op.I32Sub);
  }

  private prologue(): void {
    this.get('budget');
    this.set('left');
    for (const { name, offset } of this.stateLocals()) {
      this.out.i32Const(0).mem(Op.I32Load, offset);
      this.set(name);
    }
    this.cell(CELL_EIP, true);
    this.set('pc');
    // Flat code: CS base 0, so the code page's linear number is EIP's.
    this.get('pc').out.i32Const(12).op(Op.I32ShrU);
    this.set('codeLin');
  }

  /** Registers and flags from the locals to the arena: those the region assigns (the others are there already). */
  private writeBack(): void {
    for (const { name, offset } of this.stateLocals()) {
      if (!this.assigned.has(name)) continue;
      this.out.i32Const(0);
      this.get(name).out.mem(Op.I32Store, offset);
    }
  }

  /** Pushes the index of the case whose start is `pc` (n when none): a binary search over the starts. */
  private dispatch(): void {
    const n = this.r.cases.length;
    const sorted = this.r.cases.map((c, i) => ({ start: c.start | 0, i })).sort((x, y) => x.start - y.start);
    const o = this.out;
    // A few starts: pc === s_j ? j : (the rest), as nested selects.
    const leaf = (j: number, hi: number): void => {
      if (j === hi) {
        o.i32Const(n);
        return;
      }
      o.i32Const(sorted[j].i);
      leaf(j + 1, hi);
      this.get('pc');
      o.i32Const(sorted[j].start).op(Op.I32Eq).op(Op.Select);
    };
    const search = (lo: number, hi: number): void => {
      if (hi - lo <= 3) return leaf(lo, hi);
      const mid = (lo + hi) >> 1;
      this.get('pc');
      o.i32Const(sorted[mid].start).op(Op.I32LtS).op(Op.If).byte(I32);
      search(lo, mid);
      o.op(Op.Else);
      search(mid, hi);
      o.op(Op.End);
    };
    search(0, sorted.length);
  }

  // ---- labels and locals -------------------------------------------------------------

  private open(op: Op.Block | Op.Loop | Op.If, label: string, type = VOID): void {
    this.out.op(op).byte(type);
    this.labels.push(label);
  }

  /** An `if` that is `likely` taken or not: the fast paths of memory accesses, the rare exits. */
  private hintedIf(likely: boolean, type = VOID): void {
    this.hints.push({ at: this.out.length, likely });
    this.open(Op.If, '', type);
  }

  private close(): void {
    this.out.op(Op.End);
    this.labels.pop();
  }

  private br(label: string): void {
    const at = this.labels.lastIndexOf(label);
    if (at < 0) throw new Unsupported(`no label ${label}`);
    this.out.op(Op.Br).u32(this.labels.length - 1 - at);
  }

  private index(name: string): number {
    const i = this.locals.get(name);
    if (i === undefined) throw new Unsupported(`unknown name ${name}`);
    return i;
  }

  private get(name: string): this {
    this.out.local(Op.LocalGet, this.index(name));
    return this;
  }

  private set(name: string): void {
    this.out.local(Op.LocalSet, this.index(name));
  }

  private temp(depth: number, which: number): number {
    if (depth >= TEMP_DEPTHS) throw new Unsupported('memory accesses nested too deeply');
    return NAMED_LOCALS.length + depth * TEMPS_PER_DEPTH + which;
  }

  private cell(index: number, load: boolean): Bytes {
    this.out.i32Const(0);
    if (load) this.out.mem(Op.I32Load, ARENA_CELLS + 4 * index);
    return this.out;
  }

  private setCell(index: number, value: () => void): void {
    this.out.i32Const(0);
    value();
    this.out.mem(Op.I32Store, ARENA_CELLS + 4 * index);
  }

  // ---- types -------------------------------------------------------------------------

  private collectNames(s: Stmt): void {
    const expr = (e: Expr): void => {
      switch (e.k) {
        case 'id': this.named.add(e.name); return;
        case 'index': expr(e.index); return;
        case 'call': e.args.forEach(expr); return;
        case 'unary': expr(e.x); return;
        case 'binary': expr(e.l); expr(e.r); return;
        case 'cond': expr(e.c); expr(e.t); expr(e.f); return;
        case 'assign':
          if (e.target.k === 'id') this.assigned.add(e.target.name);
          expr(e.target);
          expr(e.value);
      }
    };
    if (s.k === 'block') s.body.forEach((x) => this.collectNames(x));
    else if (s.k === 'if') {
      expr(s.c);
      this.collectNames(s.t);
      if (s.f) this.collectNames(s.f);
    } else if (s.k === 'expr') expr(s.e);
  }

  /** The type of every local: the join of what is assigned to it, iterated to a fixed point. */
  private inferTypes(): void {
    // The statements that assign a local, with the value each assigns, gathered once.
    const names: string[] = [];
    const values: Expr[] = [];
    const gather = (s: Stmt): void => {
      if (s.k === 'block') s.body.forEach(gather);
      else if (s.k === 'if') {
        gather(s.t);
        if (s.f) gather(s.f);
      } else if (s.k === 'expr' && s.e.k === 'assign' && s.e.target.k === 'id' && this.locals.has(s.e.target.name)) {
        names.push(s.e.target.name);
        values.push(s.e.op === '=' ? s.e.value : { k: 'binary', op: s.e.op.slice(0, -1), l: s.e.target, r: s.e.value });
      }
    };
    this.bodies.forEach((b) => b.forEach(gather));
    for (let pass = 0; pass < 4; pass++) {
      let changed = false;
      for (let i = 0; i < names.length; i++) {
        const before = this.types.get(names[i]);
        const t = this.typeOf(values[i]);
        const joined = before === undefined || before === t ? t : 'x';
        if (joined !== before) {
          this.types.set(names[i], joined);
          changed = true;
        }
      }
      if (!changed) return;
    }
  }

  private typeOf(e: Expr): Ty {
    switch (e.k) {
      case 'num':
        if (!Number.isInteger(e.v) || e.v < -0x80000000 || e.v > 0xffffffff) throw new Unsupported(`literal ${e.v}`);
        return e.v > 0x7fffffff ? 'u' : 'i';
      case 'id': return this.types.get(e.name) ?? 'i';
      case 'member': return e.obj === 'cpu' && e.prop !== 'code32' ? 'x' : 'i';
      case 'index': case 'call': return 'i';
      case 'unary': return e.op === '-' ? (this.typeOf(e.x) === 'i' ? 'i' : 'x') : 'i';
      case 'cond': {
        const t = this.typeOf(e.t), f = this.typeOf(e.f);
        return t === f ? t : 'x';
      }
      case 'assign': throw new Unsupported('assignment inside an expression');
      case 'binary':
        switch (e.op) {
          case '>>>': return 'u';
          case '+': case '-':
            return this.typeOf(e.l) === 'i' && this.typeOf(e.r) === 'i' ? 'i' : 'x';
          case '%': {
            const l = this.typeOf(e.l), r = this.typeOf(e.r);
            if (l !== r || l === 'x') throw new Unsupported('% of mixed types');
            return l;
          }
          default: return 'i';
        }
    }
  }

  /** The condition of an exit the region rarely takes: its page lost its code, or an interpreted instruction changed the state. */
  private static rareExit(c: Expr): boolean {
    return Translator.pageLost(c) || (c.k === 'call' && c.callee === 'leaveAfterInterpreted');
  }

  /** `!self.valid`: the region's page lost its code. */
  private static pageLost(c: Expr): boolean {
    return c.k === 'unary' && c.op === '!' && c.x.k === 'member' && c.x.obj === 'self' && c.x.prop === 'valid';
  }

  /** A literal int32 in [0, 2^31): compares the same whatever the other side's type. */
  private static smallConstant(e: Expr): boolean {
    return e.k === 'num' && e.v >= 0 && e.v <= 0x7fffffff;
  }

  // ---- statements --------------------------------------------------------------------

  /**
   * A statement list. A store followed (after plain assignments) by `if (!self.valid) …`
   * gets that check on its slow path only: a fast-path store never reaches a page with
   * code (its TLB write entry would carry TLB_CODE), so only the import can have dropped the
   * region's page. There the check runs the assignments and the exit; the fast path has
   * no check at all.
   */
  private stmts(list: readonly Stmt[]): void {
    for (let j = 0; j < list.length; j++) {
      const k = Translator.validCheckAfterStore(list, j);
      if (k < 0) {
        this.stmt(list[j]);
        continue;
      }
      const between = list.slice(j + 1, k), check = list[k];
      if (check.k !== 'if') throw new Error('unreachable');
      this.slowExit = () => {
        const before = this.pcConst;
        this.expr(check.c);
        this.hintedIf(false);
        for (const x of between) this.stmt(x);
        this.stmt(check.t);
        this.close();
        this.pcConst = before;
      };
      this.stmt(list[j]);
      if (this.slowExit !== null) throw new Error('a store statement emitted no slow path');
      for (const x of between) this.stmt(x);
      j = k;
    }
  }

  /**
   * When list[j] is a store (st8/16/32, cpu.write8/16/32 through a constant segment) and
   * `if (!self.valid) …` follows after assignments of call-free values to locals other
   * than pc, that check's index; else -1.
   */
  private static validCheckAfterStore(list: readonly Stmt[], j: number): number {
    const s = list[j];
    if (s.k !== 'expr' || s.e.k !== 'call' || !/^(st|cpu\.write)(8|16|32)$/.test(s.e.callee) || s.e.args[0]?.k !== 'num') return -1;
    for (let k = j + 1; k < list.length; k++) {
      const x = list[k];
      if (x.k === 'if') return Translator.pageLost(x.c) && x.f === null ? k : -1;
      if (x.k !== 'expr' || x.e.k !== 'assign' || x.e.target.k !== 'id' || x.e.target.name === 'pc' || x.e.target.name === 'synced' ||
        Translator.hasCall(x.e.value)) return -1;
    }
    return -1;
  }

  private static hasCall(e: Expr): boolean {
    switch (e.k) {
      case 'call': return true;
      case 'index': return Translator.hasCall(e.index);
      case 'unary': return Translator.hasCall(e.x);
      case 'binary': return Translator.hasCall(e.l) || Translator.hasCall(e.r);
      case 'cond': return Translator.hasCall(e.c) || Translator.hasCall(e.t) || Translator.hasCall(e.f);
      case 'assign': return true;
      default: return false;
    }
  }

  /** On a store's slow path, after the import: the exit stmts() gave it, if any. */
  private emitSlowExit(): void {
    const exit = this.slowExit;
    this.slowExit = null;
    exit?.();
  }

  private stmt(s: Stmt): void {
    switch (s.k) {
      case 'block':
        this.stmts(s.body);
        return;
      case 'if': {
        this.expr(s.c);
        if (Translator.rareExit(s.c)) this.hintedIf(false);
        else this.open(Op.If, '');
        // The constants the translator follows hold after the `if` where both ways leave them alike.
        const before = [this.pcConst, this.curConst, this.kConst];
        this.stmt(s.t);
        const afterThen = [this.pcConst, this.curConst, this.kConst];
        [this.pcConst, this.curConst, this.kConst] = before;
        if (s.f) {
          this.out.op(Op.Else);
          this.stmt(s.f);
        }
        if (this.pcConst !== afterThen[0]) this.pcConst = null;
        if (this.curConst !== afterThen[1]) this.curConst = null;
        if (this.kConst !== afterThen[2]) this.kConst = null;
        this.close();
        return;
      }
      case 'continue':
        this.jump();
        return;
      case 'break':
        if (s.label !== 'L') throw new Unsupported(`break ${s.label}`);
        this.br('exit');
        return;
      case 'expr':
        if (s.e.k === 'assign') this.assign(s.e.op, s.e.target, s.e.value);
        else if (s.e.k === 'call') {
          if (this.call(s.e)) this.out.op(Op.Drop);
        } else throw new Unsupported('expression statement');
    }
  }

  /**
   * `continue`: to the case pc names. A constant pc outside the region leaves it at once
   * (the dispatch would find no case: EXIT_BRANCH, which `reason` still is). A constant pc
   * later in the region is a plain branch (forward, so it cannot loop past the budget
   * check); one at or before this case goes back through the budget check with `bi` set.
   * Only a computed pc is searched for.
   */
  private jump(): void {
    const target = this.pcConst === null ? undefined : this.caseAt.get(this.pcConst);
    if (this.pcConst !== null && target === undefined) {
      this.br('exit');
      return;
    }
    if (target !== undefined && target > this.caseIndex) {
      this.br(`c${target}`);
      return;
    }
    this.out.i32Const(target ?? -1);
    this.set('bi');
    this.br('L');
  }

  private assign(op: string, target: Expr, value: Expr): void {
    const combined: Expr = op === '=' ? value : { k: 'binary', op: op.slice(0, -1), l: target, r: value };
    if (target.k === 'id' && target.name === 'done') {
      if (op !== '+=') throw new Unsupported(`done ${op}`);
      this.get('left');
      this.expr(value);
      this.out.op(Op.I32Sub);
      this.set('left');
      return;
    }
    if (target.k === 'id' && (target.name === 'cur' || target.name === 'k')) {
      if (op !== '=' || value.k !== 'num') throw new Unsupported(`${target.name} not a constant`);
      if (target.name === 'cur') this.curConst = value.v | 0;
      else this.kConst = value.v | 0;
      return;
    }
    if (target.k === 'id') {
      if (target.name === 'pc') this.pcConst = op === '=' && value.k === 'num' ? value.v | 0 : null;
      if (target.name === 'synced') return this.setCell(CELL_SYNCED, () => this.expr(combined));
      this.expr(combined);
      this.set(target.name);
      return;
    }
    const offset = this.address(target);
    this.out.i32Const(0);
    this.expr(combined);
    this.out.mem(Op.I32Store, offset);
  }

  /** The arena offset of an assignable place: `R[n]`, `lf.*`, `cpu.eip` and the other cells. */
  private address(e: Expr): number {
    if (e.k === 'index' && e.obj === 'R' && e.index.k === 'num' && e.index.v >= 0 && e.index.v < 8) return ARENA_REGS + 4 * e.index.v;
    if (e.k === 'member') {
      if (e.obj === 'lf' && FLAG_FIELDS.includes(e.prop)) return ARENA_FLAGS + 4 * FLAG_FIELDS.indexOf(e.prop);
      if (e.obj === 'cpu' && e.prop in CPU_CELLS) return ARENA_CELLS + 4 * CPU_CELLS[e.prop];
    }
    throw new Unsupported('unknown place');
  }

  // ---- expressions -------------------------------------------------------------------

  private expr(e: Expr): void {
    const o = this.out;
    switch (e.k) {
      case 'num':
        this.typeOf(e);
        o.i32Const(e.v | 0);
        return;
      case 'id':
        if (e.name === 'synced') {
          this.cell(CELL_SYNCED, true);
          return;
        }
        this.get(e.name);
        return;
      case 'member':
        if (e.obj === 'self' && e.prop === 'valid') {
          o.i32Const(0).mem(Op.I32Load8U, ARENA_CODE_PAGES + this.r.physPage);
          return;
        }
        o.i32Const(0).mem(Op.I32Load, this.address(e));
        return;
      case 'index':
        if (e.obj === 'PARITY') {
          this.expr(e.index);
          o.mem(Op.I32Load8U, ARENA_PARITY);
          return;
        }
        o.i32Const(0).mem(Op.I32Load, this.address(e));
        return;
      case 'call':
        if (!this.call(e)) throw new Unsupported(`${e.callee} has no value`);
        return;
      case 'unary':
        if (e.op === '-') o.i32Const(0);
        this.expr(e.x);
        if (e.op === '~') o.i32Const(-1);
        o.op(e.op === '!' ? Op.I32Eqz : e.op === '~' ? Op.I32Xor : Op.I32Sub);
        return;
      case 'cond':
        this.expr(e.c);
        this.open(Op.If, '', I32);
        this.expr(e.t);
        o.op(Op.Else);
        this.expr(e.f);
        this.close();
        return;
      case 'binary':
        return this.binary(e.op, e.l, e.r);
      case 'assign':
        throw new Unsupported('assignment inside an expression');
    }
  }

  private binary(op: string, l: Expr, r: Expr): void {
    const o = this.out;
    if (op === '&&' || op === '||') {
      // As conditions: 0 or 1.
      this.expr(l);
      this.open(Op.If, '', I32);
      if (op === '&&') {
        this.expr(r);
        o.i32Const(0).op(Op.I32Ne).op(Op.Else).i32Const(0);
      } else {
        o.i32Const(1).op(Op.Else);
        this.expr(r);
        o.i32Const(0).op(Op.I32Ne);
      }
      this.close();
      return;
    }
    const simple: Record<string, Op> = {
      '&': Op.I32And, '|': Op.I32Or, '^': Op.I32Xor, '<<': Op.I32Shl, '>>': Op.I32ShrS, '>>>': Op.I32ShrU,
      '+': Op.I32Add, '-': Op.I32Sub,
    };
    if (op in simple) {
      this.expr(l);
      // x | 0, x >>> 0, x & -1, x + 0 and the like change a JavaScript number's type, not an i32's bits.
      if (r.k === 'num' && (r.v === 0 ? op !== '&' : r.v === -1 && op === '&')) return;
      this.expr(r);
      o.op(simple[op]);
      return;
    }
    const lt = this.typeOf(l), rt = this.typeOf(r);
    if (op === '%') {
      this.expr(l);
      this.expr(r);
      o.op(lt === 'u' ? Op.I32RemU : Op.I32RemS);
      return;
    }
    const small = Translator.smallConstant(l) || Translator.smallConstant(r);
    if (op === '===' || op === '!==' || op === '==' || op === '!=') {
      if (!small && (lt !== rt || lt === 'x')) throw new Unsupported(`${op} of ${lt} and ${rt}`);
      this.expr(l);
      this.expr(r);
      o.op(op[0] === '=' ? Op.I32Eq : Op.I32Ne);
      return;
    }
    let unsigned: boolean;
    if (lt === 'i' && rt === 'i') unsigned = false;
    else if (lt === 'u' && rt === 'u') unsigned = true;
    else if ((lt === 'u' && Translator.smallConstant(r)) || (rt === 'u' && Translator.smallConstant(l))) unsigned = true;
    else throw new Unsupported(`${op} of ${lt} and ${rt}`);
    this.expr(l);
    this.expr(r);
    const ops: Record<string, [Op, Op]> = {
      '<': [Op.I32LtS, Op.I32LtU], '<=': [Op.I32LeS, Op.I32LeU], '>': [Op.I32GtS, Op.I32GtU], '>=': [Op.I32GeS, Op.I32GeU],
    };
    const pair = ops[op];
    if (!pair) throw new Unsupported(`operator ${op}`);
    o.op(pair[unsigned ? 1 : 0]);
  }

  // ---- calls -------------------------------------------------------------------------

  /** Emits a call; true when it leaves a value. */
  private call(e: { callee: string; args: Expr[] }): boolean {
    // Loads and stores, flat or through a segment with a base (a constant segment number).
    const access = /^(ld|st|cpu\.read|cpu\.write)(8|16|32)$/.exec(e.callee);
    const based = access !== null && access[1].startsWith('cpu.');
    if (access && (!based || e.args[0]?.k === 'num')) {
      const bytes = Number(access[2]) >> 3;
      const load = access[1] === 'ld' || access[1] === 'cpu.read';
      if (load) this.load(e.args, bytes, based);
      else this.store(e.args, bytes, based);
      return load;
    }
    if (e.callee === 'pw') {
      this.probe(e.args);
      return false;
    }
    if (e.callee === 'codeIs') {
      this.codeIs(e.args);
      return true;
    }
    if (e.callee === 'Math.imul' || e.callee === 'imulOverflows') {
      this.multiply(e.callee === 'imulOverflows', e.args);
      return true;
    }
    if (e.callee === 'mulHigh' || e.callee === 'mulHighS') {
      this.multiplyHigh(e.callee === 'mulHighS', e.args);
      return true;
    }
    if (e.callee === 'divQuot') {
      this.divide64(e.args);
      return true;
    }
    if (e.callee === 'ramCopy' || e.callee === 'ramFill') {
      this.bulk(e.callee === 'ramCopy', e.args);
      return true;
    }
    let name = CPU_CALLS[e.callee] ?? e.callee;
    let args = e.args;
    if (CONTEXT_ARG.has(name)) args = args.slice(1);
    if (name === 'leaveAfterInterpreted') {
      name = 'leave';
      args = [...args, { k: 'num', v: this.r.key }, { k: 'num', v: this.r.physPage }];
    }
    const index = importIndex.get(name);
    if (index === undefined) throw new Unsupported(`call ${e.callee}`);
    if (args.length !== IMPORTS[index].params) throw new Unsupported(`call ${e.callee} with ${args.length} arguments`);
    this.depth++;
    for (const a of args) this.expr(a);
    this.depth--;
    this.callImport(index);
    return IMPORTS[index].results === 1;
  }

  /** Math.imul: the low 32 bits of the product; imulOverflows: whether the signed 64-bit product differs from them. */
  private multiply(overflows: boolean, args: Expr[]): void {
    if (args.length !== 2) throw new Unsupported('multiply with other than two arguments');
    const o = this.out;
    if (!overflows) {
      this.expr(args[0]);
      this.expr(args[1]);
      o.op(Op.I32Mul);
      return;
    }
    const l = this.inLocal(args[0], this.temp(this.depth, 0));
    const r = this.inLocal(args[1], this.temp(this.depth, 1));
    o.local(Op.LocalGet, l).op(Op.I64ExtendI32S).local(Op.LocalGet, r).op(Op.I64ExtendI32S).op(Op.I64Mul);
    o.local(Op.LocalGet, l).local(Op.LocalGet, r).op(Op.I32Mul).op(Op.I64ExtendI32S).op(Op.I64Ne);
  }

  /** mulHigh, mulHighS: the high 32 bits of the unsigned or signed 64-bit product. */
  private multiplyHigh(signed: boolean, args: Expr[]): void {
    if (args.length !== 2) throw new Unsupported('multiply with other than two arguments');
    const o = this.out, extend = signed ? Op.I64ExtendI32S : Op.I64ExtendI32U;
    this.expr(args[0]);
    o.op(extend);
    this.expr(args[1]);
    o.op(extend).op(Op.I64Mul).op(Op.I64Const).s32(32).op(Op.I64ShrU).op(Op.I32WrapI64);
  }

  /**
   * divQuot(hi, lo, d): the unsigned 64-bit hi:lo divided by d. Emitted only after divWideSrc's
   * #DE check, so the divide cannot trap and the quotient fits 32 bits.
   */
  private divide64(args: Expr[]): void {
    if (args.length !== 3) throw new Unsupported('divide with other than three arguments');
    const o = this.out;
    this.expr(args[0]);
    o.op(Op.I64ExtendI32U).op(Op.I64Const).s32(32).op(Op.I64Shl);
    this.expr(args[1]);
    o.op(Op.I64ExtendI32U).op(Op.I64Or);
    this.expr(args[2]);
    o.op(Op.I64ExtendI32U).op(Op.I64DivU).op(Op.I32WrapI64);
  }

  /**
   * Pushes zero when the TLB entry for the address in temp `l` admits an access of `bytes` on
   * one page with the bits of `alsoClear` clear too, else non-zero (bits, not a boolean: V8
   * compiles the test into the branch instead of materialising two compares); leaves the entry in `e`.
   */
  private tlbMiss(table: number, l: number, e: number, bytes: number, alsoClear = 0): void {
    const o = this.out;
    o.local(Op.LocalGet, l).i32Const(12).op(Op.I32ShrU).i32Const(2).op(Op.I32Shl).mem(Op.I32Load, table);
    const need = fastPathBit((this.r.key & KEY_CPL3) !== 0);
    o.local(Op.LocalTee, e).i32Const(need | TLB_SLOW | alsoClear).op(Op.I32And).i32Const(need).op(Op.I32Xor);
    // The last byte on the next page: adding bytes - 1 (< 4096) carried into bit 12.
    if (bytes > 1) {
      o.local(Op.LocalGet, l).i32Const(bytes - 1).op(Op.I32Add).local(Op.LocalGet, l).op(Op.I32Xor).i32Const(0x1000).op(Op.I32And);
      o.op(Op.I32Or);
    }
  }

  /** Pushes the physical address (RAM-relative) of the address in temp `l` under TLB entry `e`. */
  private physical(l: number, e: number): void {
    this.out.local(Op.LocalGet, e).i32Const(-4096).op(Op.I32And).local(Op.LocalGet, l).i32Const(4095).op(Op.I32And).op(Op.I32Or);
  }

  /**
   * The local holding the value of `e`: its own when `e` is a local (nothing in an expression
   * assigns one), else `temp` after evaluating `e` into it (nested accesses use the next depth's temporaries).
   */
  private inLocal(e: Expr, temp: number): number {
    if (e.k === 'id' && e.name !== 'synced') return this.index(e.name);
    this.depth++;
    this.expr(e);
    this.depth--;
    this.out.local(Op.LocalSet, temp);
    return temp;
  }

  /**
   * The start of an inline access `f(seg, offset, …)` with `count` arguments: the segment (a
   * constant), the local `l` holding the offset and the TLB entry temporary `e` of this depth.
   */
  private access(args: Expr[], count: number): { seg: number; l: number; e: number } {
    const seg = args[0];
    if (args.length !== count || seg.k !== 'num') throw new Unsupported('memory access arguments');
    return { seg: seg.v, l: this.inLocal(args[1], this.temp(this.depth, 0)), e: this.temp(this.depth, 1) };
  }

  /**
   * Calls import `index`, its i32 arguments on the stack, with the tag (wasm-module.ts). Before
   * one that may fault, stores the faulting instruction's `cur` and `k` to their cells; after
   * it, leaves for the fault path when it did.
   */
  private callImport(index: number): void {
    const name = IMPORTS[index].name, faulting = FAULTING_IMPORTS.has(name);
    if (faulting) {
      // An interpreted instruction (executeOne) restarts from the state it synced, which needs no `cur`.
      if (this.kConst === null || (this.curConst === null && name !== 'executeOne')) throw new Unsupported(`${name} before cur and k`);
      const cur = this.curConst, k = this.kConst;
      if (cur !== null) this.setCell(CELL_CUR, () => this.out.i32Const(cur));
      this.setCell(CELL_K, () => this.out.i32Const(k));
    }
    this.out.local(Op.LocalGet, TAG_LOCAL).op(Op.Call).u32(index);
    if (!faulting) return;
    this.cell(CELL_FAULTED, true);
    this.hintedIf(false);
    this.br('fault');
    this.close();
  }

  /**
   * A load: flat (`ld*`, the offset is the linear address) or through a segment with a base
   * (`cpu.read*`: FS, GS — per-CPU data, thread-local storage — when the segment has no limit
   * to check, segmentClosed). The TLB fast path, else the import (Cpu.read* with the fault checks).
   */
  private load(args: Expr[], bytes: number, based: boolean): void {
    const { seg, l, e } = this.access(args, 2);
    const lin = based ? this.temp(this.depth, 3) : l, o = this.out;
    if (based) this.segmentClosed(seg, l, lin, bytes, false);
    this.tlbMiss(ARENA_TLB_READ, lin, e, bytes);
    if (based) o.op(Op.I32Or);
    o.op(Op.I32Eqz);
    this.hintedIf(true, I32);
    this.physical(lin, e);
    o.mem(bytes === 1 ? Op.I32Load8U : bytes === 2 ? Op.I32Load16U : Op.I32Load, ARENA_RAM);
    o.op(Op.Else).i32Const(seg).local(Op.LocalGet, l);
    this.callImport(importIndex.get(`${based ? 'read' : 'ld'}${bytes * 8}`)!);
    this.close();
  }

  /**
   * A store, flat (`st*`) or based (`cpu.write*`), as `load`. A page with compiled code takes
   * the import (its write entries carry TLB_CODE), which invalidates it first; after the
   * import comes the page-lost check stmts() gave (emitSlowExit).
   */
  private store(args: Expr[], bytes: number, based: boolean): void {
    const { seg, l, e } = this.access(args, 3);
    const lin = based ? this.temp(this.depth, 3) : l, o = this.out;
    const v = this.inLocal(args[2], this.temp(this.depth, 2));
    if (based) this.segmentClosed(seg, l, lin, bytes, true);
    this.tlbMiss(ARENA_TLB_WRITE, lin, e, bytes, TLB_CODE);
    if (based) o.op(Op.I32Or);
    o.op(Op.I32Eqz);
    this.hintedIf(true);
    this.physical(lin, e);
    o.local(Op.LocalGet, v).mem(bytes === 1 ? Op.I32Store8 : bytes === 2 ? Op.I32Store16 : Op.I32Store, ARENA_RAM);
    o.op(Op.Else).i32Const(seg).local(Op.LocalGet, l).local(Op.LocalGet, v);
    this.callImport(importIndex.get(`${based ? 'write' : 'st'}${bytes * 8}`)!);
    this.emitSlowExit();
    this.close();
  }

  /**
   * Pushes zero when an access of `bytes` at offset `l` through `seg` may take the fast path,
   * else non-zero: the segment admits it at every offset (SEG_OPEN_*, kept by the CPU in the
   * arena) and the offset does not wrap past 4 GiB. Leaves the linear address in `lin`.
   */
  private segmentClosed(seg: number, l: number, lin: number, bytes: number, write: boolean): void {
    const o = this.out, open = write ? SEG_OPEN_WRITE : SEG_OPEN_READ;
    o.i32Const(0).mem(Op.I32Load, ARENA_SEG_BASE + 4 * seg).local(Op.LocalGet, l).op(Op.I32Add).local(Op.LocalSet, lin);
    o.i32Const(0).mem(Op.I32Load, ARENA_SEG_OPEN + 4 * seg).i32Const(open).op(Op.I32And).i32Const(open).op(Op.I32Xor);
    if (bytes > 1) o.local(Op.LocalGet, l).i32Const(-bytes).op(Op.I32GtU).op(Op.I32Or);
  }

  /**
   * codeIs(lin, expected, mask): whether the page at constant `lin` is in the TLB for the
   * region's privilege and its first word, under `mask`, is `expected` (the bytes of an
   * instruction that crosses onto it).
   */
  private codeIs(args: Expr[]): void {
    const [lin, expected, mask] = args;
    if (args.length !== 3 || lin.k !== 'num' || expected.k !== 'num' || mask.k !== 'num') throw new Unsupported('codeIs arguments');
    const o = this.out, e = this.temp(this.depth, 1);
    const need = fastPathBit((this.r.key & KEY_CPL3) !== 0);
    o.i32Const(0).mem(Op.I32Load, ARENA_TLB_READ + 4 * (lin.v >>> 12)).local(Op.LocalTee, e);
    o.i32Const(need | TLB_SLOW).op(Op.I32And).i32Const(need).op(Op.I32Eq);
    this.open(Op.If, '', I32);
    o.local(Op.LocalGet, e).i32Const(-4096).op(Op.I32And).mem(Op.I32Load, ARENA_RAM);
    o.i32Const(mask.v | 0).op(Op.I32And).i32Const(expected.v | 0).op(Op.I32Eq);
    o.op(Op.Else).i32Const(0);
    this.close();
  }

  /**
   * ramCopy(dst, src, n) and ramFill(dst, byte, n) (memory-helpers.ts), on linear ranges of n
   * bytes that the region compiler made sure lie within one page each: pushes 1 after moving
   * the bytes (memory.copy, memory.fill) when the TLB admits the destination for a store to a
   * page without compiled code and the source for a load, both plain RAM, and a copy's
   * destination does not start inside its source ahead of it (the element loop replicates a
   * pattern there, memory.copy would not); else 0, having done nothing.
   */
  private bulk(copy: boolean, args: Expr[]): void {
    if (args.length !== 3) throw new Unsupported('bulk move arguments');
    const o = this.out, at = this.depth;
    const dst = this.inLocal(args[0], this.temp(at, 0)), de = this.temp(at, 1);
    const src = this.inLocal(args[1], this.temp(at, 2)), n = this.inLocal(args[2], this.temp(at, 3));
    const se = this.temp(at + 1, 0), dp = this.temp(at + 1, 1), sp = this.temp(at + 1, 2);
    this.tlbMiss(ARENA_TLB_WRITE, dst, de, 1, TLB_CODE);
    if (copy) {
      this.tlbMiss(ARENA_TLB_READ, src, se, 1);
      o.op(Op.I32Or);
    }
    o.op(Op.I32Eqz);
    this.hintedIf(true, I32);
    this.physical(dst, de);
    o.local(Op.LocalSet, dp);
    if (copy) {
      this.physical(src, se);
      o.local(Op.LocalSet, sp);
      // dp - sp in [1, n - 1]: the destination starts inside the source, ahead of it.
      o.local(Op.LocalGet, dp).local(Op.LocalGet, sp).op(Op.I32Sub).i32Const(1).op(Op.I32Sub);
      o.local(Op.LocalGet, n).i32Const(1).op(Op.I32Sub).op(Op.I32LtU);
      this.hintedIf(false, I32);
      o.i32Const(0).op(Op.Else);
      o.local(Op.LocalGet, dp).i32Const(ARENA_RAM).op(Op.I32Add).local(Op.LocalGet, sp).i32Const(ARENA_RAM).op(Op.I32Add);
      o.local(Op.LocalGet, n).memoryCopy().i32Const(1);
      this.close();
    } else {
      o.local(Op.LocalGet, dp).i32Const(ARENA_RAM).op(Op.I32Add).local(Op.LocalGet, src).local(Op.LocalGet, n).memoryFill().i32Const(1);
    }
    o.op(Op.Else).i32Const(0);
    this.close();
  }

  /** Faults as a store of n bytes would: calls the import unless the TLB admits the store. */
  private probe(args: Expr[]): void {
    const size = args[2];
    if (!size || size.k !== 'num') throw new Unsupported('probe size');
    const { seg, l, e } = this.access(args, 3);
    const o = this.out;
    this.tlbMiss(ARENA_TLB_WRITE, l, e, size.v);
    this.hintedIf(false);
    o.i32Const(seg).local(Op.LocalGet, l).i32Const(size.v);
    this.callImport(importIndex.get('pw')!);
    this.close();
  }
}
