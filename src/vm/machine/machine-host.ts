// The main thread's side of a running machine: opens the chardevs, starts the monitors,
// starts the guest's worker and moves bytes between chardevs and the rings, and
// implements the monitor's VmControl by requests to the worker.

import { Worker } from 'node:worker_threads';
import { CliError } from '../../cli/cli-error.js';
import type { MachineConfig } from '../../cli/machine-config.js';
import type { CpuRegisters } from '../../monitor/cpu-registers.js';
import type { DeviceControl } from '../../monitor/device-commands.js';
import type { SnapshotControl } from '../../monitor/snapshot-commands.js';
import { Hmp } from '../../monitor/hmp.js';
import { EventingVmControl, QmpEvents } from '../../monitor/qmp-events.js';
import { QmpServer } from '../../monitor/qmp-server.js';
import type { ChardevInfo, RunState, VmControl } from '../../monitor/vm-control.js';
import type { ChardevSpec } from '../chardev/chardev-spec.js';
import type { Chardev } from '../chardev/chardev.js';
import { openChardev, type ChardevEnvironment } from '../chardev/create-chardev.js';
import { MuxChardev } from '../chardev/mux-chardev.js';
import { ByteRing } from './byte-ring.js';
import type { DeviceRequest } from './device-requests.js';
import type { InfoTopic } from './machine-info.js';
import { DOORBELL, WAKE, type ControlRequest, type WorkerInit, type WorkerMessage } from './worker-protocol.js';
import type { TerminalFrontEnd } from '../../tui/terminal-front-end.js';


export interface HostHooks {
  /** The machine ended (guest power-off, isa-debug-exit, quit, Ctrl-a x): clean up and exit. */
  exit(status: number): void;
}

export class MachineHost implements VmControl {
  private readonly byId = new Map<string, Chardev>();
  private readonly infoOrder: Chardev[] = [];
  private worker?: Worker;
  private signals!: Int32Array;
  private serialIn: ByteRing[] = [];
  private serialOut: ByteRing[] = [];
  private debugconOut!: ByteRing;
  private pendingInput: Uint8Array[][] = [];
  private state: RunState;
  private nextRequest = 1;
  private readonly replies = new Map<number, (m: Extract<WorkerMessage, { kind: 'reply' }>) => void>();
  private exiting = false;
  /** QMP's events; the monitors act through `monitorVm` so their actions emit them too. */
  private readonly events = new QmpEvents();
  private readonly monitorVm = new EventingVmControl(this, this.events);

  constructor(
    private readonly config: MachineConfig,
    private readonly hooks: HostHooks,
    /** The terminal UI, when it is the display: it hosts the `vc` chardevs and the monitor pane. */
    private readonly frontEnd?: TerminalFrontEnd,
  ) {
    this.state = config.startPaused ? 'prelaunch' : 'running';
  }

  /** Opens everything and starts the guest; resolves when the guest is ready to run. */
  async start(): Promise<void> {
    const env: ChardevEnvironment = {
      // Ctrl-a x is QEMU's qmp_quit: it sends SHUTDOWN host-qmp-quit.
      quit: () => this.monitorVm.quit(),
      commitSnapshots: () => void this.device({ op: 'commit', device: 'all' }),
      interrupted: (signal) => {
        // QEMU shuts down cleanly on these signals and exits with status 0.
        process.stderr.write(`termu: terminating on signal ${signalNumber(signal)}\n`);
        this.events.emit('SHUTDOWN', { guest: false, reason: 'host-signal' });
        this.finish(0);
      },
      log: (line) => process.stderr.write(`termu: ${line}\n`),
    };
    for (const spec of this.config.chardevs) {
      const vc = this.frontEnd?.virtualConsole(spec.id);
      if (vc) {
        this.byId.set(spec.id, vc);
        this.infoOrder.push(vc);
        continue;
      }
      try {
        const opened = await openChardev(spec, env);
        this.byId.set(spec.id, opened.chardev);
        this.infoOrder.push(opened.chardev);
        if (opened.base) this.infoOrder.push(opened.base);
      } catch (e) {
        throw new CliError(chardevErrorLines(spec, e));
      }
    }
    const init = this.createChannels();
    for (const m of this.config.monitors) {
      if (this.frontEnd?.hostsMonitor(m.chardevId)) continue;
      const chardev = this.byId.get(m.chardevId)!;
      if (m.mode === 'control') new QmpServer(chardev, this.monitorVm, this.events);
      else new Hmp(chardev, this.monitorVm);
    }
    this.config.serials.forEach((id, port) => {
      this.byId.get(id)!.attach({
        receive: (data) => this.sendInput(port, data),
        event: (e) => {
          if (e === 'break') void this.request({ kind: 'break', port });
        },
      });
    });
    for (const c of this.byId.values()) if (c instanceof MuxChardev) c.start();
    await this.startWorker(init);
    this.frontEnd?.start(this.monitorVm);
  }

  private createChannels(): WorkerInit {
    const init: WorkerInit = {
      config: this.config,
      serialIn: this.config.serials.map(() => ByteRing.create()),
      serialOut: this.config.serials.map(() => ByteRing.create()),
      debugconOut: ByteRing.create(1 << 12),
      signals: new SharedArrayBuffer(8),
      display: this.frontEnd?.displayBuffer,
    };
    this.signals = new Int32Array(init.signals);
    this.serialIn = init.serialIn.map((b) => new ByteRing(b));
    this.serialOut = init.serialOut.map((b) => new ByteRing(b));
    this.debugconOut = new ByteRing(init.debugconOut);
    this.pendingInput = this.config.serials.map(() => []);
    return init;
  }

  private startWorker(init: WorkerInit): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./vm-worker.js', import.meta.url), { workerData: init });
      this.worker = worker;
      worker.on('message', (m: WorkerMessage) => {
        switch (m.kind) {
          case 'ready':
            resolve();
            break;
          case 'error':
            reject(new CliError([m.message]));
            break;
          case 'output':
            this.drainOutput();
            break;
          case 'reply':
            this.replies.get(m.id)?.(m);
            this.replies.delete(m.id);
            break;
          case 'shutdown':
            // As QEMU with -no-shutdown: the machine stops after the power-off.
            this.events.emit('SHUTDOWN', { guest: true, reason: 'guest-shutdown' });
            this.events.emit('STOP');
            this.state = 'shutdown';
            break;
          case 'guest-reset':
            this.events.emit('RESET', { guest: true, reason: 'guest-reset' });
            break;
          case 'exit':
            // isa-debug-exit ends QEMU without an event; a power-off or a -no-reboot reset sends SHUTDOWN.
            if (m.reason) this.events.emit('SHUTDOWN', { guest: true, reason: m.reason });
            this.drainOutput();
            this.finish(m.status);
            break;
        }
      });
      worker.on('error', (e) => {
        reject(e);
        process.stderr.write(`termu: internal error in the guest thread: ${e.stack ?? e}\n`);
        this.finish(1);
      });
    });
  }

  private wake(): void {
    Atomics.add(this.signals, WAKE, 1);
    Atomics.notify(this.signals, WAKE);
  }

  private sendInput(port: number, data: Uint8Array): void {
    const pending = this.pendingInput[port];
    pending.push(data.slice());
    this.flushInput(port);
  }

  private flushInput(port: number): void {
    const pending = this.pendingInput[port];
    while (pending.length > 0) {
      const chunk = pending[0];
      const n = this.serialIn[port].write(chunk);
      if (n < chunk.length) {
        pending[0] = chunk.subarray(n);
        // The guest is not reading: try again shortly.
        setTimeout(() => this.flushInput(port), 5);
        break;
      }
      pending.shift();
    }
    this.wake();
  }

  private drainOutput(): void {
    Atomics.store(this.signals, DOORBELL, 0);
    this.config.serials.forEach((id, port) => {
      const ring = this.serialOut[port];
      if (ring.available > 0) this.byId.get(id)!.write(ring.drain());
    });
    if (this.config.debugcon !== undefined && this.debugconOut.available > 0) this.byId.get(this.config.debugcon)!.write(this.debugconOut.drain());
  }

  private request(what: Exclude<ControlRequest['kind'], 'break'> | DistributiveOmit<ControlRequest, 'id'>): Promise<Extract<WorkerMessage, { kind: 'reply' }>> {
    const id = this.nextRequest++;
    const body = typeof what === 'string' ? { kind: what } : what;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.worker!.postMessage({ id, ...body } as ControlRequest);
      this.wake();
    });
  }

  private finish(status: number): void {
    if (this.exiting) return;
    this.exiting = true;
    for (const c of this.infoOrder) c.close();
    this.frontEnd?.stop();
    this.hooks.exit(status);
  }

  // ---- VmControl ----------------------------------------------------------------------

  runState(): RunState {
    return this.state;
  }

  async stop(): Promise<void> {
    await this.request('stop');
    if (this.state === 'running') this.state = 'paused';
  }

  async cont(): Promise<void> {
    await this.request('cont');
    this.state = 'running';
  }

  async systemReset(): Promise<void> {
    await this.request('reset');
  }

  async systemPowerdown(): Promise<void> {
    await this.request('powerdown');
  }

  quit(): void {
    this.drainOutput();
    this.finish(0);
  }

  async registers(): Promise<CpuRegisters> {
    return (await this.request('registers')).registers!;
  }

  async sendKeys(scancodes: number[]): Promise<void> {
    await this.request({ kind: 'keys', scancodes });
  }

  async readMemory(addr: number, length: number, virtual: boolean): Promise<Uint8Array | undefined> {
    return (await this.request({ kind: 'inspect', request: { what: 'memory', addr, length, virtual } })).inspect?.bytes;
  }

  async machineInfo(topic: InfoTopic, device?: string): Promise<string> {
    return (await this.request({ kind: 'inspect', request: { what: 'info', topic, device } })).inspect?.text ?? '';
  }

  chardevs(): ChardevInfo[] {
    return this.infoOrder.map((c) => ({ label: c.id, filename: c.filename() }));
  }

  kvmEnabled(): boolean {
    return false;
  }

  name(): string | undefined {
    return this.config.name;
  }

  uuid(): string | undefined {
    return this.config.uuid;
  }

  devices(): DeviceControl {
    return {
      screendump: (file) => this.device({ op: 'screendump', file }),
      pmemsave: (addr, size, file) => this.device({ op: 'pmemsave', addr, size, file }),
      commit: (device) => this.device({ op: 'commit', device }),
      eject: (device, force) => this.device({ op: 'eject', device, force }),
      change: (device, file, format) => this.device({ op: 'change', device, file, format }),
    };
  }

  snapshots(): SnapshotControl {
    return {
      request: async (request) => {
        const reply = (await this.request({ kind: 'snapshot', request })).snapshot!;
        // A failed loadvm leaves a running VM stopped, as QEMU's does.
        if (reply.mustStayStopped && this.state === 'running') this.state = 'restore-vm';
        return reply;
      },
    };
  }

  private async device(request: DeviceRequest): Promise<string | undefined> {
    return (await this.request({ kind: 'device', request })).error;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal as string] ?? 0;
}

/** QEMU names the option a chardev came from, and for serial ports adds a second line. */
function chardevErrorLines(spec: ChardevSpec, e: unknown): string[] {
  const message = e instanceof Error ? e.message : String(e);
  const origin = spec.origin;
  if (!origin?.option) return [message];
  const lines = [`${origin.option}: ${message}`];
  if (origin.role === 'serial') lines.push(`${origin.option}: could not connect serial device to character backend '${origin.text}'`);
  return lines;
}
