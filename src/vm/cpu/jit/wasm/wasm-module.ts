// The few pieces of the WebAssembly binary format a region needs: a growable byte buffer
// with LEB128, the opcodes the translator emits, a module of one exported function that
// imports the guest arena's memory and a fixed list of functions, and a module that turns
// JavaScript functions into wasm functions.

export const enum Op {
  Block = 0x02, Loop = 0x03, If = 0x04, Else = 0x05,
  End = 0x0b, Br = 0x0c, BrIf = 0x0d, BrTable = 0x0e, Return = 0x0f, Call = 0x10,
  CallIndirect = 0x11, Drop = 0x1a, Select = 0x1b,
  LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22,
  I32Load = 0x28, I32Load8U = 0x2d, I32Load16U = 0x2f, I32Store = 0x36, I32Store8 = 0x3a, I32Store16 = 0x3b,
  I32Const = 0x41,
  I32Eqz = 0x45, I32Eq = 0x46, I32Ne = 0x47, I32LtS = 0x48, I32LtU = 0x49, I32GtS = 0x4a, I32GtU = 0x4b,
  I32LeS = 0x4c, I32LeU = 0x4d, I32GeS = 0x4e, I32GeU = 0x4f,
  I32Add = 0x6a, I32Sub = 0x6b, I32Mul = 0x6c, I32RemS = 0x6f, I32RemU = 0x70,
  I32And = 0x71, I32Or = 0x72, I32Xor = 0x73, I32Shl = 0x74, I32ShrS = 0x75, I32ShrU = 0x76,
  I64Const = 0x42, I64Ne = 0x52, I64Mul = 0x7e, I64DivU = 0x80, I64Or = 0x84, I64Shl = 0x86, I64ShrU = 0x88, I32WrapI64 = 0xa7, I64ExtendI32S = 0xac, I64ExtendI32U = 0xad,
  /** The prefix of the bulk memory operations (memory.copy, memory.fill). */
  Misc = 0xfc,
}

/** Bulk memory operations after Op.Misc. */
const MEMORY_COPY = 0x0a, MEMORY_FILL = 0x0b;

/** Block types. */
export const VOID = 0x40;
export const I32 = 0x7f;
const V128 = 0x7b;

export class Bytes {
  buf = new Uint8Array(1024);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) this.reserve(1);
    this.buf[this.length++] = b;
    return this;
  }

  private reserve(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
  }

  op(o: Op): this {
    return this.byte(o);
  }

  u32(v: number): this {
    v >>>= 0;
    do {
      const b = v & 0x7f;
      v >>>= 7;
      this.byte(v === 0 ? b : b | 0x80);
    } while (v !== 0);
    return this;
  }

  s32(v: number): this {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  append(other: Bytes): this {
    if (this.length + other.length > this.buf.length) this.reserve(other.length);
    this.buf.set(other.buf.subarray(0, other.length), this.length);
    this.length += other.length;
    return this;
  }

  name(s: string): this {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
    return this;
  }

  i32Const(v: number): this {
    return this.op(Op.I32Const).s32(v);
  }

  local(o: Op.LocalGet | Op.LocalSet | Op.LocalTee, index: number): this {
    return this.op(o).u32(index);
  }

  /** A load or store at constant offset `offset` from the address on the stack. */
  mem(o: Op, offset: number): this {
    const align = o === Op.I32Load8U || o === Op.I32Store8 ? 0 : o === Op.I32Load16U || o === Op.I32Store16 ? 1 : 2;
    return this.op(o).u32(align).u32(offset);
  }

  /** memory.copy within the one memory: destination, source and length on the stack. */
  memoryCopy(): this {
    return this.op(Op.Misc).u32(MEMORY_COPY).byte(0).byte(0);
  }

  /** memory.fill: destination, byte value and length on the stack. */
  memoryFill(): this {
    return this.op(Op.Misc).u32(MEMORY_FILL).byte(0);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** An imported function: its name and how many i32 parameters and results it has. */
export interface ImportSpec {
  readonly name: string;
  readonly params: number;
  readonly results: 0 | 1;
}

function section(out: Bytes, id: number, body: Bytes): void {
  out.byte(id).u32(body.length).append(body);
}

export interface ModuleSpec {
  /** Functions imported from module `e` (functions 0..n-1), after memory `e.m`; each takes the tag after its i32s. */
  readonly imports: readonly ImportSpec[];
  /** Also import table `e.t` of functions (i32) -> i32: type 1, for call_indirect. */
  readonly table?: boolean;
  /** The exported function `run`: i32 parameters, extra i32 locals (then the tag's v128), and its body (ending in End); it returns an i32. */
  readonly params: number;
  readonly locals: number;
  readonly body: Bytes;
  /** Branch hints for `if`s in the body: the `if`'s offset in `body` and whether it is likely taken. */
  readonly hints?: readonly BranchHint[];
}

export interface BranchHint {
  readonly at: number;
  readonly likely: boolean;
}

/**
 * Function types of i32s, numbered in order of first use; `section()` is the type section.
 * A type `withTag` also takes a v128 last (see `buildModule`).
 */
class TypeList {
  private readonly keys: string[] = [];

  of(params: number, results: number, withTag = false): number {
    const key = `${params}:${results}:${withTag ? 1 : 0}`;
    let i = this.keys.indexOf(key);
    if (i < 0) i = this.keys.push(key) - 1;
    return i;
  }

  section(): Bytes {
    const sec = new Bytes().u32(this.keys.length);
    for (const t of this.keys) {
      const [p, r, tag] = t.split(':').map(Number);
      sec.byte(0x60).u32(p + tag);
      for (let i = 0; i < p; i++) sec.byte(I32);
      if (tag) sec.byte(V128);
      sec.u32(r);
      for (let i = 0; i < r; i++) sec.byte(I32);
    }
    return sec;
  }
}

function header(): Bytes {
  return new Bytes().byte(0).byte(0x61).byte(0x73).byte(0x6d).byte(1).byte(0).byte(0).byte(0);
}

/**
 * The module's bytes. Type 0 is run's, type 1 (i32) -> i32. Each imported function takes
 * a v128 after its i32 parameters, the tag: V8 compiles a call wrapper for every imported
 * function whose signature JavaScript could call when it compiles a module, in case the
 * import is a JavaScript function (~0.15 ms for each distinct signature, ~0.3 ms a region
 * module, measured), and a v128 parameter is one JavaScript cannot pass. The body passes
 * its one v128 local (index `params + locals`, always zero) as the tag.
 */
/** A region function's parameters: its budget and the case to start at (-1: the one `pc` names). Type 1 of every module. */
export const REGION_PARAMS = 2;

export function buildModule(spec: ModuleSpec): Uint8Array {
  const types = new TypeList();
  types.of(spec.params, 1);
  types.of(REGION_PARAMS, 1);
  const importTypes = spec.imports.map((f) => types.of(f.params, f.results, true));

  const out = header();
  section(out, 1, types.section());
  const importSec = new Bytes().u32(spec.imports.length + 1 + (spec.table ? 1 : 0));
  importSec.name('e').name('m').byte(2).byte(0).u32(1);
  if (spec.table) importSec.name('e').name('t').byte(1).byte(0x70).byte(0).u32(0);
  spec.imports.forEach((f, i) => importSec.name('e').name(f.name).byte(0).u32(importTypes[i]));
  section(out, 2, importSec);
  section(out, 3, new Bytes().u32(1).u32(0));
  section(out, 7, new Bytes().u32(1).name('run').byte(0).u32(spec.imports.length));
  const fn = new Bytes().u32((spec.locals > 0 ? 1 : 0) + 1);
  if (spec.locals > 0) fn.u32(spec.locals).byte(I32);
  fn.u32(1).byte(V128);
  if (spec.hints && spec.hints.length > 0) section(out, 0, branchHints(spec.imports.length, fn.length, spec.hints));
  fn.append(spec.body);
  section(out, 10, new Bytes().u32(1).u32(fn.length).append(fn));
  return out.bytes();
}

/**
 * The custom section `metadata.code.branch_hint` (the branch-hinting proposal) for function
 * `index`, whose body starts with `declBytes` of local declarations. TurboFan treats the
 * unlikely side of a hinted `if` as deferred and keeps the spills and reloads around calls
 * there, off the likely path.
 */
function branchHints(index: number, declBytes: number, hints: readonly BranchHint[]): Bytes {
  const sec = new Bytes().name('metadata.code.branch_hint').u32(1).u32(index).u32(hints.length);
  for (const h of hints) sec.u32(declBytes + h.at).u32(1).byte(h.likely ? 1 : 0);
  return sec;
}

/**
 * A module that imports `functions` from `e` (JavaScript functions of i32s) and exports,
 * under the same names, wasm functions that take the tag too and call them: the imports of
 * region modules. Importing wasm functions needs no call wrapper per module either (the
 * JavaScript ones cost ~0.2 ms per instantiation, measured).
 */
export function forwardingModule(functions: readonly ImportSpec[]): Uint8Array {
  const types = new TypeList();
  const jsTypes = functions.map((f) => types.of(f.params, f.results));
  const taggedTypes = functions.map((f) => types.of(f.params, f.results, true));
  const out = header();
  section(out, 1, types.section());
  const importSec = new Bytes().u32(functions.length);
  functions.forEach((f, i) => importSec.name('e').name(f.name).byte(0).u32(jsTypes[i]));
  section(out, 2, importSec);
  const funcSec = new Bytes().u32(functions.length);
  for (const t of taggedTypes) funcSec.u32(t);
  section(out, 3, funcSec);
  const exportSec = new Bytes().u32(functions.length);
  functions.forEach((f, i) => exportSec.name(f.name).byte(0).u32(functions.length + i));
  section(out, 7, exportSec);
  const codeSec = new Bytes().u32(functions.length);
  functions.forEach((f, i) => {
    const body = new Bytes().u32(0);
    for (let p = 0; p < f.params; p++) body.local(Op.LocalGet, p);
    body.op(Op.Call).u32(i).op(Op.End);
    codeSec.u32(body.length).append(body);
  });
  section(out, 10, codeSec);
  return out.bytes();
}
