// The PIIX3 PCI-to-ISA bridge, PCI 00:01.0 (8086:7000, class 0601, multi-function):
// the PIRQA-D route registers at 0x60-0x63 that steer PCI INTx to ISA IRQs (bit 7
// disables a route), and the reset control register at port 0xcf9 (bit 2 resets).
// PCI slots reach PIRQs swizzled as QEMU's pc does: PIRQ = (slot - 1 + pin) & 3.
// Register defaults are QEMU's (hw/isa/piix3.c); each ISA IRQ carries the OR of the
// PIRQs routed to it.

import type { IoBus, IoSize, PortHandler } from '../../machine/io-bus.js';
import type { IrqLine, IrqSink } from '../../machine/irq.js';
import { PciDevice } from './pci-device.js';

export const PIIX_PIRQ_ROUTE = 0x60;
const PIRQ_COUNT = 4;
const ROUTE_DISABLED = 0x80;
const RCR_RESET = 0x04;

/** The PIRQ (0-3 for A-D) that INTx `pin` (1-4 for INTA#-INTD#) of PCI `slot` reaches. */
export function slotPirq(slot: number, pin: number): number {
  return (slot - 1 + pin - 1) & 3;
}

export class Piix3Isa extends PciDevice implements PortHandler {
  /** How many requesters assert each PIRQ (PCI interrupts are shared, level-triggered). */
  private readonly pirqAsserted = [0, 0, 0, 0];
  private rcr = 0;
  /** The ISA IRQ levels this bridge drives now (bit n = IRQ n). */
  private drivenIrqs = 0;
  private readonly isaDevices: { reset(): void }[] = [];

  constructor(
    /** The board's ISA IRQ inputs (PIC and IOAPIC) that routed PIRQs drive. */
    private readonly isaIrqs: IrqSink,
    private readonly onReset: () => void,
  ) {
    super({ vendorId: 0x8086, deviceId: 0x7000, classCode: 0x060100, headerType: 0x80 });
  }

  /** Puts an ISA device behind the bridge: it is reset with it, as QEMU resets a bus's children. */
  addIsaDevice(device: { reset(): void }): void {
    this.isaDevices.push(device);
  }

  /** Claims port 0xcf9 (register after the PCI host, which leaves it free). */
  attach(io: IoBus): void {
    io.register(0xcf9, 1, this, 'piix3-reset-control');
  }

  protected override initConfig(): void {
    super.initConfig();
    const defaults: [number, number][] = [
      [0x07, 0x02], [0x4c, 0x4d], [0x4e, 0x03], [0x60, 0x80], [0x61, 0x80], [0x62, 0x80],
      [0x63, 0x80], [0x69, 0x02], [0x70, 0x80], [0x76, 0x0c], [0x77, 0x0c], [0x78, 0x02], [0xa0, 0x08],
      [0xa8, 0x0f],
    ];
    // QEMU's piix3_reset writes command 0x07, but the generic PCI reset that follows clears
    // the writable command bits, so the bridge comes out of reset with command 0.
    for (const [offset, value] of defaults) this.config[offset] = value;
  }

  override reset(): void {
    super.reset();
    this.rcr = 0;
    this.updateIsaIrqs();
    for (const d of this.isaDevices) d.reset();
  }

  /** An IrqLine for one PCI function's INTx onto PIRQ `pirq` (0-3); each requester gets its own. */
  pirqLine(pirq: number): IrqLine {
    let level = false;
    return {
      set: (l: boolean) => {
        if (l === level) return;
        level = l;
        this.pirqAsserted[pirq & 3] += l ? 1 : -1;
        this.updateIsaIrqs();
      },
    };
  }

  /** The ISA IRQ PIRQ `pirq` is routed to, or -1. */
  route(pirq: number): number {
    const r = this.config[PIIX_PIRQ_ROUTE + pirq];
    return r & ROUTE_DISABLED ? -1 : r & 0x0f;
  }

  private updateIsaIrqs(): void {
    let levels = 0;
    for (let p = 0; p < PIRQ_COUNT; p++) {
      const irq = this.route(p);
      if (irq >= 0 && this.pirqAsserted[p] > 0) levels |= 1 << irq;
    }
    // Touch only IRQs this bridge drives or drove, so ISA devices on other IRQs are left alone.
    const changed = levels ^ this.drivenIrqs;
    this.drivenIrqs = levels;
    for (let irq = 0; irq < 16; irq++) if (changed & (1 << irq)) this.isaIrqs.setIrq(irq, (levels & (1 << irq)) !== 0);
  }

  protected override configWritten(offset: number, size: number): void {
    if (offset < PIIX_PIRQ_ROUTE + PIRQ_COUNT && offset + size > PIIX_PIRQ_ROUTE) this.updateIsaIrqs();
  }

  readPort(_port: number, _size: IoSize): number {
    return this.rcr;
  }

  writePort(_port: number, _size: IoSize, value: number): void {
    if (value & RCR_RESET) {
      this.onReset();
      return;
    }
    this.rcr = value & 0x02;
  }

  override saveState(): object {
    return { ...super.saveState(), rcr: this.rcr };
  }

  override loadState(s: object): void {
    super.loadState(s);
    const r = (s as { rcr?: number }).rcr;
    this.rcr = typeof r === 'number' ? r & 0x02 : 0;
    this.updateIsaIrqs();
  }
}
