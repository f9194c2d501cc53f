// The PIIX3 IDE function, PCI 00:01.1 (8086:7010, class 0101 with programming interface
// 0x80: legacy-mode channels at 0x1f0/0x170 and bus-master DMA): configuration space
// only, with the 16-byte bus-master I/O BAR4 and the IDE timing registers 0x40-0x43 as
// QEMU's hw/ide/piix.c presents them. The ATA controller itself comes later and will
// attach to this function's barMapped() hook.

import { PciDevice } from './pci-device.js';

export class Piix3Ide extends PciDevice {
  constructor() {
    super({ vendorId: 0x8086, deviceId: 0x7010, classCode: 0x010180 });
    this.defineBar(4, { size: 16, io: true });
  }

  protected override initConfig(): void {
    super.initConfig();
    this.config[0x06] = 0x80; // fast back-to-back
    this.config[0x07] = 0x02; // DEVSEL medium
  }
}
