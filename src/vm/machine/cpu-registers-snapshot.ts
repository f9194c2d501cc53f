// Reads the CPU's architectural state into the plain snapshot `info registers` prints.

import type { CpuRegisters } from '../../monitor/cpu-registers.js';
import type { Cpu } from '../cpu/cpu.js';
import type { FpuMemory } from '../cpu/fpu/fpu-memory.js';

export function snapshotRegisters(cpu: Cpu): CpuRegisters {
  const image = new Uint8Array(512);
  // FXSAVE into a private buffer gives FCW/FSW/FTW, the stack registers and MXCSR at once.
  const capture: FpuMemory = {
    read8: (l) => image[l],
    read16: (l) => image[l] | (image[l + 1] << 8),
    read32: (l) => (image[l] | (image[l + 1] << 8) | (image[l + 2] << 16) | (image[l + 3] << 24)) >>> 0,
    write8: (l, v) => void (image[l] = v),
    write16: (l, v) => void image.set([v & 0xff, (v >> 8) & 0xff], l),
    write32: (l, v) => void image.set([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff], l),
    probeRead: () => {},
    probeWrite: () => {},
  };
  cpu.fpu.fxsave(0, capture);
  return {
    gpr: Array.from(cpu.reg32, (v) => v >>> 0),
    eip: cpu.eip >>> 0,
    eflags: cpu.getEflags() >>> 0,
    segments: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => cpu.getSegment(i)),
    gdt: { ...cpu.gdtr },
    idt: { ...cpu.idtr },
    cr: [cpu.cr0, cpu.cr2, cpu.cr3, cpu.cr4],
    dr: Array.from(cpu.dr, (v) => v >>> 0),
    efer: 0n,
    cpl: cpu.cpl,
    protectedMode: cpu.protectedMode,
    inhibitInterrupts: cpu.inhibitInterrupts,
    a20: cpu.mmu.a20Mask === -1,
    halted: cpu.halted,
    fxsave: image,
  };
}
