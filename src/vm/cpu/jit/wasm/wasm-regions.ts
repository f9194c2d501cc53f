// The WebAssembly back end of the region compiler: translates a region's blocks to a module
// (region-translator.ts), instantiates it against the guest arena and the imports below,
// and puts its function in a table slot, which the run loop enters through `enter`. V8
// compiles a module with its single-pass baseline compiler in well under a millisecond and
// optimises hot functions in the background without speculation, where a JavaScript region
// runs in V8's bytecode interpreter until TurboFan, which costs milliseconds per region, has
// optimised it.
//
// The lazy flags live in a LazyFlags object for the interpreter and in the arena while a
// region runs: they are copied in on entry, out on exit and around every import that uses
// them. Registers need no copying: Cpu.reg32 is a view of the arena.

import { setFlagsFromString } from 'node:v8';
import type { Cpu } from '../../cpu.js';
import {
  ARENA_CELLS, ARENA_MEMO, ARENA_TLB_READ, CELL_CHAINED, CELL_CODE32, CELL_CUR, CELL_DONE, CELL_EIP, CELL_FAULTED, CELL_K, CELL_NO_CHAIN,
  CELL_START_EIP, CELL_START_ESP, CELL_SYNCED, CELL_TOTAL, MEMO_BITS, MEMO_CASE_SHIFT, MEMO_EIP, MEMO_FIELDS, MEMO_KEY, MEMO_PHYS, MEMO_SLOT,
  MEMO_SLOTS, type GuestArena,
} from '../../../machine/guest-arena.js';
import { TLB_SLOW, TLB_SUPER, fastPathBit } from '../../mmu.js';
import { FAULT } from '../../constants.js';
import { EXIT_FAULT } from '../exit-reasons.js';
import { PARITY, type LazyFlags } from '../../flags.js';
import { executeOne } from '../../interpreter.js';
import { doubleShift, shift } from '../../alu.js';
import type { MemoryHelpers } from '../memory-helpers.js';
import { KEY_CPL3, modeKey } from '../mode-key.js';
import { FAULTING_IMPORTS, IMPORTS, compileRegionModule, type RegionBlocks, type RegionModule } from './region-translator.js';
import { Bytes, Op, VOID, buildModule, forwardingModule } from './wasm-module.js';
import { USER_TIERING_BUDGET, useTieringBudget } from './tiering-budget.js';

// The hub and forwarding modules compiled below run for every region: optimised soon.
useTieringBudget(USER_TIERING_BUDGET);
// Region modules are compiled whole where they are built (the translate worker), not
// function by function on their first call, which would be on the VM thread: 1.5–3% of a boot.
setFlagsFromString('--no-wasm-lazy-compilation');
// TurboFan's loop unrolling and peeling leave a region's code as it was (its one loop is far
// over their size limits: 2.34 machine bytes per body byte either way, function by function
// the same sizes) but took ~16% of the ~11 s it spends optimising regions in a boot, on the
// core the translate worker shares: 1.08 instead of 1.29 ms per KiB of body.
setFlagsFromString('--no-wasm-loop-unrolling');
setFlagsFromString('--no-wasm-loop-peeling');
// Region modules mark the slow paths of memory accesses and the rare exits unlikely
// (wasm-module.ts, branchHints).
setFlagsFromString('--experimental-wasm-branch-hinting');

/** A region's wasm function in its table slot, and the module's byte size. */
export interface CompiledWasm {
  slot: number;
  size: number;
}

export class WasmRegions {
  /** Regions compiled to wasm, and regions that kept JavaScript because the translator refused a block. */
  compiled = 0;
  refused = 0;
  /** Modules V8 rejected (a translator bug: the tests require none); the region stays JavaScript. */
  invalid = 0;
  private readonly imports: [Record<string, Record<string, unknown>>, Record<string, Record<string, unknown>>];
  /**
   * Runs the region in a table slot with the entry and exit work of a JavaScript region. The
   * run loop calls it directly (one call target) rather than each region's `run` closure.
   */
  readonly enter: (slot: number, budget: number, key: number) => number;
  /**
   * Every live region's function, called through one exported `hub` function: a call from
   * JavaScript into a wasm export goes through V8's generic wrapper until that export has
   * been called often (measured: ~5% of a boot with one export per region).
   */
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly cells: Int32Array;

  /** Null when the arena is not a WebAssembly.Memory. */
  static create(cpu: Cpu, helpers: [MemoryHelpers, MemoryHelpers]): WasmRegions | null {
    const arena = cpu.host.memory.arena;
    return arena.memory ? new WasmRegions(cpu, arena, arena.memory, helpers) : null;
  }

  private constructor(cpu: Cpu, arena: GuestArena, memory: WebAssembly.Memory, helpers: [MemoryHelpers, MemoryHelpers]) {
    arena.parity.set(PARITY);
    this.cells = arena.cells;
    this.cells[CELL_CHAINED] = 0;
    const lf = cpu.lf, F = arena.flags, cells = arena.cells, R = arena.regs, codePages = arena.codePages;
    const toArena = (f: LazyFlags): void => {
      F[0] = f.flags; F[1] = f.lazyMask; F[2] = f.lazyKind; F[3] = f.lazyA; F[4] = f.lazyB; F[5] = f.lazyR; F[6] = f.lazyTop;
    };
    const fromArena = (f: LazyFlags): void => {
      f.flags = F[0]; f.lazyMask = F[1]; f.lazyKind = F[2]; f.lazyA = F[3]; f.lazyB = F[4]; f.lazyR = F[5]; f.lazyTop = F[6];
    };
    const tr = cpu.mmu.tlbRead, ints = cpu.host.interrupts;
    const shared = {
      write8: (s: number, o: number, v: number) => cpu.write8(s, o >>> 0, v),
      write16: (s: number, o: number, v: number) => cpu.write16(s, o >>> 0, v),
      write32: (s: number, o: number, v: number) => cpu.write32(s, o >>> 0, v),
      read8: (s: number, o: number) => cpu.read8(s, o >>> 0),
      read16: (s: number, o: number) => cpu.read16(s, o >>> 0),
      read32: (s: number, o: number) => cpu.read32(s, o >>> 0),
      probeWrite: (s: number, o: number, n: number) => cpu.probeWrite(s, o >>> 0, n),
      raise: (vector: number) => cpu.raise(vector),
      executeOne: () => {
        cpu.eip = cells[CELL_EIP] >>> 0;
        cpu.startEip = cells[CELL_START_EIP] >>> 0;
        cpu.startEsp = cells[CELL_START_ESP];
        fromArena(lf);
        // A fault leaves the state to the interpreter (CELL_SYNCED): nothing goes back to the arena.
        executeOne(cpu);
        toArena(lf);
        cells[CELL_EIP] = cpu.eip;
        cells[CELL_CODE32] = cpu.code32 ? 1 : 0;
      },
      // The JavaScript region's leaveAfterInterpreted; a region is invalid once its page holds no code.
      leave: (codeLin: number, key: number, page: number) => {
        const e = tr[codeLin];
        const need = fastPathBit((key & KEY_CPL3) !== 0);
        return cpu.halted || cpu.shutdown || cpu.inhibitInterrupts || cpu.exitRequested || codePages[page] === 0 || modeKey(cpu) !== key ||
          ((lf.flags & 0x200) !== 0 && ints.hasInterrupt()) || (e & (need | TLB_SLOW)) !== need || e >>> 12 !== page ? 1 : 0;
      },
      shift: (op: number, v: number, count: number, top: number) => {
        fromArena(lf);
        const r = shift(lf, op, v, count, top);
        toArena(lf);
        return r;
      },
      doubleShift: (left: number, dst: number, src: number, count: number, top: number) => {
        fromArena(lf);
        const r = doubleShift(lf, left !== 0, dst, src, count, top);
        toArena(lf);
        return r;
      },
    };
    const forwarding = new WebAssembly.Module(forwardingModule(IMPORTS));
    // The imports that may fault (FAULTING_IMPORTS) catch FAULT and say so in CELL_FAULTED,
    // which the region checks after the call; anything else thrown is a bug and goes on.
    // (Each takes at most three arguments.)
    type Import = (...args: number[]) => number | void;
    const catchingFault = (f: Import): Import => (a: number, b: number, c: number): number | void => {
      try {
        return f(a, b, c);
      } catch (e) {
        if (e !== FAULT) throw e;
        cells[CELL_FAULTED] = 1;
        return 0;
      }
    };
    const forClass = (m: MemoryHelpers): Record<string, Record<string, unknown>> => {
      const js: Record<string, Import> = {
        ...shared, ld8: m.ld8, ld16: m.ld16, ld32: m.ld32, st8: m.st8, st16: m.st16, st32: m.st32, pw: m.pw,
      };
      for (const name of FAULTING_IMPORTS) js[name] = catchingFault(js[name]);
      return { e: { m: memory, ...new WebAssembly.Instance(forwarding, { e: js }).exports } };
    };
    this.imports = [forClass(helpers[0]), forClass(helpers[1])];
    const hub = new WebAssembly.Instance(new WebAssembly.Module(hubModule()), { e: { m: memory, t: this.table } }).exports.run as
      (slot: number, budget: number, key: number) => number;
    this.enter = (slot, budget, key) => {
      cells[CELL_EIP] = cpu.eip;
      cells[CELL_SYNCED] = 0;
      cells[CELL_NO_CHAIN] = 0;
      cells[CELL_FAULTED] = 0;
      toArena(lf);
      const reason = hub(slot, budget, key);
      if (reason === EXIT_FAULT) {
        // As a JavaScript region's catch: the faulting instruction restarts from its start.
        if (cells[CELL_SYNCED] === 0) {
          fromArena(lf);
          const cur = cells[CELL_CUR] >>> 0;
          cpu.startEip = cur;
          cpu.startEsp = R[4];
          cpu.eip = cur;
        }
        // CELL_TOTAL holds the faulting region's `done` too: the hub adds it as for any return.
        cpu.instructionCount += cells[CELL_TOTAL] + cells[CELL_K];
        throw FAULT;
      }
      fromArena(lf);
      cpu.eip = cells[CELL_EIP] >>> 0;
      cpu.instructionCount += cells[CELL_TOTAL];
      return reason;
    };
  }

  /** The region as a wasm function in a table slot, with its byte size; null when the translator refuses it. */
  compile(blocks: RegionBlocks): CompiledWasm | null {
    return this.adopt(compileRegionModule(blocks), blocks.key);
  }

  /** As compile, for a module compiled elsewhere (the background translator) for a region under `key`. */
  adopt(result: RegionModule | { outcome: 'error'; error: string }, key: number): CompiledWasm | null {
    switch (result.outcome) {
      case 'module': return this.instantiate(result.module, key, result.size);
      case 'refused': this.refused++; return null;
      case 'invalid': this.invalid++; return null;
      case 'error': throw new Error(`region translator failed: ${result.error}`);
    }
  }

  private instantiate(module: WebAssembly.Module, key: number, size: number): CompiledWasm {
    const instance = new WebAssembly.Instance(module, this.imports[key & KEY_CPL3 ? 1 : 0]);
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.nextSlot++;
    if (slot >= this.table.length) this.table.grow(this.table.length);
    this.table.set(slot, instance.exports.run);
    this.compiled++;
    return { slot, size };
  }

  /** Region entries the hub made from one wasm region to the next, without the run loop. */
  get chained(): number {
    return this.cells[CELL_CHAINED] >>> 0;
  }

  /** Frees a region's slot (it was invalidated or flushed), so its code can be collected. */
  release(slot: number): void {
    this.table.set(slot, null);
    this.freeSlots.push(slot);
  }
}

/**
 * `run(slot, budget, key)`: calls the region function in table slot `slot` (at the case pc
 * names), then, while the region ended in a branch (EXIT_BRANCH) with budget left and no
 * MMIO page was touched (CELL_NO_CHAIN), looks the next CS:EIP up as the run loop would —
 * the TLB entry for flat code under `key`'s privilege, then the lookup memo in the arena —
 * and calls that region too, at the case the memo has for that EIP (no search of its block
 * starts). Between two such regions nothing the run loop checks can have changed: halt, the
 * interrupt shadow, IF, TF, the mode and pending interrupts change only through interpreted
 * instructions — after which a region leaves with EXIT_EVENT when `leave` finds any of them
 * changed (those interpreted inside a block change none of them) — and through MMIO, which
 * sets CELL_NO_CHAIN. On the way out (a fault is a region's EXIT_FAULT), CELL_TOTAL gets the
 * instructions of the finished regions and of the faulting one's finished blocks, and
 * CELL_CHAINED the entries made here.
 */
function hubModule(): Uint8Array {
  const SLOT = 0, BUDGET = 1, KEY = 2, TOTAL = 3, REASON = 4, EIP = 5, E = 6, PHYS = 7, M = 8, NB = 9, CHAINED = 10, CASE = 11;
  const b = new Bytes();
  const cell = (i: number): number => ARENA_CELLS + 4 * i;
  const loadCell = (i: number): Bytes => b.i32Const(0).mem(Op.I32Load, cell(i));
  const memo = (field: number): Bytes => b.local(Op.LocalGet, M).mem(Op.I32Load, ARENA_MEMO + 4 * field);
  // The totals go to their cells once, on the way out, not per region.
  const storeTotals = (): void => {
    b.i32Const(0).local(Op.LocalGet, TOTAL).mem(Op.I32Store, cell(CELL_TOTAL));
    b.i32Const(0);
    loadCell(CELL_CHAINED).local(Op.LocalGet, CHAINED).op(Op.I32Add).mem(Op.I32Store, cell(CELL_CHAINED));
  };
  // The TLB entry of a code page must admit the region's privilege: (entry & (NB | TLB_SLOW)) === NB,
  // NB being TLB_SUPER, or TLB_USER (TLB_SUPER << 1) for CPL 3 (fastPathBit).
  b.i32Const(TLB_SUPER).local(Op.LocalGet, KEY).i32Const(KEY_CPL3).op(Op.I32And).op(Op.I32Eqz).op(Op.I32Eqz).op(Op.I32Shl).local(Op.LocalSet, NB);
  // The run loop's region starts where pc says; chained ones at the case the memo has.
  b.i32Const(-1).local(Op.LocalSet, CASE);
  b.op(Op.Block).byte(VOID).op(Op.Loop).byte(VOID);
  b.local(Op.LocalGet, BUDGET).local(Op.LocalGet, TOTAL).op(Op.I32Sub).local(Op.LocalGet, CASE);
  b.local(Op.LocalGet, SLOT).op(Op.CallIndirect).u32(1).u32(0);
  b.local(Op.LocalSet, REASON);
  b.local(Op.LocalGet, TOTAL);
  loadCell(CELL_DONE).op(Op.I32Add).local(Op.LocalSet, TOTAL);
  // Leave unless EXIT_BRANCH (0), budget left and no device access.
  b.local(Op.LocalGet, REASON).op(Op.BrIf).u32(1);
  b.local(Op.LocalGet, TOTAL).local(Op.LocalGet, BUDGET).op(Op.I32GeS).op(Op.BrIf).u32(1);
  loadCell(CELL_NO_CHAIN).op(Op.BrIf).u32(1);
  // M, the memo entry's byte offset, from the EIP; then the code page's TLB entry.
  loadCell(CELL_EIP).local(Op.LocalTee, EIP).local(Op.LocalGet, EIP).i32Const(MEMO_BITS).op(Op.I32ShrU).op(Op.I32Xor);
  b.i32Const(MEMO_SLOTS - 1).op(Op.I32And).i32Const(Math.log2(4 * MEMO_FIELDS)).op(Op.I32Shl).local(Op.LocalSet, M);
  b.local(Op.LocalGet, EIP).i32Const(12).op(Op.I32ShrU).i32Const(2).op(Op.I32Shl).mem(Op.I32Load, ARENA_TLB_READ);
  b.local(Op.LocalTee, E).local(Op.LocalGet, NB).i32Const(TLB_SLOW).op(Op.I32Or).op(Op.I32And).local(Op.LocalGet, NB);
  b.op(Op.I32Ne).op(Op.BrIf).u32(1);
  b.local(Op.LocalGet, E).i32Const(-4096).op(Op.I32And).local(Op.LocalGet, EIP).i32Const(4095).op(Op.I32And).op(Op.I32Or).local(Op.LocalSet, PHYS);
  memo(MEMO_PHYS).local(Op.LocalGet, PHYS).op(Op.I32Ne).op(Op.BrIf).u32(1);
  memo(MEMO_EIP).local(Op.LocalGet, EIP).op(Op.I32Ne).op(Op.BrIf).u32(1);
  memo(MEMO_KEY).local(Op.LocalGet, KEY).op(Op.I32Ne).op(Op.BrIf).u32(1);
  memo(MEMO_SLOT).local(Op.LocalTee, SLOT).i32Const(0).op(Op.I32LtS).op(Op.BrIf).u32(1);
  b.local(Op.LocalGet, SLOT).i32Const(MEMO_CASE_SHIFT).op(Op.I32ShrU).local(Op.LocalSet, CASE);
  b.local(Op.LocalGet, SLOT).i32Const((1 << MEMO_CASE_SHIFT) - 1).op(Op.I32And).local(Op.LocalSet, SLOT);
  b.local(Op.LocalGet, CHAINED).i32Const(1).op(Op.I32Add).local(Op.LocalSet, CHAINED);
  b.op(Op.Br).u32(0);
  b.op(Op.End).op(Op.End);
  storeTotals();
  b.local(Op.LocalGet, REASON).op(Op.End);
  return buildModule({ imports: [], table: true, params: 3, locals: 9, body: b });
}
