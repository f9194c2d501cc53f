// The Intel 8254 programmable interval timer at ports 0x40-0x43: three counters at
// 1.193182 MHz, channel 0's OUT on IRQ0, channel 2 gated and read through port 0x61
// (system-port-b.ts). Reference: QEMU's hw/timer/i8254.c (after reset every channel is in
// mode 3 with count 0x10000, so IRQ0 ticks at 18.2 Hz until the guest reprograms it).

import type { Clock } from '../machine/clock.js';
import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';
import type { IrqLine } from '../machine/irq.js';
import { PitChannel } from './pit-channel.js';

export class Pit implements PortHandler {
  readonly channels: readonly PitChannel[];

  constructor(clock: Clock, irq0: IrqLine) {
    this.channels = [new PitChannel(clock, 0, irq0), new PitChannel(clock, 1, undefined), new PitChannel(clock, 2, undefined)];
  }

  /** Claims 0x40-0x43. */
  attach(io: IoBus): void {
    io.register(0x40, 4, this, 'pit');
  }

  reset(): void {
    for (const c of this.channels) c.reset();
  }

  readPort(port: number, _size: IoSize): number {
    const n = port & 3;
    return n === 3 ? 0xff : this.channels[n].readData();
  }

  writePort(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    const n = port & 3;
    if (n !== 3) {
      this.channels[n].writeData(value);
      return;
    }
    const select = value >> 6;
    if (select !== 3) {
      this.channels[select].writeControl(value);
      return;
    }
    // Read-back: bits 1-3 select channels; bit 5 clear latches counts, bit 4 clear latches status.
    for (let i = 0; i < 3; i++) {
      if ((value & (2 << i)) === 0) continue;
      if ((value & 0x20) === 0) this.channels[i].latchCount();
      if ((value & 0x10) === 0) this.channels[i].latchStatus();
    }
  }

  saveState(): object {
    return { channels: this.channels.map((c) => c.saveState()) };
  }

  loadState(s: object): void {
    const list = (s as { channels?: object[] }).channels ?? [];
    list.slice(0, 3).forEach((c, i) => this.channels[i].loadState(c));
  }
}
