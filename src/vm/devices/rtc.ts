// The Motorola MC146818 real-time clock and its 128 bytes of CMOS RAM at ports
// 0x70/0x71 (bit 7 of the index is the NMI mask), with IRQ8. Time runs from the host
// clock at start-up (`-rtc base=utc|localtime|<date>`) plus virtual time elapsed, so it
// follows the guest's clock in deterministic mode. BCD or binary, 12 or 24 hour, the
// update-in-progress window of 244 µs before each update, periodic (reg A rate),
// alarm (with don't-care bytes) and update-ended interrupts, and the SET/divider-reset
// modes used to set the clock. Reference: QEMU's hw/rtc/mc146818rtc.c and the
// MC146818A datasheet; CMOS contents from QEMU's pc machine (cmos-layout.ts).

import type { Clock, Timer } from '../machine/clock.js';
import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';
import type { IrqLine } from '../machine/irq.js';
import { type CmosConfig, pcCmosBytes } from './cmos-layout.js';
import { fromBcd, nsForTicks, ticksIn, toBcd } from './tick-math.js';

const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const CENTURY = 0x32;
const PS2_CENTURY = 0x37;

const A_UIP = 0x80;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_SQWE = 0x08;
const B_BINARY = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;

const NS_PER_SECOND = 1e9;
const UIP_WINDOW_NS = 244_000;
const RTC_HZ = 32768;

/**
 * Parses the value of `-rtc base=`: "utc", "localtime", or a start date as QEMU accepts
 * it ("2006-06-17T16:01:21" or "2006-06-17", read like sscanf's %d, so trailing text is
 * ignored and out-of-range fields roll over). Throws QEMU's message for anything else.
 */
export function parseRtcBase(text: string): 'utc' | 'localtime' | number {
  if (text === 'utc' || text === 'localtime') return text;
  const int = '\\s*([+-]?\\d+)';
  const full = new RegExp(`^${int}-${int}-${int}T${int}:${int}:${int}`).exec(text);
  const date = full ?? new RegExp(`^${int}-${int}-${int}`).exec(text);
  if (date) {
    const [y, mo, d, h = 0, mi = 0, s = 0] = date.slice(1).map(Number);
    const ms = Date.UTC(y, mo - 1, d, h, mi, s);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  throw new Error("invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'");
}

export interface RtcOptions {
  /** Where the guest clock starts: host UTC, host local time, or seconds since the Unix epoch (`base=2006-06-17T16:01:21`). */
  base?: 'utc' | 'localtime' | number;
  /** The host's wall clock in ms (tests pass a fixed one). */
  hostTimeMs?: () => number;
  cmos: CmosConfig;
}

export class Rtc implements PortHandler {
  readonly cmos = new Uint8Array(128);
  private index = 0;
  /** Port 0x70 bit 7: NMIs are masked while set. */
  nmiMasked = false;
  /** The guest clock (as seconds since 1970 of its own fields) at virtual time `phaseNs`. */
  private secondsAtPhase = 0;
  private phaseNs = 0;
  /** The last second for which the update-ended flag was produced. */
  private lastUpdateSecond = 0;
  private readonly periodicTimer: Timer;
  private readonly updateTimer: Timer;
  private periodicTick = 0;

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqLine,
    options: RtcOptions,
  ) {
    this.periodicTimer = clock.newTimer(() => this.onPeriodic());
    this.updateTimer = clock.newTimer(() => this.onSecond());
    const hostMs = (options.hostTimeMs ?? Date.now)();
    const base = options.base ?? 'utc';
    let startMs = hostMs;
    if (base === 'localtime') startMs = hostMs - new Date(hostMs).getTimezoneOffset() * 60_000;
    else if (typeof base === 'number') startMs = base * 1000;
    this.secondsAtPhase = Math.floor(startMs / 1000);
    this.phaseNs = clock.now() - (startMs - this.secondsAtPhase * 1000) * 1e6;
    this.lastUpdateSecond = this.secondsAtPhase;
    this.cmos[REG_A] = 0x26;
    this.cmos[REG_B] = B_24H;
    this.cmos[REG_D] = 0x80;
    for (const [i, v] of pcCmosBytes(options.cmos)) this.cmos[i] = v;
    this.storeTime(this.secondsAtPhase);
    this.cmos[PS2_CENTURY] = this.cmos[CENTURY];
  }

  /** Claims 0x70-0x71. */
  attach(io: IoBus): void {
    io.register(0x70, 2, this, 'rtc');
  }

  /** A machine reset: the clock keeps time (it has a battery); interrupt enables clear. */
  reset(): void {
    this.cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    this.cmos[REG_C] = 0;
    this.irq.set(false);
    this.rearm();
  }

  /** For the board and disk controllers (e.g. hard disk geometry bytes). */
  setByte(index: number, value: number): void {
    this.cmos[index & 0x7f] = value & 0xff;
  }

  private get running(): boolean {
    return (this.cmos[REG_B] & B_SET) === 0 && (this.cmos[REG_A] & 0x60) !== 0x60;
  }

  private currentSecond(now: number): number {
    return this.secondsAtPhase + Math.floor((now - this.phaseNs) / NS_PER_SECOND);
  }

  private encode(v: number): number {
    return this.cmos[REG_B] & B_BINARY ? v : toBcd(v);
  }

  private decode(v: number): number {
    return this.cmos[REG_B] & B_BINARY ? v : fromBcd(v);
  }

  private encodeHour(h: number): number {
    if (this.cmos[REG_B] & B_24H) return this.encode(h);
    return this.encode(h % 12 || 12) | (h >= 12 ? 0x80 : 0);
  }

  private decodeHour(v: number): number {
    if (this.cmos[REG_B] & B_24H) return this.decode(v & 0x7f);
    return (this.decode(v & 0x7f) % 12) + (v & 0x80 ? 12 : 0);
  }

  /** Writes the clock registers for `seconds` in the current format. */
  private storeTime(seconds: number): void {
    const d = new Date(seconds * 1000);
    const c = this.cmos;
    c[0] = this.encode(d.getUTCSeconds());
    c[2] = this.encode(d.getUTCMinutes());
    c[4] = this.encodeHour(d.getUTCHours());
    c[6] = this.encode(d.getUTCDay() + 1);
    c[7] = this.encode(d.getUTCDate());
    c[8] = this.encode(d.getUTCMonth() + 1);
    c[9] = this.encode(d.getUTCFullYear() % 100);
    c[CENTURY] = this.encode(Math.floor(d.getUTCFullYear() / 100));
  }

  /** The clock registers as seconds since 1970. */
  private loadTime(): number {
    const c = this.cmos;
    const year = this.decode(c[CENTURY]) * 100 + this.decode(c[9]);
    return (
      Date.UTC(year, this.decode(c[8]) - 1, this.decode(c[7]), this.decodeHour(c[4]), this.decode(c[2]), this.decode(c[0])) /
      1000
    );
  }

  /** Sets UF (and AF on an alarm match) for seconds that passed since the last check. */
  private catchUp(now: number): void {
    if (!this.running) return;
    const second = this.currentSecond(now);
    if (second <= this.lastUpdateSecond) return;
    this.lastUpdateSecond = second;
    this.storeTime(second);
    let flags = C_UF;
    if (this.alarmMatches()) flags |= C_AF;
    this.raise(flags);
  }

  private alarmMatches(): boolean {
    const c = this.cmos;
    const match = (alarm: number, value: number) => (alarm & 0xc0) === 0xc0 || alarm === value;
    return match(c[1], c[0]) && match(c[3], c[2]) && match(c[5], c[4]);
  }

  private raise(flags: number): void {
    const c = this.cmos;
    c[REG_C] |= flags;
    // PF, AF and UF sit at the same bit positions as their enables PIE, AIE and UIE.
    const enabled = (c[REG_C] & c[REG_B] & (B_PIE | B_AIE | B_UIE)) !== 0;
    if (enabled && (c[REG_C] & C_IRQF) === 0) {
      c[REG_C] |= C_IRQF;
      this.irq.set(true);
    }
  }

  private onSecond(): void {
    this.catchUp(this.clock.now());
    this.rearm();
  }

  private onPeriodic(): void {
    this.raise(C_PF);
    this.periodicTick += this.periodTicks();
    this.armPeriodic();
  }

  /** The periodic rate from register A, in 32.768 kHz ticks (0 = off). */
  private periodTicks(): number {
    let rs = this.cmos[REG_A] & 0x0f;
    if (rs === 0) return 0;
    if (rs <= 2) rs += 7;
    return 1 << (rs - 1);
  }

  private armPeriodic(): void {
    const period = this.periodTicks();
    if (period === 0 || (this.cmos[REG_B] & B_PIE) === 0 || (this.cmos[REG_A] & 0x60) === 0x60) {
      this.periodicTimer.cancel();
      return;
    }
    this.periodicTimer.arm(nsForTicks(this.periodicTick, RTC_HZ));
  }

  /** Re-arms both timers after a register change. */
  private rearm(): void {
    const now = this.clock.now();
    const period = this.periodTicks();
    if (period) this.periodicTick = (Math.floor(ticksIn(now, RTC_HZ) / period) + 1) * period;
    this.armPeriodic();
    if (this.running && this.cmos[REG_B] & (B_UIE | B_AIE)) {
      const next = this.phaseNs + (this.lastUpdateSecond - this.secondsAtPhase + 1) * NS_PER_SECOND;
      this.updateTimer.arm(Math.max(next, now));
    } else {
      this.updateTimer.cancel();
    }
  }

  private updateInProgress(now: number): boolean {
    if (!this.running) return false;
    const into = (((now - this.phaseNs) % NS_PER_SECOND) + NS_PER_SECOND) % NS_PER_SECOND;
    return into >= NS_PER_SECOND - UIP_WINDOW_NS;
  }

  readPort(port: number, _size: IoSize): number {
    if (port === 0x70) return 0xff;
    const now = this.clock.now();
    const i = this.index;
    if (i <= 9 || i === CENTURY) {
      if (this.running) {
        this.catchUp(now);
        this.storeTime(this.currentSecond(now));
      }
      return this.cmos[i];
    }
    switch (i) {
      case REG_A:
        return (this.cmos[REG_A] & ~A_UIP) | (this.updateInProgress(now) ? A_UIP : 0);
      case REG_C: {
        this.catchUp(now);
        const value = this.cmos[REG_C];
        this.cmos[REG_C] = 0;
        this.irq.set(false);
        return value;
      }
      default:
        return this.cmos[i];
    }
  }

  writePort(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    if (port === 0x70) {
      this.index = value & 0x7f;
      this.nmiMasked = (value & 0x80) !== 0;
      return;
    }
    const i = this.index;
    const now = this.clock.now();
    if (i <= 9 || i === CENTURY) {
      if (this.running) this.storeTime(this.currentSecond(now));
      this.cmos[i] = value;
      // Alarm bytes (1, 3, 5) do not move the clock; a write to the others sets it.
      if (i !== 1 && i !== 3 && i !== 5 && this.running) this.restartFromRegisters(now, 0);
      this.rearm();
      return;
    }
    switch (i) {
      case REG_A: {
        const wasRunning = this.running;
        const leavingReset = (this.cmos[REG_A] & 0x60) === 0x60 && (value & 0x60) !== 0x60;
        if (wasRunning) this.storeTime(this.currentSecond(now));
        this.cmos[REG_A] = (value & ~A_UIP) | (this.cmos[REG_A] & A_UIP);
        // Out of divider reset the first update comes 500 ms later (datasheet).
        if (!wasRunning && this.running) this.restartFromRegisters(now, leavingReset ? 500_000_000 : 0);
        this.rearm();
        return;
      }
      case REG_B: {
        const wasRunning = this.running;
        if (wasRunning) this.storeTime(this.currentSecond(now));
        // Setting SET also clears UIE (datasheet).
        if (value & B_SET) value &= ~B_UIE;
        const oldFormat = this.cmos[REG_B] & (B_BINARY | B_24H);
        const seconds = wasRunning ? this.currentSecond(now) : 0;
        this.cmos[REG_B] = value;
        if (wasRunning && this.running && (value & (B_BINARY | B_24H)) !== oldFormat) this.storeTime(seconds);
        if (!wasRunning && this.running) this.restartFromRegisters(now, 0);
        // Enabling an interrupt whose flag is already pending raises IRQ8 at once.
        this.raise(0);
        this.rearm();
        return;
      }
      case REG_C:
      case REG_D:
        return; // read-only
      default:
        this.cmos[i] = value;
    }
  }

  /** Restarts the clock from its registers as if `elapsedNs` of the current second had passed. */
  private restartFromRegisters(now: number, elapsedNs: number): void {
    const seconds = this.loadTime();
    if (Number.isNaN(seconds)) return;
    this.secondsAtPhase = seconds;
    this.phaseNs = now - elapsedNs;
    this.lastUpdateSecond = seconds;
  }

  saveState(): object {
    return {
      cmos: Array.from(this.cmos),
      index: this.index,
      nmiMasked: this.nmiMasked,
      secondsAtPhase: this.secondsAtPhase,
      phaseNs: this.phaseNs,
      lastUpdateSecond: this.lastUpdateSecond,
    };
  }

  loadState(s: object): void {
    const st = s as Partial<Record<string, unknown>>;
    if (Array.isArray(st.cmos)) this.cmos.set((st.cmos as number[]).slice(0, 128));
    if (typeof st.index === 'number') this.index = st.index & 0x7f;
    this.nmiMasked = st.nmiMasked === true;
    if (typeof st.secondsAtPhase === 'number') this.secondsAtPhase = st.secondsAtPhase;
    if (typeof st.phaseNs === 'number') this.phaseNs = st.phaseNs;
    if (typeof st.lastUpdateSecond === 'number') this.lastUpdateSecond = st.lastUpdateSecond;
    this.irq.set((this.cmos[REG_C] & C_IRQF) !== 0);
    this.rearm();
  }
}
