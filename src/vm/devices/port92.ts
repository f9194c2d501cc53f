// System control port A (0x92, "fast A20"): bit 1 drives the A20 gate, a 0→1 change of
// bit 0 resets the machine; reads return the last value, with bit 0 cleared by reset.
// Reference: QEMU's port92 device (hw/i386/pc.c).

import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';

export class Port92 implements PortHandler {
  private value = 0;

  constructor(
    private readonly onA20: (enabled: boolean) => void,
    private readonly onReset: () => void,
  ) {}

  attach(io: IoBus): void {
    io.register(0x92, 1, this, 'port92');
  }

  reset(): void {
    this.value &= ~1;
  }

  readPort(_port: number, _size: IoSize): number {
    return this.value;
  }

  writePort(_port: number, _size: IoSize, value: number): void {
    const old = this.value;
    this.value = value & 0xff;
    this.onA20((value & 2) !== 0);
    if (value & 1 && !(old & 1)) this.onReset();
  }

  saveState(): object {
    return { value: this.value };
  }

  loadState(s: object): void {
    const v = (s as { value?: number }).value;
    this.value = typeof v === 'number' ? v & 0xff : 0;
  }
}
