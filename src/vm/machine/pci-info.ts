// `info pci`: every function on bus 0 as QEMU 7.2's hmp_info_pci prints it: class name
// (or number), IDs, subsystem, interrupt pin and line, BARs where they are decoded now
// (0xffffffffffffffff when unmapped, as QEMU's PCI_BAR_UNMAPPED shows) and the qdev id.

import { BAR_UNMAPPED, ROM_BAR, type PciDevice } from '../devices/pci/pci-device.js';
import type { PciHost } from '../devices/pci/pci-host.js';

/** The entries of QEMU's pci_class_descriptions for the classes a pc machine has. */
export const CLASS_NAMES: Record<number, string> = {
  0x0100: 'SCSI controller',
  0x0101: 'IDE controller',
  0x0106: 'SATA controller',
  0x0200: 'Ethernet controller',
  0x0300: 'VGA controller',
  0x0380: 'Display controller',
  0x0401: 'Audio controller',
  0x0600: 'Host bridge',
  0x0601: 'ISA bridge',
  0x0604: 'PCI bridge',
  0x0680: 'Bridge',
  0x0c03: 'USB controller',
};

const UNMAPPED = 0xffffffffffffffffn;
const hex = (v: bigint, width: number) => BigInt.asUintN(64, v).toString(16).padStart(width, '0');

function functionInfo(devfn: number, d: PciDevice): string {
  const c = d.config;
  const word = (o: number) => c[o] | (c[o + 1] << 8);
  const classCode = word(0x0a);
  let out = `  Bus  0, device ${String(devfn >> 3).padStart(3)}, function ${devfn & 7}:\n`;
  out += `    ${CLASS_NAMES[classCode] ?? `Class ${classCode.toString(16).padStart(4, '0')}`}: PCI device ${hex(BigInt(word(0)), 4)}:${hex(BigInt(word(2)), 4)}\n`;
  out += `      PCI subsystem ${hex(BigInt(word(0x2c)), 4)}:${hex(BigInt(word(0x2e)), 4)}\n`;
  if (c[0x3d]) out += `      IRQ ${c[0x3c]}, pin ${String.fromCharCode(0x40 + c[0x3d])}\n`;
  for (const bar of [0, 1, 2, 3, 4, 5, ROM_BAR]) {
    const spec = d.barSpec(bar);
    if (!spec) continue;
    const address = d.barAddress[bar] === BAR_UNMAPPED ? UNMAPPED : BigInt(d.barAddress[bar]);
    const last = address + BigInt(spec.size) - 1n;
    out += `      BAR${bar}: `;
    if (spec.io) out += `I/O at 0x${hex(address, 4)} [0x${hex(last, 4)}].\n`;
    else out += `32 bit${spec.prefetchable ? ' prefetchable' : ''} memory at 0x${hex(address, 8)} [0x${hex(last, 8)}].\n`;
  }
  return `${out}      id ""\n`;
}

export function pciInfo(host: PciHost): string {
  return host.devices.map(({ devfn, device }) => functionInfo(devfn, device)).join('');
}
