// PCI configuration mechanism #1 of the i440FX host: the address register at 0xcf8
// (enable bit 31, bus, device/function, register) and the data window at 0xcfc-0xcff.
// Only bus 0 exists; absent functions read all-ones, so probes find nothing. Like QEMU
// (hw/pci/pci_host.c), only dword accesses reach the address register; port 0xcf9 is
// left to the PIIX3's reset control register.

import type { IoBus, IoSize, PortHandler } from '../../machine/io-bus.js';
import type { PciDevice } from './pci-device.js';

export class PciHost implements PortHandler {
  private address = 0;
  private readonly functions: (PciDevice | undefined)[] = new Array(256).fill(undefined);

  /** Claims 0xcf8-0xcfb (the address, dword only; the PIIX3 takes 0xcf9 over) and 0xcfc-0xcff. */
  attach(io: IoBus): void {
    io.register(0xcf8, 4, this, 'pci-conf-idx');
    io.register(0xcfc, 4, this, 'pci-conf-data');
  }

  /** Plugs `device` in at bus 0, device `slot`, function `fn`. */
  add(slot: number, fn: number, device: PciDevice): void {
    const devfn = (slot << 3) | fn;
    if (this.functions[devfn]) throw new Error(`PCI: slot ${slot} function ${fn} not available`);
    this.functions[devfn] = device;
  }

  /** All plugged functions with their device/function numbers. */
  get devices(): { devfn: number; device: PciDevice }[] {
    const out: { devfn: number; device: PciDevice }[] = [];
    this.functions.forEach((device, devfn) => device && out.push({ devfn, device }));
    return out;
  }

  reset(): void {
    this.address = 0;
    for (const f of this.functions) f?.reset();
  }

  private selected(): PciDevice | undefined {
    const a = this.address;
    if ((a & 0x80000000) === 0 || ((a >> 16) & 0xff) !== 0) return undefined;
    return this.functions[(a >> 8) & 0xff];
  }

  readPort(port: number, size: IoSize): number {
    if (port === 0xcf8 && size === 4) return this.address;
    if (port < 0xcfc) return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    const device = this.selected();
    const offset = (this.address & 0xfc) + (port & 3);
    if (!device) return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    return device.configRead(offset, size);
  }

  writePort(port: number, size: IoSize, value: number): void {
    if (port === 0xcf8) {
      if (size === 4) this.address = (value & 0x80fffffc) >>> 0;
      return;
    }
    if (port < 0xcfc) return;
    this.selected()?.configWrite((this.address & 0xfc) + (port & 3), size, value);
  }

  saveState(): object {
    return { address: this.address };
  }

  loadState(s: object): void {
    const a = (s as { address?: number }).address;
    this.address = typeof a === 'number' ? a >>> 0 : 0;
  }
}
