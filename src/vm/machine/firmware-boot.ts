// Builds the storage/display hardware for the worker from the command line's StorageConfig:
// opens the drives and, without -kernel, loads SeaBIOS and the VGA BIOS. Failures become
// BootErrors with QEMU's texts, which the worker reports before the guest starts.

import type { StorageConfig } from '../../cli/drive-options.js';
import { BiosHardware, type BiosBoard } from './bios-hardware.js';
import { loadFirmware, STD_VGA_BIOS } from './firmware/seabios.js';
import { openDrive, type OpenedDrive } from './open-drives.js';

export interface HardwareRequest {
  storage: StorageConfig;
  ramBytes: number;
  nographic: boolean;
  /** -uuid, for the firmware's SMBIOS tables. */
  uuid?: string;
  /** A direct kernel boot (-kernel): no firmware. */
  directKernel: boolean;
}

export function buildBootHardware(board: BiosBoard, request: HardwareRequest, flushTlb: () => void): BiosHardware {
  const { storage } = request;
  const firmware = request.directKernel
    ? undefined
    : loadFirmware({ bios: storage.bios, dataDirs: storage.dataDirs, vgaBios: storage.vga === 'std' ? STD_VGA_BIOS : undefined });
  const drives: OpenedDrive[] = [];
  try {
    for (const d of storage.drives) drives.push(openDrive(d));
  } catch (e) {
    for (const d of drives) closeDrive(d);
    throw e;
  }
  return new BiosHardware(board, { ramBytes: request.ramBytes, nographic: request.nographic, uuid: request.uuid }, storage, drives, firmware, flushTlb);
}

/** Flushes and closes a drive's images and removes a snapshot overlay. */
export function closeDrive(d: OpenedDrive): void {
  d.medium.flush();
  d.medium.close();
  d.base?.close();
  d.cleanup();
}
