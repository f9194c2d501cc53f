// A VmControl for monitor unit tests: records what the monitor asks of the machine.
import type { CpuRegisters } from '../../src/monitor/cpu-registers.js';
import type { VmControl } from '../../src/monitor/vm-control.js';

/** The registers of a CPU just after reset, as QEMU's i386 model has them. */
export function resetRegisters(): CpuRegisters {
  const fxsave = new Uint8Array(512);
  new DataView(fxsave.buffer).setUint16(0, 0x037f, true);
  new DataView(fxsave.buffer).setUint32(24, 0x1f80, true);
  const seg = (selector: number, base: number, flags: number) => ({ selector, base, limit: 0xffff, flags });
  return {
    gpr: [0, 0, 0x663, 0, 0, 0, 0, 0],
    eip: 0xfff0,
    eflags: 2,
    segments: [seg(0, 0, 0x9300), seg(0xf000, 0xffff0000, 0x9b00), seg(0, 0, 0x9300), seg(0, 0, 0x9300), seg(0, 0, 0x9300), seg(0, 0, 0x9300), seg(0, 0, 0x8200), seg(0, 0, 0x8b00)],
    gdt: { base: 0, limit: 0xffff },
    idt: { base: 0, limit: 0xffff },
    cr: [0x60000010, 0, 0, 0],
    dr: [0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400],
    efer: 0n,
    cpl: 0,
    protectedMode: false,
    inhibitInterrupts: false,
    a20: true,
    halted: false,
    fxsave,
  };
}

export interface FakeVm {
  vm: VmControl;
  /** Every sendKeys call's bytes, in order. */
  keys: number[][];
}

export function fakeVm(registers?: CpuRegisters): FakeVm {
  const keys: number[][] = [];
  const vm: VmControl = {
    runState: () => 'paused',
    stop: async () => {},
    cont: async () => {},
    systemReset: async () => {},
    systemPowerdown: async () => {},
    quit: () => {},
    registers: async () => {
      if (!registers) throw new Error('no CPU');
      return registers;
    },
    sendKeys: async (codes) => void keys.push(codes),
    readMemory: async () => undefined,
    machineInfo: async () => "",
    chardevs: () => [],
    kvmEnabled: () => false,
    name: () => undefined,
  };
  return { vm, keys };
}

/** Runs monitor lines and returns what they printed. */
export async function monitorOutput(vm: VmControl, lines: string[]): Promise<string> {
  const { runLine } = await import('../../src/monitor/hmp-commands.js');
  let out = '';
  const ctx = { vm, print: (t: string) => void (out += t), session: { history: lines } };
  for (const line of lines) await runLine(ctx, line);
  return out;
}
