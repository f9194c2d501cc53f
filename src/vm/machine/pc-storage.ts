// The pc board's storage: the PIIX3 IDE function (00:01.1) with its disks and CD-ROMs, the
// floppy controller on ISA DMA channel 2, and the CMOS bytes QEMU's pc_cmos_init writes
// for them (hard-disk types and geometry, translation, floppy drive types).

import { FLOPPY_288 } from '../devices/cmos-layout.js';
import { Dma8237 } from '../devices/floppy/isa-dma.js';
import { FloppyController } from '../devices/floppy/floppy-controller.js';
import { PiixIde, type IdeDriveConfig } from '../devices/ide/piix-ide.js';
import { PiixIdePciFunction } from '../devices/ide/piix-ide-pci.js';
import type { IoBus } from './io-bus.js';
import type { IrqLine } from './irq.js';
import type { OpenedDrive } from './open-drives.js';
import type { PhysicalMemory } from './physical-memory.js';

export interface StorageIrqs {
  ide0: IrqLine;
  ide1: IrqLine;
  floppy: IrqLine;
}

export class PcStorage {
  readonly ide: PiixIde;
  readonly idePci: PiixIdePciFunction;
  readonly dma: Dma8237;
  readonly fdc: FloppyController;

  constructor(memory: PhysicalMemory, io: IoBus, irqs: StorageIrqs, readonly drives: readonly OpenedDrive[]) {
    const ideDrives: IdeDriveConfig[] = drives
      .filter((d) => d.config.interface === 'ide')
      .map((d) => ({ bus: (d.config.index >> 1) as 0 | 1, unit: (d.config.index & 1) as 0 | 1, kind: d.config.media, medium: d.medium }));
    this.ide = new PiixIde(memory, irqs.ide0, irqs.ide1, ideDrives);
    this.ide.attach(io);
    this.idePci = new PiixIdePciFunction(this.ide, io);
    this.dma = new Dma8237(memory);
    this.dma.attach(io);
    const floppy = (unit: number) => drives.find((d) => d.config.interface === 'floppy' && d.config.index === unit)?.medium;
    this.fdc = new FloppyController(irqs.floppy, this.dma, floppy(0), floppy(1));
    this.fdc.attach(io);
  }

  /** The drive named as QEMU's `info block` / `eject` name it (ide1-cd0, floppy0, …). */
  driveNamed(name: string): OpenedDrive | undefined {
    return this.drives.find((d) => deviceName(d) === name);
  }

  /** CMOS types of floppy drives A and B; drive A exists even when empty (QEMU's isa-fdc falls back to 2.88 MB). */
  floppyTypes(): number[] {
    const [a, b] = this.fdc.drives;
    const typeA = a.medium ? a.format.driveType : FLOPPY_288;
    return b.medium ? [typeA, b.format.driveType] : [typeA];
  }

  /** CMOS [index, value] pairs for the IDE disks: types, geometry and translation (pc_cmos_init_late). */
  diskCmosBytes(): [number, number][] {
    const out: [number, number][] = [];
    let hdTypes = 0;
    let translation = 0;
    for (let i = 0; i < 4; i++) {
      const drive = this.ide.drive({ bus: (i >> 1) as 0 | 1, unit: (i & 1) as 0 | 1 });
      if (!drive || drive.kind !== 'disk') continue;
      const { cylinders, heads, sectors } = drive.geometry;
      // Translation: none (0) for small disks, LBA (1) beyond 1024 cylinders.
      translation |= (cylinders > 1024 ? 1 : 0) << (i * 2);
      if (i > 1) continue;
      hdTypes |= i === 0 ? 0xf0 : 0x0f;
      out.push([i === 0 ? 0x19 : 0x1a, 47]);
      const info = i === 0 ? 0x1b : 0x24;
      out.push(
        [info, cylinders & 0xff],
        [info + 1, cylinders >> 8],
        [info + 2, heads],
        [info + 3, 0xff],
        [info + 4, 0xff],
        [info + 5, 0xc0 | ((heads > 8 ? 1 : 0) << 3)],
        [info + 6, cylinders & 0xff],
        [info + 7, cylinders >> 8],
        [info + 8, sectors],
      );
    }
    out.push([0x12, hdTypes], [0x39, translation]);
    return out;
  }
}

export function deviceName(d: OpenedDrive): string {
  const c = d.config;
  if (c.interface === 'floppy') return `floppy${c.index}`;
  return `ide${c.index >> 1}-${c.media === 'cdrom' ? 'cd' : 'hd'}${c.index & 1}`;
}
