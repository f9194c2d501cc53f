// One Intel 8259A programmable interrupt controller: IRR/ISR/IMR, the ICW1-4
// initialisation sequence, OCW2 (EOI and rotation) and OCW3 (register select, poll,
// special mask), auto-EOI, special fully nested mode and the ELCR edge/level select of
// the PIIX. Behaviour follows QEMU's hw/intc/i8259.c where the datasheet leaves room
// (edge inputs latch in IRR until acknowledged). Two of these form the PC's pair (dual-pic.ts).

import { pickKnown } from './device-state.js';

export class Pic8259 {
  /** Line levels as last driven, for edge detection. */
  lineLevels = 0;
  irr = 0;
  imr = 0;
  isr = 0;
  /** IRQ number with the lowest priority is (7 + priorityAdd) & 7. */
  priorityAdd = 0;
  vectorBase = 0;
  readIsr = false;
  poll = false;
  specialMask = false;
  /** 0: operational; 1-3: waiting for ICW2, ICW3, ICW4. */
  initStep = 0;
  needIcw4 = false;
  singleMode = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  /** PIIX edge/level control register: 1 bits are level-triggered inputs. */
  elcr = 0;

  constructor(
    readonly isMaster: boolean,
    /** Bits of the ELCR that are writable (IRQ0-2 and 8/13 are fixed edge on the PIIX). */
    readonly elcrMask: number,
  ) {}

  reset(): void {
    this.initReset();
    this.elcr = 0;
  }

  /** What ICW1 clears (and a machine reset). */
  private initReset(): void {
    this.lineLevels = 0;
    this.irr = 0;
    this.imr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.vectorBase = 0;
    this.readIsr = false;
    this.poll = false;
    this.specialMask = false;
    this.initStep = 0;
    this.needIcw4 = false;
    this.singleMode = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
  }

  setIrq(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (this.elcr & bit) {
      if (level) {
        this.irr |= bit;
        this.lineLevels |= bit;
      } else {
        this.irr &= ~bit;
        this.lineLevels &= ~bit;
      }
    } else if (level) {
      if ((this.lineLevels & bit) === 0) this.irr |= bit;
      this.lineLevels |= bit;
    } else {
      this.lineLevels &= ~bit;
    }
  }

  /** Highest-priority bit set in `mask` (in rotated priority order), or 8 if none. */
  private priorityOf(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The IRQ that would be delivered now, or -1. */
  pendingIrq(): number {
    const p = this.priorityOf(this.irr & ~this.imr);
    if (p === 8) return -1;
    let inService = this.isr;
    // Special mask mode: masked in-service levels do not block lower priorities.
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode: the cascade input may interrupt itself.
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << 2);
    const current = this.priorityOf(inService);
    return p < current ? (p + this.priorityAdd) & 7 : -1;
  }

  /** The INTA cycle for `irq`: moves it from IRR to ISR (or applies auto-EOI). */
  acknowledge(irq: number): void {
    const bit = 1 << irq;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (irq + 1) & 7;
    } else {
      this.isr |= bit;
    }
    // Edge-triggered requests are consumed; level ones stay while the line is high.
    if ((this.elcr & bit) === 0) this.irr &= ~bit;
  }

  /** OCW3 poll read: acknowledges and returns 0x80|irq, or 0 if nothing is pending. */
  pollRead(): number {
    const irq = this.pendingIrq();
    if (irq < 0) return 0;
    this.acknowledge(irq);
    return 0x80 | irq;
  }

  /** A read of the command (a0=0) or data (a0=1) port, not counting poll mode. */
  readRegister(a0: number): number {
    if (a0 === 1) return this.imr;
    return this.readIsr ? this.isr : this.irr;
  }

  /** A write to the command (a0=0: ICW1, OCW2, OCW3) or data (a0=1: ICW2-4, OCW1) port. */
  write(a0: number, value: number): void {
    if (a0 === 0) {
      if (value & 0x10) {
        this.initReset();
        this.initStep = 1;
        this.needIcw4 = (value & 0x01) !== 0;
        this.singleMode = (value & 0x02) !== 0;
      } else if (value & 0x08) {
        this.writeOcw3(value);
      } else {
        this.writeOcw2(value);
      }
      return;
    }
    switch (this.initStep) {
      case 0:
        this.imr = value;
        return;
      case 1:
        this.vectorBase = value & 0xf8;
        this.initStep = this.singleMode ? (this.needIcw4 ? 3 : 0) : 2;
        return;
      case 2:
        this.initStep = this.needIcw4 ? 3 : 0;
        return;
      case 3:
        this.specialFullyNested = (value & 0x10) !== 0;
        this.autoEoi = (value & 0x02) !== 0;
        this.initStep = 0;
        return;
    }
  }

  private writeOcw3(value: number): void {
    if (value & 0x04) this.poll = true;
    if (value & 0x02) this.readIsr = (value & 0x01) !== 0;
    if (value & 0x40) this.specialMask = (value & 0x20) !== 0;
  }

  private writeOcw2(value: number): void {
    switch (value >> 5) {
      case 0: // rotate in auto-EOI mode: clear
      case 4: // … set
        this.rotateOnAutoEoi = value >> 7 !== 0;
        return;
      case 1: // non-specific EOI
      case 5: {
        // … with rotation
        const p = this.priorityOf(this.isr);
        if (p === 8) return;
        const irq = (p + this.priorityAdd) & 7;
        this.isr &= ~(1 << irq);
        if (value >> 5 === 5) this.priorityAdd = (irq + 1) & 7;
        return;
      }
      case 3: // specific EOI
        this.isr &= ~(1 << (value & 7));
        return;
      case 7: // specific EOI with rotation
        this.isr &= ~(1 << (value & 7));
        this.priorityAdd = ((value & 7) + 1) & 7;
        return;
      case 6: // set priority
        this.priorityAdd = ((value & 7) + 1) & 7;
        return;
      default: // 2: no operation
        return;
    }
  }

  saveState(): object {
    const { isMaster, elcrMask, ...state } = this;
    return { ...state };
  }

  loadState(s: object): void {
    Object.assign(this, pickKnown(this, s, ["isMaster", "elcrMask"]));
  }
}
