// `info block [device]`: each drive as QEMU 7.2's print_block_info shows it: name and node,
// image and format (or "[not inserted]"), the qdev it is attached to, tray and lock of
// removable drives, cache mode and backing file. Node names are QEMU-style "#blockNNN";
// qdev paths number the devices as QEMU's default pc machine without a NIC does.

import type { BlockDriver } from '../block/block-driver.js';
import type { BiosHardware } from './bios-hardware.js';
import type { OpenedDrive } from './open-drives.js';
import { uncounted } from './block-stats.js';
import { deviceName } from './pc-storage.js';

/** Where QEMU's default pc machine (-net none) puts the first IDE drive and floppy drive A in /machine/unattached. */
const FIRST_IDE_DEVICE = 22;
const FIRST_FLOPPY_DEVICE = 16;

/** Images opened later by `change`, by the driver opened for them. */
export const changedMediumFiles = new WeakMap<BlockDriver, string>();

const CACHE_MODES: Record<string, string> = {
  writeback: 'writeback',
  none: 'writeback, direct',
  writethrough: 'writethrough',
  directsync: 'writethrough, direct',
  unsafe: 'writeback, ignore flushes',
};

interface Slot {
  medium: BlockDriver | undefined;
  removable: boolean;
  locked: boolean;
  trayOpen: boolean;
  qdev: number;
}

/** QEMU creates the IDE devices in index order: the nth present drive is the nth device. */
function slotOf(hw: BiosHardware, d: OpenedDrive): Slot {
  const { interface: iface, index, media } = d.config;
  if (iface === 'floppy') {
    return { medium: hw.storage.fdc.drives[index].medium, removable: true, locked: false, trayOpen: false, qdev: FIRST_FLOPPY_DEVICE + index };
  }
  const drive = hw.storage.ide.driveAt(index >> 1, index & 1);
  const before = hw.storage.drives.filter((o) => o.config.interface !== 'floppy' && o.config.index < index).length;
  return { medium: drive?.medium, removable: media === 'cdrom', locked: drive?.trayLocked ?? false, trayOpen: drive?.trayOpen ?? false, qdev: FIRST_IDE_DEVICE + before };
}

/** The backing file named in a qcow2 image's header, and how deep the chain below it goes. */
function backingOf(medium: BlockDriver): { name: string; depth: number } | undefined {
  const q = medium as Partial<{ header: { backingFile: string | null }; backing: BlockDriver | null }>;
  if (!q.header?.backingFile) return undefined;
  let depth = 0;
  for (let b: BlockDriver | null | undefined = q.backing; b; b = (b as Partial<{ backing: BlockDriver | null }>).backing) depth++;
  return { name: q.header.backingFile, depth };
}

function driveInfo(d: OpenedDrive, slot: Slot, node: number): string {
  const name = deviceName(d);
  const medium = slot.medium;
  const image = uncounted(medium);
  let out = medium ? `${name} (#block${node}): ` : `${name}: [not inserted]\n`;
  let cache = CACHE_MODES[d.config.cache] ?? 'writeback';
  if (medium) {
    const readOnly = d.config.readOnly || d.config.media === 'cdrom';
    let file = changedMediumFiles.get(medium) ?? d.config.file;
    if (image === d.medium && d.overlayPath && d.base) {
      // A -snapshot overlay: QEMU names it by its options and caches it unsafely.
      file = `json:{"backing": {"driver": "${d.base.format}", "file": {"driver": "file", "filename": "${d.config.file}"}}, "driver": "qcow2", "file": {"driver": "file", "filename": "${d.overlayPath}"}}`;
      cache = CACHE_MODES.unsafe;
    }
    out += `${file} (${medium.format}${readOnly ? ', read-only' : ''})\n`;
  }
  out += `    Attached to:      /machine/unattached/device[${slot.qdev}]\n`;
  if (slot.removable) out += `    Removable device: ${slot.locked ? '' : 'not '}locked, tray ${slot.trayOpen ? 'open' : 'closed'}\n`;
  if (!medium) return out;
  out += `    Cache mode:       ${cache}\n`;
  const backing = image === d.medium && d.overlayPath && d.base ? { name: d.config.file, depth: 1 + (backingOf(d.base)?.depth ?? 0) } : backingOf(image!);
  if (backing) out += `    Backing file:     ${backing.name} (chain depth: ${backing.depth})\n`;
  return out;
}

export function blockInfo(hw: BiosHardware | undefined, device?: string): string {
  if (!hw) return '';
  let out = '';
  hw.storage.drives.forEach((d, i) => {
    // QEMU separates a drive from the one before it in the list even when it shows only this one.
    if (device === undefined || deviceName(d) === device) out += `${i > 0 ? '\n' : ''}${driveInfo(d, slotOf(hw, d), 100 * (i + 1) + 23)}`;
  });
  return out;
}
