// The pc board's storage and display, and for a firmware boot (no -kernel) the firmware
// itself: the VGA card (with its VGA BIOS as option ROM), the IDE and floppy controllers
// with their drives and CMOS bytes, and SeaBIOS mapped at the top of 4 GiB with its
// isa-bios alias under the i440FX's PAM control plus the fw_cfg items it reads. A direct
// kernel boot gets the devices without the firmware (its tables live in the F segment).

import { readFileSync } from 'node:fs';
import type { StorageConfig } from '../../cli/drive-options.js';
import { pcCmosBytes } from '../devices/cmos-layout.js';
import type { FwCfg } from '../devices/fw-cfg.js';
import { I440fx, type I440fxCallbacks } from '../devices/pci/i440fx.js';
import type { Piix3Isa } from '../devices/pci/piix3-isa.js';
import type { Piix4Acpi } from '../devices/pci/piix4-acpi.js';
import type { PciHost } from '../devices/pci/pci-host.js';
import type { Rtc } from '../devices/rtc.js';
import type { Clock } from './clock.js';
import { findVgaBiosFont16 } from '../devices/vga/vga-bios-font.js';
import { addAcpiTableLoader } from './firmware/acpi-table-loader.js';
import { pcAcpiHardware } from './firmware/pc-firmware.js';
import { addSeaBiosFwCfg } from './firmware/seabios-fw-cfg.js';
import { findFirmwareFile, STD_VGA_BIOS, type Firmware } from './firmware/seabios.js';
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
  readonly acpi: Piix4Acpi;
  /** The PIIX3 bridge; devices on its ISA bus are reset with it. */
  readonly isaBridge: Piix3Isa;
  readonly uarts: readonly unknown[];
  /** Where the i440FX reports PAM and SMRAM writes. */
  readonly chipsetHooks: I440fxCallbacks;
}

export interface BiosMachine {
  ramBytes: number;
  nographic: boolean;
  /** -uuid (8-4-4-4-12 hex digits); the nil UUID when absent. */
  uuid?: string;
}

const PIIX_SLOT = 1;
const IDE_FUNCTION = 1;

export class BiosHardware {
  readonly display?: PcDisplay;
  readonly storage: PcStorage;
  readonly pam?: PamShadow;
  /** The size of the BIOS image mapped below 4 GiB; undefined for a direct kernel boot. */
  readonly biosSize?: number;

  constructor(
    board: BiosBoard,
    machine: BiosMachine,
    config: StorageConfig,
    drives: readonly OpenedDrive[],
    /** SeaBIOS and the VGA BIOS; undefined for a direct kernel boot. */
    firmware: Firmware | undefined,
    /** Drops the CPU's translations after the memory map changed (Cpu.flushTlb). */
    flushTlb: () => void,
  ) {
    const { memory, io } = board;
    // Board facts QEMU shows in config space: RAM size on the host bridge, COM ports on PIIX4.
    for (const { device } of board.pciHost.devices) if (device instanceof I440fx) device.setRamSize(machine.ramBytes);
    board.acpi.setSerialPorts(board.uarts.length);
    if (config.vga === 'std') {
      this.display = new PcDisplay(memory, io, board.clock, firmware?.vgaBios, firmware ? undefined : directBootFont(config.dataDirs));
      board.pciHost.add(VGA_PCI_SLOT, 0, this.display.pci);
    }
    if (firmware) {
      memory.mapRom(2 ** 32 - firmware.bios.length, firmware.bios);
      this.biosSize = firmware.bios.length;
      const pam = new PamShadow(memory, firmware.bios, this.display?.vga.legacyWindow, (base, size) => {
        memory.onExternalWrite(base, size);
        flushTlb();
      });
      board.chipsetHooks.onPam = (index, value) => pam.setPam(index, value);
      board.chipsetHooks.onSmram = (value) => pam.setSmram(value);
      this.pam = pam;
    }

    this.storage = new PcStorage(memory, io, { ide0: board.gsi[14], ide1: board.gsi[15], floppy: board.gsi[6] }, drives);
    board.pciHost.add(PIIX_SLOT, IDE_FUNCTION, this.storage.idePci);
    // The IDE function resets its controller itself; the DMA and floppy controllers are ISA devices.
    board.isaBridge.addIsaDevice(this.storage.dma);
    board.isaBridge.addIsaDevice(this.storage.fdc);

    const cmos = board.rtc.cmos;
    const bytes = pcCmosBytes({ ramBelow4g: machine.ramBytes, bootOrder: config.boot.order, floppyTypes: this.storage.floppyTypes() });
    for (const [index, value] of [...bytes, ...this.storage.diskCmosBytes()]) cmos[index] = value;

    if (!firmware) return;
    addSeaBiosFwCfg(board.fwCfg, {
      ramBytes: machine.ramBytes,
      cpus: 1,
      nographic: machine.nographic,
      uuid: machine.uuid,
      bootMenu: config.boot.menu,
      splashTimeMs: config.boot.splashTimeMs,
      rebootTimeoutMs: config.boot.rebootTimeoutMs,
      bootOrder: [],
    });
    // QEMU's ACPI tables reach SeaBIOS through its table loader, as on QEMU.
    addAcpiTableLoader(board.fwCfg, pcAcpiHardware(machine.ramBytes));
  }
}

/**
 * With -kernel QEMU still runs the VGA BIOS, which leaves its font in plane 2; termu takes
 * the font from the same ROM file when it is installed (else the screen has no glyphs).
 */
function directBootFont(dataDirs: readonly string[]): Uint8Array | undefined {
  const path = findFirmwareFile(STD_VGA_BIOS, dataDirs);
  return path ? findVgaBiosFont16(readFileSync(path)) : undefined;
}
