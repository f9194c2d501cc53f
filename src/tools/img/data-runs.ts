// What `convert` writes of a buffer: runs of data between blocks of zeros, as qemu-img's -S
// option (default 4 KiB) decides. Zero blocks are left out of the target (or written as
// zeroes where the target is not fresh).
import { isZero } from '../../vm/block/raw-driver.js';

/** qemu-img's default -S 4k: runs of zeros shorter than this inside data are written as data. */
export const SPARSE = 4096;

/**
 * Calls `onData` for each run of `block`-byte blocks of data[0, length) holding a non-zero
 * byte and `onZero` for each block of zeros (the last block may be short).
 */
export function forEachDataRun(
  data: Uint8Array, length: number, block: number,
  onData: (from: number, to: number) => void, onZero?: (from: number, to: number) => void,
): void {
  let runStart = -1;
  for (let i = 0; i < length; i += block) {
    const end = Math.min(i + block, length);
    // Data almost always shows in a block's first byte; only candidates are compared whole.
    const zero = data[i] === 0 && isZero(data, i, end);
    if (!zero && runStart < 0) runStart = i;
    else if (zero) {
      if (runStart >= 0) onData(runStart, i);
      runStart = -1;
      onZero?.(i, end);
    }
  }
  if (runStart >= 0) onData(runStart, length);
}
