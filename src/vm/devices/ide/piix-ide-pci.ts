// The PIIX3 IDE PCI function (00:01.1) with the controller behind it: the configuration
// space comes from pci/piix3-ide.ts; this subclass moves the bus-master registers
// wherever the guest (SeaBIOS, Linux) programs BAR 4 and resets the controller with it.

import type { IoBus } from '../../machine/io-bus.js';
import { BAR_UNMAPPED } from '../pci/pci-device.js';
import { Piix3Ide } from '../pci/piix3-ide.js';
import type { PiixIde } from './piix-ide.js';

const BUS_MASTER_BAR = 4;

export class PiixIdePciFunction extends Piix3Ide {
  constructor(
    private readonly ide: PiixIde,
    private readonly io: IoBus,
  ) {
    super();
  }

  /** QEMU's piix_ide_reset: the function's config space, then both IDE buses and their DMA. */
  override reset(): void {
    super.reset();
    this.ide.reset();
  }

  protected override barMapped(index: number, address: number): void {
    if (index === BUS_MASTER_BAR) this.ide.setBusMasterBase(this.io, address === BAR_UNMAPPED ? 0 : address);
  }
}
