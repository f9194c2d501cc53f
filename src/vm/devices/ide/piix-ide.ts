// The PIIX3/PIIX4 IDE function's bus glue (QEMU's hw/ide/piix.c): the two legacy
// channels at 0x1f0/0x3f6 (IRQ 14) and 0x170/0x376 (IRQ 15), the bus-master DMA block
// behind BAR 4, and the monitor's `eject`/`change` for CD-ROMs. Its PCI function (config
// space, BAR 4 decoding) is PiixIdePciFunction in piix-ide-pci.ts.

import type { BlockDriver } from '../../block/block-driver.js';
import type { IoBus, IoSize, PortHandler } from '../../machine/io-bus.js';
import type { IrqLine } from '../../machine/irq.js';
import type { PhysicalMemory } from '../../machine/physical-memory.js';
import { BusMasterDma } from './bus-master-dma.js';
import { IdeChannel } from './ide-channel.js';
import { IdeDrive } from './ide-drive.js';

export const BUS_MASTER_BAR_SIZE = 16;

/** Where a drive sits: channel 0/1, unit 0 (master) / 1 (slave). QEMU's -drive index = 2*bus+unit. */
export interface IdeSlot {
  bus: 0 | 1;
  unit: 0 | 1;
}

export interface IdeDriveConfig extends IdeSlot {
  kind: 'disk' | 'cdrom';
  /** The image; undefined for an empty CD-ROM drive. */
  medium: BlockDriver | undefined;
}

export class PiixIde {
  readonly channels: [IdeChannel, IdeChannel];
  readonly busMasters: [BusMasterDma, BusMasterDma];
  private readonly drives = new Map<string, IdeDrive>();

  private busMasterBase = 0;
  /** BAR 4: bus-master registers, channel 0 at +0 and channel 1 at +8. */
  readonly busMasterPorts: PortHandler = {
    readPort: (port: number, size: IoSize) => {
      const off = (port - this.busMasterBase) & 0xf;
      return this.busMasters[off >>> 3].readRegister(off & 7, size);
    },
    writePort: (port: number, size: IoSize, value: number) => {
      const off = (port - this.busMasterBase) & 0xf;
      this.busMasters[off >>> 3].writeRegister(off & 7, size, value);
    },
  };

  constructor(memory: PhysicalMemory, irq14: IrqLine, irq15: IrqLine, configs: readonly IdeDriveConfig[]) {
    const at = (bus: number, unit: number) => {
      const c = configs.find((d) => d.bus === bus && d.unit === unit);
      if (!c) return undefined;
      const drive = new IdeDrive(c.kind, c.medium, bus * 2 + unit + 1);
      this.drives.set(`${bus}.${unit}`, drive);
      return drive;
    };
    this.channels = [new IdeChannel(0x1f0, 0x3f6, irq14, at(0, 0), at(0, 1)), new IdeChannel(0x170, 0x376, irq15, at(1, 0), at(1, 1))];
    this.busMasters = [new BusMasterDma(memory, () => this.channels[0].runDma()), new BusMasterDma(memory, () => this.channels[1].runDma())];
    this.channels[0].attachBusMaster(this.busMasters[0]);
    this.channels[1].attachBusMaster(this.busMasters[1]);
  }

  /** The drive at channel `bus`, unit `unit` (its medium and tray), for the monitor's `info block`. */
  driveAt(bus: number, unit: number): IdeDrive | undefined {
    return this.drives.get(`${bus}.${unit}`);
  }

  /** System reset: both channels and their bus-master engines. */
  reset(): void {
    for (const c of this.channels) c.reset();
    for (const b of this.busMasters) b.reset();
  }

  saveState(): object {
    return {
      channels: this.channels.map((c) => c.saveState()),
      busMasters: this.busMasters.map((b) => b.saveState()),
      drives: Object.fromEntries([...this.drives].map(([slot, d]) => [slot, d.saveState()])),
    };
  }

  loadState(state: object): void {
    const st = state as { channels?: object[]; busMasters?: object[]; drives?: Record<string, object> };
    st.channels?.forEach((c, i) => this.channels[i]?.loadState(c));
    st.busMasters?.forEach((b, i) => this.busMasters[i]?.loadState(b));
    for (const [slot, d] of Object.entries(st.drives ?? {})) this.drives.get(slot)?.loadState(d);
  }

  /** Moves BAR 4 (the PCI code calls this when the guest programs the BAR); 0 unmaps it. */
  setBusMasterBase(io: IoBus, base: number): void {
    if (this.busMasterBase) io.unregister(this.busMasterBase, BUS_MASTER_BAR_SIZE);
    this.busMasterBase = base;
    if (base) io.register(base, BUS_MASTER_BAR_SIZE, this.busMasterPorts, 'piix-bmdma-container');
  }

  /** Claims the legacy task-file and control ports. */
  attach(io: IoBus): void {
    for (const ch of this.channels) {
      io.register(ch.commandBase, 8, ch, 'ide');
      io.register(ch.controlPort, 1, ch, 'ide');
    }
  }

  drive(slot: IdeSlot): IdeDrive | undefined {
    return this.drives.get(`${slot.bus}.${slot.unit}`);
  }

  /**
   * The monitor's `eject`: opens the tray unless the guest locked it (then, like QEMU,
   * asks the guest to eject and reports the error unless `force`).
   */
  eject(slot: IdeSlot, deviceName: string, force = false): void {
    const drive = this.cdrom(slot, deviceName);
    if (drive.trayLocked && !force) {
      drive.ejectRequestEvent = true;
      throw new Error(`Device '${deviceName}' is locked and force was not specified, wait for tray to open and try again`);
    }
    drive.medium?.close();
    drive.medium = undefined;
    drive.trayOpen = true;
    this.channels[slot.bus].mediaChanged(drive);
  }

  /** The monitor's `change`: loads new media and closes the tray. */
  change(slot: IdeSlot, deviceName: string, medium: BlockDriver): void {
    const drive = this.cdrom(slot, deviceName);
    if (drive.trayLocked && drive.medium) {
      drive.ejectRequestEvent = true;
      throw new Error(`Device '${deviceName}' is locked and force was not specified, wait for tray to open and try again`);
    }
    drive.medium?.close();
    drive.medium = medium;
    drive.trayOpen = false;
    this.channels[slot.bus].mediaChanged(drive);
  }

  private cdrom(slot: IdeSlot, deviceName: string): IdeDrive {
    const drive = this.drive(slot);
    if (!drive) throw new Error(`Device '${deviceName}' not found`);
    if (drive.kind !== 'cdrom') throw new Error(`Device '${deviceName}' is not removable`);
    return drive;
  }
}
