// The HPET of QEMU's pc machine (hw/timer/hpet.c, IA-PC HPET spec 1.0a): a 64-bit main
// counter at 100 MHz derived from virtual time, three comparators (one-shot or periodic,
// 32- or 64-bit), and LegacyReplacementRoute, which takes IRQ0 from the PIT and IRQ8
// from the RTC for timers 0 and 1. Linux uses it as its early clock and as the watchdog
// that keeps the TSC trusted; without it the only watchdog is jiffies, which a slow guest
// loses ticks from, and Linux drops the TSC and runs its clock on jiffies.
//
// 64-bit registers are kept as two 32-bit halves (comparators can hold ~0, beyond a
// double's exact range); the counter itself is a double (exact for 2.8 years of ticks).

import type { Clock, Timer } from '../machine/clock.js';
import type { IrqLine } from '../machine/irq.js';
import type { MmioHandler, PhysicalMemory } from '../machine/physical-memory.js';
import { pickKnown } from './device-state.js';
import { DOUBLE_FIELD } from '../machine/double-field.js';

export const HPET_BASE = 0xfed00000;
/** Counter period in femtoseconds (10 ns: 100 MHz), as QEMU's HPET_CLK_PERIOD. */
export const HPET_PERIOD_FS = 10_000_000;
const NS_PER_TICK = HPET_PERIOD_FS / 1e6;
export const HPET_TIMERS = 3;
const TWO_32 = 0x1_0000_0000;

/** General capabilities (low half): revision 1, timers-1, 64-bit counter, legacy route capable, vendor 8086 (also the ACPI table's event timer block ID). */
export const HPET_BLOCK_ID = (0x8086a001 | ((HPET_TIMERS - 1) << 8)) >>> 0;

const CFG_ENABLE = 1 << 0;
const CFG_LEGACY = 1 << 1;
const CFG_WRITE_MASK = CFG_ENABLE | CFG_LEGACY;

const TN_LEVEL = 1 << 1;
const TN_ENABLE = 1 << 2;
const TN_PERIODIC = 1 << 3;
const TN_PERIODIC_CAP = 1 << 4;
const TN_SIZE_CAP = 1 << 5;
const TN_SETVAL = 1 << 6;
const TN_32BIT = 1 << 8;
const TN_ROUTE_SHIFT = 9;
const TN_ROUTE_MASK = 0x1f << TN_ROUTE_SHIFT;
const TN_FSB_ENABLE = 1 << 14;
/** Guest-writable bits of a timer's configuration (QEMU's HPET_TN_CFG_WRITE_MASK). */
const TN_WRITE_MASK = 0x7f4e;
/** Tn_INT_ROUTE_CAP: the pc (i440FX) machine offers IOAPIC input 2 only, as QEMU's piix compat intcap=4. */
const TN_ROUTE_CAP = 1 << 2;

/** ISA IRQs the legacy route takes over: timer 0 → IRQ0 (IOAPIC pin 2), timer 1 → IRQ8. */
const LEGACY_IRQ = [0, 8];

class HpetTimer {
  config = 0;
  cmpLow = 0xffffffff;
  cmpHigh = 0xffffffff;
  periodLow = 0;
  periodHigh = 0;
  fsbLow = 0;
  fsbHigh = 0;
  /** A 32-bit one-shot timer is armed for the counter's wrap rather than its comparator. */
  wrapPending = false;
  timer!: Timer;

  get is32(): boolean {
    return (this.config & TN_32BIT) !== 0;
  }
  get periodic(): boolean {
    return (this.config & TN_PERIODIC) !== 0;
  }
  get enabled(): boolean {
    return (this.config & TN_ENABLE) !== 0;
  }
  get period(): number {
    return this.is32 ? this.periodLow : this.periodHigh * TWO_32 + this.periodLow;
  }

  reset(): void {
    this.config = TN_PERIODIC_CAP | TN_SIZE_CAP;
    this.cmpLow = this.cmpHigh = 0xffffffff;
    this.periodLow = this.periodHigh = 0;
    this.fsbLow = this.fsbHigh = 0;
    this.wrapPending = false;
  }

  /** Ticks from `counter` until the comparator matches (at least 1, as QEMU). */
  ticksToMatch(counter: number): number {
    if (this.is32) {
      const diff = (this.cmpLow - (counter % TWO_32)) | 0;
      return diff > 0 ? diff : 1;
    }
    const diff = this.cmpHigh * TWO_32 + this.cmpLow - counter;
    return diff > 0 ? diff : 1;
  }

  /** A periodic timer's comparator after the match at `counter`: the first multiple past it. */
  advanceComparator(counter: number): void {
    const period = this.period;
    if (this.is32) {
      const behind = (counter % TWO_32) - this.cmpLow;
      const lag = ((behind % TWO_32) + TWO_32) % TWO_32;
      if (lag >= 0x80000000) return; // the comparator is still ahead
      this.cmpLow = (this.cmpLow + (Math.floor(lag / period) + 1) * period) % TWO_32;
      return;
    }
    const cmp = this.cmpHigh * TWO_32 + this.cmpLow;
    if (cmp > counter) return;
    const next = cmp + (Math.floor((counter - cmp) / period) + 1) * period;
    this.cmpHigh = Math.floor(next / TWO_32) >>> 0;
    this.cmpLow = next % TWO_32;
  }
}

export interface HpetWiring {
  clock: Clock;
  memory: PhysicalMemory;
  /** The board's GSI lines (ISA IRQ n / IOAPIC input n, IRQ0 arriving on pin 2). */
  gsi: readonly IrqLine[];
}

export class Hpet implements MmioHandler {
  private config = 0;
  private isr = 0;
  /** Counter value while halted; while running, ticks = (now + offsetNs) / 10 ns. */
  private haltedCounter = DOUBLE_FIELD;
  private offsetNs = DOUBLE_FIELD;
  private readonly timers: HpetTimer[] = [];
  /** The PIT's and RTC's interrupt outputs pass through here (QEMU's HPET legacy inputs). */
  readonly pitInput: IrqLine;
  readonly rtcInput: IrqLine;
  private pitLevel = false;
  private rtcLevel = false;

  constructor(private readonly wiring: HpetWiring) {
    for (let i = 0; i < HPET_TIMERS; i++) {
      const t = new HpetTimer();
      t.timer = wiring.clock.newTimer(() => this.onMatch(t, i));
      this.timers.push(t);
    }
    this.pitInput = { set: (level) => this.legacyInput(0, level) };
    this.rtcInput = { set: (level) => this.legacyInput(1, level) };
    this.reset();
  }

  attach(): void {
    this.wiring.memory.mapMmio(HPET_BASE, 0x1000, this);
  }

  reset(): void {
    for (let i = 0; i < HPET_TIMERS; i++) {
      this.stopTimer(this.timers[i], i);
      this.timers[i].reset();
    }
    this.config = 0;
    this.isr = 0;
    this.haltedCounter = 0;
    this.offsetNs = 0;
    this.rtcLevel = false;
    this.gsi(0).set(this.pitLevel);
  }

  private get running(): boolean {
    return (this.config & CFG_ENABLE) !== 0;
  }

  private get legacy(): boolean {
    return (this.config & CFG_LEGACY) !== 0;
  }

  private gsi(irq: number): IrqLine {
    return this.wiring.gsi[irq];
  }

  /** The main counter now. */
  counter(): number {
    if (!this.running) return this.haltedCounter;
    return Math.floor((this.wiring.clock.now() + this.offsetNs) / NS_PER_TICK);
  }

  private legacyInput(which: 0 | 1, level: boolean): void {
    if (which === 0) this.pitLevel = level;
    else this.rtcLevel = level;
    if (!this.legacy) this.gsi(LEGACY_IRQ[which]).set(level);
  }

  // ---- comparators --------------------------------------------------------------------

  /** Arms the host timer for the next comparator match (or the counter's wrap for 32-bit one-shots). */
  private schedule(t: HpetTimer): void {
    const counter = this.counter();
    let ticks = t.ticksToMatch(counter);
    t.wrapPending = false;
    if (t.is32 && !t.periodic) {
      const toWrap = 0xffffffff - (counter % TWO_32);
      if (toWrap < ticks) {
        ticks = toWrap;
        t.wrapPending = true;
      }
    }
    t.timer.arm((counter + ticks) * NS_PER_TICK - this.offsetNs);
  }

  private onMatch(t: HpetTimer, index: number): void {
    if (!this.running) return;
    const counter = this.counter();
    if (t.periodic && t.period !== 0) {
      t.advanceComparator(counter);
      this.schedule(t);
    } else if (t.wrapPending) {
      t.wrapPending = false;
      t.timer.arm((counter + t.ticksToMatch(counter)) * NS_PER_TICK - this.offsetNs);
    }
    this.updateIrq(t, index, true);
  }

  private stopTimer(t: HpetTimer, index: number): void {
    t.timer.cancel();
    this.updateIrq(t, index, false);
  }

  private route(t: HpetTimer, index: number): number {
    if (index < 2 && this.legacy) return LEGACY_IRQ[index];
    return (t.config & TN_ROUTE_MASK) >>> TN_ROUTE_SHIFT;
  }

  private updateIrq(t: HpetTimer, index: number, fire: boolean): void {
    const mask = 1 << index;
    const line = this.gsi(this.route(t, index));
    if (!fire || !t.enabled || !this.running) {
      this.isr &= ~mask;
      if (!(t.config & TN_FSB_ENABLE)) line.set(false);
    } else if (t.config & TN_FSB_ENABLE) {
      this.wiring.memory.write32(t.fsbHigh, t.fsbLow);
    } else if (t.config & TN_LEVEL) {
      this.isr |= mask;
      line.set(true);
    } else {
      this.isr &= ~mask;
      line.set(true);
      line.set(false);
    }
  }

  // ---- registers ----------------------------------------------------------------------

  read(offset: number, size: 1 | 2 | 4): number {
    const value = this.readDword(offset & ~3);
    return size === 4 ? value >>> 0 : (value >>> ((offset & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
  }

  private readDword(offset: number): number {
    if (offset >= 0x100 && offset < 0x400) {
      const index = (offset - 0x100) >> 5;
      const t = this.timers[index];
      if (!t) return 0;
      switch ((offset - 0x100) & 0x1f) {
        case 0x00:
          return t.config;
        case 0x04:
          return TN_ROUTE_CAP;
        case 0x08:
          return t.cmpLow;
        case 0x0c:
          return t.cmpHigh;
        case 0x10:
          return t.fsbLow;
        case 0x14:
          return t.fsbHigh;
      }
      return 0;
    }
    switch (offset) {
      case 0x00:
        return HPET_BLOCK_ID;
      case 0x04:
        return HPET_PERIOD_FS;
      case 0x10:
        return this.config;
      case 0x20:
        return this.isr;
      case 0xf0:
        return this.counter() % TWO_32;
      case 0xf4:
        return Math.floor(this.counter() / TWO_32) >>> 0;
    }
    return 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    // QEMU's HPET takes 32- and 64-bit accesses only; narrower writes are dropped.
    if (size !== 4 || offset & 3) return;
    value >>>= 0;
    if (offset >= 0x100 && offset < 0x400) this.writeTimer((offset - 0x100) >> 5, (offset - 0x100) & 0x1f, value);
    else this.writeGeneral(offset, value);
  }

  private writeTimer(index: number, reg: number, value: number): void {
    const t = this.timers[index];
    if (!t) return;
    switch (reg) {
      case 0x00: {
        const old = t.config;
        if (!(old & TN_FSB_ENABLE) && value & TN_FSB_ENABLE) this.updateIrq(t, index, false);
        t.config = (old & ~TN_WRITE_MASK) | (value & TN_WRITE_MASK);
        if (t.is32) {
          t.cmpHigh = 0;
          t.periodHigh = 0;
        }
        if (!(old & TN_ENABLE) && t.enabled) {
          if (this.running) this.schedule(t);
        } else if (old & TN_ENABLE && !t.enabled) this.stopTimer(t, index);
        return;
      }
      case 0x08:
      case 0x0c: {
        const high = reg === 0x0c;
        if (high && t.is32) return;
        if (!t.periodic || t.config & TN_SETVAL) {
          if (high) t.cmpHigh = value;
          else t.cmpLow = value;
        }
        if (t.periodic) {
          // As QEMU: the period is clamped to half the counter's range.
          if (high) t.periodHigh = value & 0x7fffffff;
          else t.periodLow = t.is32 ? value & 0x7fffffff : value;
        }
        t.config &= ~TN_SETVAL;
        if (this.running) this.schedule(t);
        return;
      }
      case 0x10:
        t.fsbLow = value;
        return;
      case 0x14:
        t.fsbHigh = value;
        return;
    }
  }

  private writeGeneral(offset: number, value: number): void {
    switch (offset) {
      case 0x10: {
        const old = this.config;
        this.config = value & CFG_WRITE_MASK;
        if (!(old & CFG_ENABLE) && this.running) {
          this.offsetNs = this.haltedCounter * NS_PER_TICK - this.wiring.clock.now();
          this.timers.forEach((t) => {
            if (t.enabled && !(t.cmpLow === 0xffffffff && t.cmpHigh === 0xffffffff)) this.schedule(t);
          });
        } else if (old & CFG_ENABLE && !this.running) {
          this.haltedCounter = Math.floor((this.wiring.clock.now() + this.offsetNs) / NS_PER_TICK);
          this.timers.forEach((t, i) => this.stopTimer(t, i));
        }
        if (!(old & CFG_LEGACY) && this.legacy) {
          this.gsi(0).set(false);
          this.gsi(8).set(false);
        } else if (old & CFG_LEGACY && !this.legacy) {
          this.gsi(0).set(this.pitLevel);
          this.gsi(8).set(this.rtcLevel);
        }
        return;
      }
      case 0x20: {
        const clear = value & this.isr;
        this.timers.forEach((t, i) => {
          if (clear & (1 << i)) this.updateIrq(t, i, false);
        });
        return;
      }
      case 0xf0:
        this.haltedCounter = Math.floor(this.haltedCounter / TWO_32) * TWO_32 + value;
        return;
      case 0xf4:
        this.haltedCounter = value * TWO_32 + (this.haltedCounter % TWO_32);
        return;
    }
  }

  // ---- snapshots ----------------------------------------------------------------------

  saveState(): object {
    return {
      config: this.config,
      isr: this.isr,
      haltedCounter: this.haltedCounter,
      offsetNs: this.offsetNs,
      pitLevel: this.pitLevel,
      rtcLevel: this.rtcLevel,
      timers: this.timers.map((t) => ({ config: t.config, cmpLow: t.cmpLow, cmpHigh: t.cmpHigh, periodLow: t.periodLow, periodHigh: t.periodHigh, fsbLow: t.fsbLow, fsbHigh: t.fsbHigh, wrapPending: t.wrapPending })),
    };
  }

  /** The timer queue restores the comparators' deadlines itself (they are absolute times). */
  loadState(s: object): void {
    const { timers, ...general } = s as { timers?: object[] };
    Object.assign(this, pickKnown({ config: 0, isr: 0, haltedCounter: 0, offsetNs: 0, pitLevel: false, rtcLevel: false }, general));
    (timers ?? []).forEach((ts, i) => {
      const t = this.timers[i];
      if (t) Object.assign(t, pickKnown({ config: 0, cmpLow: 0, cmpHigh: 0, periodLow: 0, periodHigh: 0, fsbLow: 0, fsbHigh: 0, wrapPending: false }, ts));
    });
  }
}
