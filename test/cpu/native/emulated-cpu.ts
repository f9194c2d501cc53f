// The termu side of the differential tests: the same snippet bytes run in termu's Cpu in
// flat 32-bit protected mode (ring 0, no paging), set up through the agreed public API.
// Snippets end on HLT; an exception goes through an IDT whose gates point at one HLT
// stub per vector, and the frame it pushed gives back the faulting EIP and EFLAGS.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';
import { IoBus } from '../../../src/vm/machine/io-bus.js';
import { TimerQueue } from '../../../src/vm/machine/clock.js';
import type { CpuHost } from '../../../src/vm/cpu/cpu-host.js';
import { X87 } from '../../../src/vm/cpu/fpu/x87.js';
import { CODE_BASE, DATA_BASE, DATA_SIZE, END_BY_HLT, type CaseInput, type MachineState } from './native-host.js';

/** The part of the agreed Cpu API these tests use. */
interface CpuLike {
  reset(): void;
  run(budget: number): number;
  halted: boolean;
  readonly reg32: Int32Array;
  eip: number;
  getEflags(): number;
  setEflags(v: number): void;
  loadSegmentCache(i: number, selector: number, base: number, limit: number, flags: number): void;
  cr0: number;
  gdtr: { base: number; limit: number };
  idtr: { base: number; limit: number };
  readonly fpu: unknown;
}
type CpuConstructor = new (host: CpuHost) => CpuLike;

const cpuModule = new URL('../../../src/vm/cpu/cpu.js', import.meta.url);

/** termu's Cpu class, or null while src/vm/cpu/cpu.ts does not exist yet. */
export async function loadCpu(): Promise<CpuConstructor | null> {
  if (!existsSync(fileURLToPath(cpuModule))) return null;
  const mod = (await import(cpuModule.href)) as { Cpu?: CpuConstructor };
  return mod.Cpu ?? null;
}

const GDT = 0x1000;
const IDT = 0x2000;
const STUBS = 0x3000;
const VECTORS = 32;
const WITH_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);
/** The frame an exception pushes below ESP, which a native run (signal on another stack) leaves alone. */
export const FRAME_BYTES = 16;

export class EmulatedMachine {
  private readonly memory = new PhysicalMemory(8 << 20);
  private readonly cpu: CpuLike;

  constructor(Cpu: CpuConstructor) {
    const host: CpuHost = {
      memory: this.memory,
      io: new IoBus(),
      interrupts: { hasInterrupt: () => false, acknowledgeInterrupt: () => 0 },
      clock: new TimerQueue(),
      readApicBase: () => 0xfee00900n,
      writeApicBase: () => {},
      tripleFault: () => { throw new Error('triple fault'); },
    };
    this.cpu = new Cpu(host);
    const ram = this.memory.ram;
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    // GDT: null, 0x08 flat 32-bit code, 0x10 flat data.
    dv.setUint32(GDT + 8, 0x0000ffff, true);
    dv.setUint32(GDT + 12, 0x00cf9b00, true);
    dv.setUint32(GDT + 16, 0x0000ffff, true);
    dv.setUint32(GDT + 20, 0x00cf9300, true);
    for (let v = 0; v < VECTORS; v++) {
      const target = STUBS + v;
      dv.setUint32(IDT + v * 8, (0x08 << 16) | (target & 0xffff), true);
      dv.setUint32(IDT + v * 8 + 4, (target & 0xffff0000) | 0x8e00, true);
      ram[STUBS + v] = 0xf4;
    }
  }

  get fpu(): X87 | null {
    return this.cpu.fpu instanceof X87 ? this.cpu.fpu : null;
  }

  loadCode(code: Uint8Array): void {
    this.memory.ram.set(code, CODE_BASE);
  }

  run(data: Uint8Array, c: CaseInput): MachineState {
    const cpu = this.cpu;
    const ram = this.memory.ram;
    ram.set(data, DATA_BASE);
    cpu.reset();
    cpu.cr0 = 0x33; // PE, MP, ET, NE: #MF reported as an exception, like Linux sets it
    cpu.gdtr = { base: GDT, limit: 0x17 };
    cpu.idtr = { base: IDT, limit: VECTORS * 8 - 1 };
    cpu.loadSegmentCache(1, 0x08, 0, 0xffffffff, 0x00cf9b00);
    for (const seg of [0, 2, 3, 4, 5]) cpu.loadSegmentCache(seg, 0x10, 0, 0xffffffff, 0x00cf9300);
    for (let r = 0; r < 8; r++) cpu.reg32[r] = c.regs[r] | 0;
    cpu.eip = c.eip;
    cpu.setEflags(c.eflags);
    this.fpu?.init(); // the native runner starts every snippet after FNINIT
    let steps = 0;
    while (!cpu.halted && steps < 100000) {
      const n = cpu.run(1000);
      steps += n;
      if (n === 0 && !cpu.halted) break;
    }
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    const regs = Array.from(cpu.reg32, (v) => v >>> 0);
    let eip = cpu.eip >>> 0;
    let eflags = cpu.getEflags() >>> 0;
    let trapno = cpu.halted ? END_BY_HLT : -1;
    if (cpu.halted && eip > STUBS && eip <= STUBS + VECTORS) {
      trapno = eip - 1 - STUBS;
      let sp = regs[4] + (WITH_ERROR_CODE.has(trapno) ? 4 : 0);
      eip = dv.getUint32(sp, true);
      eflags = dv.getUint32(sp + 8, true);
      sp += 12;
      regs[4] = sp >>> 0;
    } else if (cpu.halted) {
      eip -= 1; // native reports the HLT itself (it faults at CPL 3)
    }
    const st = new Uint8Array(80);
    const fpu = this.fpu;
    if (fpu) {
      for (let i = 0; i < 8; i++) {
        const p = (fpu.top + i) & 7;
        fpu.ensureRaw(p);
        const sdv = new DataView(st.buffer, i * 10, 10);
        sdv.setUint32(0, fpu.lo[p], true);
        sdv.setUint32(4, fpu.hi[p], true);
        sdv.setUint16(8, fpu.se[p], true);
      }
    }
    return {
      regs, eflags, eip, trapno,
      fpuCw: fpu?.controlWord ?? 0,
      fpuSw: fpu?.statusWord ?? 0,
      fpuTw: fpu?.tagWord ?? 0,
      st,
      data: ram.slice(DATA_BASE, DATA_BASE + DATA_SIZE),
    };
  }
}
