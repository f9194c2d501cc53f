// Opens an image by name: format probing, the format driver, and its backing chain.
// Error texts are the inner parts of qemu's messages; callers add "Could not open 'x': ".
import { realpathSync } from 'node:fs';
import type { BlockDriver } from './block-driver.js';
import { BlockError } from './block-error.js';
import { HostFile } from './host-file.js';
import { RawDriver } from './raw-driver.js';
import { Qcow2Driver } from './qcow2/qcow2-driver.js';
import { INCOMPAT_DIRTY, QCOW2_MAGIC } from './qcow2/qcow2-header.js';
import { checkQcow2 } from './qcow2/qcow2-check.js';

export interface OpenImageOptions {
  /** Explicit format; probed when absent. */
  format?: string;
  readOnly: boolean;
  /** Leave the backing file closed (qemu's BDRV_O_NO_BACKING). */
  noBacking?: boolean;
  /** Opened for `check -r`. */
  repair?: boolean;
  l2CacheBytes?: number;
}

export const FORMATS = ['raw', 'qcow2'];

/** Guesses the format from the first bytes, as qemu's probing does (raw when unknown). */
export function probeFormat(file: HostFile): string {
  const head = new Uint8Array(8);
  file.readAt(0, head);
  const dv = new DataView(head.buffer);
  if (file.size >= 8 && dv.getUint32(0) === QCOW2_MAGIC) return dv.getUint32(4) === 1 ? 'qcow' : 'qcow2';
  return 'raw';
}

/**
 * Resolves a backing file name relative to the directory of the image naming it, the way
 * qemu concatenates them (no normalisation).
 */
export function resolveBackingPath(imagePath: string, backing: string): string {
  if (backing.startsWith('/') || !imagePath.includes('/')) return backing;
  return imagePath.slice(0, imagePath.lastIndexOf('/') + 1) + backing;
}

function identity(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export function openImage(path: string, opts: OpenImageOptions): BlockDriver {
  return openLevel(path, opts, new Set<string>());
}

function openLevel(path: string, opts: OpenImageOptions, seen: Set<string>): BlockDriver {
  if (opts.format !== undefined && !FORMATS.includes(opts.format)) {
    throw new BlockError(`Unknown driver '${opts.format}'`);
  }
  const file = HostFile.open(path, opts.readOnly);
  try {
    const format = opts.format ?? probeFormat(file);
    if (format === 'raw') return new RawDriver(file);
    if (format !== 'qcow2') {
      throw new BlockError(format === 'qcow'
        ? 'Image size is too small (must be at least 2 bytes)'
        : `Unknown driver '${format}'`);
    }
    const drv = Qcow2Driver.open(file, { readOnly: opts.readOnly, repair: opts.repair, l2CacheBytes: opts.l2CacheBytes });
    if (!opts.readOnly && !opts.repair && (drv.header.incompatible & INCOMPAT_DIRTY)) {
      // Refcounts may be stale after a crash with lazy refcounts: repair before writing (as qemu).
      checkQcow2(drv, { leaks: true, errors: true }, () => {});
    }
    const name = drv.header.backingFile;
    if (name !== null && name !== '' && !opts.noBacking) {
      seen.add(identity(path));
      const full = resolveBackingPath(path, name);
      if (seen.has(identity(full))) {
        throw new BlockError(`Could not open backing file: Backing file '${full}' creates an infinite loop.`);
      }
      try {
        drv.backing = openLevel(full, { format: drv.header.backingFormat ?? undefined, readOnly: true, l2CacheBytes: opts.l2CacheBytes }, seen);
      } catch (e) {
        if (e instanceof BlockError) throw new BlockError(`Could not open backing file: ${e.message}`, e.code);
        throw e;
      }
    }
    return drv;
  } catch (e) {
    file.close();
    throw e;
  }
}
