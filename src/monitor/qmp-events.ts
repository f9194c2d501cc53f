// QMP's asynchronous events (SHUTDOWN, POWERDOWN, RESET, STOP, RESUME): one bus per machine
// that every QMP monitor listens to, and a VmControl wrapper that emits the events QEMU
// emits when the monitor (HMP or QMP) changes the machine's run state.

import type { InfoTopic } from '../vm/machine/machine-info.js';
import type { CpuRegisters } from './cpu-registers.js';
import type { DeviceControl } from './device-commands.js';
import type { SnapshotControl } from './snapshot-commands.js';
import type { ChardevInfo, RunState, VmControl } from './vm-control.js';

export interface QmpEvent {
  timestamp: { seconds: number; microseconds: number };
  event: string;
  data?: Record<string, unknown>;
}

export type QmpEventListener = (event: QmpEvent) => void;

export class QmpEvents {
  private readonly listeners = new Set<QmpEventListener>();

  subscribe(listener: QmpEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(name: string, data?: Record<string, unknown>): void {
    const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    // Key order as QEMU prints it: timestamp, event, data.
    const event: QmpEvent = { timestamp: { seconds: Math.floor(micros / 1e6), microseconds: micros % 1e6 }, event: name };
    if (data) event.data = data;
    for (const l of this.listeners) l(event);
  }
}

/** The monitor's view of the machine: the same VmControl, plus the events each action causes. */
export class EventingVmControl implements VmControl {
  constructor(private readonly vm: VmControl, private readonly events: QmpEvents) {}

  runState(): RunState {
    return this.vm.runState();
  }

  async stop(): Promise<void> {
    const wasRunning = this.vm.runState() === 'running';
    await this.vm.stop();
    if (wasRunning) this.events.emit('STOP');
  }

  async cont(): Promise<void> {
    await this.vm.cont();
    this.events.emit('RESUME');
  }

  async systemReset(): Promise<void> {
    await this.vm.systemReset();
    this.events.emit('RESET', { guest: false, reason: 'host-qmp-system-reset' });
  }

  async systemPowerdown(): Promise<void> {
    await this.vm.systemPowerdown();
    this.events.emit('POWERDOWN');
  }

  quit(): void {
    this.events.emit('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
    // After the monitor has sent its reply: quitting closes the chardevs.
    setImmediate(() => this.vm.quit());
  }

  shutdownOnSignal(): void {
    this.events.emit('SHUTDOWN', { guest: false, reason: 'host-signal' });
    setImmediate(() => this.vm.quit());
  }

  registers(): Promise<CpuRegisters> {
    return this.vm.registers();
  }

  sendKeys(scancodes: number[]): Promise<void> {
    return this.vm.sendKeys(scancodes);
  }

  readMemory(addr: number, length: number, virtual: boolean): Promise<Uint8Array | undefined> {
    return this.vm.readMemory(addr, length, virtual);
  }

  machineInfo(topic: InfoTopic, device?: string): Promise<string> {
    return this.vm.machineInfo(topic, device);
  }

  chardevs(): ChardevInfo[] {
    return this.vm.chardevs();
  }

  kvmEnabled(): boolean {
    return this.vm.kvmEnabled();
  }

  name(): string | undefined {
    return this.vm.name();
  }

  uuid(): string | undefined {
    return this.vm.uuid?.();
  }

  devices(): DeviceControl | undefined {
    return this.vm.devices?.();
  }

  snapshots(): SnapshotControl | undefined {
    const control = this.vm.snapshots?.();
    if (!control) return undefined;
    return {
      request: async (req) => {
        // QEMU stops a running VM for loadvm, and for a savevm that gets as far as saving, then restarts it.
        const running = this.vm.runState() === 'running';
        const reply = await control.request(req);
        const stopped = running && (req.op === 'load' || (req.op === 'save' && reply.error === undefined));
        if (stopped) this.events.emit('STOP');
        if (stopped && !reply.mustStayStopped) this.events.emit('RESUME');
        return reply;
      },
    };
  }
}
