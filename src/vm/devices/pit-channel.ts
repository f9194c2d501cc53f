// One counter of the Intel 8254: modes 0-5, LSB/MSB/word access, counter latch,
// read-back status, BCD counting and the gate input. The count is derived from virtual
// time (no per-tick work): d = ticks since the count was loaded. Where QEMU's
// hw/timer/i8254_common.c and the datasheet differ, the datasheet's OUT levels are used
// (mode 2 is low for the tick before reload; mode 1 is low until terminal count; a low
// gate suspends counting in modes 0 and 4, which QEMU does not model).

import type { Clock, Timer } from '../machine/clock.js';
import type { IrqLine } from '../machine/irq.js';
import { fromBcd, nsForTicks, ticksIn, toBcd } from './tick-math.js';
import { pickKnown } from './device-state.js';

export const PIT_HZ = 1193182;

/** Access modes of the control word (bits 5-4). */
const RW_LSB = 1;
const RW_MSB = 2;
const RW_WORD = 3;
/** Second half of a word access. */
const RW_WORD_HIGH = 4;

export class PitChannel {
  /** The reload value in counts (1..0x10000, or 1..10000 in BCD). */
  count = 0x10000;
  loadTime = 0;
  /** False between a control word and the count that follows it. */
  loaded = true;
  nullCount = false;
  mode = 3;
  bcd = false;
  rwMode = RW_WORD;
  readState = RW_WORD;
  writeState = RW_WORD;
  writeLatch = 0;
  latchedCount = 0;
  /** 0 or the access mode the latched count is being read with. */
  countLatched = 0;
  status = 0;
  statusLatched = false;
  gate: boolean;
  /** Modes 0 and 4 stop counting while the gate is low: the time it went low, or -1. */
  frozenAt = -1;
  /** The tick the armed timer is waiting for (guards against a deadline that rounds early). */
  private pendingTick = -1;
  private readonly timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    readonly index: number,
    /** Only channel 0 drives an interrupt; the others have no timer. */
    private readonly out: IrqLine | undefined,
  ) {
    this.gate = index !== 2;
    if (out) this.timer = clock.newTimer(() => this.onTimer());
  }

  reset(): void {
    this.mode = 3;
    this.bcd = false;
    this.rwMode = this.readState = this.writeState = RW_WORD;
    this.countLatched = 0;
    this.statusLatched = false;
    this.nullCount = false;
    this.gate = this.index !== 2;
    this.load(0x10000);
  }

  private get modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  private ticks(now: number): number {
    return ticksIn((this.frozenAt >= 0 ? this.frozenAt : now) - this.loadTime, PIT_HZ);
  }

  private get gatePausesCounting(): boolean {
    return this.mode === 0 || this.mode === 4;
  }

  /** The counting element's value now. */
  currentCount(now = this.clock.now()): number {
    if (!this.loaded) return this.count % this.modulus;
    const d = this.ticks(now);
    const c = this.count;
    let v: number;
    switch (this.mode) {
      case 2:
        v = c - (d % c);
        break;
      case 3:
        v = c - ((2 * d) % c);
        break;
      default:
        v = (((c - d) % this.modulus) + this.modulus) % this.modulus;
    }
    return v % this.modulus;
  }

  /** The OUT pin now. */
  output(now = this.clock.now()): boolean {
    if (!this.loaded) return this.mode !== 0;
    return this.outAt(this.ticks(now));
  }

  private outAt(d: number): boolean {
    const c = this.count;
    switch (this.mode) {
      case 0:
      case 1:
        return d >= c;
      case 2:
        return !this.gate || c < 2 || d % c !== c - 1;
      case 3:
        return !this.gate || d % c < (c + 1) >> 1;
      default:
        return d !== c;
    }
  }

  /** The next tick after `d` at which OUT changes, or -1. */
  private nextTransition(d: number): number {
    const c = this.count;
    switch (this.mode) {
      case 0:
      case 1:
        return d < c ? c : -1;
      case 2: {
        if (c < 2 || !this.gate) return -1;
        const base = d - (d % c);
        return d % c < c - 1 ? base + c - 1 : base + c;
      }
      case 3: {
        if (c < 2 || !this.gate) return -1;
        const base = d - (d % c);
        const half = (c + 1) >> 1;
        return d % c < half ? base + half : base + c;
      }
      default:
        return d < c ? c : d === c ? c + 1 : -1;
    }
  }

  private load(value: number): void {
    this.count = value === 0 ? this.modulus : value;
    this.loadTime = Math.floor(this.clock.now());
    this.loaded = true;
    this.nullCount = false;
    this.frozenAt = !this.gate && this.gatePausesCounting ? this.loadTime : -1;
    this.scheduleIrq(0);
  }

  /**
   * Drives IRQ0 to OUT as of tick `d` and arms the timer for the next transition. The
   * timer passes the tick it was armed for, so every edge is produced even when the run
   * loop advances time past several of them at once.
   */
  private scheduleIrq(d: number): void {
    if (!this.out || !this.timer) return;
    if (!this.loaded) {
      this.out.set(this.mode !== 0);
      this.timer.cancel();
      return;
    }
    this.out.set(this.outAt(d));
    const next = this.nextTransition(d);
    if (next < 0) {
      this.timer.cancel();
      this.pendingTick = -1;
    } else {
      this.pendingTick = next;
      this.timer.arm(this.loadTime + nsForTicks(next, PIT_HZ));
    }
  }

  private onTimer(): void {
    this.scheduleIrq(this.pendingTick);
  }

  private scheduleIrqNow(): void {
    this.scheduleIrq(this.loaded ? this.ticks(this.clock.now()) : 0);
  }

  /** Control word for this channel (not read-back). */
  writeControl(value: number): void {
    const access = (value >> 4) & 3;
    if (access === 0) {
      this.latchCount();
      return;
    }
    this.rwMode = this.readState = this.writeState = access;
    let mode = (value >> 1) & 7;
    if (mode > 5) mode -= 4;
    this.mode = mode;
    this.bcd = (value & 1) !== 0;
    this.loaded = false;
    this.nullCount = true;
    this.frozenAt = -1;
    this.scheduleIrqNow();
  }

  latchCount(): void {
    if (this.countLatched) return;
    const v = this.currentCount();
    this.latchedCount = this.bcd ? toBcd4(v) : v;
    this.countLatched = this.rwMode;
  }

  latchStatus(): void {
    if (this.statusLatched) return;
    this.status =
      (this.output() ? 0x80 : 0) | (this.nullCount ? 0x40 : 0) | (this.rwMode << 4) | (this.mode << 1) | (this.bcd ? 1 : 0);
    this.statusLatched = true;
  }

  readData(): number {
    if (this.statusLatched) {
      this.statusLatched = false;
      return this.status;
    }
    if (this.countLatched) {
      const v = this.latchedCount;
      switch (this.countLatched) {
        case RW_LSB:
          this.countLatched = 0;
          return v & 0xff;
        case RW_MSB:
          this.countLatched = 0;
          return (v >> 8) & 0xff;
        case RW_WORD:
          this.countLatched = RW_WORD_HIGH;
          return v & 0xff;
        default:
          this.countLatched = 0;
          return (v >> 8) & 0xff;
      }
    }
    const raw = this.currentCount();
    const v = this.bcd ? toBcd4(raw) : raw;
    switch (this.readState) {
      case RW_LSB:
        return v & 0xff;
      case RW_MSB:
        return (v >> 8) & 0xff;
      case RW_WORD:
        this.readState = RW_WORD_HIGH;
        return v & 0xff;
      default:
        this.readState = RW_WORD;
        return (v >> 8) & 0xff;
    }
  }

  writeData(value: number): void {
    switch (this.writeState) {
      case RW_LSB:
        this.loadEncoded(value);
        return;
      case RW_MSB:
        this.loadEncoded(value << 8);
        return;
      case RW_WORD:
        this.writeLatch = value;
        this.writeState = RW_WORD_HIGH;
        return;
      default:
        this.loadEncoded(this.writeLatch | (value << 8));
        this.writeState = RW_WORD;
    }
  }

  private loadEncoded(value: number): void {
    this.load(this.bcd ? fromBcd(value & 0xff) + fromBcd(value >> 8) * 100 : value);
  }

  setGate(level: boolean): void {
    if (level === this.gate) return;
    this.gate = level;
    const now = this.clock.now();
    if (this.gatePausesCounting) {
      if (!level && this.loaded) this.frozenAt = now;
      else if (level && this.frozenAt >= 0) {
        this.loadTime += now - this.frozenAt;
        this.frozenAt = -1;
      }
      this.scheduleIrqNow();
    } else if (level && this.loaded) {
      // Modes 1, 2, 3 and 5 restart counting on a rising gate.
      this.load(this.count === this.modulus ? 0 : this.count);
    } else {
      this.scheduleIrqNow();
    }
  }

  saveState(): object {
    const { clock, index, out, timer, pendingTick, ...state } = this;
    return { ...state };
  }

  loadState(s: object): void {
    Object.assign(this, pickKnown(this, s, ['clock', 'index', 'out', 'timer', 'pendingTick']));
    this.scheduleIrqNow();
  }
}

/** A 4-digit BCD encoding of 0..10000 (10000 reads as 0000). */
function toBcd4(v: number): number {
  return (toBcd(Math.floor(v / 100) % 100) << 8) | toBcd(v % 100);
}
