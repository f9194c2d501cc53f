// The monitor's device commands as the guest's worker carries them out: `screendump`,
// `pmemsave`, `commit`, `eject` and `change` act on the firmware-boot hardware and memory
// and answer with QEMU's error text, or nothing on success.

import { closeSync, openSync, writeSync } from 'node:fs';
import { errnoText } from '../block/block-error.js';
import { openImage } from '../block/open-image.js';
import type { BlockDriver } from '../block/block-driver.js';
import type { BiosHardware } from './bios-hardware.js';
import { changedMediumFiles } from './block-info.js';
import { countedMedium } from './block-stats.js';
import { commitDrive } from './open-drives.js';
import { deviceName } from './pc-storage.js';
import type { PhysicalMemory } from './physical-memory.js';

export type DeviceRequest =
  | { op: 'screendump'; file: string }
  | { op: 'pmemsave'; addr: number; size: number; file: string }
  | { op: 'commit'; device: string }
  | { op: 'eject'; device: string; force: boolean }
  | { op: 'change'; device: string; file: string; format?: string };

/** Runs `req` in the worker; returns an error message, or undefined when it succeeded. */
export function runDeviceRequest(req: DeviceRequest, hw: BiosHardware | undefined, memory: PhysicalMemory): string | undefined {
  try {
    switch (req.op) {
      case 'screendump':
        if (!hw?.display) return 'There is no console to take a screendump from';
        return writeWhole(req.file, hw.display.display.screendump(), 'failed to open file');
      case 'pmemsave': {
        const data = new Uint8Array(req.size);
        memory.readBytes(req.addr >>> 0, data);
        return writeWhole(req.file, data, 'Could not open');
      }
      case 'commit':
        return commit(hw, req.device);
      case 'eject':
      case 'change':
        return changeMedium(hw, req);
    }
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function writeWhole(file: string, data: Uint8Array, openError: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o666);
  } catch (e) {
    return `${openError} '${file}': ${errnoText((e as NodeJS.ErrnoException).code)}`;
  }
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  return undefined;
}

function commit(hw: BiosHardware | undefined, device: string): string | undefined {
  const drives = hw?.storage.drives ?? [];
  if (device === 'all') {
    for (const d of drives) commitDrive(d);
    return undefined;
  }
  const drive = drives.find((d) => deviceName(d) === device);
  if (!drive) return `Device '${device}' not found`;
  commitDrive(drive);
  return undefined;
}

function changeMedium(hw: BiosHardware | undefined, req: Extract<DeviceRequest, { op: 'eject' | 'change' }>): string | undefined {
  const storage = hw?.storage;
  const drive = storage?.driveNamed(req.device);
  if (!storage || !drive) return `Device '${req.device}' not found`;
  const { interface: iface, index } = drive.config;
  if (iface === 'floppy') {
    const unit = index as 0 | 1;
    if (req.op === 'eject') storage.fdc.changeMedium(unit, undefined);
    else storage.fdc.changeMedium(unit, remember(countedMedium(req.device, openImage(req.file, { format: req.format, readOnly: false })), req.file));
    return undefined;
  }
  const slot = { bus: (index >> 1) as 0 | 1, unit: (index & 1) as 0 | 1 };
  if (req.op === 'eject') storage.ide.eject(slot, req.device, req.force);
  else storage.ide.change(slot, req.device, remember(countedMedium(req.device, openImage(req.file, { format: req.format, readOnly: true })), req.file));
  return undefined;
}

/** Notes which file a medium inserted by `change` came from, for `info block`. */
function remember(medium: BlockDriver, file: string): BlockDriver {
  changedMediumFiles.set(medium, file);
  return medium;
}
