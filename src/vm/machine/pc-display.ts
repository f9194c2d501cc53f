// `-vga std` on the pc board: the VGA core behind QEMU's PCI VGA function (1234:1111) in
// slot 2, with the VGA BIOS as its option ROM, and the display source the front end and
// `screendump` read.

import { StdVgaPci } from '../devices/vga/std-vga-pci.js';
import { Vga } from '../devices/vga/vga.js';
import { setBiosTextMode } from '../devices/vga/bios-text-mode.js';
import { VgaDisplay } from '../devices/vga/vga-display.js';
import type { Clock } from './clock.js';
import type { IoBus } from './io-bus.js';
import type { PhysicalMemory } from './physical-memory.js';

export const VGA_PCI_SLOT = 2;

export class PcDisplay {
  readonly vga = new Vga();
  readonly pci: StdVgaPci;
  readonly display: VgaDisplay;

  constructor(
    memory: PhysicalMemory,
    io: IoBus,
    clock: Clock,
    vgaBios: Uint8Array | undefined,
    /** The VGA BIOS's 8×16 font, loaded into plane 2 for a boot without firmware. */
    private readonly textFont?: Uint8Array,
  ) {
    this.pci = new StdVgaPci(this.vga, memory, vgaBios);
    this.pci.attach(io);
    this.display = new VgaDisplay(this.vga, clock);
  }

  /** Without firmware (-kernel): the 80×25 text mode the VGA BIOS would have set. */
  setUpWithoutFirmware(): void {
    setBiosTextMode(this.vga, this.textFont);
  }
}
