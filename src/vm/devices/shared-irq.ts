// An ISA IRQ shared by several devices (COM1 and COM3 on IRQ4, COM2 and COM4 on IRQ3):
// each device gets its own IrqLine and the shared output is asserted while any of them
// is, so one device releasing the line cannot hide another's request.

import type { IrqLine } from '../machine/irq.js';

export class SharedIrq {
  private asserted = 0;

  constructor(private readonly output: IrqLine) {}

  /** A new input for one device. */
  line(): IrqLine {
    let level = false;
    return {
      set: (l: boolean) => {
        if (l === level) return;
        level = l;
        this.asserted += l ? 1 : -1;
        this.output.set(this.asserted > 0);
      },
    };
  }
}
