// The whole machine's state as one tree, for savevm/loadvm: RAM, the virtual clock and
// every armed timer, the CPU (FPU and MSRs included) and every device's saveState(),
// each under a section name. A snapshot loads only into a machine built the same way
// (same RAM size and the same set of sections), otherwise it fails with QEMU's texts.

import type { Cpu } from '../cpu/cpu.js';
import type { BiosHardware } from './bios-hardware.js';
import type { PcBoard } from './pc-board.js';

interface Saveable {
  saveState(): object;
  loadState(s: object): void;
}

/** The run loop's virtual clock, which the snapshot stops and restarts at its saved time. */
export interface VmClock {
  nowNs(): number;
  /** Makes virtual time read `ns` from now on, with the CPU at `instructionCount`. */
  restore(ns: number, instructionCount: number): void;
}

export interface MachineParts {
  board: PcBoard;
  cpu: Cpu;
  hw: BiosHardware;
  clock: VmClock;
}

/** Why a snapshot does not fit this machine: the lines QEMU prints, then its error. */
export class VmStateLoadError extends Error {
  constructor(readonly context: string[], message: string) {
    super(message);
  }
}

const LOAD_FAILED = 'Error -22 while loading VM state';

/**
 * Sections in load order: devices first, the interrupt controllers after them (devices
 * re-drive their IRQ lines while loading; the controllers' saved state has the last word).
 */
function sections(p: MachineParts): Map<string, Saveable> {
  const { board, hw } = p;
  const m = new Map<string, Saveable>();
  m.set('i8254', board.pit);
  m.set('port61', board.portB);
  m.set('mc146818rtc', board.rtc);
  m.set('hpet', board.hpet);
  m.set('i8042', board.i8042);
  m.set('port92', board.port92);
  board.uarts.forEach((u, i) => m.set(`serial/${i}`, u));
  m.set('pci-host', board.pciHost);
  for (const { devfn, device } of board.pciHost.devices) m.set(`pci/${hex2(devfn >> 3)}.${devfn & 7}`, device);
  m.set('fw_cfg', board.fwCfg);
  m.set('ide', hw.storage.ide);
  m.set('i8257', hw.storage.dma);
  m.set('fdc', hw.storage.fdc);
  m.set('i8259', board.pic);
  m.set('ioapic', board.ioapic);
  m.set('apic', board.lapic);
  return m;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Everything needed to put the machine back exactly as it is now (call it between instructions). */
export function collectMachineState(p: MachineParts): object {
  const devices: Record<string, object> = {};
  for (const [name, s] of sections(p)) devices[name] = s.saveState();
  return {
    ramBytes: p.board.memory.ram.length,
    clockNs: p.clock.nowNs(),
    cpu: p.cpu.saveState(),
    devices,
    timers: p.board.clock.saveDeadlines(),
    ram: p.board.memory.ram,
  };
}

/** Checks that `state` fits this machine, without changing anything. */
export function checkMachineState(p: MachineParts, state: Record<string, unknown>): void {
  const ram = p.board.memory.ram;
  const saved = state.ram;
  if (!(saved instanceof Uint8Array) || typeof state.cpu !== 'object' || typeof state.devices !== 'object' || !Array.isArray(state.timers)) {
    throw new VmStateLoadError(['Not a migration stream'], LOAD_FAILED);
  }
  if (saved.length !== ram.length) {
    throw new VmStateLoadError([`Length mismatch: pc.ram: 0x${saved.length.toString(16)} in != 0x${ram.length.toString(16)}: Invalid argument`], LOAD_FAILED);
  }
  const have = sections(p);
  const names = Object.keys(state.devices as object);
  const unknown = names.find((n) => !have.has(n)) ?? [...have.keys()].find((n) => !names.includes(n));
  if (unknown !== undefined || state.timers.length !== p.board.clock.timerCount) {
    const [id, instance] = (unknown ?? 'timers').split('/');
    throw new VmStateLoadError(
      [`Unknown savevm section or instance '${id}' ${instance === undefined ? 0 : parseInt(instance, 16)}. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices`],
      LOAD_FAILED,
    );
  }
}

/** Puts the machine back into `state` (checked by checkMachineState first). */
export function restoreMachineState(p: MachineParts, state: Record<string, unknown>): void {
  checkMachineState(p, state);
  const { board, cpu } = p;
  board.memory.ram.set(state.ram as Uint8Array);
  const cpuState = state.cpu as { instructionCount: number };
  // Time first: the TSC and every device's timers are absolute virtual times.
  p.clock.restore(state.clockNs as number, cpuState.instructionCount);
  cpu.loadState(cpuState);
  const devices = state.devices as Record<string, object>;
  for (const [name, s] of sections(p)) s.loadState(devices[name]);
  board.clock.loadDeadlines(state.timers as number[]);
  // RAM changed behind the TLB and the compiled code.
  cpu.flushTlb();
}
