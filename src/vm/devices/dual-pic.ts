// The PC's cascaded 8259A pair: master at 0x20/0x21 (IRQ0-7), slave at 0xa0/0xa1
// (IRQ8-15) on the master's IRQ2, and the PIIX ELCR at 0x4d0/0x4d1. It is an IrqSink
// for ISA IRQs 0-15 and the CPU's InterruptController when no local APIC sits between
// (with the APIC, the LAPIC polls it as the ExtINT source of LINT0). Reference: QEMU's
// hw/intc/i8259.c (spurious IRQ7/15, ELCR masks 0xf8/0xde, poll mode).

import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';
import type { IrqSink } from '../machine/irq.js';
import type { InterruptController } from '../cpu/cpu-host.js';
import { Pic8259 } from './pic-chip.js';

export class DualPic implements IrqSink, InterruptController, PortHandler {
  readonly master = new Pic8259(true, 0xf8);
  readonly slave = new Pic8259(false, 0xde);
  /** Rising edges seen on each of IRQ0-15, for the monitor's `info irq` (QEMU's pic statistics). */
  readonly raised = new Float64Array(16);
  private readonly inputLevels = new Uint8Array(16);
  /** The master's INTR output, cached so the CPU's check is a field read. */
  private intr = false;

  /** `onIntrChange` lets the board wake a halted CPU when INTR rises. */
  constructor(private readonly onIntrChange: (level: boolean) => void = () => {}) {}

  /** Claims 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1. */
  attach(io: IoBus): void {
    io.register(0x20, 2, this, 'pic');
    io.register(0xa0, 2, this, 'pic');
    io.register(0x4d0, 1, this, 'elcr');
    io.register(0x4d1, 1, this, 'elcr');
  }

  reset(): void {
    this.master.reset();
    this.slave.reset();
    this.update();
  }

  setIrq(irq: number, level: boolean): void {
    if (level !== (this.inputLevels[irq] === 1)) {
      this.inputLevels[irq] = level ? 1 : 0;
      if (level) this.raised[irq]++;
    }
    if (irq < 8) this.master.setIrq(irq, level);
    else this.slave.setIrq(irq - 8, level);
    this.update();
  }

  hasInterrupt(): boolean {
    return this.intr;
  }

  acknowledgeInterrupt(): number {
    const irq = this.master.pendingIrq();
    let vector: number;
    if (irq < 0) {
      vector = this.master.vectorBase + 7; // spurious IRQ7
    } else {
      this.master.acknowledge(irq);
      if (irq === 2) {
        const slaveIrq = this.slave.pendingIrq();
        if (slaveIrq < 0) {
          vector = this.slave.vectorBase + 7; // spurious IRQ15
        } else {
          this.slave.acknowledge(slaveIrq);
          vector = this.slave.vectorBase + slaveIrq;
        }
      } else {
        vector = this.master.vectorBase + irq;
      }
    }
    this.update();
    return vector;
  }

  /** Recomputes the slave's output into master IRQ2 and the master's INTR. */
  private update(): void {
    this.master.setIrq(2, this.slave.pendingIrq() >= 0);
    const intr = this.master.pendingIrq() >= 0;
    if (intr !== this.intr) {
      this.intr = intr;
      this.onIntrChange(intr);
    }
  }

  readPort(port: number, _size: IoSize): number {
    if (port >= 0x4d0) return port === 0x4d0 ? this.master.elcr : this.slave.elcr;
    const chip = port < 0xa0 ? this.master : this.slave;
    const a0 = port & 1;
    if (chip.poll) {
      chip.poll = false;
      const result = chip.pollRead();
      this.update();
      return result;
    }
    return chip.readRegister(a0);
  }

  writePort(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    if (port >= 0x4d0) {
      const chip = port === 0x4d0 ? this.master : this.slave;
      chip.elcr = value & chip.elcrMask;
    } else {
      (port < 0xa0 ? this.master : this.slave).write(port & 1, value);
    }
    this.update();
  }

  saveState(): object {
    return { master: this.master.saveState(), slave: this.slave.saveState() };
  }

  loadState(s: object): void {
    const state = s as { master?: object; slave?: object };
    if (state.master) this.master.loadState(state.master);
    if (state.slave) this.slave.loadState(state.slave);
    this.intr = this.master.pendingIrq() >= 0;
  }
}
