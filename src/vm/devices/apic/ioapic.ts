// The 82093AA I/O APIC at 0xfec00000 as QEMU's pc has it (hw/intc/ioapic.c, version
// 0x20 with the EOI register at 0x40): 24 pins, IOREGSEL/IOWIN access to the ID,
// version, arbitration and redirection registers; edge pins deliver on a rising edge
// when unmasked, level pins deliver while asserted and set Remote IRR until the local
// APIC's EOI broadcast (or a write to the EOI register) clears it. Like QEMU's, input 0
// (the PIT) lands on pin 2, so the board can fan ISA IRQ n out to PIC and IOAPIC alike.

import type { IrqSink } from '../../machine/irq.js';
import type { MmioHandler, PhysicalMemory } from '../../machine/physical-memory.js';
import type { ApicMessage } from './apic-message.js';

export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const IOAPIC_PINS = 24;
export const IOAPIC_VERSION = 0x20;
const ENTRY_MASKED = 0x10000;
const ENTRY_LEVEL = 0x8000;
const ENTRY_REMOTE_IRR = 0x4000;
const ENTRY_WRITABLE = 0x1afff;

export class IoApic implements IrqSink, MmioHandler {
  private id = 0;
  private select = 0;
  private readonly low = new Uint32Array(IOAPIC_PINS);
  private readonly high = new Uint32Array(IOAPIC_PINS);
  /** Input levels (bit per pin). */
  private lines = 0;
  /** Rising edges seen on each input (before IRQ0's move to pin 2), for the monitor's `info irq`. */
  readonly raised = new Float64Array(IOAPIC_PINS);
  private readonly inputLevels = new Uint8Array(IOAPIC_PINS);
  /** Reused for every delivery (no allocation per interrupt); receivers must not keep it. */
  private readonly message: ApicMessage = { vector: 0, deliveryMode: 0, logical: false, destination: 0, levelTriggered: false };

  constructor(
    memory: PhysicalMemory,
    /** Sends a message to the local APIC(s). */
    private readonly deliver: (msg: ApicMessage) => void,
    base = IOAPIC_DEFAULT_BASE,
  ) {
    memory.mapMmio(base, 0x1000, this);
    this.reset();
  }

  reset(): void {
    this.id = 0;
    this.select = 0;
    this.low.fill(ENTRY_MASKED);
    this.high.fill(0);
    this.lines = 0;
  }

  setIrq(irq: number, level: boolean): void {
    const pin = irq === 0 ? 2 : irq;
    if (pin >= IOAPIC_PINS) return;
    if (level !== (this.inputLevels[irq] === 1)) {
      this.inputLevels[irq] = level ? 1 : 0;
      if (level) this.raised[irq]++;
    }
    const bit = 1 << pin;
    const wasHigh = (this.lines & bit) !== 0;
    this.lines = level ? this.lines | bit : this.lines & ~bit;
    const entry = this.low[pin];
    if (entry & ENTRY_LEVEL) {
      if (level) this.service(pin);
    } else if (level && !wasHigh && (entry & ENTRY_MASKED) === 0) {
      this.send(pin);
    }
  }

  /** Delivers a level-triggered pin if it is asserted, unmasked and not awaiting EOI. */
  private service(pin: number): void {
    const entry = this.low[pin];
    if ((this.lines & (1 << pin)) === 0 || entry & ENTRY_MASKED || entry & ENTRY_REMOTE_IRR) return;
    this.low[pin] |= ENTRY_REMOTE_IRR;
    this.send(pin);
  }

  private send(pin: number): void {
    const entry = this.low[pin];
    const m = this.message;
    m.vector = entry & 0xff;
    m.deliveryMode = (entry >> 8) & 7;
    m.logical = (entry & 0x800) !== 0;
    m.destination = this.high[pin] >>> 24;
    m.levelTriggered = (entry & ENTRY_LEVEL) !== 0;
    this.deliver(m);
  }

  /** The local APIC's EOI broadcast for `vector`. */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const entry = this.low[pin];
      if ((entry & 0xff) !== vector || (entry & ENTRY_REMOTE_IRR) === 0) continue;
      this.low[pin] &= ~ENTRY_REMOTE_IRR;
      if (entry & ENTRY_LEVEL) this.service(pin);
    }
  }

  read(offset: number, size: 1 | 2 | 4): number {
    let value: number;
    if ((offset & 0xff) === 0x00) value = this.select;
    else if ((offset & 0xff) === 0x10) value = this.readRegister();
    else value = 0;
    return size === 4 ? value >>> 0 : value & (size === 1 ? 0xff : 0xffff);
  }

  private readRegister(): number {
    const r = this.select;
    if (r === 0x00) return this.id << 24;
    if (r === 0x01) return ((IOAPIC_PINS - 1) << 16) | IOAPIC_VERSION;
    if (r === 0x02) return this.id << 24;
    if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
      const pin = (r - 0x10) >> 1;
      return r & 1 ? this.high[pin] : this.low[pin];
    }
    return 0xffffffff;
  }

  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    switch (offset & 0xff) {
      case 0x00:
        this.select = value & 0xff;
        return;
      case 0x10:
        this.writeRegister(value >>> 0);
        return;
      case 0x40:
        this.eoi(value & 0xff);
        return;
      default:
        return;
    }
  }

  private writeRegister(value: number): void {
    const r = this.select;
    if (r === 0x00) {
      this.id = (value >>> 24) & 0x0f;
      return;
    }
    if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_PINS) return;
    const pin = (r - 0x10) >> 1;
    if (r & 1) {
      this.high[pin] = value & 0xff000000;
      return;
    }
    let entry = (this.low[pin] & ~ENTRY_WRITABLE) | (value & ENTRY_WRITABLE);
    // An edge-triggered entry has no Remote IRR.
    if ((entry & ENTRY_LEVEL) === 0) entry &= ~ENTRY_REMOTE_IRR;
    this.low[pin] = entry >>> 0;
    if (entry & ENTRY_LEVEL) this.service(pin);
  }

  saveState(): object {
    return { id: this.id, select: this.select, low: Array.from(this.low), high: Array.from(this.high), lines: this.lines };
  }

  loadState(s: object): void {
    const st = s as Record<string, unknown>;
    this.id = typeof st.id === 'number' ? st.id & 0x0f : 0;
    this.select = typeof st.select === 'number' ? st.select & 0xff : 0;
    if (Array.isArray(st.low)) this.low.set((st.low as number[]).slice(0, IOAPIC_PINS));
    if (Array.isArray(st.high)) this.high.set((st.high as number[]).slice(0, IOAPIC_PINS));
    this.lines = typeof st.lines === 'number' ? st.lines : 0;
  }
}
