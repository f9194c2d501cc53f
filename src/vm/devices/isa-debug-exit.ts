// QEMU's `-device isa-debug-exit,iobase=0x501,iosize=2`: any write ends the emulator
// with status (value << 1) | 1, so a test kernel can report success or failure (an
// exit status is never 0 this way). Reads return 0. Reference: hw/misc/debugexit.c.

import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';

export const DEBUG_EXIT_DEFAULT_IOBASE = 0x501;
export const DEBUG_EXIT_DEFAULT_IOSIZE = 2;

export class IsaDebugExit implements PortHandler {
  constructor(
    /** Receives the process exit status; the board stops the machine and exits with it. */
    private readonly onExit: (status: number) => void,
    readonly iobase = DEBUG_EXIT_DEFAULT_IOBASE,
    readonly iosize = DEBUG_EXIT_DEFAULT_IOSIZE,
  ) {}

  attach(io: IoBus): void {
    io.register(this.iobase, this.iosize, this, 'isa-debug-exit');
  }

  reset(): void {}

  readPort(_port: number, _size: IoSize): number {
    return 0;
  }

  writePort(_port: number, size: IoSize, value: number): void {
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    // The shell and exit() keep the low 8 bits; the full value is passed for the record.
    this.onExit((((value & mask) >>> 0) * 2 + 1) % 2 ** 32);
  }

  saveState(): object {
    return {};
  }

  loadState(_s: object): void {}
}
