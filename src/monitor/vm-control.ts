// What the monitor may ask of the machine. The main thread implements it by messages to
// the guest's worker; tests implement it directly. Commands that need the guest's state
// are asynchronous.

import type { CpuRegisters } from './cpu-registers.js';
import type { InfoTopic } from '../vm/machine/machine-info.js';
import type { DeviceControl } from './device-commands.js';
import type { SnapshotControl } from './snapshot-commands.js';

/** QEMU's run states that `info status` distinguishes. */
export type RunState = 'running' | 'paused' | 'prelaunch' | 'shutdown' | 'internal-error' | 'guest-panicked' | 'restore-vm';

export interface ChardevInfo {
  label: string;
  filename: string;
}

export interface VmControl {
  runState(): RunState;
  stop(): Promise<void>;
  cont(): Promise<void>;
  systemReset(): Promise<void>;
  /** Presses the ACPI power button. */
  systemPowerdown(): Promise<void>;
  quit(): void;
  /** Quits because the host sent SIGINT/SIGTERM/SIGHUP (QMP's SHUTDOWN reason host-signal); absent where nothing reports it. */
  shutdownOnSignal?(): void;
  registers(): Promise<CpuRegisters>;
  /** Types keys into the guest's PS/2 keyboard: set-1 scancode bytes, E0 prefixes included. */
  sendKeys(scancodes: number[]): Promise<void>;
  /** Guest memory for x/xp/memsave; undefined when part of it cannot be accessed (unmapped, unassigned). */
  readMemory(addr: number, length: number, virtual: boolean): Promise<Uint8Array | undefined>;
  /** The text of an `info` command that needs the machine's state (`device`: info block's filter). */
  machineInfo(topic: InfoTopic, device?: string): Promise<string>;
  chardevs(): ChardevInfo[];
  kvmEnabled(): boolean;
  name(): string | undefined;
  /** -uuid, when given. */
  uuid?(): string | undefined;
  /** Displays and drives (screendump, pmemsave, commit, eject, change); absent in monitor-only tests. */
  devices?(): DeviceControl | undefined;
  /** savevm/loadvm/delvm/info snapshots; absent in monitor-only tests. */
  snapshots?(): SnapshotControl | undefined;
}
