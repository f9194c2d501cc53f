// The guest's run loop, in the worker thread: executes the CPU up to the next timer
// deadline, fires expired timers, moves serial bytes through the rings, answers the
// main thread's requests, and sleeps on HLT until the next deadline or a wake-up from
// the main thread (never spins). Time is host real time, or 2^shift ns per instruction
// in the deterministic icount mode.

import { performance } from 'node:perf_hooks';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { ClockConfig } from '../../cli/machine-config.js';
import type { Cpu } from '../cpu/cpu.js';
import { ByteRing } from './byte-ring.js';
import { snapshotRegisters } from './cpu-registers-snapshot.js';
import { injectScancodes } from './key-injection.js';
import type { InspectReply, InspectRequest } from './machine-info.js';
import type { PcBoard } from './pc-board.js';
import type { DeviceRequest } from './device-requests.js';
import type { VmClock } from './machine-snapshot.js';
import type { SnapshotReply, SnapshotRequest } from './machine-snapshot-store.js';
import { DOORBELL, WAKE, type ControlRequest, type GuestShutdownReason, type WorkerInit, type WorkerMessage } from './worker-protocol.js';
import { DOUBLE_FIELD } from './double-field.js';

/** Instructions per slice in real-time mode: short enough for sub-millisecond timer latency. */
const SLICE = 20000;

export type RunState = 'prelaunch' | 'running' | 'paused' | 'shutdown';

export interface PowerPolicy {
  noReboot: boolean;
  noShutdown: boolean;
}

export class RunLoop implements VmClock {
  private state: RunState;
  private exitStatus: number | undefined;
  /** Set when the guest itself ended the machine. */
  exitReason: GuestShutdownReason | undefined;
  private resetPending = false;
  private readonly signals: Int32Array;
  private readonly serialIn: ByteRing[];
  private readonly serialOut: ByteRing[];
  private readonly debugconOut: ByteRing;
  private outputDirty = false;
  private readonly scratch = new Uint8Array(64);
  /** Answers the monitor's memory reads and `info` commands (set by the worker). */
  inspector: (req: InspectRequest) => InspectReply = () => ({});
  /** Real-time mode: host ms at which virtual time 0 was, moved forward while paused. */
  private epochMs = performance.now();
  private pausedAtMs = 0;
  /** icount mode: virtual ns skipped while halted, on top of instructions × 2^shift. */
  private icountWarpNs = 0;
  /** Real-time reads are cached per instruction; the loop bumps the generation between slices. */
  private timeGeneration = 0;
  private timeReadGeneration = -1;
  /** NaN (a double, see DOUBLE_FIELD): no read yet. */
  private timeReadAtCount = NaN;
  private cachedTimeNs = DOUBLE_FIELD;

  constructor(
    private readonly board: PcBoard,
    private readonly cpu: Cpu,
    init: WorkerInit,
    private readonly port: MessagePort,
    private readonly clockConfig: ClockConfig,
    private readonly power: PowerPolicy,
    /** Puts the kernel back in memory and the CPU at its entry (after power-on and every reset). */
    private readonly boot: () => void,
    startPaused: boolean,
    /** Carries out the monitor's device commands; returns QEMU's error text or undefined. */
    private readonly devices: (req: DeviceRequest) => string | undefined = () => 'this machine has no such devices',
    /** Carries out savevm/loadvm/delvm/info snapshots while the guest is stopped. */
    private readonly snapshots: (req: SnapshotRequest, clock: VmClock) => SnapshotReply = () => ({ error: 'no block device can store vmstate for snapshot' }),
  ) {
    this.signals = new Int32Array(init.signals);
    this.serialIn = init.serialIn.map((b) => new ByteRing(b));
    this.serialOut = init.serialOut.map((b) => new ByteRing(b));
    this.debugconOut = new ByteRing(init.debugconOut);
    this.state = startPaused ? 'prelaunch' : 'running';
    if (startPaused) this.pausedAtMs = performance.now();
    const icount = clockConfig.mode === 'icount' ? clockConfig : undefined;
    board.clock.setTimeSource(icount ? () => this.icountWarpNs + cpu.instructionCount * 2 ** icount.shift : () => this.realTimeNs());
  }

  /**
   * Host time, read at most once per instruction: every access an instruction makes sees
   * one instant (a device assembling a 32-bit register from byte reads stays consistent).
   */
  private realTimeNs(): number {
    const count = this.cpu.instructionCount;
    if (count !== this.timeReadAtCount || this.timeGeneration !== this.timeReadGeneration) {
      this.timeReadAtCount = count;
      this.timeReadGeneration = this.timeGeneration;
      this.cachedTimeNs = ((this.state === 'running' ? performance.now() : this.pausedAtMs) - this.epochMs) * 1e6;
    }
    return this.cachedTimeNs;
  }

  // ---- the virtual clock, for snapshots ------------------------------------------------

  nowNs(): number {
    this.timeGeneration++;
    return this.board.clock.now();
  }

  restore(ns: number, instructionCount: number): void {
    if (this.clockConfig.mode === 'icount') this.icountWarpNs = ns - instructionCount * 2 ** this.clockConfig.shift;
    else this.epochMs = (this.state === 'running' ? performance.now() : this.pausedAtMs) - ns / 1e6;
    this.timeGeneration++;
  }

  // ---- events from the board ---------------------------------------------------------

  serialOutput(port: number, byte: number): void {
    this.pushBlocking(this.serialOut[port], byte);
  }

  debugconOutput(byte: number): void {
    this.pushBlocking(this.debugconOut, byte);
  }

  powerOff(): void {
    if (this.power.noShutdown) {
      this.setState('shutdown');
      this.post({ kind: 'shutdown' });
    } else this.exit(0, 'guest-shutdown');
    this.cpu.requestExit();
  }

  debugExit(status: number): void {
    this.exit(status);
    this.cpu.requestExit();
  }

  resetRequested(): void {
    // QEMU's -no-reboot: a reset ends the emulator (status 0).
    if (this.power.noReboot) this.exit(0, 'guest-reset');
    else {
      this.resetPending = true;
      this.post({ kind: 'guest-reset' });
    }
    this.cpu.requestExit();
  }

  // ---- the loop ----------------------------------------------------------------------

  run(): number {
    while (this.exitStatus === undefined) {
      const wakeSeen = Atomics.load(this.signals, WAKE);
      this.timeGeneration++;
      this.handleRequests();
      this.pumpInput();
      if (this.resetPending) {
        this.resetPending = false;
        this.board.reset();
        this.boot();
      }
      if (this.exitStatus !== undefined) break;
      if (this.state !== 'running') {
        this.flushOutput();
        Atomics.wait(this.signals, WAKE, wakeSeen);
        continue;
      }
      this.board.clock.runExpired();
      this.cpu.run(this.budget());
      this.flushOutput();
      if (this.cpu.halted && this.exitStatus === undefined && !this.resetPending) this.sleep(wakeSeen);
    }
    this.flushOutput();
    return this.exitStatus;
  }

  private budget(): number {
    if (this.clockConfig.mode !== 'icount') return SLICE;
    const untilDeadline = (this.board.clock.next - this.board.clock.now()) / 2 ** this.clockConfig.shift;
    return Math.max(1, Math.min(SLICE, Math.ceil(untilDeadline)));
  }

  /** HLT with nothing pending: wait for the next timer or for the main thread. */
  private sleep(wakeSeen: number): void {
    const next = this.board.clock.next;
    if (this.clockConfig.mode === 'icount') {
      // Deterministic time does not wait for the host: it jumps to the next deadline.
      if (next !== Infinity) this.icountWarpNs += Math.max(0, next - this.board.clock.now());
      else Atomics.wait(this.signals, WAKE, wakeSeen);
      return;
    }
    this.timeGeneration++;
    const waitMs = (next - this.board.clock.now()) / 1e6;
    if (waitMs <= 0) return;
    Atomics.wait(this.signals, WAKE, wakeSeen, next === Infinity ? undefined : waitMs);
  }

  private setState(state: RunState): void {
    const wasRunning = this.state === 'running';
    this.state = state;
    if (wasRunning && state !== 'running') this.pausedAtMs = performance.now();
    if (!wasRunning && state === 'running') this.epochMs += performance.now() - this.pausedAtMs;
  }

  private exit(status: number, reason?: GuestShutdownReason): void {
    if (this.exitStatus !== undefined) return;
    this.exitStatus = status;
    this.exitReason = reason;
  }

  private handleRequests(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const req = m.message as ControlRequest;
      switch (req.kind) {
        case 'stop':
          if (this.state === 'running') this.setState('paused');
          break;
        case 'cont':
          if (this.state !== 'running') this.setState('running');
          break;
        case 'reset':
          this.resetPending = true;
          break;
        case 'powerdown':
          this.board.acpi.pressPowerButton();
          break;
        case 'quit':
          this.exit(0);
          break;
        case 'break':
          this.board.uarts[req.port]?.receiveBreak();
          break;
        case 'keys':
          injectScancodes(this.board.i8042, req.scancodes);
          break;
        case 'inspect':
          this.post({ kind: 'reply', id: req.id, inspect: this.inspector(req.request) });
          continue;
        case 'device':
          this.post({ kind: 'reply', id: req.id, error: this.devices(req.request) });
          continue;
        case 'snapshot':
          this.post({ kind: 'reply', id: req.id, snapshot: this.runStopped(req.request) });
          continue;
        case 'registers':
          this.post({ kind: 'reply', id: req.id, registers: snapshotRegisters(this.cpu) });
          continue;
      }
      this.post({ kind: 'reply', id: req.id });
    }
  }

  /** As QEMU: the VM stops for a snapshot and runs again after, unless a load failed. */
  private runStopped(req: SnapshotRequest): SnapshotReply {
    const wasRunning = this.state === 'running';
    if (wasRunning) this.setState('paused');
    const reply = this.snapshots(req, this);
    if (wasRunning && !reply.mustStayStopped) this.setState('running');
    return reply;
  }

  private pumpInput(): void {
    for (let i = 0; i < this.serialIn.length && i < this.board.uarts.length; i++) {
      const ring = this.serialIn[i];
      const uart = this.board.uarts[i];
      while (ring.available > 0) {
        const space = Math.min(uart.rxSpace(), this.scratch.length);
        if (space === 0) break;
        const n = ring.peek(space === this.scratch.length ? this.scratch : this.scratch.subarray(0, space));
        ring.consume(uart.receive(n === this.scratch.length ? this.scratch : this.scratch.subarray(0, n)));
      }
    }
  }

  private pushBlocking(ring: ByteRing, byte: number): void {
    this.outputDirty = true;
    while (!ring.push(byte)) {
      // The main thread is behind: ring the doorbell and give it a moment.
      this.flushOutput();
      Atomics.wait(this.signals, WAKE, Atomics.load(this.signals, WAKE), 1);
    }
  }

  private flushOutput(): void {
    if (!this.outputDirty) return;
    this.outputDirty = false;
    if (Atomics.compareExchange(this.signals, DOORBELL, 0, 1) === 0) this.post({ kind: 'output' });
  }

  private post(m: WorkerMessage): void {
    this.port.postMessage(m);
  }
}
