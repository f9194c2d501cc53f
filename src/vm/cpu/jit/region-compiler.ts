// Region compiler: the basic blocks of one physical code page reachable from an entry EIP,
// emitted as ONE JavaScript function (`new Function`). The eight registers and the lazy
// flag state (LazyFlags' fields) live in locals, written back to the CPU where anything
// outside the region's straight-line code can see them: on leaving, around interpreted
// instructions and helper calls that use the flags, and in the fault path. Control flow
// between the region's blocks is a `switch (pc)` in a loop; an instruction budget is
// checked before every block so the function always returns.
//
// Semantics are not rewritten here: the ALU ops, INC/DEC, NEG, shifts and the flag
// derivations are emitted from the templates of alu.ts and flags.ts that the interpreter's
// functions are compiled from; within a block the compiler follows which kind of
// instruction produced the flags (KnownFlags), so `cmp; jcc` becomes one compare. Rarer
// helpers (RCL/RCR, shifts by CL, SHLD/SHRD, IMUL) are called with the flags synced, and
// anything this compiler does not handle inline is run by the interpreter's executeOne from
// inside the region, with registers and flags written back first and re-read after.
//
// Precise faults: before an instruction that can fault, the emitted code records its EIP
// (`cur`) and its index in the block (`k`); the catch block writes the locals back and sets
// startEip/startEsp, so the run loop's fault path restarts exactly as the interpreter's.
// Each instruction reads and probes memory before it changes any register.

import type { Cpu } from '../cpu.js';
import { ES, CS, SS, DS, DE } from '../constants.js';
import { TLB_SLOW, fastPathBit } from '../mmu.js';
import { executeOne } from '../interpreter.js';
import {
  shift, doubleShift, imulOverflows, imulSrc, resultKnown, widthMask, widthOf, arithSrc, arithKnown, incDecSrc, incDecKnown, negSrc, negKnown,
  shiftSrc, shiftKnown, bswapSrc, mulWideSrc, mulHigh, mulHighS, divWideSrc, divQuot,
} from '../alu.js';
import { PARITY, CF, DF, conditionSrc, cfSrc, setBitsSrc, type FlagVars, type KnownFlags } from '../flags.js';
import { decode, type Decoded } from './decoder.js';
import type { MemoryHelpers } from './memory-helpers.js';
import { KEY_CODE32, KEY_STACK32, KEY_CPL3, KEY_FLAT, modeKey } from './mode-key.js';
import type { CompiledWasm, WasmRegions } from './wasm/wasm-regions.js';
import type { RegionBlocks } from './wasm/region-translator.js';
import { EXIT_BRANCH, EXIT_BUDGET, EXIT_EVENT, EXIT_INVALIDATED } from './exit-reasons.js';

/** Runs up to about `budget` instructions; returns an EXIT_* reason. */
export type RegionFunction = (budget: number) => number;

export interface Region {
  /**
   * A JavaScript region's function, set once when its code is built (finishRegion); null for
   * a wasm region, which runs through WasmRegions.enter with its `slot`.
   */
  run: RegionFunction | null;
  /** Physical address of the entry instruction and the mode key compiled for. */
  readonly phys: number;
  readonly key: number;
  /**
   * The entry's EIP as an int32: unsigned, the kernel's EIPs (at or above 2^31) were doubles
   * where the firmware's had been small integers, which changed the field's representation and
   * so every region's hidden class: code that handles regions was deoptimised on each old one
   * it met (invalidatePage 13-62 times a boot, now 1-3).
   */
  readonly entryEip: number;
  /**
   * The physical address of every block start: the region may be entered at any of them
   * (a region lies on one page, so a block's EIP is entryEip plus its distance from phys).
   */
  readonly blockPhys: readonly number[];
  /** Just past each block's last byte, in the order of blockPhys (past the page's end for an instruction across it). */
  readonly blockEnds: readonly number[];
  readonly blocks: number;
  readonly instructions: number;
  sourceLength: number;
  /** Cleared by invalidation; a running region checks it after each store and leaves. */
  valid: boolean;
  /** A wasm region's slot in the back end's table (released when the region is dropped); -1 for JavaScript. */
  slot: number;
}

/** What compiled code needs from the code cache. */
export interface RegionEnvironment {
  /** The loads and stores regions call, for CPL 0-2 and for CPL 3. */
  readonly memorySuper: MemoryHelpers;
  readonly memoryUser: MemoryHelpers;
  /** The WebAssembly back end, or null to compile every region to JavaScript. */
  readonly wasm: WasmRegions | null;
}

/** How much one region holds at most. */
interface RegionLimits {
  readonly blocks: number;
  /** Instructions, and bytes of emitted JavaScript. */
  readonly insns: number;
  readonly source: number;
}

// V8 optimises a generated JavaScript function on a background thread in time that grows
// faster than its size, and runs it unoptimised meanwhile: big regions made a code-dense page
// slower than the interpreter (measured: 64 blocks ~3-10 MIPS, 32 blocks ~13-15 MIPS,
// interpreter ~8.5, on 4 KiB of random integer code).
const JS_LIMITS: RegionLimits = { blocks: 32, insns: 512, source: 32 * 1024 };
// Wasm regions were held to 12 blocks while they were translated on the VM thread (12 took
// 6-12 s less CPU than 32 per boot then: big regions repeat each other's blocks). Translated
// in the background, 20, 32 and 64 blocks each took 0.92-0.94 of 12's time side by side, 32
// the same as 20; then 1,024 instructions and 64 KiB of source instead of 512 and 32 KiB took
// 0.97-0.98 of the time, and 2,048 and 128 KiB no clearly less (0.97-1.00).
const WASM_LIMITS: RegionLimits = { blocks: 32, insns: 1024, source: 64 * 1024 };
const MAX_BLOCK_INSNS = 64;

/** The lazy flag state in a region's locals (LazyFlags' fields while the region runs). */
const LOCAL_FLAGS: FlagVars = { flags: 'ff', mask: 'fm', kind: 'fk', a: 'fa', b: 'fb', r: 'fr', top: 'ft' };
const FLAGS_TO_LF = 'lf.flags = ff; lf.lazyMask = fm; lf.lazyKind = fk; lf.lazyA = fa; lf.lazyB = fb; lf.lazyR = fr; lf.lazyTop = ft;';
const FLAGS_FROM_LF = 'ff = lf.flags; fm = lf.lazyMask; fk = lf.lazyKind; fa = lf.lazyA; fb = lf.lazyB; fr = lf.lazyR; ft = lf.lazyTop;';
/** The eight registers between the region's locals and cpu.reg32 (`R`). */
const REGS = [0, 1, 2, 3, 4, 5, 6, 7];
const REGS_FROM_CPU = REGS.map((r) => `r${r} = R[${r}];`).join(' ');
/** Everything the region keeps in locals, written to the CPU and read back. */
const STATE_TO_CPU = `${REGS.map((r) => `R[${r}] = r${r};`).join(' ')} ${FLAGS_TO_LF}`;
const STATE_FROM_CPU = `${REGS_FROM_CPU} ${FLAGS_FROM_LF}`;

interface Emitted {
  code: string;
  /** 'next' continues the block; the others end it. */
  end: 'next' | 'jump' | 'dynamic';
  targets: number[];
  /** For a jump: the successor on the path that ends in FALLTHROUGH (-1: none). */
  fallthrough?: number;
}

/**
 * Ends a block's path to a static successor. When that successor's case is emitted right
 * after this block, the marker becomes nothing and control falls into it; otherwise it is
 * `continue` (back to the budget check and the switch). Fall-through chains follow the
 * emission order, so they cannot loop without passing the budget check.
 */
const FALLTHROUGH = '/*fallthrough*/';

interface Block {
  start: number;
  /** The EIP just past its last instruction. */
  end: number;
  code: string;
  fallthrough: number;
}

/**
 * What laying a region out reads of the machine. The background translator lays regions out
 * from a copy taken when the region is requested: a store to the page meanwhile drops the
 * request, so a copy of stale bytes never becomes code.
 */
export interface RegionInput {
  /** Physical address and EIP of the entry, and the mode key compiled for. */
  readonly phys: number;
  readonly eip: number;
  readonly key: number;
  readonly csBase: number;
  readonly csLimit: number;
  /** The code page's 4096 bytes. */
  readonly page: Uint8Array;
  /**
   * The next page's first 16 bytes where an instruction may be compiled across the page end
   * (flat code whose next page is a RAM page in the TLB for this privilege); else null.
   */
  readonly nextPage: Uint8Array | null;
  /** Laid out for the wasm back end (its limits), else for JavaScript. */
  readonly forWasm: boolean;
}

/**
 * The input for the region entered at cpu.eip (physical `phys`, a RAM page) under `key`;
 * `copy` takes the bytes out of guest RAM (for another thread), else they are views of it.
 */
export function regionInput(cpu: Cpu, phys: number, key: number, env: RegionEnvironment, copy: boolean): RegionInput {
  const ram = cpu.host.memory.ram;
  const start = phys & ~0xfff;
  const bytes = (from: number, n: number) => (copy ? ram.slice(from, from + n) : ram.subarray(from, from + n));
  const flat = (key & KEY_FLAT) !== 0;
  const csBase = cpu.segBase[CS];
  const linPage = ((csBase + cpu.eip) | 0) >>> 12;
  let nextPage: Uint8Array | null = null;
  if (flat && linPage !== 0xfffff) {
    const e = cpu.mmu.tlbRead[linPage + 1];
    const need = fastPathBit((key & KEY_CPL3) !== 0);
    const frame = e & -4096;
    if ((e & (need | TLB_SLOW)) === need && frame >= 0 && frame + 4096 <= ram.length) nextPage = bytes(frame, 16);
  }
  return {
    phys, eip: cpu.eip >>> 0, key, csBase, csLimit: cpu.segLimit[CS], page: bytes(start, 4096), nextPage,
    forWasm: env.wasm !== null && flat,
  };
}

/** A region's decoded and emitted blocks. */
export interface RegionLayout {
  /** The switch's cases: each block's entry EIP (int32) and its statements. */
  readonly cases: { start: number; code: string }[];
  /** The physical address of every block start, and just past its end, in the order of `cases`. */
  readonly blockPhys: number[];
  readonly blockEnds: number[];
  readonly instructions: number;
}

/** Decodes and emits the blocks of the region `input` describes (pure: any thread may run it). */
export function layOutRegion(input: RegionInput): RegionLayout {
  const source = new RegionSource(input);
  const cases = source.cases();
  const blockPhys = source.blockEips.map((e) => source.physOf(e));
  return { cases, blockPhys, blockEnds: blockPhys.map((at, i) => at + (source.blockEnds[i] - source.blockEips[i])), instructions: source.insnCount };
}

/** A region whose blocks are decoded and emitted, waiting for its code. */
export interface RegionPlan {
  readonly region: Region;
  /** What the wasm back end translates; null when the region is JavaScript (not flat code). */
  readonly wasmBlocks: RegionBlocks | null;
  readonly input: RegionInput;
  readonly layout: RegionLayout;
  readonly cpu: Cpu;
}

/** The plan for a region laid out from `input` (here, or by the background translator); its code is built by finishRegion. */
export function planFrom(cpu: Cpu, input: RegionInput, layout: RegionLayout): RegionPlan {
  const { phys, key } = input;
  const region: Region = {
    run: null,
    phys, key, entryEip: input.eip | 0, blockPhys: layout.blockPhys, blockEnds: layout.blockEnds,
    blocks: layout.blockPhys.length, instructions: layout.instructions,
    sourceLength: 0, valid: true, slot: -1,
  };
  // Flat code goes to wasm where the translator takes every block; the rest stays JavaScript.
  const wasmBlocks = input.forWasm ? { cases: layout.cases, key, physPage: phys >>> 12 } : null;
  return { region, wasmBlocks, input, layout, cpu };
}

/** Gives the planned region its code: the wasm module's function, or JavaScript when `wasm` is null (not flat, or refused). */
export function finishRegion(plan: RegionPlan, env: RegionEnvironment, wasm: CompiledWasm | null): Region {
  const { region, cpu } = plan;
  if (wasm) {
    region.slot = wasm.slot;
    region.sourceLength = wasm.size;
    return region;
  }
  const source = new RegionSource(plan.input).wrap(plan.layout.cases.map((c) => `case ${c.start}: {\n${c.code}\n}`).join('\n'));
  region.sourceLength = source.length;
  // Named after its entry, so CPU profiles (node --cpu-prof) show time per region.
  const name = `region-${region.phys.toString(16)}-${(region.entryEip >>> 0).toString(16)}.js`;
  const factory = new Function('env', `${source}\n//# sourceURL=${name}`) as (e: object) => RegionFunction;
  const user = (region.key & KEY_CPL3) !== 0;
  region.run = factory({
    cpu, mem: user ? env.memoryUser : env.memorySuper, self: region, executeOne, shift, doubleShift, imulOverflows, mulHigh, mulHighS, divQuot, modeKey, PARITY,
  });
  return region;
}

class RegionSource {
  blockCount = 0;
  insnCount = 0;
  readonly blockEips: number[] = [];
  /** The EIP just past each block's last instruction. */
  readonly blockEnds: number[] = [];
  private readonly key: number;
  private readonly limits: RegionLimits;
  private readonly code32: boolean;
  private readonly flat: boolean;
  private readonly stackMask: string;
  private readonly csBase: number;
  private readonly csLimit: number;
  private readonly linPage: number;
  private readonly physPage: number;
  private readonly bytes: Uint8Array;
  /** What is known of the flags at the instruction being emitted (within a block), and after it. */
  private known: KnownFlags | undefined;
  private knownAfter: KnownFlags | undefined;

  constructor(private readonly input: RegionInput) {
    const key = input.key;
    this.key = key;
    this.limits = input.forWasm ? WASM_LIMITS : JS_LIMITS;
    this.code32 = (key & KEY_CODE32) !== 0;
    this.flat = (key & KEY_FLAT) !== 0;
    this.stackMask = (key & KEY_STACK32) !== 0 ? '-1' : '0xffff';
    this.csBase = input.csBase;
    this.csLimit = input.csLimit;
    this.linPage = ((this.csBase + input.eip) | 0) >>> 12;
    this.physPage = input.phys >>> 12;
    this.bytes = input.page;
  }

  /** The physical address of `eip`, which lies on the region's page. */
  physOf(eip: number): number {
    return ((this.physPage << 12) | this.offsetOf(eip)) >>> 0;
  }

  /** The page offset of `eip`, or -1 when it lies on another page. */
  private offsetOf(eip: number): number {
    const lin = (this.csBase + eip) | 0;
    return lin >>> 12 === this.linPage ? lin & 0xfff : -1;
  }

  /**
   * The instruction at page offset `off` decoded across the page end, with the check that its
   * bytes on the next page are still those: flat code only, whose next page is in the TLB
   * for this privilege, with at most 4 bytes there (the check is one aligned 32-bit load).
   * Null when it cannot be compiled so.
   */
  private crossingTail(off: number, eip: number): { d: Decoded; lin: number; expected: number; mask: number } | null {
    const next = this.input.nextPage;
    if (next === null) return null;
    // The page's last 16 bytes (an instruction is at most 15) and the next page's first 16.
    const window = new Uint8Array(32);
    window.set(this.bytes.subarray(4096 - 16));
    window.set(next, 16);
    const d = decode(window, off - (4096 - 16), eip, this.code32, window.length);
    const n = off + d.len - 4096;
    if (!d.complete || n < 1 || n > 4) return null;
    const mask = n === 4 ? -1 : (1 << (8 * n)) - 1;
    const expected = (window[16] | (window[17] << 8) | (window[18] << 16) | (window[19] << 24)) & mask;
    return { d, lin: ((this.linPage + 1) << 12) | 0, expected, mask };
  }

  /** The region's blocks as the cases of its `switch (pc)`, each ending in a jump or falling into the next. */
  cases(): { start: number; code: string }[] {
    const blocks: Block[] = [];
    const seen = new Set<number>();
    const queue = [this.input.eip];
    let size = 0;
    const limits = this.limits;
    while (queue.length > 0 && this.blockCount < limits.blocks && this.insnCount < limits.insns && size < limits.source) {
      const eip = queue.shift()!;
      if (seen.has(eip) || this.offsetOf(eip) < 0) continue;
      seen.add(eip);
      const b = this.block(eip, queue);
      blocks.push(b);
      size += b.code.length;
      this.blockEips.push(eip);
      this.blockEnds.push(b.end);
      // Emit the fall-through successor next, so its edge needs no dispatch.
      if (b.fallthrough >= 0 && !seen.has(b.fallthrough)) queue.unshift(b.fallthrough);
      this.blockCount++;
    }
    return blocks.map((b, i) => {
      const falls = i + 1 < blocks.length && blocks[i + 1].start === b.fallthrough;
      return { start: b.start | 0, code: b.code.replace(FALLTHROUGH, falls ? '' : 'continue;') };
    });
  }

  private block(start: number, queue: number[]): Block {
    this.known = undefined;
    let eip = start;
    let fallthrough = -1, end = start;
    const out: string[] = [];
    for (let i = 0; ; i++) {
      const off = this.offsetOf(eip);
      let d = decode(this.bytes, off, eip, this.code32);
      // An instruction that ends on the next page is compiled behind a check of its bytes there.
      const tail = d.complete && off + d.len <= 4096 ? null : this.crossingTail(off, eip);
      if (tail) d = tail.d;
      const next = this.code32 ? eip + d.len : (eip + d.len) & 0xffff;
      this.insnCount++;
      let e: Emitted | null = null;
      const inLimit = this.flat || eip + d.len - 1 <= this.csLimit;
      this.knownAfter = this.known;
      if (d.complete && inLimit && (tail || off + d.len <= 4096)) e = this.insn(d, next, i);
      if (!e && d.complete && inLimit && staysInRegion(d)) {
        e = { code: this.interpretedInline(d, next, i), end: 'next', targets: [] };
        this.knownAfter = undefined;
      } else if (!e && d.complete && inLimit && d.rep !== 0 && isMemoryStringOp(d.op)) {
        e = { code: this.interpretedRep(d, next, i), end: 'next', targets: [] };
        this.knownAfter = undefined;
      }
      if (e && tail) {
        e = { ...e, code: `if (!codeIs(${tail.lin}, ${tail.expected}, ${tail.mask})) {\n${this.fallback(d, i)}\n}\n${e.code}` };
        this.knownAfter = undefined;
      }
      this.known = this.knownAfter;
      end = next;
      if (!e) {
        out.push(this.fallback(d, i));
        if (d.complete) queue.push(next);
        break;
      }
      out.push(e.code);
      for (const t of e.targets) queue.push(t);
      if (e.end !== 'next') {
        if (e.end === 'jump') {
          fallthrough = e.fallthrough ?? -1;
          break;
        }
        // A computed target (RET, indirect jump/call) is already in pc.
        out.push(`done += ${i + 1}; continue;`);
        break;
      }
      eip = next;
      if (i + 1 >= MAX_BLOCK_INSNS || this.offsetOf(eip) < 0 || this.insnCount >= this.limits.insns) {
        out.push(`pc = ${eip | 0}; done += ${i + 1}; ${FALLTHROUGH}`);
        if (this.offsetOf(eip) >= 0) fallthrough = eip;
        break;
      }
    }
    return { start, end, code: out.join('\n'), fallthrough };
  }

  // ---- the function around the blocks ------------------------------------------------

  /** The JavaScript region: the function around the cases. */
  wrap(cases: string): string {
    const cpl3 = (this.key & KEY_CPL3) !== 0;
    const needBits = fastPathBit(cpl3);
    const checkMask = needBits | TLB_SLOW;
    const nonFlatChecks = this.flat ? '' : ` || cpu.segLimit[1] !== ${this.csLimit}`;
    return `'use strict';
const cpu = env.cpu, lf = cpu.lf, tr = cpu.mmu.tlbRead, self = env.self, ints = cpu.host.interrupts;
const executeOne = env.executeOne, shift = env.shift, doubleShift = env.doubleShift, imulOverflows = env.imulOverflows;
const mulHigh = env.mulHigh, mulHighS = env.mulHighS, divQuot = env.divQuot;
const modeKey = env.modeKey, PARITY = env.PARITY;
const CM = ${checkMask}, NB = ${needBits};
const mem = env.mem, ld8 = mem.ld8, ld16 = mem.ld16, ld32 = mem.ld32, st8 = mem.st8, st16 = mem.st16, st32 = mem.st32;
const pw = mem.pw, codeIs = mem.codeIs, ramCopy = mem.ramCopy, ramFill = mem.ramFill;
// After an interpreted instruction: anything that the compiled code's assumptions or the run loop care about.
function leaveAfterInterpreted(codeLin) {
  const e = tr[codeLin];
  return cpu.halted || cpu.shutdown || cpu.inhibitInterrupts || cpu.exitRequested || !self.valid || modeKey(cpu) !== ${this.key} ||
    ((cpu.lf.flags & 0x200) !== 0 && ints.hasInterrupt()) || (e & CM) !== NB || (e >>> 12) !== ${this.physPage}${nonFlatChecks};
}
// Parenthesised, so V8 compiles it with the factory instead of preparsing it now and parsing it
// again on the first call (measured: ~0.2 ms less per region).
return (function region(budget) {
  const R = cpu.reg32;
  let r0 = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5 = 0, r6 = 0, r7 = 0;
  ${REGS_FROM_CPU}
  let ff = 0, fm = 0, fk = 0, fa = 0, fb = 0, fr = 0, ft = 0;
  ${FLAGS_FROM_LF}
  let pc = cpu.eip | 0, done = 0, k = 0, cur = pc, synced = false, reason = ${EXIT_BRANCH};
  let o = 0, a = 0, b = 0, v = 0, t = 0, n = 0;
  const codeLin = ((cpu.segBase[1] + pc) | 0) >>> 12;
  if (${this.flat ? 'false' : `cpu.segLimit[1] !== ${this.csLimit}`}) return ${EXIT_BRANCH};
  try {
    L: for (;;) {
      if (done >= budget) { reason = ${EXIT_BUDGET}; break; }
      switch (pc) {
${cases}
        default: break L;
      }
    }
  } catch (e) {
    if (!synced) { ${STATE_TO_CPU} cpu.startEip = cur >>> 0; cpu.startEsp = r4; cpu.eip = cur >>> 0; }
    cpu.instructionCount += done + k;
    throw e;
  }
  ${STATE_TO_CPU}
  cpu.eip = pc >>> 0;
  cpu.instructionCount += done;
  return reason;
});
`;
  }

  // ---- instruction emitters --------------------------------------------------------------

  /** Runs `d` through the interpreter with the region's state written to the CPU (the caller reads it back). */
  private interpret(d: Decoded, i: number): string {
    return `${STATE_TO_CPU}
cpu.eip = ${d.eip}; cpu.startEip = ${d.eip}; cpu.startEsp = r4; k = ${i}; synced = true;
executeOne(cpu);`;
  }

  /** Runs `d` through the interpreter and reads the state back, with EIP where it left it. */
  private interpretAndReload(d: Decoded, i: number): string {
    return `${this.interpret(d, i)}
if (!cpu.code32) cpu.eip &= 0xffff;
synced = false;
${STATE_FROM_CPU}`;
  }

  /** Ends the block at cpu.eip after an interpreted instruction, leaving the region when `leave` says so. */
  private endAfterInterpreted(i: number): string {
    return `k = 0; done += ${i + 1}; pc = cpu.eip | 0;
if (leaveAfterInterpreted(codeLin)) { reason = ${EXIT_EVENT}; break L; }
continue;`;
  }

  /** Runs one instruction through the interpreter and ends the block. */
  private fallback(d: Decoded, i: number): string {
    return `${this.interpretAndReload(d, i)}
${this.endAfterInterpreted(i)}`;
  }

  /**
   * Runs one instruction that cannot change mode, flow or the interrupt state through the
   * interpreter, inside the block; leaves when it stored into compiled code (XADD, CMPXCHG …).
   */
  private interpretedInline(d: Decoded, next: number, i: number): string {
    return `${this.interpret(d, i)}
synced = false;
${STATE_FROM_CPU}
${this.afterStore(next, i)}`;
  }

  /**
   * A REP string instruction on memory (not INS/OUTS) through the interpreter, inside the
   * block: it changes no mode, flow or interrupt state, but may stop part-way (REP_SLICE, a
   * fault) with EIP still on it, and then leaves the block as `fallback` does.
   */
  private interpretedRep(d: Decoded, next: number, i: number): string {
    const interpreted = `${this.interpretAndReload(d, i)}
if ((cpu.eip | 0) !== ${next | 0}) {
${this.endAfterInterpreted(i)}
}
${this.afterStore(next, i)}`;
    const inOneStep = this.repInOneStep(d);
    return inOneStep ? `if (${inOneStep.test}) {
${inOneStep.update}
} else {
${interpreted}
}` : interpreted;
  }

  /**
   * REP MOVS or STOS going forwards through flat segments with 32-bit addresses (memcpy,
   * memset, copy_page, clear_page) when all ECX elements lie within one page on each side:
   * one ramCopy or ramFill (memory-helpers.ts; memory.copy or memory.fill in wasm) instead of
   * the interpreter, which takes every other case and anything ramCopy/ramFill decline. Such
   * a move cannot fault: both pages are in the TLB. A STOS whose element's bytes differ is
   * interpreted. Null when the instruction has no such form.
   */
  private repInOneStep(d: Decoded): { test: string; update: string } | null {
    const movs = d.op === 0xa4 || d.op === 0xa5, stos = d.op === 0xaa || d.op === 0xab;
    if (!this.flat || !d.a32 || !(movs || stos) || (movs && d.seg !== -1 && d.seg !== DS && d.seg !== ES && d.seg !== SS)) return null;
    const shift = (d.op & 1) === 0 ? 0 : d.o32 ? 2 : 1;
    const fits = (reg: string) => `((r1 - 1) >>> 0) < ((4096 - (${reg} & 4095)) >>> ${shift})`;
    const sameBytes = shift === 0 ? '' : shift === 1 ? ' && (r0 & 65535) === Math.imul(r0 & 255, 257)' : ' && r0 === Math.imul(r0 & 255, 16843009)';
    const move = movs ? `${fits('r6')} && ${fits('r7')} && ramCopy(r7, r6, r1 << ${shift})` : `${fits('r7')}${sameBytes} && ramFill(r7, r0 & 255, r1 << ${shift})`;
    return {
      test: `(ff & ${DF}) === 0 && ${move}`,
      update: `n = r1 << ${shift};${movs ? ' r6 = (r6 + n) | 0;' : ''} r7 = (r7 + n) | 0; r1 = 0;`,
    };
  }

  // ---- flags: templates over the region's locals ----------------------------------------

  /** A group-1 ALU op of `a` and `b` into `v`. */
  private arith(op: number, a: string, b: string, top: number): string {
    const code = arithSrc(LOCAL_FLAGS, op, a, b, 'v', widthOf(top), this.known);
    this.knownAfter = arithKnown(op, top);
    return code;
  }

  /** INC (`dec` false) or DEC of `a` into `v`. */
  private incDec(dec: boolean, a: string, top: number): string {
    const code = incDecSrc(LOCAL_FLAGS, dec, a, 'v', widthOf(top), this.known);
    this.knownAfter = incDecKnown(dec, top);
    return code;
  }

  /** NEG of `a` into `v`. */
  private neg(a: string, top: number): string {
    const code = negSrc(LOCAL_FLAGS, a, 'v', widthOf(top), this.known);
    this.knownAfter = negKnown(top);
    return code;
  }

  private condition(cc: number): string {
    return conditionSrc(LOCAL_FLAGS, cc, this.known);
  }

  /** IMUL of `a` and `b` (masked, pure) at width `top` into `v`. */
  private imul(a: string, b: string, top: 15 | 31): string {
    const code = imulSrc(LOCAL_FLAGS, a, b, 'v', top, this.known);
    this.knownAfter = resultKnown(top);
    return code;
  }

  /** A call to a helper that reads or writes cpu.lf: the flags are synced around it and unknown after. */
  private withLfFlags(code: string): string {
    this.knownAfter = undefined;
    return `${FLAGS_TO_LF} ${code} ${FLAGS_FROM_LF}`;
  }

  /**
   * Register operand `r` for a template: a 32-bit register is used as it is (a pure int32
   * local); narrower ones are masked into the temporary `tmp` first.
   */
  private operand(tmp: string, r: number, top: number): string {
    return top === 31 ? '' : `${tmp} = ${this.reg(r, top)};`;
  }

  private operandName(tmp: string, r: number, top: number): string {
    return top === 31 ? `r${r}` : tmp;
  }

  /** An immediate operand as an int32 (32-bit) or masked literal. */
  private imm(value: number, top: number): string {
    return `${value & widthMask(top)}`;
  }

  private precise(d: Decoded, i: number): string {
    return `cur = ${d.eip | 0}; k = ${i};`;
  }

  private reg(r: number, top: number): string {
    if (top === 31) return `r${r}`;
    if (top === 15) return `(r${r} & 0xffff)`;
    return r < 4 ? `(r${r} & 0xff)` : `((r${r - 4} >> 8) & 0xff)`;
  }

  /** Sets a register; `int32` says the value already is one (a template's 32-bit result). */
  private setReg(r: number, top: number, expr: string, int32 = false): string {
    if (top === 31) return int32 ? `r${r} = ${expr};` : `r${r} = (${expr}) | 0;`;
    if (top === 15) return `r${r} = (r${r} & -65536) | ((${expr}) & 0xffff);`;
    if (r < 4) return `r${r} = (r${r} & -256) | ((${expr}) & 0xff);`;
    return `r${r - 4} = (r${r - 4} & -65281) | (((${expr}) & 0xff) << 8);`;
  }

  private segOf(d: Decoded): number {
    return d.seg >= 0 ? d.seg : d.defSeg;
  }

  /** True when accesses through `seg` may take the flat TLB fast path. */
  private fastSeg(seg: number): boolean {
    return this.flat && (seg === ES || seg === SS || seg === DS);
  }

  /**
   * Loads and stores call the shared memory helpers (the TLB fast path is inside them). An
   * inline fast path (TLB check and typed-array access in the region) ran the compute loop
   * twice as fast but made the boot dearer (paired runs, CPU seconds: +8% against the
   * build without it, which itself took 12% less than calling the ALU helpers): sources
   * ~15% larger take longer to parse and optimise, and most regions run unoptimised.
   */
  private load(seg: number, top: number, off: string): string {
    const n = top === 7 ? 8 : top === 15 ? 16 : 32;
    return this.fastSeg(seg) ? `ld${n}(${seg}, ${off})` : `cpu.read${n}(${seg}, ${off})`;
  }

  private storeTo(seg: number, top: number, off: string, v: string): string {
    const n = top === 7 ? 8 : top === 15 ? 16 : 32;
    return this.fastSeg(seg) ? `st${n}(${seg}, ${off}, ${v});` : `cpu.write${n}(${seg}, ${off}, ${v});`;
  }

  private probe(seg: number, top: number, off: string): string {
    const n = (top + 1) >> 3;
    return this.fastSeg(seg) ? `pw(${seg}, ${off}, ${n});` : `cpu.probeWrite(${seg}, ${off}, ${n});`;
  }

  /**
   * A 32-bit offset for an access through `seg`: the flat fast path takes it as an int32
   * (unsigned numbers at or above 2^31, kernel addresses, are heap numbers in V8's lower
   * tiers); the segment checks of Cpu.read and write want it unsigned.
   */
  private segOffset(seg: number, expr: string): string {
    return this.fastSeg(seg) ? `((${expr}) | 0)` : `((${expr}) >>> 0)`;
  }

  /** The effective offset of the memory operand. */
  private offset(d: Decoded): string {
    const parts: string[] = [];
    if (d.base >= 0) parts.push(`r${d.base}`);
    if (d.index >= 0) parts.push(d.scale ? `(r${d.index} << ${d.scale})` : `r${d.index}`);
    parts.push(`${d.disp}`);
    return d.a32 ? this.segOffset(this.segOf(d), parts.join(' + ')) : `((${parts.join(' + ')}) & 0xffff)`;
  }

  /** Code that sets `o` (memory form) — empty for a register operand. */
  private address(d: Decoded): string {
    return d.modrm >= 0xc0 ? '' : `o = ${this.offset(d)};`;
  }

  private getRm(d: Decoded, top: number): string {
    return d.modrm >= 0xc0 ? this.reg(d.modrm & 7, top) : this.load(this.segOf(d), top, 'o');
  }

  /** Reads the r/m operand for a read-modify-write into `a` (memory is probed for writing first). */
  private getRmForWrite(d: Decoded, top: number): string {
    if (d.modrm >= 0xc0) return `a = ${this.reg(d.modrm & 7, top)};`;
    const seg = this.segOf(d);
    return `${this.probe(seg, top, 'o')} a = ${this.load(seg, top, 'o')};`;
  }

  /** Writes `v` to the r/m operand; a store ends the region when it hit compiled code. */
  private setRm(d: Decoded, top: number, v: string, next: number, i: number): string {
    if (d.modrm >= 0xc0) return this.setReg(d.modrm & 7, top, v);
    return `${this.storeTo(this.segOf(d), top, 'o', v)} ${this.afterStore(next, i)}`;
  }

  /**
   * MOVS, CMPS, STOS, LODS or SCAS without REP, with 32-bit addressing: one element, then
   * ESI and/or EDI step by its size, down when DF is set (DF is never lazy: `ff` holds it).
   * Memory first, registers after, as the interpreter's stringOp.
   */
  private stringOnce(d: Decoded, next: number, i: number): Emitted | null {
    if (!d.a32) return null;
    const op = d.op, top = op & 1 ? (d.o32 ? 31 : 15) : 7, size = (top + 1) >> 3;
    const src = d.seg >= 0 ? d.seg : DS;
    const at = (seg: number, r: number): string => this.segOffset(seg, `r${r}`);
    const step = (r: number): string => `r${r} = (r${r} + ((ff & 1024) !== 0 ? ${-size} : ${size})) | 0;`;
    const insn = (code: string): Emitted => ({ code: `${this.precise(d, i)} ${code}`, end: 'next', targets: [] });
    switch (op) {
      case 0xa4: case 0xa5:
        return insn(`t = ${this.load(src, top, at(src, 6))}; ${this.storeTo(ES, top, at(ES, 7), 't')} ${step(6)} ${step(7)} ${this.afterStore(next, i)}`);
      case 0xa6: case 0xa7:
        return insn(`a = ${this.load(src, top, at(src, 6))}; b = ${this.load(ES, top, at(ES, 7))}; ${this.arith(7, 'a', 'b', top)} ${step(6)} ${step(7)}`);
      case 0xaa: case 0xab:
        return insn(`${this.storeTo(ES, top, at(ES, 7), this.reg(0, top))} ${step(7)} ${this.afterStore(next, i)}`);
      case 0xac: case 0xad:
        return insn(`${this.setReg(0, top, this.load(src, top, at(src, 6)))} ${step(6)}`);
      default: // SCAS
        return insn(`a = ${this.reg(0, top)}; b = ${this.load(ES, top, at(ES, 7))}; ${this.arith(7, 'a', 'b', top)} ${step(7)}`);
    }
  }

  /** Leaves the region after a store that hit compiled code; `next` is where execution goes on (a CALL's target). */
  private afterStore(next: number | string, i: number): string {
    return `if (!self.valid) { pc = ${typeof next === 'number' ? next | 0 : next}; done += ${i + 1}; reason = ${EXIT_INVALIDATED}; break L; }`;
  }

  private push(value: string, top: number, next: number | string, i: number): string {
    const size = top === 31 ? 4 : 2;
    return `t = ${value}; b = (r4 - ${size}) & ${this.stackMask}; ${this.storeTo(SS, top, this.segOffset(SS, 'b'), 't')} ${this.setSp('b')} ${this.afterStore(next, i)}`;
  }

  /** Pops into `t`. */
  private pop(top: number): string {
    const size = top === 31 ? 4 : 2;
    return `b = r4 & ${this.stackMask}; t = ${this.load(SS, top, this.segOffset(SS, 'b'))}; ${this.setSp(`b + ${size}`)}`;
  }

  private setSp(expr: string): string {
    return this.stackMask === '-1' ? `r4 = (${expr}) | 0;` : `r4 = (r4 & -65536) | ((${expr}) & 0xffff);`;
  }

  /** A near-branch target check (flat code segments cannot fail it). */
  private limitCheck(target: string): string {
    return this.flat ? '' : `if ((${target} >>> 0) > cpu.segLimit[1]) cpu.gp(0);`;
  }

  private target(d: Decoded, value: number): number {
    return d.o32 ? value >>> 0 : value & 0xffff;
  }

  /** A direct jump: stays in the region's switch when the target is on this page. */
  private jump(target: number, targets: number[]): string {
    if (this.offsetOf(target) >= 0) targets.push(target);
    return `pc = ${target | 0};`;
  }

  private insn(d: Decoded, next: number, i: number): Emitted | null {
    const op = d.op;
    // REP/REPNE change string instructions and select other 0F instructions (SSE, POPCNT);
    // on the other one-byte opcodes they are ignored (REP RET, PAUSE).
    if ((d.lock && !lockAllowed(d)) || (d.rep && (op >= 0x100 || isStringOp(op)))) return null;
    const V = d.o32 ? 31 : 15;
    const reg = d.modrm >= 0 ? (d.modrm >> 3) & 7 : 0;
    const mem = d.modrm >= 0 && d.modrm < 0xc0;
    const pre = mem ? `${this.precise(d, i)} ${this.address(d)} ` : '';
    const simple = (code: string): Emitted => ({ code: pre + code, end: 'next', targets: [] });
    const targets: number[] = [];

    if (op < 0x40 && (op & 7) < 6) {
      const aluOp = op >> 3;
      const top = op & 1 ? V : 7;
      switch (op & 7) {
        case 0: case 1:
          if (aluOp === 7) return simple(`a = ${this.getRm(d, top)}; ${this.operand('b', reg, top)} ${this.arith(7, 'a', this.operandName('b', reg, top), top)}`);
          if (!mem) {
            const dst = d.modrm & 7;
            return simple(`${this.operand('a', dst, top)} ${this.operand('b', reg, top)} ` +
              `${this.arith(aluOp, this.operandName('a', dst, top), this.operandName('b', reg, top), top)} ${this.setReg(dst, top, 'v', true)}`);
          }
          return simple(`${this.operand('b', reg, top)} ${this.getRmForWrite(d, top)} ${this.arith(aluOp, 'a', this.operandName('b', reg, top), top)} ${this.setRm(d, top, 'v', next, i)}`);
        case 2: case 3:
          return simple(`b = ${this.getRm(d, top)}; ${this.operand('a', reg, top)} ${this.arith(aluOp, this.operandName('a', reg, top), 'b', top)}${aluOp !== 7 ? ' ' + this.setReg(reg, top, 'v', true) : ''}`);
        default: {
          const t2 = op & 1 ? V : 7;
          const code = `${this.operand('a', 0, t2)} ${this.arith(aluOp, this.operandName('a', 0, t2), this.imm(d.imm, t2), t2)}`;
          return simple(aluOp !== 7 ? `${code} ${this.setReg(0, t2, 'v', true)}` : code);
        }
      }
    }
    if (op >= 0x40 && op <= 0x4f) {
      const r = op & 7;
      return simple(`${this.operand('a', r, V)} ${this.incDec(op >= 0x48, this.operandName('a', r, V), V)} ${this.setReg(r, V, 'v', true)}`);
    }
    if (op >= 0x50 && op <= 0x57) {
      return { code: `${this.precise(d, i)} ${this.push(this.reg(op & 7, V), V, next, i)}`, end: 'next', targets };
    }
    if (op >= 0x58 && op <= 0x5f) {
      return { code: `${this.precise(d, i)} ${this.pop(V)} ${this.setReg(op & 7, V, 't')}`, end: 'next', targets };
    }
    if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
      const rel = op < 0x100 ? (d.imm << 24) >> 24 : d.o32 ? d.imm | 0 : (d.imm << 16) >> 16;
      const t = this.target(d, next + rel);
      const check = this.flat ? '' : `${this.precise(d, i)} ${this.limitCheck(`${t}`)}`;
      targets.push(next);
      const taken = this.jump(t, targets);
      return { code: `if (${this.condition(op & 0xf)}) { ${check} ${taken} done += ${i + 1}; continue; } pc = ${next | 0}; done += ${i + 1}; ${FALLTHROUGH}`, end: 'jump', targets, fallthrough: next };
    }
    if (op >= 0x91 && op <= 0x97) {
      const r = op & 7;
      return simple(`t = ${this.reg(r, V)}; ${this.setReg(r, V, this.reg(0, V))} ${this.setReg(0, V, 't')}`);
    }
    if (op >= 0xb0 && op <= 0xb7) return simple(this.setReg(op & 7, 7, `${d.imm}`));
    if (op >= 0xb8 && op <= 0xbf) return simple(this.setReg(op & 7, V, `${d.imm}`));
    if (op >= 0x190 && op <= 0x19f) {
      return simple(this.setRm(d, 7, `(${this.condition(op & 0xf)} ? 1 : 0)`, next, i));
    }
    if (op >= 0x140 && op <= 0x14f) {
      return simple(`v = ${this.getRm(d, V)}; if (${this.condition(op & 0xf)}) { ${this.setReg(reg, V, 'v')} }`);
    }
    switch (op) {
      case 0x80: case 0x81: case 0x82: case 0x83: {
        const top = op === 0x81 || op === 0x83 ? V : 7;
        const imm = this.imm(op === 0x83 ? (d.imm << 24) >> 24 : d.imm, top);
        if (reg === 7) return simple(`a = ${this.getRm(d, top)}; ${this.arith(7, 'a', imm, top)}`);
        return simple(`${this.getRmForWrite(d, top)} ${this.arith(reg, 'a', imm, top)} ${this.setRm(d, top, 'v', next, i)}`);
      }
      case 0x84: case 0x85: {
        const top = op & 1 ? V : 7;
        return simple(`a = ${this.getRm(d, top)}; b = ${this.reg(reg, top)}; ${this.arith(4, 'a', 'b', top)}`);
      }
      case 0x86: case 0x87: {
        const top = op & 1 ? V : 7;
        return simple(`${this.getRmForWrite(d, top)} ${this.setRm(d, top, this.reg(reg, top), next, i)} ${this.setReg(reg, top, 'a')}`);
      }
      case 0x88: case 0x89: {
        const top = op & 1 ? V : 7;
        return simple(this.setRm(d, top, this.reg(reg, top), next, i));
      }
      case 0x8a: case 0x8b: {
        const top = op & 1 ? V : 7;
        return simple(this.setReg(reg, top, this.getRm(d, top)));
      }
      case 0x8d:
        if (!mem) return null;
        return { code: `${this.address(d)} ${this.setReg(reg, V, 'o')}`, end: 'next', targets };
      case 0x90: return simple('');
      case 0x98: return simple(d.o32 ? 'r0 = (r0 << 16) >> 16;' : this.setReg(0, 15, '(r0 << 24) >> 24'));
      case 0x99: return simple(d.o32 ? 'r2 = r0 >> 31;' : this.setReg(2, 15, '(r0 << 16) >> 31'));
      case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
        const top = op & 1 ? V : 7;
        const seg = d.seg >= 0 ? d.seg : DS;
        const off = `${d.a32 ? (this.fastSeg(seg) ? d.imm | 0 : d.imm >>> 0) : d.imm & 0xffff}`;
        const p = this.precise(d, i);
        if (op < 0xa2) return simple(`${p} ${this.setReg(0, top, this.load(seg, top, off))}`);
        return simple(`${p} ${this.storeTo(seg, top, off, this.reg(0, top))} ${this.afterStore(next, i)}`);
      }
      case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
        return this.stringOnce(d, next, i);
      case 0xa8: return simple(`a = ${this.reg(0, 7)}; ${this.arith(4, 'a', this.imm(d.imm, 7), 7)}`);
      case 0xa9: return simple(`a = ${this.reg(0, V)}; ${this.arith(4, 'a', this.imm(d.imm, V), V)}`);
      case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        const top = op & 1 ? V : 7;
        const load = this.getRmForWrite(d, top);
        if (op >= 0xd2 && reg !== 2 && reg !== 3) {
          // By CL: a zero count changes nothing, flags included. `n` holds nothing but counts,
          // so the wasm translator knows its type.
          const code = shiftSrc(LOCAL_FLAGS, reg, 'a', 'n', 'v', widthOf(top));
          this.knownAfter = undefined;
          return simple(`${load} n = r1 & 31; if (n !== 0) { ${code} ${this.setRm(d, top, 'v', next, i)} }`);
        }
        if (reg === 2 || reg === 3) {
          const count = op <= 0xc1 ? `${d.imm & 31}` : op <= 0xd1 ? '1' : '(r1 & 31)';
          return simple(`${load} b = ${count}; ${this.withLfFlags(`v = shift(lf, ${reg}, a, b, ${top});`)} if (b !== 0) { ${this.setRm(d, top, 'v', next, i)} }`);
        }
        const count = op <= 0xc1 ? d.imm & 31 : 1;
        if (count === 0) return simple(load);
        const code = `${load} ${shiftSrc(LOCAL_FLAGS, reg, 'a', count, 'v', widthOf(top), this.known)} ${this.setRm(d, top, 'v', next, i)}`;
        this.knownAfter = shiftKnown(reg, top, this.known);
        return simple(code);
      }
      case 0xc2: case 0xc3: {
        const extra = op === 0xc2 ? d.imm : 0;
        const size = d.o32 ? 4 : 2;
        const tgt = d.o32 ? 't | 0' : 't & 0xffff';
        return {
          code: `${this.precise(d, i)} t = ${this.load(SS, V, this.segOffset(SS, `r4 & ${this.stackMask}`))}; t = ${tgt}; ${this.limitCheck('t')} ${this.setSp(`r4 + ${size + extra}`)} pc = t;`,
          end: 'dynamic', targets,
        };
      }
      case 0xc6: case 0xc7: {
        if (reg !== 0) return null;
        const top = op & 1 ? V : 7;
        return simple(this.setRm(d, top, `${d.imm}`, next, i));
      }
      case 0xc9: { // LEAVE
        const bp = this.stackMask === '-1' ? 'r5' : '(r5 & 0xffff)';
        return simple(`${this.precise(d, i)} b = ${bp}; t = ${this.load(SS, V, this.segOffset(SS, 'b'))}; ${this.setSp(`b + ${V === 31 ? 4 : 2}`)} ${this.setReg(5, V, 't')}`);
      }
      case 0xe2: case 0xe3: { // LOOP, JECXZ (LOOPE/LOOPNE are left to the interpreter)
        const t = this.target(d, next + ((d.imm << 24) >> 24));
        const count = d.a32 ? 'r1' : '(r1 & 0xffff)';
        const dec = op === 0xe2 ? (d.a32 ? 'r1 = (r1 - 1) | 0; ' : 'r1 = (r1 & -65536) | ((r1 - 1) & 0xffff); ') : '';
        const taken = op === 0xe2 ? `${count} !== 0` : `${count} === 0`;
        const check = this.flat ? '' : `${this.precise(d, i)} ${this.limitCheck(`${t}`)}`;
        targets.push(next);
        return { code: `${dec}if (${taken}) { ${check} ${this.jump(t, targets)} done += ${i + 1}; continue; } pc = ${next | 0}; done += ${i + 1}; ${FALLTHROUGH}`, end: 'jump', targets, fallthrough: next };
      }
      case 0xf5: case 0xf8: case 0xf9: {
        const code = setBitsSrc(LOCAL_FLAGS, CF, op === 0xf5 ? `(${cfSrc(LOCAL_FLAGS, this.known)} ^ 1)` : `${op & 1}`);
        this.knownAfter = this.known && { ...this.known, mask: this.known.mask & ~CF };
        return simple(code);
      }
      case 0xfc: case 0xfd: return simple(setBitsSrc(LOCAL_FLAGS, 0x400, `${(op & 1) << 10}`));
      case 0xe8: {
        const t = this.target(d, next + d.imm);
        const check = this.flat ? '' : this.limitCheck(`${t}`);
        targets.push(next);
        return { code: `${this.precise(d, i)} ${check} ${this.push(`${next | 0}`, V, t, i)} done += ${i + 1}; ${this.jump(t, targets)} ${FALLTHROUGH}`, end: 'jump', targets, fallthrough: this.offsetOf(t) >= 0 ? t : -1 };
      }
      case 0xe9: case 0xeb: {
        const rel = op === 0xeb ? (d.imm << 24) >> 24 : d.imm;
        const t = this.target(d, next + rel);
        const check = this.flat ? '' : `${this.precise(d, i)} ${this.limitCheck(`${t}`)}`;
        return { code: `${check} done += ${i + 1}; ${this.jump(t, targets)} ${FALLTHROUGH}`, end: 'jump', targets, fallthrough: this.offsetOf(t) >= 0 ? t : -1 };
      }
      case 0xf6: case 0xf7: {
        const top = op & 1 ? V : 7;
        if (reg < 2) return simple(`a = ${this.getRm(d, top)}; ${this.arith(4, 'a', this.imm(d.imm, top), top)}`);
        if (reg === 2) return simple(`${this.getRmForWrite(d, top)} ${this.setRm(d, top, `~a & ${widthMask(top)}`, next, i)}`);
        if (reg === 3) return simple(`${this.getRmForWrite(d, top)} ${this.neg('a', top)} ${this.setRm(d, top, 'v', next, i)}`);
        if ((reg === 4 || reg === 5) && top === 31) {
          const code = mulWideSrc(LOCAL_FLAGS, reg === 5, 'r0', 'a', 'v', 't', this.known);
          this.knownAfter = resultKnown(31);
          return simple(`a = ${this.getRm(d, 31)}; ${code} r0 = v; r2 = t;`);
        }
        if (reg === 6 && top === 31) {
          const code = divWideSrc('r2', 'r0', 'a', 'v', 't', `cpu.raise(${DE});`);
          // #DE needs the instruction's EIP, a register form's too.
          return simple(`${mem ? '' : this.precise(d, i)} a = ${this.getRm(d, 31)}; ${code} r0 = v; r2 = t;`);
        }
        return null;
      }
      case 0xfe: case 0xff: {
        const top = op === 0xfe ? 7 : V;
        if (reg < 2) return simple(`${this.getRmForWrite(d, top)} ${this.incDec(reg === 1, 'a', top)} ${this.setRm(d, top, 'v', next, i)}`);
        if (op === 0xfe) return null;
        if (reg === 2 || reg === 4) {
          const tgt = d.o32 ? 't | 0' : 't & 0xffff';
          const push = reg === 2 ? this.push(`${next | 0}`, V, 'v', i) : '';
          return {
            code: `${this.precise(d, i)} ${this.address(d)} t = ${this.getRm(d, V)}; v = ${tgt}; ${this.limitCheck('v')} ${push} pc = v;`,
            end: 'dynamic', targets,
          };
        }
        if (reg === 6) return { code: `${pre}${this.precise(d, i)} ${this.push(this.getRm(d, V), V, next, i)}`, end: 'next', targets };
        return null;
      }
      case 0x68: return { code: `${this.precise(d, i)} ${this.push(`${d.imm}`, V, next, i)}`, end: 'next', targets };
      case 0x6a: return { code: `${this.precise(d, i)} ${this.push(`${(d.imm << 24) >> 24}`, V, next, i)}`, end: 'next', targets };
      case 0x69: case 0x6b: {
        const imm = op === 0x69 ? d.imm : (d.imm << 24) >> 24;
        return simple(`a = ${this.getRm(d, V)}; ${this.imul('a', `${imm & widthMask(V)}`, V)} ${this.setReg(reg, V, 'v')}`);
      }
      case 0x1a4: case 0x1a5: case 0x1ac: case 0x1ad: { // SHLD, SHRD
        const count = op & 1 ? '(r1 & 31)' : `${d.imm & 31}`;
        return simple(`${this.getRmForWrite(d, V)} b = ${count}; ${this.withLfFlags(`v = doubleShift(lf, ${op < 0x1a8}, a, ${this.reg(reg, V)}, b, ${V});`)} if (b !== 0) { ${this.setRm(d, V, 'v', next, i)} }`);
      }
      case 0x1b0: case 0x1b1: { // CMPXCHG: the accumulator's and the register's new values first, the store last
        const top = op & 1 ? V : 7;
        const cmp = this.arith(7, 'b', 'a', top);
        const equal = conditionSrc(LOCAL_FLAGS, 4, this.knownAfter);
        return simple(`${this.getRmForWrite(d, top)} b = ${this.reg(0, top)}; ${cmp} t = ${equal} ? ${this.reg(reg, top)} : a; ` +
          `if (!(${equal})) { ${this.setReg(0, top, 'a')} } ${this.setRm(d, top, 't', next, i)}`);
      }
      case 0x1c0: case 0x1c1: { // XADD
        const top = op & 1 ? V : 7;
        return simple(`${this.getRmForWrite(d, top)} b = ${this.reg(reg, top)}; ${this.arith(0, 'a', 'b', top)} ${this.setReg(reg, top, 'a')} ${this.setRm(d, top, 'v', next, i)}`);
      }
      case 0x1ba: { // BT, BTS, BTR, BTC r/m, imm8: CF is the bit; the others change it
        if (reg < 4) return null;
        const bit = d.imm & V, m = 1 << bit;
        const cf = setBitsSrc(LOCAL_FLAGS, CF, `((a >>> ${bit}) & 1)`);
        this.knownAfter = this.known && { ...this.known, mask: this.known.mask & ~CF };
        if (reg === 4) return simple(`a = ${this.getRm(d, V)}; ${cf}`);
        const changed = reg === 5 ? `a | ${m}` : reg === 6 ? `a & ${~m & widthMask(V)}` : `a ^ ${m}`;
        return simple(`${this.getRmForWrite(d, V)} ${cf} ${this.setRm(d, V, changed, next, i)}`);
      }
      case 0x1af:
        return simple(`b = ${this.getRm(d, V)}; a = ${this.reg(reg, V)}; ${this.imul('a', 'b', V)} ${this.setReg(reg, V, 'v')}`);
      case 0x1c8: case 0x1c9: case 0x1ca: case 0x1cb: case 0x1cc: case 0x1cd: case 0x1ce: case 0x1cf:
        return simple(`r${op & 7} = ${bswapSrc(`r${op & 7}`)};`);
      case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: {
        const srcTop = op & 1 ? 15 : 7;
        let v = this.getRm(d, srcTop);
        if (op >= 0x1be) v = srcTop === 7 ? `((${v} << 24) >> 24)` : `((${v} << 16) >> 16)`;
        return simple(this.setReg(reg, V, v));
      }
    }
    return null;
  }
}

/**
 * LOCK on a read-modify-write with a memory destination, as the interpreter accepts it;
 * with one CPU it changes nothing else. Other LOCK forms go to the interpreter (#UD), and
 * so do those of the 0F ones that are not compiled (BTS/BTR/BTC r/m, r; CMPXCHG8B).
 */
function lockAllowed(d: Decoded): boolean {
  const op = d.op, reg = (d.modrm >> 3) & 7;
  if (d.modrm < 0 || d.modrm >= 0xc0) return false;
  if (op === 0x1b0 || op === 0x1b1 || op === 0x1c0 || op === 0x1c1) return true;
  if (op === 0x1ba) return reg >= 5;
  if (op >= 0x100) return false;
  if (op < 0x40) return (op & 7) < 2 && op >> 3 !== 7;
  if (op >= 0x80 && op <= 0x83) return reg !== 7;
  if (op === 0x86 || op === 0x87) return true;
  if (op === 0xf6 || op === 0xf7) return reg === 2 || reg === 3;
  if (op === 0xfe || op === 0xff) return reg < 2;
  return false;
}

/**
 * Interpreted instructions after which the block may simply go on: register/memory
 * arithmetic that cannot jump, change the mode, IF/TF, the interrupt shadow or the
 * mappings, or halt (MUL/DIV, BCD, bit tests and scans, XADD, CMPXCHG, SAHF,
 * PUSHF, CPUID, and CLI, which can only close the interrupt window).
 * A fault still unwinds through the region's catch like any other.
 */
function staysInRegion(d: Decoded): boolean {
  const op = d.op, reg = (d.modrm >> 3) & 7;
  if (op === 0xf6 || op === 0xf7) return reg >= 4;
  if (op === 0x27 || op === 0x2f || op === 0x37 || op === 0x3f || op === 0xd4 || op === 0xd5 || op === 0x9e) return true;
  if (op === 0x9c || op === 0xfa || op === 0x1a2) return true;
  if (op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb || op === 0x1ba) return true;
  return op === 0x1bc || op === 0x1bd || op === 0x1c0 || op === 0x1c1 || op === 0x1b0 || op === 0x1b1;
}

/** MOVS, CMPS, STOS, LODS, SCAS: the string instructions that touch only memory and registers. */
function isMemoryStringOp(op: number): boolean {
  return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
}

/** The memory string instructions and INS/OUTS. */
function isStringOp(op: number): boolean {
  return (op >= 0x6c && op <= 0x6f) || isMemoryStringOp(op);
}
