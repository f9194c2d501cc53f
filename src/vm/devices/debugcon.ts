// QEMU's ISA debug console (`-debugcon CHARDEV`, Bochs' port 0xe9 hack): bytes written
// go to a character backend; reads return the readback value 0xe9, which is how guests
// detect it. Reference: hw/char/debugcon.c.

import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';

export const DEBUGCON_DEFAULT_IOBASE = 0xe9;
const READBACK = 0xe9;

export class Debugcon implements PortHandler {
  constructor(
    private readonly output: (byte: number) => void,
    readonly iobase = DEBUGCON_DEFAULT_IOBASE,
  ) {}

  attach(io: IoBus): void {
    io.register(this.iobase, 1, this, 'isa-debugcon');
  }

  reset(): void {}

  readPort(_port: number, _size: IoSize): number {
    return READBACK;
  }

  writePort(_port: number, _size: IoSize, value: number): void {
    this.output(value & 0xff);
  }

  saveState(): object {
    return {};
  }

  loadState(_s: object): void {}
}
