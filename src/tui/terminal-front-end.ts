// termu's default front end on a real machine: the terminal UI on this process's terminal,
// fed by the guest's VGA through the shared display, with the HMP in the monitor pane and
// a pane per `vc` serial port. MachineHost asks it which chardevs and monitors it hosts,
// hands the display buffer to the worker, and starts it once the guest is ready.

import { constants } from 'node:os';
import { CliError } from '../cli/cli-error.js';
import type { MachineConfig } from '../cli/machine-config.js';
import type { VmControl } from '../monitor/vm-control.js';
import { SharedDisplayViews } from '../vm/machine/shared-display.js';
import { SharedDisplaySource } from '../vm/machine/shared-display-source.js';
import type { DisplaySource, MachineStatus } from './front-end-ports.js';
import { HmpMonitorPort } from './hmp-monitor-port.js';
import { Keymap, KeymapError } from './keymap.js';
import { TerminalUi } from './terminal-ui.js';
import { VcChardev } from './vc-chardev.js';

const NO_DISPLAY: DisplaySource = { current: () => null };
const MIPS_INTERVAL_MS = 1000;

/** Whether termu shows the terminal UI: a display is wanted and this process has a terminal to itself. */
export function wantsTerminalUi(config: MachineConfig, stdinIsTty: boolean, stdoutIsTty: boolean): boolean {
  if (config.nographic || config.display === 'none' || config.daemonize) return false;
  // A chardev on stdio (e.g. -serial stdio) owns the terminal: no UI, as before.
  if (config.chardevs.some((c) => c.backend.kind === 'stdio')) return false;
  return stdinIsTty && stdoutIsTty;
}

export class TerminalFrontEnd {
  /** The shared display the worker's VGA publishes into (absent with -vga none). */
  readonly displayBuffer: SharedArrayBuffer | undefined;
  private readonly consoles = new Map<string, VcChardev>();
  private readonly display: SharedDisplaySource | undefined;
  private readonly keymap: Keymap;
  private monitorId: string | undefined;
  private ui: TerminalUi | undefined;
  private mips = 0;
  private lastInstructions = 0;
  private lastSample = 0;
  private mipsTimer: NodeJS.Timeout | undefined;

  /** Throws CliError with QEMU's message for an unknown -k layout, before the machine starts. */
  constructor(private readonly config: MachineConfig) {
    try {
      this.keymap = Keymap.load(config.keymap ?? 'en-us');
    } catch (e) {
      if (e instanceof KeymapError) throw new CliError([e.message]);
      throw e;
    }
    if (config.storage.vga === 'std') {
      this.displayBuffer = SharedDisplayViews.create();
      this.display = new SharedDisplaySource(this.displayBuffer);
    }
    const vcs = new Set(config.virtualConsoles);
    this.monitorId = config.monitors.find((m) => m.mode === 'readline' && vcs.has(m.chardevId))?.chardevId;
  }

  /** The chardev for `id` if it is a virtual console, which this front end shows. */
  virtualConsole(id: string): VcChardev | undefined {
    if (!this.config.virtualConsoles.includes(id)) return undefined;
    let vc = this.consoles.get(id);
    if (!vc) this.consoles.set(id, (vc = new VcChardev(id)));
    return vc;
  }

  /** Whether the monitor on `chardevId` is this front end's monitor pane (not an HMP on the chardev). */
  hostsMonitor(chardevId: string): boolean {
    return chardevId === this.monitorId;
  }

  start(vm: VmControl): void {
    const serials = this.config.serials.map((id) => this.consoles.get(id)).filter((vc) => vc !== undefined);
    const display = this.display;
    this.ui = new TerminalUi({
      input: process.stdin,
      output: process.stdout,
      display: display ?? NO_DISPLAY,
      keyboard: (codes) => void vm.sendKeys([...codes]),
      monitor: this.monitorId !== undefined ? new HmpMonitorPort(vm) : undefined,
      serials: serials.map((vc) => vc.port),
      name: this.config.name,
      keymap: this.keymap,
      status: (): MachineStatus => ({ running: vm.runState() === 'running', mips: this.mips }),
      onQuit: () => vm.quit(),
      // As QEMU: a note on stderr (the terminal is restored by now), SHUTDOWN host-signal, exit 0.
      onShutdownSignal: (signal) => {
        process.stderr.write(`termu: terminating on signal ${constants.signals[signal]}\n`);
        if (vm.shutdownOnSignal) vm.shutdownOnSignal();
        else vm.quit();
      },
      onCommit: () => void vm.devices?.()?.commit('all'),
    });
    if (display) {
      display.onUpdate = () => this.ui?.requestFrame();
      this.lastSample = performance.now();
      this.mipsTimer = setInterval(() => this.sampleMips(display), MIPS_INTERVAL_MS);
      this.mipsTimer.unref();
    }
    this.ui.start();
  }

  /** Restores the terminal (every exit path of MachineHost comes through here). */
  stop(): void {
    if (this.mipsTimer) clearInterval(this.mipsTimer);
    this.ui?.stop();
  }

  private sampleMips(display: SharedDisplaySource): void {
    const now = performance.now();
    const count = display.instructions();
    this.mips = ((count - this.lastInstructions) >>> 0) / ((now - this.lastSample) * 1000);
    this.lastInstructions = count;
    this.lastSample = now;
  }
}
