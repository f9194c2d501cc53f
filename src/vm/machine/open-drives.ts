// Opens the images behind -drive/-hda/-cdrom/-fda on the block layer. A drive with
// snapshot=on (or -snapshot) gets a temporary qcow2 overlay on top of its image, as QEMU's
// bdrv_append_temp_snapshot does: the guest writes to the overlay, the image stays as it
// was, and `commit` copies the overlay's clusters down into it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DriveConfig } from '../../cli/drive-options.js';
import type { BlockDriver } from '../block/block-driver.js';
import { openImage } from '../block/open-image.js';
import { createQcow2 } from '../block/qcow2/qcow2-create.js';
import { BootError } from './firmware/boot-error.js';

export interface OpenedDrive {
  config: DriveConfig;
  /** What the device reads and writes (the overlay when snapshotting). */
  medium: BlockDriver;
  /** The image itself when `medium` is a temporary overlay on top of it. */
  base?: BlockDriver;
  /** Where that overlay lives (removed by cleanup). */
  overlayPath?: string;
  /** Removes the overlay's directory. */
  cleanup(): void;
}

export function openDrive(config: DriveConfig): OpenedDrive {
  const readOnly = config.readOnly;
  try {
    if (!config.snapshot || readOnly) {
      return { config, medium: openImage(config.file, { format: config.format, readOnly }), cleanup: () => {} };
    }
    const base = openImage(config.file, { format: config.format, readOnly: true });
    const dir = mkdtempSync(join(tmpdir(), 'termu-snapshot-'));
    const overlay = join(dir, 'overlay.qcow2');
    createQcow2(overlay, {
      size: base.length,
      clusterSize: 65536,
      version: 3,
      lazyRefcounts: false,
      refcountBits: 16,
      backingFile: resolve(config.file),
      backingFormat: base.format,
      preallocation: 'off',
    });
    const medium = openImage(overlay, { format: 'qcow2', readOnly: false });
    return { config, medium, base, overlayPath: overlay, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    throw new BootError(`${config.option}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The monitor's `commit`: writes every cluster the overlay holds into the image below
 * (reopened writable for the copy). The overlay keeps its data, as QEMU's does.
 */
export function commitDrive(drive: OpenedDrive): void {
  if (!drive.base) return;
  const target = openImage(drive.config.file, { format: drive.base.format, readOnly: false });
  try {
    const chunk = new Uint8Array(1 << 16);
    for (let offset = 0; offset < drive.medium.length; ) {
      const status = drive.medium.blockStatus(offset, drive.medium.length - offset);
      const length = Math.max(1, status.length);
      if (status.allocated && status.depth === 0) {
        for (let at = offset; at < offset + length; at += chunk.length) {
          const n = Math.min(chunk.length, offset + length - at);
          const view = chunk.subarray(0, n);
          drive.medium.read(at, view);
          target.write(at, view);
        }
      }
      offset += length;
    }
    target.flush();
  } finally {
    target.close();
  }
}
