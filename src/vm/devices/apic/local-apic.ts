// The local APIC of a single P6-class CPU, as QEMU's hw/intc/apic.c presents it (version
// 0x14 with 6 LVT entries, bus clock 1 GHz for the timer): MMIO page at 0xfee00000,
// relocatable and disabled through IA32_APIC_BASE; ID, TPR/PPR, EOI (broadcast to the
// IOAPIC for level-triggered vectors), LDR/DFR, spurious vector with the software
// enable, ISR/TMR/IRR, ESR, ICR for self/broadcast IPIs, LVT timer (one-shot or
// periodic, divide configuration), LINT0 and LINT1, error LVT. It is the CPU's
// InterruptController: its own vectors first, then the 8259 pair when LINT0 is ExtINT
// and unmasked, or when the APIC is hardware-disabled (QEMU's apic_accept_pic_intr).
// After reset LINT0 of the BSP is ExtINT (0x700), as QEMU sets it.

import type { Clock, Timer } from '../../machine/clock.js';
import type { MmioHandler, PhysicalMemory } from '../../machine/physical-memory.js';
import type { InterruptController } from '../../cpu/cpu-host.js';
import { type ApicMessage, DELIVERY_EXTINT, DELIVERY_FIXED, DELIVERY_LOWEST, DELIVERY_NMI } from './apic-message.js';

export const APIC_DEFAULT_BASE = 0xfee00000;
const MSR_BSP = 0x100;
const MSR_ENABLE = 0x800;
const APIC_VERSION = 0x00050014;
const SVR_ENABLE = 0x100;
const LVT_MASKED = 0x10000;
const LVT_COUNT = 6;
const LVT_TIMER = 0;
const LVT_LINT0 = 3;
const LVT_LINT1 = 4;
const LVT_ERROR = 5;
/** Writable bits of each LVT entry: timer, thermal, performance, LINT0, LINT1, error. */
const LVT_WRITABLE = [0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];
const TIMER_PERIODIC = 0x20000;

const ESR_SEND_ILLEGAL_VECTOR = 0x20;
const ESR_RECEIVE_ILLEGAL_VECTOR = 0x40;
const ESR_ILLEGAL_REGISTER = 0x80;

export interface LocalApicWiring {
  memory: PhysicalMemory;
  clock: Clock;
  /** The 8259 pair behind LINT0 (ExtINT). */
  pic: InterruptController;
  /** An NMI for the CPU (LINT1, NMI IPIs and NMI messages). */
  onNmi: () => void;
  /** EOI of a level-triggered vector: the board forwards it to the IOAPIC. */
  onLevelEoi: (vector: number) => void;
  /** An interrupt became pending (wakes a halted CPU). */
  onInterrupt?: () => void;
  apicId?: number;
}

export class LocalApic implements InterruptController, MmioHandler {
  private id: number;
  private baseMsr = (APIC_DEFAULT_BASE | MSR_BSP | MSR_ENABLE) >>> 0;
  private mappedBase = -1;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private readonly irr = new Uint32Array(8);
  private esr = 0;
  private pendingErrors = 0;
  private icrLow = 0;
  private icrHigh = 0;
  private readonly lvt = new Uint32Array(LVT_COUNT);
  private initialCount = 0;
  private divideConfig = 0;
  private countShift = 0;
  private timerLoadNs = 0;
  private lint1Level = false;
  /** Cached: a local vector beats the PPR. */
  private localPending = false;
  /** Cached: the PIC's INTR reaches the CPU (LINT0 ExtINT unmasked, or APIC disabled). */
  private picRouted = true;
  private readonly timer: Timer;

  constructor(private readonly wiring: LocalApicWiring) {
    this.id = wiring.apicId ?? 0;
    this.timer = wiring.clock.newTimer(() => this.onTimer());
    this.reset();
  }

  reset(): void {
    this.baseMsr = (APIC_DEFAULT_BASE | MSR_BSP | MSR_ENABLE) >>> 0;
    this.id = this.wiring.apicId ?? 0;
    this.initRegisters();
    this.remap();
  }

  /** The INIT state: everything but the base MSR and ID. */
  private initRegisters(): void {
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.esr = this.pendingErrors = 0;
    this.icrLow = this.icrHigh = 0;
    this.lvt.fill(LVT_MASKED);
    this.lvt[LVT_LINT0] = 0x700;
    this.initialCount = 0;
    this.divideConfig = 0;
    this.countShift = 0;
    this.timer.cancel();
    this.update();
  }

  // --- IA32_APIC_BASE ---

  readBaseMsr(): bigint {
    return BigInt(this.baseMsr >>> 0);
  }

  writeBaseMsr(value: bigint): void {
    const v = Number(value & 0xfffff800n) >>> 0;
    // BSP is read-only; enable can only be cleared (a reset sets it again), as in QEMU.
    let msr = ((v & 0xfffff000) | (this.baseMsr & (MSR_BSP | MSR_ENABLE))) >>> 0;
    if ((v & MSR_ENABLE) === 0 && msr & MSR_ENABLE) {
      msr &= ~MSR_ENABLE;
      this.svr &= ~SVR_ENABLE;
    }
    this.baseMsr = msr >>> 0;
    this.remap();
    this.update();
  }

  private get hardwareEnabled(): boolean {
    return (this.baseMsr & MSR_ENABLE) !== 0;
  }

  private remap(): void {
    const base = (this.baseMsr & 0xfffff000) >>> 0;
    if (base === this.mappedBase) return;
    if (this.mappedBase >= 0) this.wiring.memory.unmap(this.mappedBase, 0x1000);
    this.mappedBase = base;
    this.wiring.memory.mapMmio(base, 0x1000, this);
  }

  // --- InterruptController (the CPU's INTR/INTA) ---

  hasInterrupt(): boolean {
    return this.localPending || (this.picRouted && this.wiring.pic.hasInterrupt());
  }

  acknowledgeInterrupt(): number {
    if (this.localPending) {
      const vector = highestBit(this.irr);
      this.clearBit(this.irr, vector);
      this.setBit(this.isr, vector);
      this.update();
      return vector;
    }
    if (this.picRouted && this.wiring.pic.hasInterrupt()) return this.wiring.pic.acknowledgeInterrupt();
    return this.svr & 0xff; // the request went away: spurious vector
  }

  private setBit(set: Uint32Array, v: number): void {
    set[v >>> 5] |= 1 << (v & 31);
  }

  private clearBit(set: Uint32Array, v: number): void {
    set[v >>> 5] &= ~(1 << (v & 31));
  }

  private testBit(set: Uint32Array, v: number): boolean {
    return (set[v >>> 5] & (1 << (v & 31))) !== 0;
  }

  private ppr(): number {
    const isrv = highestBit(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  private update(): void {
    const lint0 = this.lvt[LVT_LINT0];
    this.picRouted = !this.hardwareEnabled || ((lint0 & LVT_MASKED) === 0 && ((lint0 >> 8) & 7) === DELIVERY_EXTINT);
    let pending = false;
    if (this.hardwareEnabled && this.svr & SVR_ENABLE) {
      const irrv = highestBit(this.irr);
      pending = irrv >= 0 && (irrv & 0xf0) > (this.ppr() & 0xf0);
    }
    const rose = pending && !this.localPending;
    this.localPending = pending;
    if (rose) this.wiring.onInterrupt?.();
  }

  // --- Message delivery (IOAPIC, IPIs, LVTs) ---

  /** Whether a message with this destination addresses this APIC. */
  accepts(logical: boolean, destination: number): boolean {
    if (!logical) return destination === 0xff || destination === this.id;
    if (destination === 0xff) return true;
    const ldr = this.ldr >>> 24;
    if ((this.dfr >>> 28) === 0xf) return (ldr & destination) !== 0; // flat model
    return (ldr >> 4) === (destination >> 4) && (ldr & destination & 0x0f) !== 0; // cluster model
  }

  /** A message from the IOAPIC. */
  deliver(msg: ApicMessage): void {
    if (!this.hardwareEnabled || !this.accepts(msg.logical, msg.destination)) return;
    this.accept(msg.deliveryMode, msg.vector, msg.levelTriggered);
  }

  private accept(mode: number, vector: number, level: boolean): void {
    switch (mode) {
      case DELIVERY_FIXED:
      case DELIVERY_LOWEST:
        if (vector < 16) {
          this.error(ESR_RECEIVE_ILLEGAL_VECTOR);
          return;
        }
        this.setBit(this.irr, vector);
        if (level) this.setBit(this.tmr, vector);
        else this.clearBit(this.tmr, vector);
        this.update();
        return;
      case DELIVERY_NMI:
        this.wiring.onNmi();
        return;
      default:
        // SMI, INIT and SIPI mean nothing to a lone CPU without SMM; ExtINT is LINT0's job.
        return;
    }
  }

  private error(bits: number): void {
    this.pendingErrors |= bits;
    const lvt = this.lvt[LVT_ERROR];
    if ((lvt & LVT_MASKED) === 0) this.accept(DELIVERY_FIXED, lvt & 0xff, false);
  }

  /** LINT1 input (the board's NMI line): a rising edge delivers per its LVT. */
  setLint1(level: boolean): void {
    const rising = level && !this.lint1Level;
    this.lint1Level = level;
    const lvt = this.lvt[LVT_LINT1];
    if (!rising || lvt & LVT_MASKED) return;
    this.accept((lvt >> 8) & 7, lvt & 0xff, false);
  }

  private eoi(): void {
    const vector = highestBit(this.isr);
    if (vector < 0) return;
    this.clearBit(this.isr, vector);
    if (this.testBit(this.tmr, vector)) this.wiring.onLevelEoi(vector);
    this.update();
  }

  private sendIpi(): void {
    const low = this.icrLow;
    const mode = (low >> 8) & 7;
    const vector = low & 0xff;
    if ((mode === DELIVERY_FIXED || mode === DELIVERY_LOWEST) && vector < 16) {
      this.error(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    let toSelf: boolean;
    switch ((low >> 18) & 3) {
      case 0:
        toSelf = this.accepts((low & 0x800) !== 0, this.icrHigh >>> 24);
        break;
      case 1:
      case 2:
        toSelf = true;
        break;
      default:
        toSelf = false; // all excluding self: there is no one else
    }
    if (toSelf) this.accept(mode, vector, false);
  }

  // --- Timer ---

  private timerPeriodNs(): number {
    return (this.initialCount + 1) * 2 ** this.countShift;
  }

  private currentCount(): number {
    if (this.initialCount === 0 || this.timerLoadNs < 0) return 0;
    const d = Math.floor((this.wiring.clock.now() - this.timerLoadNs) / 2 ** this.countShift);
    if (this.lvt[LVT_TIMER] & TIMER_PERIODIC) return this.initialCount - (d % (this.initialCount + 1));
    return d >= this.initialCount ? 0 : this.initialCount - d;
  }

  private armTimer(): void {
    if (this.initialCount === 0 || this.timerLoadNs < 0) {
      this.timer.cancel();
      return;
    }
    const period = this.timerPeriodNs();
    const now = this.wiring.clock.now();
    if (this.lvt[LVT_TIMER] & TIMER_PERIODIC) {
      const elapsed = Math.max(0, now - this.timerLoadNs);
      this.timer.arm(this.timerLoadNs + (Math.floor(elapsed / period) + 1) * period);
    } else if (now < this.timerLoadNs + period) {
      this.timer.arm(this.timerLoadNs + period);
    } else {
      this.timer.cancel();
    }
  }

  private onTimer(): void {
    const lvt = this.lvt[LVT_TIMER];
    if ((lvt & LVT_MASKED) === 0) this.accept(DELIVERY_FIXED, lvt & 0xff, false);
    // Periodic: the next multiple of the period after now (missed periods coalesce, as in QEMU).
    if (lvt & TIMER_PERIODIC) this.armTimer();
    else this.timerLoadNs = -1; // one-shot expired: current count reads 0
  }

  // --- MMIO ---

  read(offset: number, size: 1 | 2 | 4): number {
    const value = this.readRegister((offset >> 4) & 0xff);
    return size === 4 ? value >>> 0 : (value >>> ((offset & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
  }

  private readRegister(index: number): number {
    if (index >= 0x10 && index < 0x28) {
      const set = index < 0x18 ? this.isr : index < 0x20 ? this.tmr : this.irr;
      return set[index & 7];
    }
    if (index >= 0x32 && index < 0x32 + LVT_COUNT) return this.lvt[index - 0x32];
    switch (index) {
      case 0x02:
        return this.id << 24;
      case 0x03:
        return APIC_VERSION;
      case 0x08:
        return this.tpr;
      case 0x09:
        return 0;
      case 0x0a:
        return this.ppr();
      case 0x0b:
        return 0;
      case 0x0d:
        return this.ldr;
      case 0x0e:
        return this.dfr;
      case 0x0f:
        return this.svr;
      case 0x28:
        return this.esr;
      case 0x30:
        return this.icrLow;
      case 0x31:
        return this.icrHigh;
      case 0x38:
        return this.initialCount;
      case 0x39:
        return this.currentCount();
      case 0x3e:
        return this.divideConfig;
      default:
        this.error(ESR_ILLEGAL_REGISTER);
        return 0;
    }
  }

  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    const index = (offset >> 4) & 0xff;
    value >>>= 0;
    if (index >= 0x32 && index < 0x32 + LVT_COUNT) {
      const n = index - 0x32;
      const wasPeriodic = (this.lvt[LVT_TIMER] & TIMER_PERIODIC) !== 0;
      this.lvt[n] = (this.lvt[n] & ~LVT_WRITABLE[n]) | (value & LVT_WRITABLE[n]);
      if (n === LVT_TIMER && wasPeriodic !== ((value & TIMER_PERIODIC) !== 0)) this.armTimer();
      this.update();
      return;
    }
    switch (index) {
      case 0x02:
        this.id = value >>> 24;
        return;
      case 0x08:
        this.tpr = value & 0xff;
        this.update();
        return;
      case 0x0b:
        this.eoi();
        return;
      case 0x0d:
        this.ldr = value & 0xff000000;
        return;
      case 0x0e:
        this.dfr = (value | 0x0fffffff) >>> 0;
        return;
      case 0x0f:
        this.svr = value & 0x1ff;
        this.update();
        return;
      case 0x28:
        this.esr = this.pendingErrors;
        this.pendingErrors = 0;
        return;
      case 0x30:
        this.icrLow = value & ~0x1000; // delivery is instant: status always idle
        this.sendIpi();
        return;
      case 0x31:
        this.icrHigh = value & 0xff000000;
        return;
      case 0x38:
        this.initialCount = value;
        this.timerLoadNs = this.wiring.clock.now();
        this.armTimer();
        return;
      case 0x3e: {
        this.divideConfig = value & 0xb;
        const v = (value & 3) | ((value >> 1) & 4);
        this.countShift = (v + 1) & 7;
        this.armTimer();
        return;
      }
      case 0x03:
      case 0x0a:
      case 0x39:
        return; // read-only
      default:
        if (index >= 0x10 && index < 0x28) return; // ISR/TMR/IRR are read-only
        this.error(ESR_ILLEGAL_REGISTER);
    }
  }

  saveState(): object {
    return {
      id: this.id,
      baseMsr: this.baseMsr,
      tpr: this.tpr,
      ldr: this.ldr,
      dfr: this.dfr,
      svr: this.svr,
      isr: Array.from(this.isr),
      tmr: Array.from(this.tmr),
      irr: Array.from(this.irr),
      esr: this.esr,
      pendingErrors: this.pendingErrors,
      icrLow: this.icrLow,
      icrHigh: this.icrHigh,
      lvt: Array.from(this.lvt),
      initialCount: this.initialCount,
      divideConfig: this.divideConfig,
      timerLoadNs: this.timerLoadNs,
    };
  }

  loadState(s: object): void {
    const st = s as Record<string, unknown>;
    const num = (k: string, d: number) => (typeof st[k] === 'number' ? (st[k] as number) : d);
    const arr = (k: string, target: Uint32Array) => {
      if (Array.isArray(st[k])) target.set((st[k] as number[]).slice(0, target.length));
    };
    this.id = num('id', 0) & 0xff;
    this.baseMsr = num('baseMsr', APIC_DEFAULT_BASE | MSR_BSP | MSR_ENABLE) >>> 0;
    this.tpr = num('tpr', 0);
    this.ldr = num('ldr', 0) >>> 0;
    this.dfr = num('dfr', 0xffffffff) >>> 0;
    this.svr = num('svr', 0xff);
    arr('isr', this.isr);
    arr('tmr', this.tmr);
    arr('irr', this.irr);
    this.esr = num('esr', 0);
    this.pendingErrors = num('pendingErrors', 0);
    this.icrLow = num('icrLow', 0) >>> 0;
    this.icrHigh = num('icrHigh', 0) >>> 0;
    arr('lvt', this.lvt);
    this.initialCount = num('initialCount', 0) >>> 0;
    this.divideConfig = num('divideConfig', 0) & 0xb;
    const v = (this.divideConfig & 3) | ((this.divideConfig >> 1) & 4);
    this.countShift = (v + 1) & 7;
    this.timerLoadNs = num('timerLoadNs', 0);
    this.remap();
    this.armTimer();
    this.update();
  }
}

/** The highest set bit of a 256-bit set, or -1. */
function highestBit(set: Uint32Array): number {
  for (let i = 7; i >= 0; i--) if (set[i]) return i * 32 + 31 - Math.clz32(set[i]);
  return -1;
}
