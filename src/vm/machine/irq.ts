// Interrupt request lines. A device holds an IrqLine and drives its level; the board
// connects the line to the interrupt controllers (PIC and IOAPIC). Edge-triggered
// consumers see a rising edge when the level goes from low to high.

export interface IrqLine {
  /** Drives the line to `level` (true = asserted). Repeating the same level is harmless. */
  set(level: boolean): void;
}

/** Something with numbered inputs, such as the 8259 pair or the IOAPIC. */
export interface IrqSink {
  setIrq(irq: number, level: boolean): void;
}

/** A line that drives input `irq` of every sink (QEMU's PC wires GSI lines to PIC and IOAPIC). */
export class IrqFanout implements IrqLine {
  private level = false;
  constructor(private readonly sinks: IrqSink[], private readonly irq: number) {}

  set(level: boolean): void {
    if (level === this.level) return;
    this.level = level;
    for (const sink of this.sinks) sink.setIrq(this.irq, level);
  }

  get asserted(): boolean {
    return this.level;
  }
}

/** Drives nothing; for devices that are not wired to an interrupt. */
export const NO_IRQ: IrqLine = { set: () => {} };
