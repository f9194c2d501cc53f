// `convert` into a raw image it has just created (reads as zeros everywhere), with reads and
// writes overlapped on the thread pool as qemu-img keeps several requests in flight. The
// source's block status gives the pieces (up to 2 MiB) that hold data; where the data lies
// plainly in the source's own file (raw, uncompressed qcow2 clusters) it is read there on the
// thread pool, several pieces ahead, else (compressed clusters, data from a backing file)
// through the driver. Each piece is scanned for 4 KiB blocks of zeros (qemu's default -S 4k)
// and only the runs between them are written, one at a time on the thread pool; zeros and
// holes are never written, since the target already reads them as zeros.
import type { BlockDriver } from '../../vm/block/block-driver.js';
import { alignedBuffers } from '../../vm/block/aligned-buffers.js';
import type { HostFile } from '../../vm/block/host-file.js';
import { RawDriver } from '../../vm/block/raw-driver.js';
import { forEachDataRun, SPARSE } from './data-runs.js';
import { Qcow2Driver } from '../../vm/block/qcow2/qcow2-driver.js';

const PIECE = 2 << 20;
/** Pieces in memory: being read ahead, or being written. */
const SLOTS = 6;

interface Slot {
  buf: Buffer;
  /** Guest offset and length of the piece in `buf`. */
  offset: number;
  length: number;
  reading: Promise<void>;
  writing: Promise<unknown>;
}

/** The file holding `src`'s own data at the host offsets its block status reports. */
function hostFileOf(src: BlockDriver): HostFile | null {
  return src instanceof RawDriver || src instanceof Qcow2Driver ? src.file : null;
}

/** Copies `src` to guest offset `at` of the fresh raw image `dst`; `onProgress` gets the bytes of `src` done. */
export async function copyToFreshRaw(src: BlockDriver, dst: RawDriver, at: number, onProgress: (done: number) => void): Promise<void> {
  const file = hostFileOf(src);
  const length = src.length;
  const slots: Slot[] = alignedBuffers(SLOTS, PIECE).map((buf) => ({
    buf, offset: 0, length: 0, reading: Promise.resolve(), writing: Promise.resolve(),
  }));

  let scanFrom = 0;
  /** Starts reading the next piece holding data into `slot`; false at the end of `src`. */
  const readNext = (slot: Slot): boolean => {
    while (scanFrom < length) {
      const s = src.blockStatus(scanFrom, Math.min(PIECE, length - scanFrom));
      const off = scanFrom;
      scanFrom += s.length;
      if (s.zero) continue;
      slot.offset = off;
      slot.length = s.length;
      const data = slot.buf.subarray(0, s.length);
      if (file !== null && s.depth === 0 && !s.compressed && s.hostOffset !== undefined) {
        slot.reading = file.readAtAsync(s.hostOffset, data);
        slot.reading.catch(() => {});
      } else {
        src.read(off, data);
        slot.reading = Promise.resolve();
      }
      return true;
    }
    return false;
  };

  /**
   * The last write issued. Writes go out one at a time, in order, as qemu-img's do by default:
   * writers of one file serialise on its inode lock anyway, and a waiting one spins.
   */
  let lastWrite: Promise<unknown> = Promise.resolve();
  const issue = (offset: number, data: Uint8Array) => {
    lastWrite = lastWrite.then(() => dst.file.writeAtAsync(offset, data));
  };

  /** Writes the piece's runs of data, leaving out its 4 KiB blocks of zeros. */
  const write = (slot: Slot): void => {
    const { buf, offset } = slot;
    forEachDataRun(buf, slot.length, SPARSE, (from, to) => issue(at + offset + from, buf.subarray(from, to)));
    slot.writing = lastWrite;
    slot.writing.catch(() => {});
  };

  // Slots in the order their pieces were read; a slot is read into again once its write is done.
  const queue: Slot[] = [];
  let next = 0;
  const fill = async () => {
    while (queue.length < SLOTS - 1) {
      const slot = slots[next];
      await slot.writing;
      if (!readNext(slot)) return;
      next = (next + 1) % SLOTS;
      queue.push(slot);
    }
  };
  await fill();
  for (let slot = queue.shift(); slot !== undefined; slot = queue.shift()) {
    await slot.reading;
    write(slot);
    onProgress(slot.offset + slot.length);
    await fill();
  }
  await lastWrite;
  if (dst.file.size < at + length) dst.file.truncate(at + length);
  onProgress(length);
}
