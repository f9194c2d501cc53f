// QEMU's type names for termu's PCI functions (what `info mtree` calls their bus-master
// address spaces and `info qtree` their `dev:` lines), found by vendor:device ID.

import type { PciDevice } from '../devices/pci/pci-device.js';

const NAMES = new Map<number, string>([
  [0x80861237, 'i440FX'],
  [0x80867000, 'PIIX3'],
  [0x80867010, 'piix3-ide'],
  [0x80867113, 'PIIX4_PM'],
  [0x12341111, 'VGA'],
]);

/** QEMU's type name for `device`, or its vendor:device ID when QEMU has no such device. */
export function qemuPciName(device: PciDevice): string {
  const { vendorId, deviceId } = device.identity;
  const key = ((vendorId << 16) | deviceId) >>> 0;
  return NAMES.get(key) ?? `${vendorId.toString(16).padStart(4, '0')}:${deviceId.toString(16).padStart(4, '0')}`;
}

/** QEMU's pc creates its PCI functions in this order (qtree and mtree list them by it). */
const CREATION_ORDER = ['i440FX', 'PIIX3', 'VGA', 'piix3-ide', 'PIIX4_PM'];

/** `functions` sorted the way QEMU's pc machine creates them, oldest first. */
export function inQemuCreationOrder<T extends { device: PciDevice }>(functions: readonly T[]): T[] {
  const rank = (d: PciDevice) => CREATION_ORDER.indexOf(qemuPciName(d));
  return [...functions].sort((a, b) => rank(a.device) - rank(b.device));
}
