// What a firmware boot adds to the pc board (QEMU's pc without -kernel): SeaBIOS mapped
// at the top of 4 GiB with its isa-bios alias under the i440FX's PAM control, the VGA card
// with its option ROM, the IDE and floppy controllers with their drives, and the CMOS and
// fw_cfg contents SeaBIOS reads to find memory, disks and the boot order.

import type { StorageConfig } from '../../cli/drive-options.js';
import { pcCmosBytes } from '../devices/cmos-layout.js';
import type { FwCfg } from '../devices/fw-cfg.js';
import type { I440fxCallbacks } from '../devices/pci/i440fx.js';
import type { PciHost } from '../devices/pci/pci-host.js';
import type { Rtc } from '../devices/rtc.js';
import type { Clock } from './clock.js';
import { addSeaBiosFwCfg } from './firmware/seabios-fw-cfg.js';
import type { Firmware } from './firmware/seabios.js';
import type { IoBus } from './io-bus.js';
import type { IrqLine } from './irq.js';
import type { OpenedDrive } from './open-drives.js';
import { PamShadow } from './pam-shadow.js';
import { PcDisplay, VGA_PCI_SLOT } from './pc-display.js';
import { PcStorage } from './pc-storage.js';
import type { PhysicalMemory } from './physical-memory.js';

/** The parts of the pc board the firmware hardware plugs into. */
export interface BiosBoard {
  readonly memory: PhysicalMemory;
  readonly io: IoBus;
  readonly clock: Clock;
  readonly pciHost: PciHost;
  readonly gsi: readonly IrqLine[];
  readonly rtc: Rtc;
  readonly fwCfg: FwCfg;
  /** Where the i440FX reports PAM and SMRAM writes. */
  readonly chipsetHooks: I440fxCallbacks;
}

export interface BiosMachine {
  ramBytes: number;
  nographic: boolean;
}

const PIIX_SLOT = 1;
const IDE_FUNCTION = 1;

export class BiosHardware {
  readonly display?: PcDisplay;
  readonly storage: PcStorage;
  readonly pam: PamShadow;

  constructor(
    board: BiosBoard,
    machine: BiosMachine,
    config: StorageConfig,
    drives: readonly OpenedDrive[],
    firmware: Firmware,
    /** Drops the CPU's translations after the memory map changed (Cpu.flushTlb). */
    flushTlb: () => void,
  ) {
    const { memory, io } = board;
    memory.mapRom(2 ** 32 - firmware.bios.length, firmware.bios);
    if (config.vga === 'std') {
      this.display = new PcDisplay(memory, io, board.clock, firmware.vgaBios);
      board.pciHost.add(VGA_PCI_SLOT, 0, this.display.pci);
    }
    this.pam = new PamShadow(memory, firmware.bios, this.display?.vga.legacyWindow, (base, size) => {
      memory.onExternalWrite(base, size);
      flushTlb();
    });
    board.chipsetHooks.onPam = (index, value) => this.pam.setPam(index, value);
    board.chipsetHooks.onSmram = (value) => this.pam.setSmram(value);

    this.storage = new PcStorage(memory, io, { ide0: board.gsi[14], ide1: board.gsi[15], floppy: board.gsi[6] }, drives);
    board.pciHost.add(PIIX_SLOT, IDE_FUNCTION, this.storage.idePci);

    const cmos = board.rtc.cmos;
    const bytes = pcCmosBytes({ ramBelow4g: machine.ramBytes, bootOrder: config.boot.order, floppyTypes: this.storage.floppyTypes() });
    for (const [index, value] of [...bytes, ...this.storage.diskCmosBytes()]) cmos[index] = value;

    addSeaBiosFwCfg(board.fwCfg, {
      ramBytes: machine.ramBytes,
      cpus: 1,
      nographic: machine.nographic,
      bootMenu: config.boot.menu,
      splashTimeMs: config.boot.splashTimeMs,
      rebootTimeoutMs: config.boot.rebootTimeoutMs,
      bootOrder: [],
    });
  }
}
