// A VmControl for monitor unit tests: records what the monitor asks of the machine.
import type { CpuRegisters } from '../../src/monitor/cpu-registers.js';
import type { VmControl } from '../../src/monitor/vm-control.js';

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
