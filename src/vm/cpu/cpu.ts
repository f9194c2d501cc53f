// The i686 CPU: architectural state, the run loop, segment-checked memory access, and
// exception delivery. Instruction semantics live in alu.ts and interpreter.ts; protected-
// mode control transfers in transfers.ts; descriptor handling in segments.ts.

import type { CpuHost } from './cpu-host.js';
import { LazyFlags, IF, TF, VM, RF, AC, ID, IOPL, NT, EFLAGS_IMPLEMENTED } from './flags.js';
import { Mmu } from './mmu.js';
import { X87 } from './fpu/x87.js';
import type { FpuMemory } from './fpu/fpu-memory.js';
import { executeOne } from './interpreter.js';
import { deliverInterrupt } from './transfers.js';
import { MsrFile } from './msr.js';
import { CodeCache, type JitOptions } from './jit/code-cache.js';
import { runWithJit } from './jit/jit-runner.js';
import {
  CS, SS, DS, LDTR, TR, EDX, ESP, DE, DB, NMI, UD, DF, TS, GP, SSF, PFV,
  CR0_PE, CR0_ET, CR0_CD, CR0_NW, CR0_PG, CR0_WP, CR4_PSE, CR4_PGE,
  DESC_A, DESC_RW, DESC_CE, DESC_CODE, DESC_S, DESC_P, DESC_B, FAULT,
} from './constants.js';
import { DOUBLE_FIELD } from '../machine/double-field.js';
import { SEG_OPEN_READ, SEG_OPEN_WRITE } from '../machine/guest-arena.js';

export * from './constants.js';

const CPU_STEPPING = 3;

export type { JitOptions } from './jit/code-cache.js';

export interface SegmentState {
  selector: number;
  base: number;
  limit: number;
  flags: number;
}

export class Cpu {
  /**
   * The JIT set-up a new Cpu starts with (null: interpreter only). The board passes its
   * own through setJit; tests change this to run unchanged suites under the JIT.
   */
  static defaultJit: JitOptions | null = null;

  /** In the guest arena, where wasm regions read and write them. */
  readonly reg32: Int32Array;
  readonly reg16: Uint16Array;
  readonly reg8: Uint8Array;
  eip = DOUBLE_FIELD;
  readonly lf = new LazyFlags();

  // Segment registers ES CS SS DS FS GS LDTR TR: visible selector and hidden cache.
  readonly segSel = new Uint16Array(8);
  /** In the guest arena, with segOpen. */
  readonly segBase: Int32Array;
  readonly segLimit = new Uint32Array(8);
  readonly segFlags = new Int32Array(8);
  /** Valid offsets are [segLo, segRHi] for reads and [segLo, segWHi] for writes; -1 = none. */
  readonly segLo = new Float64Array(8);
  readonly segRHi = new Float64Array(8);
  readonly segWHi = new Float64Array(8);
  /** Per segment, SEG_OPEN_READ and SEG_OPEN_WRITE: its [segLo, segRHi] or [segLo, segWHi] is all of 0…2^32-1. */
  readonly segOpen: Int32Array;

  cpl = 0;
  protectedMode = false;
  v86 = false;
  code32 = false;
  stack32 = false;
  stackMask = 0xffff;

  private cr0Value = DOUBLE_FIELD;
  cr2 = DOUBLE_FIELD;
  private cr3Value = DOUBLE_FIELD;
  private cr4Value = 0;
  readonly dr = new Int32Array(8);
  gdtr = { base: 0, limit: 0xffff };
  idtr = { base: 0, limit: 0x3ff };

  readonly mmu: Mmu;
  readonly msr: MsrFile;
  readonly fpu: X87;
  readonly fpuMemory: FpuMemory;

  halted = false;
  /** After a triple fault: nothing runs until reset() (the board decides, see tripleFault). */
  shutdown = false;
  instructionCount = DOUBLE_FIELD;
  /** Set by requestExit; compiled regions leave when they see it (read, never written, outside Cpu). */
  exitRequested = false;
  /** The linear range [stayStart, stayStart + stayLength) interpretWithin keeps CS:EIP in; length 0: none. */
  private stayStart = DOUBLE_FIELD;
  private stayLength = 0;
  private nmiPending = false;
  /** Set while an NMI handler runs; IRET clears it. */
  nmiBlocked = false;
  /** Interrupts are held off for one instruction after MOV SS, POP SS and STI. */
  inhibitInterrupts = false;

  // Per-instruction decode state (interpreter.ts fills it).
  startEip = DOUBLE_FIELD;
  startEsp = DOUBLE_FIELD;
  o32 = false;
  a32 = false;
  segOverride = -1;
  rep = 0;
  lock = false;
  modrm = 0;
  eaSeg = DS;
  eaOff = DOUBLE_FIELD;
  prefixBytes = 0;

  // The pending fault raised by raise().
  faultVector = 0;
  faultError = 0;
  faultHasError = false;
  /** The vector most recently delivered (for diagnostics and tests). */
  lastEventVector = -1;

  // Cached fetch page: instruction bytes come straight from RAM while EIP stays on it.
  private fetchPage = -1;
  private fetchPhys = 0;
  private fetchRam = false;
  private readonly ram: Uint8Array;

  /** Compiled code, or null when the JIT is off. */
  jit: CodeCache | null = null;
  /** True while runWithJit drives this CPU: its single steps must interpret. */
  private inJit = false;

  constructor(readonly host: CpuHost) {
    const regs = host.memory.arena.regs;
    this.reg32 = regs;
    this.reg16 = new Uint16Array(regs.buffer, regs.byteOffset, 16);
    this.reg8 = new Uint8Array(regs.buffer, regs.byteOffset, 32);
    this.segBase = host.memory.arena.segBase;
    this.segOpen = host.memory.arena.segOpen;
    this.mmu = new Mmu(host.memory);
    this.ram = host.memory.ram;
    this.msr = new MsrFile(this);
    this.fpu = new X87(this);
    this.mmu.onPageFault = (linear, error) => {
      this.cr2 = linear >>> 0;
      return this.raise(PFV, error);
    };
    this.mmu.onFlush = () => {
      this.fetchPage = -1;
    };
    const mmu = this.mmu;
    this.fpuMemory = {
      read8: (l) => mmu.read8(l),
      read16: (l) => mmu.read16(l),
      read32: (l) => mmu.read32(l),
      write8: (l, v) => mmu.write8(l, v),
      write16: (l, v) => mmu.write16(l, v),
      write32: (l, v) => mmu.write32(l, v),
      probeRead: (l, n) => mmu.probe(l, n, false),
      probeWrite: (l, n) => mmu.probe(l, n, true),
    };
    this.reset();
    // DMA and loaders write RAM behind the TLB: compiled code there is dropped.
    host.memory.onExternalWrite = (addr, length) => this.jit?.invalidateRange(addr, length);
    if (Cpu.defaultJit) this.setJit(Cpu.defaultJit);
  }

  /** Turns the JIT on with these options (threshold, cap), or off with null. */
  setJit(options: JitOptions | null): void {
    this.jit?.detach();
    this.jit = options ? new CodeCache(this, options) : null;
  }

  // ---- power-on and run loop ---------------------------------------------------------

  reset(): void {
    this.reg32.fill(0);
    this.reg32[EDX] = 0x600 | CPU_STEPPING;
    this.lf.set(2);
    this.cr0Value = CR0_ET | CR0_CD | CR0_NW;
    this.cr2 = 0;
    this.cr3Value = 0;
    this.cr4Value = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.gdtr = { base: 0, limit: 0xffff };
    this.idtr = { base: 0, limit: 0x3ff };
    for (let i = 0; i < 8; i++) this.loadSegmentCache(i, 0, 0, 0xffff, DESC_P | DESC_S | DESC_RW | DESC_A);
    this.loadSegmentCache(CS, 0xf000, 0xffff0000 | 0, 0xffff, DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_A);
    this.loadSegmentCache(LDTR, 0, 0, 0xffff, DESC_P | 0x200);
    this.loadSegmentCache(TR, 0, 0, 0xffff, DESC_P | 0xb00);
    this.eip = 0xfff0;
    this.cpl = 0;
    this.halted = false;
    this.shutdown = false;
    this.nmiPending = false;
    this.nmiBlocked = false;
    this.inhibitInterrupts = false;
    this.msr.reset();
    this.fpu.reset();
    this.updateMode();
    this.mmu.a20Mask = -1;
    this.applyPagingControls();
    this.mmu.flush(false);
    this.jit?.flush();
  }

  /**
   * Drops every cached translation and compiled region. The board calls this after
   * changing what a physical page is (PAM shadowing, MMIO remapping): TLB entries remember
   * whether a page is RAM, and only RAM pages hold compiled code.
   */
  flushTlb(): void {
    this.mmu.flush(false);
    this.jit?.flush();
  }

  requestExit(): void {
    this.exitRequested = true;
  }

  setA20(enabled: boolean): void {
    const mask = enabled ? -1 : ~(1 << 20);
    if (mask !== this.mmu.a20Mask) {
      this.mmu.a20Mask = mask;
      this.mmu.flush(false);
    }
  }

  /**
   * Executes up to `budget` instructions (compiled code may run a block past it); returns
   * early on HLT with nothing to take, requestExit() or shutdown.
   */
  run(budget: number): number {
    if (this.inJit) return this.interpret(budget);
    this.exitRequested = false;
    const jit = this.jit;
    // Compiled code does not look for NMIs: a slice with one pending is interpreted.
    if (jit === null || (this.nmiPending && !this.nmiBlocked)) return this.interpret(budget);
    this.inJit = true;
    try {
      return runWithJit(this, jit, budget);
    } finally {
      this.inJit = false;
    }
  }

  /**
   * Interprets up to `budget` instructions while CS:EIP's linear address stays in
   * [start, start + length): the JIT's cold pages, where no compiled code can appear
   * meanwhile, and blocks whose code is on its way from the translator (jit-runner.ts).
   */
  interpretWithin(budget: number, start: number, length: number): number {
    this.stayStart = start;
    // An int32: a length computed from the translator's block ends can arrive as a double
    // (an integer one), which would turn this field's representation to double and change
    // the CPU's hidden class midway through a boot, deoptimising everything optimised for it.
    this.stayLength = length | 0;
    try {
      return this.interpret(budget);
    } finally {
      this.stayLength = 0;
    }
  }

  /** While interpretWithin runs: CS:EIP has left its range. */
  private leftRange(): boolean {
    return this.stayLength !== 0 && ((this.segBase[CS] + this.eip - this.stayStart) >>> 0) >= this.stayLength;
  }

  private interpret(budget: number): number {
    if (this.shutdown) return 0;
    let done = 0;
    while (done < budget && !this.exitRequested && !this.leftRange()) {
      if (this.halted) {
        if (!this.interruptDeliverable()) break;
      }
      try {
        done += this.runSlice(budget - done);
      } catch (e) {
        if (e !== FAULT) throw e;
        this.eip = this.startEip;
        this.reg32[ESP] = this.startEsp;
        this.deliverFault();
        // A fault counts against the budget, so a fault loop still returns to the board.
        done++;
      }
      if (this.shutdown || (this.halted && !this.interruptDeliverable())) break;
    }
    return done;
  }

  private runSlice(budget: number): number {
    // Loaded once: no instruction replaces these objects.
    const lf = this.lf, interrupts = this.host.interrupts, reg32 = this.reg32;
    let n = 0;
    while (n < budget) {
      if (this.inhibitInterrupts) this.inhibitInterrupts = false;
      else if (this.nmiPending && !this.nmiBlocked) this.takeNmi();
      else if (lf.flags & IF && interrupts.hasInterrupt()) this.takeExternalInterrupt();
      if (this.halted) return n;
      const trap = (lf.flags & TF) !== 0;
      this.startEip = this.eip;
      this.startEsp = reg32[ESP];
      executeOne(this);
      // IP is 16 bits in 16-bit code: an instruction ending at FFFF leaves IP = 0.
      if (!this.code32) this.eip &= 0xffff;
      this.instructionCount++;
      n++;
      if (trap) this.singleStepTrap();
      if (this.halted || this.exitRequested || this.leftRange()) return n;
    }
    return n;
  }

  private interruptDeliverable(): boolean {
    const nmi = this.nmiPending && !this.nmiBlocked;
    if (!nmi && (!(this.lf.flags & IF) || !this.host.interrupts.hasInterrupt())) return false;
    this.halted = false;
    return true;
  }

  /** The NMI input (the local APIC's LINT1 or an NMI IPI): taken at the next boundary, even with IF clear. */
  raiseNmi(): void {
    this.nmiPending = true;
    this.requestExit();
  }

  private takeNmi(): void {
    this.nmiPending = false;
    // Further NMIs wait until the handler's IRET.
    this.nmiBlocked = true;
    this.halted = false;
    this.startEip = this.eip;
    this.startEsp = this.reg32[ESP];
    this.deliverEvent(NMI, false, false, 0, true);
  }

  private takeExternalInterrupt(): void {
    const vector = this.host.interrupts.acknowledgeInterrupt();
    this.halted = false;
    this.startEip = this.eip;
    this.startEsp = this.reg32[ESP];
    this.deliverEvent(vector, false, false, 0, true);
  }

  private singleStepTrap(): void {
    this.dr[6] |= 0x4000;
    this.startEip = this.eip;
    this.startEsp = this.reg32[ESP];
    this.deliverEvent(DB, false, false, 0, true);
  }

  /** Raises an exception: records it and unwinds to the run loop. */
  raise(vector: number, error = -1): never {
    this.faultVector = vector;
    this.faultHasError = error >= 0;
    this.faultError = error >= 0 ? error : 0;
    throw FAULT;
  }

  gp(error = 0): never {
    return this.raise(GP, error);
  }

  ud(): never {
    return this.raise(UD);
  }

  private deliverFault(): void {
    this.deliverEvent(this.faultVector, false, this.faultHasError, this.faultError, false);
  }

  /**
   * Delivers an interrupt or exception, turning a fault during delivery into #DF and a
   * fault during #DF into a triple fault (contributory/page-fault classes, SDM 6.15).
   */
  deliverEvent(vector: number, software: boolean, hasError: boolean, error: number, external: boolean): void {
    let first = -1;
    for (;;) {
      try {
        this.halted = false;
        deliverInterrupt(this, vector, software, hasError, error, external);
        this.lastEventVector = vector;
        return;
      } catch (e) {
        if (e !== FAULT) throw e;
        this.eip = this.startEip;
        this.reg32[ESP] = this.startEsp;
        const second = this.faultVector;
        const prev = first === -1 ? vector : first;
        if (prev === DF) {
          // Shutdown: stop here; the board resets us (or exits) from tripleFault().
          this.halted = true;
          this.shutdown = true;
          this.requestExit();
          this.host.tripleFault();
          return;
        }
        const contributory = (v: number) => v === DE || (v >= TS && v <= GP);
        if ((contributory(prev) && contributory(second)) || (prev === PFV && (second === PFV || contributory(second)))) {
          vector = DF;
          hasError = true;
          error = 0;
        } else {
          vector = second;
          hasError = this.faultHasError;
          error = this.faultError;
        }
        first = vector;
        software = false;
        external = false;
      }
    }
  }

  // ---- modes -------------------------------------------------------------------------

  /** Recomputes derived mode bits after CR0, EFLAGS.VM, CS or SS change. */
  updateMode(): void {
    this.protectedMode = (this.cr0Value & CR0_PE) !== 0;
    this.v86 = this.protectedMode && (this.lf.flags & VM) !== 0;
    if (this.v86) this.cpl = 3;
    else if (!this.protectedMode) this.cpl = 0;
    this.code32 = (this.segFlags[CS] & DESC_B) !== 0 && !this.v86;
    this.stack32 = (this.segFlags[SS] & DESC_B) !== 0 && !this.v86;
    this.stackMask = this.stack32 ? -1 : 0xffff;
    this.mmu.setUser(this.cpl === 3);
    this.fetchPage = -1;
  }

  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.updateMode();
  }

  get cr0(): number {
    return this.cr0Value >>> 0;
  }
  set cr0(v: number) {
    v = (v | CR0_ET) & (0xe005003f | 0);
    const changed = this.cr0Value ^ v;
    this.cr0Value = v;
    if (changed & (CR0_PG | CR0_WP | CR0_PE)) {
      this.applyPagingControls();
      this.mmu.flush(false);
    }
    this.updateMode();
    // Type checks apply only in protected mode: after a PE change, the cached descriptors'
    // access bounds are recomputed (real mode may write through a code segment's cache).
    if (changed & CR0_PE) for (let i = 0; i < 6; i++) this.loadSegmentCache(i, this.segSel[i], this.segBase[i], this.segLimit[i], this.segFlags[i]);
  }

  get cr3(): number {
    return this.cr3Value >>> 0;
  }
  set cr3(v: number) {
    this.cr3Value = v & ~0xfe7;
    this.mmu.cr3 = this.cr3Value;
    this.mmu.flush(true);
  }

  get cr4(): number {
    return this.cr4Value >>> 0;
  }
  set cr4(v: number) {
    const changed = this.cr4Value ^ v;
    this.cr4Value = v;
    if (changed & (CR4_PSE | CR4_PGE)) {
      this.applyPagingControls();
      this.mmu.flush(false);
    }
  }

  private applyPagingControls(): void {
    const m = this.mmu;
    m.paging = (this.cr0Value & CR0_PG) !== 0 && (this.cr0Value & CR0_PE) !== 0;
    m.writeProtect = (this.cr0Value & CR0_WP) !== 0;
    m.pse = (this.cr4Value & CR4_PSE) !== 0;
    m.pge = (this.cr4Value & CR4_PGE) !== 0;
    m.cr3 = this.cr3Value;
  }

  getEflags(): number {
    return this.lf.get() >>> 0;
  }

  setEflags(v: number): void {
    this.lf.set(v);
    this.updateMode();
  }

  /** POPF/IRET-style load of the bits `mask` allows, keeping the others. */
  writeEflagsMasked(v: number, mask: number): void {
    const f = this.lf.get();
    this.lf.set((f & ~mask) | (v & mask));
    this.updateMode();
  }

  /** Bits POPF may change at the current privilege (VM, RF, VIP, VIF never through POPF). */
  popfMask(o32: boolean): number {
    let mask = 0x0dd5 | TF | NT | (o32 ? AC | ID : 0);
    if (!this.protectedMode || this.cpl === 0) mask |= IOPL | IF;
    else if (this.cpl <= ((this.lf.flags & IOPL) >> 12)) mask |= IF;
    if (!o32) mask &= 0xffff;
    return mask & EFLAGS_IMPLEMENTED & ~RF;
  }

  // ---- segments ----------------------------------------------------------------------

  getSegment(i: number): SegmentState {
    return { selector: this.segSel[i], base: this.segBase[i] >>> 0, limit: this.segLimit[i], flags: this.segFlags[i] >>> 0 };
  }

  /** Sets a segment register's selector and hidden part directly, with no checks. */
  loadSegmentCache(i: number, selector: number, base: number, limit: number, flags: number): void {
    this.segSel[i] = selector;
    this.segBase[i] = base | 0;
    this.segLimit[i] = limit >>> 0;
    this.segFlags[i] = flags;
    const isCode = (flags & (DESC_S | DESC_CODE)) === (DESC_S | DESC_CODE);
    let lo = 0, hi = limit >>> 0;
    if (!isCode && flags & DESC_CE && flags & DESC_S) {
      lo = hi + 1;
      hi = flags & DESC_B ? 0xffffffff : 0xffff;
    }
    this.segLo[i] = lo;
    const readable = !isCode || (flags & DESC_RW) !== 0;
    const writable = !isCode && (flags & DESC_RW) !== 0;
    const usable = (flags & DESC_P) !== 0;
    this.segRHi[i] = usable && (readable || !this.protectedMode || this.v86) ? hi : -1;
    this.segWHi[i] = usable && (writable || !this.protectedMode || this.v86) ? hi : -1;
    this.segOpen[i] = (lo === 0 && this.segRHi[i] === 0xffffffff ? SEG_OPEN_READ : 0) | (lo === 0 && this.segWHi[i] === 0xffffffff ? SEG_OPEN_WRITE : 0);
    if (i === CS || i === SS) this.updateMode();
  }

  /** Marks a data segment register unusable (a null selector loaded in protected mode). */
  loadNullSegment(i: number, selector: number): void {
    this.segSel[i] = selector;
    this.segBase[i] = 0;
    this.segLimit[i] = 0;
    this.segFlags[i] = 0;
    this.segLo[i] = 0;
    this.segRHi[i] = -1;
    this.segWHi[i] = -1;
    this.segOpen[i] = 0;
  }

  /** Real-mode and V86 segment load: selector and base only (the limit is kept, as on real CPUs). */
  loadRealSegment(i: number, selector: number): void {
    selector &= 0xffff;
    if (this.v86) {
      this.loadSegmentCache(i, selector, selector << 4, 0xffff, DESC_P | DESC_S | DESC_RW | DESC_A | 0x6000 | (i === CS ? DESC_CODE : 0));
      return;
    }
    this.segSel[i] = selector;
    this.segBase[i] = selector << 4;
    if (i === CS) this.fetchPage = -1;
  }

  segmentFault(seg: number): never {
    return this.raise(seg === SS ? SSF : GP, this.protectedMode ? 0 : -1);
  }

  // ---- memory through segments (offsets are unsigned 32-bit numbers) ----------------

  read8(seg: number, off: number): number {
    if (off < this.segLo[seg] || off > this.segRHi[seg]) this.segmentFault(seg);
    return this.mmu.read8((this.segBase[seg] + off) | 0);
  }
  read16(seg: number, off: number): number {
    if (off < this.segLo[seg] || off + 1 > this.segRHi[seg]) this.segmentFault(seg);
    return this.mmu.read16((this.segBase[seg] + off) | 0);
  }
  read32(seg: number, off: number): number {
    if (off < this.segLo[seg] || off + 3 > this.segRHi[seg]) this.segmentFault(seg);
    return this.mmu.read32((this.segBase[seg] + off) | 0);
  }
  write8(seg: number, off: number, v: number): void {
    if (off < this.segLo[seg] || off > this.segWHi[seg]) this.segmentFault(seg);
    this.mmu.write8((this.segBase[seg] + off) | 0, v);
  }
  write16(seg: number, off: number, v: number): void {
    if (off < this.segLo[seg] || off + 1 > this.segWHi[seg]) this.segmentFault(seg);
    this.mmu.write16((this.segBase[seg] + off) | 0, v);
  }
  write32(seg: number, off: number, v: number): void {
    if (off < this.segLo[seg] || off + 3 > this.segWHi[seg]) this.segmentFault(seg);
    this.mmu.write32((this.segBase[seg] + off) | 0, v);
  }

  /** Checks that a write of `size` bytes would succeed (limit and paging), so a
   * read-modify-write faults before it changes anything. Returns the linear address. */
  probeWrite(seg: number, off: number, size: number): number {
    if (off < this.segLo[seg] || off + size - 1 > this.segWHi[seg]) this.segmentFault(seg);
    const lin = (this.segBase[seg] + off) | 0;
    this.mmu.probe(lin, size, true);
    return lin;
  }

  /** Checks the segment limit for a read and returns the linear address (x87, FXSAVE, BOUND …). */
  linearFor(seg: number, off: number, size: number, write: boolean): number {
    const hi = write ? this.segWHi[seg] : this.segRHi[seg];
    if (off < this.segLo[seg] || off + size - 1 > hi) this.segmentFault(seg);
    return (this.segBase[seg] + off) | 0;
  }

  // ---- stack -------------------------------------------------------------------------

  push16(v: number): void {
    const sp = (this.reg32[ESP] - 2) & this.stackMask;
    this.write16(SS, sp >>> 0, v);
    this.setSp(sp);
  }
  push32(v: number): void {
    const sp = (this.reg32[ESP] - 4) & this.stackMask;
    this.write32(SS, sp >>> 0, v);
    this.setSp(sp);
  }
  pushOp(v: number): void {
    if (this.o32) this.push32(v);
    else this.push16(v);
  }
  pop16(): number {
    const sp = this.reg32[ESP] & this.stackMask;
    const v = this.read16(SS, sp >>> 0);
    this.setSp(sp + 2);
    return v;
  }
  pop32(): number {
    const sp = this.reg32[ESP] & this.stackMask;
    const v = this.read32(SS, sp >>> 0);
    this.setSp(sp + 4);
    return v;
  }
  popOp(): number {
    return this.o32 ? this.pop32() : this.pop16();
  }
  /** Reads the stack at ESP+`delta` without popping. */
  peek16(delta: number): number {
    return this.read16(SS, ((this.reg32[ESP] + delta) & this.stackMask) >>> 0);
  }
  peek32(delta: number): number {
    return this.read32(SS, ((this.reg32[ESP] + delta) & this.stackMask) >>> 0);
  }
  /** Writes SP or ESP according to the stack size. */
  setSp(v: number): void {
    if (this.stack32) this.reg32[ESP] = v;
    else this.reg16[ESP * 2] = v;
  }

  // ---- instruction fetch --------------------------------------------------------------

  fetch8(): number {
    const eip = this.eip;
    if (eip > this.segLimit[CS]) this.gp(0);
    const lin = (this.segBase[CS] + eip) | 0;
    this.eip = eip + 1;
    if (lin >>> 12 !== this.fetchPage) this.refillFetch(lin);
    const phys = this.fetchPhys | (lin & 0xfff);
    return this.fetchRam ? this.ram[phys] : this.host.memory.read8(phys);
  }

  fetch16(): number {
    const eip = this.eip;
    const lin = (this.segBase[CS] + eip) | 0;
    if (lin >>> 12 === this.fetchPage && this.fetchRam && (lin & 0xfff) <= 0xffe && eip + 1 <= this.segLimit[CS]) {
      const p = this.fetchPhys | (lin & 0xfff);
      this.eip = eip + 2;
      return this.ram[p] | (this.ram[p + 1] << 8);
    }
    const lo = this.fetch8();
    return lo | (this.fetch8() << 8);
  }

  fetch32(): number {
    const eip = this.eip;
    const lin = (this.segBase[CS] + eip) | 0;
    if (lin >>> 12 === this.fetchPage && this.fetchRam && (lin & 0xfff) <= 0xffc && eip + 3 <= this.segLimit[CS]) {
      const p = this.fetchPhys | (lin & 0xfff);
      const m = this.ram;
      this.eip = eip + 4;
      return m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24);
    }
    const lo = this.fetch8();
    const b1 = this.fetch8();
    const b2 = this.fetch8();
    return lo | (b1 << 8) | (b2 << 16) | (this.fetch8() << 24);
  }

  private refillFetch(lin: number): void {
    const phys = this.mmu.translate(lin, false, this.cpl === 3);
    this.fetchPage = lin >>> 12;
    this.fetchPhys = phys & ~0xfff;
    this.fetchRam = this.host.memory.pageKind[phys >>> 12] === 1;
  }

  /** Forget the fetch page (after a CS load or when code memory may have changed). */
  invalidateFetch(): void {
    this.fetchPage = -1;
  }

  // ---- state save/restore ----------------------------------------------------------------

  saveState(): object {
    return {
      reg32: Array.from(this.reg32),
      eip: this.eip,
      eflags: this.getEflags(),
      segments: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => this.getSegment(i)),
      cpl: this.cpl,
      cr0: this.cr0, cr2: this.cr2, cr3: this.cr3, cr4: this.cr4,
      dr: Array.from(this.dr),
      gdtr: { ...this.gdtr },
      idtr: { ...this.idtr },
      a20: this.mmu.a20Mask === -1,
      halted: this.halted,
      shutdown: this.shutdown,
      nmiPending: this.nmiPending,
      nmiBlocked: this.nmiBlocked,
      inhibitInterrupts: this.inhibitInterrupts,
      instructionCount: this.instructionCount,
      msr: this.msr.saveState(),
      fpu: this.fpu.saveState(),
    };
  }

  loadState(s: object): void {
    const st = s as ReturnType<Cpu['saveState']> & {
      reg32: number[]; eip: number; eflags: number; segments: SegmentState[]; cpl: number;
      cr0: number; cr2: number; cr3: number; cr4: number; dr: number[];
      gdtr: { base: number; limit: number }; idtr: { base: number; limit: number };
      a20: boolean; halted: boolean; instructionCount: number; msr: object; fpu: object;
      shutdown?: boolean; nmiPending?: boolean; nmiBlocked?: boolean; inhibitInterrupts?: boolean;
    };
    this.reg32.set(st.reg32);
    this.eip = st.eip;
    this.cr0 = st.cr0;
    this.cr2 = st.cr2;
    this.cr3 = st.cr3;
    this.cr4 = st.cr4;
    this.dr.set(st.dr);
    this.gdtr = { ...st.gdtr };
    this.idtr = { ...st.idtr };
    this.lf.set(st.eflags);
    st.segments.forEach((g, i) => this.loadSegmentCache(i, g.selector, g.base, g.limit, g.flags));
    this.cpl = st.cpl;
    this.updateMode();
    this.setA20(st.a20);
    this.halted = st.halted;
    this.shutdown = st.shutdown === true;
    this.nmiPending = st.nmiPending === true;
    this.nmiBlocked = st.nmiBlocked === true;
    this.inhibitInterrupts = st.inhibitInterrupts === true;
    this.instructionCount = st.instructionCount;
    this.msr.loadState(st.msr);
    this.fpu.loadState(st.fpu);
    // Memory and mode may differ from what was translated or compiled before.
    this.flushTlb();
  }
}
