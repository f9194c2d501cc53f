// The narrow channels between the main thread (terminal, sockets, chardevs, monitor) and
// the guest's worker: byte rings for serial data, a wake word the main thread bumps when
// it has put input or a request there, a doorbell flag so the worker posts at most one
// "output ready" message until the main thread has drained, and request/response
// messages for monitor commands.

import type { MachineConfig } from '../../cli/machine-config.js';
import type { CpuRegisters } from '../../monitor/cpu-registers.js';
import type { DeviceRequest } from './device-requests.js';
import type { InspectReply, InspectRequest } from './machine-info.js';
import type { SnapshotReply, SnapshotRequest } from './machine-snapshot-store.js';

export interface WorkerInit {
  config: MachineConfig;
  /** Per COM port: guest input and guest output rings. */
  serialIn: SharedArrayBuffer[];
  serialOut: SharedArrayBuffer[];
  debugconOut: SharedArrayBuffer;
  /** Int32Array(2): [0] wake counter, [1] output doorbell pending. */
  signals: SharedArrayBuffer;
  /** The shared display (shared-display.ts) when the terminal UI shows the VGA. */
  display?: SharedArrayBuffer;
}

export const WAKE = 0;
export const DOORBELL = 1;

export type ControlRequest =
  | { id: number; kind: 'stop' | 'cont' | 'reset' | 'powerdown' | 'quit' }
  | { id: number; kind: 'registers' }
  /** A BREAK condition on a COM port's line (Ctrl-a b, telnet BREAK): Linux's magic SysRq. */
  | { id: number; kind: 'break'; port: number }
  /** The monitor's screendump, pmemsave, commit, eject and change. */
  | { id: number; kind: 'device'; request: DeviceRequest }
  /** savevm, loadvm, delvm and info snapshots. */
  | { id: number; kind: 'snapshot'; request: SnapshotRequest }
  /** Keys typed on the host, as PS/2 set-1 scancode bytes (E0 prefixes included). */
  | { id: number; kind: 'keys'; scancodes: number[] }
  /** The monitor's memory reads and `info` texts (machine-info.ts). */
  | { id: number; kind: 'inspect'; request: InspectRequest };

/** QEMU's ShutdownCause names for what the guest did. */
export type GuestShutdownReason = 'guest-shutdown' | 'guest-reset';

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'output' }
  | { kind: 'reply'; id: number; registers?: CpuRegisters; error?: string; inspect?: InspectReply; snapshot?: SnapshotReply }
  /** The machine ended: exit the process with this status; `reason` when the guest ended it (QMP's SHUTDOWN). */
  | { kind: 'exit'; status: number; reason?: GuestShutdownReason }
  /** The guest reset the machine (QMP's RESET). */
  | { kind: 'guest-reset' }
  /** The guest powered off with -no-shutdown: the VM stays, paused. */
  | { kind: 'shutdown' }
  | { kind: 'error'; message: string };
