// Port 0x61, "system control port B" of the PC/AT: bit 0 gates PIT channel 2, bit 1
// enables the speaker data, bit 4 is the DRAM refresh toggle and bit 5 is channel 2's
// OUT. As in QEMU's hw/audio/pcspk.c, the refresh bit flips on every read, which is
// what delay loops polling it need to make progress.

import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';
import type { PitChannel } from './pit-channel.js';

export class SystemPortB implements PortHandler {
  private speakerData = false;
  private refresh = false;

  constructor(private readonly channel2: PitChannel) {}

  attach(io: IoBus): void {
    io.register(0x61, 1, this, 'pcspk');
  }

  reset(): void {
    this.speakerData = false;
    this.refresh = false;
  }

  readPort(_port: number, _size: IoSize): number {
    this.refresh = !this.refresh;
    return (
      (this.channel2.gate ? 0x01 : 0) |
      (this.speakerData ? 0x02 : 0) |
      (this.refresh ? 0x10 : 0) |
      (this.channel2.output() ? 0x20 : 0)
    );
  }

  writePort(_port: number, _size: IoSize, value: number): void {
    this.speakerData = (value & 0x02) !== 0;
    this.channel2.setGate((value & 0x01) !== 0);
  }

  saveState(): object {
    return { speakerData: this.speakerData, refresh: this.refresh };
  }

  loadState(s: object): void {
    const state = s as { speakerData?: boolean; refresh?: boolean };
    this.speakerData = state.speakerData === true;
    this.refresh = state.refresh === true;
  }
}
