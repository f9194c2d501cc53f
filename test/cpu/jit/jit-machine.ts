// A small protected-mode PC for the JIT tests: 8 MiB of RAM identity-mapped by paging
// except one hole (HOLE, never present, for #PF), flat ring-0 segments, and an IDT whose
// gates point at one HLT per vector, so a fault ends a run with the vector in EIP. Two
// machines built the same way give the interpreter and the JIT identical starting states.

import { Cpu } from '../../../src/vm/cpu/cpu.js';
import { TestHost } from '../test-host.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { runWithJit } from '../../../src/vm/cpu/jit/jit-runner.js';

export const CODE_BASE = 0x400000;
export const DATA_BASE = 0x500000;
export const DATA_SIZE = 0x1000;
/** GS's base in protected mode: in the data page, off a page boundary. */
export const GS_BASE = DATA_BASE + 0x10;
/** A 4 KiB page that is not present. */
export const HOLE = 0x600000;
/** A second virtual mapping of the code page at CODE_BASE. */
export const ALIAS = 0x700000;
export const STUBS = 0x3000;
const GDT = 0x1000;
const GDT_PAGE = 0x1000;
const IDT = 0x2000;
const PAGE_DIR = 0x10000;
const VECTORS = 32;
export const RAM = 8 << 20;

/** Selectors: 0x08 flat code, 0x10 flat data, 0x18 data ending with the data page (non-flat),
 * 0x1b/0x23 flat ring-3 code/data, 0x28 the TSS. */
export const SEL_CODE = 0x08, SEL_DATA = 0x10, SEL_SHORT = 0x18, SEL_USER_CODE = 0x1b, SEL_USER_DATA = 0x23, SEL_TSS = 0x28;
const TSS = 0x4000;
/** The one supervisor-only page (GDT): a user access raises #PF. */
export const SUPERVISOR_PAGE = GDT_PAGE;

export interface MachineState {
  regs: number[];
  eip: number;
  cs: number;
  eflags: number;
  cr2: number;
  instructions: number;
  lastVector: number;
  data: Uint8Array;
}

export class JitTestMachine {
  readonly host = new TestHost(RAM);
  readonly cpu = new Cpu(this.host);

  constructor() {
    const ram = this.host.memory.ram;
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    dv.setUint32(GDT + 8, 0x0000ffff, true);
    dv.setUint32(GDT + 12, 0x00cf9b00, true);
    dv.setUint32(GDT + 16, 0x0000ffff, true);
    dv.setUint32(GDT + 20, 0x00cf9300, true);
    // 0x18: base 0, limit DATA_BASE + 0xfff (4 KiB granular): the data page is its last.
    const lim = DATA_BASE >>> 12;
    dv.setUint32(GDT + 24, lim & 0xffff, true);
    dv.setUint32(GDT + 28, 0x00c09300 | (lim & 0xf0000), true);
    dv.setUint32(GDT + 32, 0x0000ffff, true);
    dv.setUint32(GDT + 36, 0x00cffb00, true);
    dv.setUint32(GDT + 40, 0x0000ffff, true);
    dv.setUint32(GDT + 44, 0x00cff300, true);
    dv.setUint32(GDT + 48, (TSS << 16) | 0x67, true);
    dv.setUint32(GDT + 52, 0x00008b00, true);
    // Ring-0 stack for exceptions from ring 3: the top of the data page, so the frame is compared.
    dv.setUint32(TSS + 4, DATA_BASE + 0xff0, true);
    dv.setUint32(TSS + 8, SEL_DATA, true);
    for (let v = 0; v < VECTORS; v++) {
      const target = STUBS + v;
      dv.setUint32(IDT + v * 8, (SEL_CODE << 16) | (target & 0xffff), true);
      dv.setUint32(IDT + v * 8 + 4, (target & 0xffff0000) | 0x8e00, true);
      ram[STUBS + v] = 0xf4;
    }
    // Two page tables identity-map 8 MiB; HOLE stays not present.
    for (let t = 0; t < 2; t++) {
      const table = PAGE_DIR + 0x1000 * (t + 1);
      dv.setUint32(PAGE_DIR + t * 4, table | 7, true);
      for (let i = 0; i < 1024; i++) {
        const frame = (t * 1024 + i) << 12;
        const mapped = frame === ALIAS ? CODE_BASE : frame;
        dv.setUint32(table + i * 4, frame === HOLE ? 0 : mapped | (frame === GDT_PAGE ? 3 : 7), true);
      }
    }
  }

  /** Resets into flat 32-bit protected mode with paging, DS flat or limited. */
  enter(regs: number[], eip: number, eflags: number, shortDs = false): void {
    const cpu = this.cpu;
    cpu.reset();
    cpu.cr0 = 0x33;
    cpu.gdtr = { base: GDT, limit: 0x1f };
    cpu.idtr = { base: IDT, limit: VECTORS * 8 - 1 };
    cpu.cr3 = PAGE_DIR;
    cpu.cr0 = 0x80000033;
    cpu.loadSegmentCache(1, SEL_CODE, 0, 0xffffffff, 0x00cf9b00);
    for (const seg of [0, 2, 3, 4, 5]) cpu.loadSegmentCache(seg, SEL_DATA, 0, 0xffffffff, 0x00cf9300);
    if (shortDs) cpu.loadSegmentCache(3, SEL_SHORT, 0, DATA_BASE + 0xfff, 0x00c09300);
    // FS is a 4 KiB window onto the data page: offsets past 0xfff raise #GP. GS is based in
    // the data page (off a page boundary) with a 4 GiB limit, as Linux's per-CPU and TLS segments.
    cpu.loadSegmentCache(4, SEL_DATA, DATA_BASE, 0xfff, 0x00409300);
    cpu.loadSegmentCache(5, SEL_DATA, GS_BASE, 0xffffffff, 0x00cf9300);
    for (let r = 0; r < 8; r++) cpu.reg32[r] = regs[r] | 0;
    cpu.eip = eip;
    cpu.setEflags(eflags);
  }

  /** Runs until HLT (or a step cap) in slices, through the JIT when a cache is given. */
  runToHalt(cache: CodeCache | null, cap = 1e8, slice = 10000): void {
    for (let steps = 0; !this.cpu.halted && steps < cap;) {
      const n = cache ? runWithJit(this.cpu, cache, slice) : this.cpu.run(slice);
      if (n === 0) break;
      steps += n;
    }
  }

  /** As enter(), then drops to ring 3 with flat user segments and a TSS for the way back. */
  enterUser(regs: number[], eip: number, eflags: number): void {
    this.enter(regs, eip, eflags);
    const cpu = this.cpu;
    cpu.loadSegmentCache(7, SEL_TSS, TSS, 0x67, 0x8b00);
    cpu.loadSegmentCache(1, SEL_USER_CODE, 0, 0xffffffff, 0x00cffb00);
    for (const seg of [0, 2, 3]) cpu.loadSegmentCache(seg, SEL_USER_DATA, 0, 0xffffffff, 0x00cff300);
    cpu.loadSegmentCache(4, SEL_USER_DATA, DATA_BASE, 0xfff, 0x0040f300);
    cpu.loadSegmentCache(5, SEL_USER_DATA, GS_BASE, 0xffffffff, 0x00cff300);
    cpu.setCpl(3);
  }

  /**
   * Resets into real mode with 4 GiB data segments ("unreal": 32-bit offsets reach all of
   * RAM), CS based at CODE_BASE, SS at DATA_BASE with a 64 KiB limit, and an IVT sending
   * every vector to its HLT stub.
   */
  enterReal(regs: number[], ip: number, eflags: number): void {
    const cpu = this.cpu;
    cpu.reset();
    const dv = new DataView(this.host.memory.ram.buffer, this.host.memory.ram.byteOffset, this.host.memory.ram.byteLength);
    for (let v = 0; v < VECTORS; v++) {
      dv.setUint16(v * 4, v, true);
      dv.setUint16(v * 4 + 2, STUBS >>> 4, true);
    }
    cpu.loadSegmentCache(1, 0, CODE_BASE, 0xffff, 0x9b00);
    for (const seg of [0, 3, 4, 5]) cpu.loadSegmentCache(seg, 0, 0, 0xffffffff, 0x9300);
    cpu.loadSegmentCache(2, DATA_BASE >>> 4, DATA_BASE, 0xffff, 0x9300);
    for (let r = 0; r < 8; r++) cpu.reg32[r] = regs[r] | 0;
    cpu.eip = ip;
    cpu.setEflags(eflags);
  }

  /** The exception vector whose HLT stub stopped the CPU, or -1. */
  stoppedByVector(): number {
    const v = ((this.cpu.segBase[1] + this.cpu.eip) >>> 0) - 1 - STUBS;
    return this.cpu.halted && v >= 0 && v < VECTORS ? v : -1;
  }

  state(): MachineState {
    const cpu = this.cpu;
    return {
      regs: Array.from(cpu.reg32, (v) => v >>> 0),
      eip: cpu.eip >>> 0,
      cs: cpu.segSel[1],
      eflags: cpu.getEflags() >>> 0,
      cr2: cpu.cr2 >>> 0,
      instructions: cpu.instructionCount,
      lastVector: cpu.lastEventVector,
      data: this.host.memory.ram.slice(DATA_BASE, DATA_BASE + DATA_SIZE),
    };
  }
}

/** Differences between two states, as readable lines (empty when equal). */
export function diffStates(a: MachineState, b: MachineState): string[] {
  const out: string[] = [];
  const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
  const names = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
  for (let i = 0; i < 8; i++) if (a.regs[i] !== b.regs[i]) out.push(`${names[i]}: ${hex(a.regs[i])} vs ${hex(b.regs[i])}`);
  if (a.eip !== b.eip || a.cs !== b.cs) out.push(`cs:eip: ${hex(a.cs)}:${hex(a.eip)} vs ${hex(b.cs)}:${hex(b.eip)}`);
  if (a.eflags !== b.eflags) out.push(`eflags: ${hex(a.eflags)} vs ${hex(b.eflags)}`);
  if (a.cr2 !== b.cr2) out.push(`cr2: ${hex(a.cr2)} vs ${hex(b.cr2)}`);
  if (a.instructions !== b.instructions) out.push(`instructions: ${a.instructions} vs ${b.instructions}`);
  if (a.lastVector !== b.lastVector) out.push(`last vector: ${a.lastVector} vs ${b.lastVector}`);
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i] !== b.data[i]) {
      out.push(`data[${hex(i)}]: ${hex(a.data[i])} vs ${hex(b.data[i])}`);
      break;
    }
  }
  return out;
}
