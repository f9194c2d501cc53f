// Shared test fixtures for the device tests: a virtual clock the test advances and
// IRQ lines that record what devices drive.

import { TimerQueue } from '../../src/vm/machine/clock.js';
import type { IrqLine, IrqSink } from '../../src/vm/machine/irq.js';
import { IoBus } from '../../src/vm/machine/io-bus.js';

export class TestClock extends TimerQueue {
  /** Moves virtual time to `ns` (absolute) and fires due timers, as the run loop does. */
  advanceTo(ns: number): void {
    this.setTime(ns);
    this.runExpired();
  }

  advanceBy(ns: number): void {
    this.advanceTo(this.now() + ns);
  }
}

/** An IRQ line that remembers its level and counts rising edges. */
export class RecordingIrq implements IrqLine {
  level = false;
  rises = 0;
  set(level: boolean): void {
    if (level && !this.level) this.rises++;
    this.level = level;
  }
}

/** An IrqSink that records per-input levels and rising edges. */
export class RecordingSink implements IrqSink {
  readonly levels = new Map<number, boolean>();
  readonly rises = new Map<number, number>();
  setIrq(irq: number, level: boolean): void {
    if (level && !this.levels.get(irq)) this.rises.set(irq, (this.rises.get(irq) ?? 0) + 1);
    this.levels.set(irq, level);
  }
}

/** Port access shorthands over an IoBus, named like the guest's instructions. */
export class Ports {
  constructor(readonly io: IoBus = new IoBus()) {}
  inb(port: number): number {
    return this.io.read(port, 1) & 0xff;
  }
  inw(port: number): number {
    return this.io.read(port, 2) & 0xffff;
  }
  inl(port: number): number {
    return this.io.read(port, 4) >>> 0;
  }
  outb(port: number, v: number): void {
    this.io.write(port, 1, v & 0xff);
  }
  outw(port: number, v: number): void {
    this.io.write(port, 2, v & 0xffff);
  }
  outl(port: number, v: number): void {
    this.io.write(port, 4, v >>> 0);
  }
}
