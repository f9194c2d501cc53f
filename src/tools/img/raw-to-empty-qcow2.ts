// `convert` from a raw source into a new, empty qcow2 image with reads and writes overlapped.
// The source is read in pieces of up to 2 MiB on the thread pool, several pieces ahead. Each
// piece is scanned per cluster; clusters holding data get host clusters (refcounts written
// first). Data goes out one write at a time, as qemu-img's do: each write takes every piece
// already read (up to four), one pwritev per host-contiguous stretch, so the write stream
// rarely waits for the main thread. A piece's clusters are linked into their L2 table only
// after its write finished. Clusters that read as zeros stay unallocated, as qemu-img leaves
// them; a cluster with some data is written whole, zeros included, as qemu writes partial
// clusters.
import { alignedBuffers } from '../../vm/block/aligned-buffers.js';
import { RawDriver } from '../../vm/block/raw-driver.js';
import { forEachDataRun, SPARSE } from './data-runs.js';
import { Qcow2Driver } from '../../vm/block/qcow2/qcow2-driver.js';

const PIECE = 2 << 20;
/**
 * Pieces in memory: those being written and the next ones being read (several reads in
 * flight keep the thread pool busy on a loaded host, as qemu-img's parallel requests do).
 */
const SLOTS = 8;
/** Most pieces one write takes. */
const BATCH = 4;

/** Bytes a run of zeros must span (and be aligned to) to be left out of an image of cluster size `cs`. */
export function skipUnit(cs: number): number {
  return Math.max(cs, SPARSE);
}

/** True when this path can copy `src` to guest offset `at` of `dst`. */
export function canStreamInto(dst: Qcow2Driver, at: number): boolean {
  return dst.backing === null && at % skipUnit(dst.clusterSize) === 0 && dst.isUnmapped();
}

interface Slot {
  buf: Buffer;
  /** (first guest cluster, count, host offset) triples of the piece's data runs. */
  runs: Float64Array;
  count: number;
  /** Source offset of the piece in `buf`. */
  offset: number;
}

export async function copyRawToEmptyQcow2(src: RawDriver, dst: Qcow2Driver, at: number, onProgress: (copied: number) => void): Promise<void> {
  const cs = dst.clusterSize;
  const unit = skipUnit(cs);
  const pieceLen = Math.max(PIECE, unit);
  const unitsPerPiece = pieceLen / unit;
  const clustersPerUnit = unit / cs;
  const l2Entries = dst.l2Entries;
  const length = src.length;
  const endCluster = Math.ceil((at + length) / cs);
  const holes = src.file.extentAt(0) !== null;
  const slots: Slot[] = [];
  const buffers = alignedBuffers(SLOTS, pieceLen);
  for (let i = 0; i < SLOTS; i++) {
    // A run per data unit at most, each split once at an L2 table boundary.
    slots.push({ buf: buffers[i], runs: new Float64Array((unitsPerPiece + 1) * 2 * 3), count: 0, offset: 0 });
  }

  /** End of the data run the last block status found (the source is not written meanwhile). */
  let dataEnd = 0;
  /** The next piece [start, start+len) at or after unit-aligned `from` with data, skipping holes. */
  const nextPiece = (from: number): [number, number] | null => {
    let off = from;
    while (off < length) {
      if (!holes) return [off, Math.min(pieceLen, length - off)];
      if (off < dataEnd) return [off, Math.min(off + pieceLen, Math.ceil(dataEnd / unit) * unit, length) - off];
      const s = src.blockStatus(off, length - off);
      if (!s.zero) {
        dataEnd = off + s.length;
        continue;
      }
      const next = Math.floor((off + s.length) / unit) * unit;
      // Data begins inside this unit: read it from its start.
      if (next === off) return [off, Math.min(pieceLen, length - off)];
      off = next;
    }
    return null;
  };

  const read = (slot: Slot, piece: [number, number]): Promise<void> => {
    // Whole units: past the source's end reads as zeros.
    const p = src.file.readAtAsync(piece[0], slot.buf.subarray(0, Math.ceil(piece[1] / unit) * unit));
    p.catch(() => {});
    return p;
  };

  /** Finds the piece's data units and reserves host clusters for them. */
  const scan = (slot: Slot, piece: [number, number]): void => {
    const [off, len] = piece;
    const buf = slot.buf;
    const units = Math.ceil(len / unit);
    slot.count = 0;
    const addRun = (fromUnit: number, toUnit: number) => {
      let c = (at + off + fromUnit * unit) / cs;
      const stop = Math.min((at + off) / cs + toUnit * clustersPerUnit, endCluster);
      while (c < stop) {
        const n = Math.min(stop, (Math.floor(c / l2Entries) + 1) * l2Entries) - c;
        const host = dst.reserveClusters(c, n);
        const r = slot.count++ * 3;
        slot.runs[r] = c;
        slot.runs[r + 1] = n;
        slot.runs[r + 2] = host;
        c += n;
      }
    };
    forEachDataRun(buf, units * unit, unit, (from, to) => addRun(from / unit, to / unit));
    slot.offset = off;
  };

  /** Writes the pieces' runs, one pwritev per stretch that is contiguous on the host. */
  const write = (batch: Slot[]): Promise<unknown> => {
    const writes: Promise<void>[] = [];
    let parts: Uint8Array[] = [];
    let groupHost = -1;
    let groupEnd = -1;
    for (const slot of batch) {
      for (let r = 0; r < slot.count; r++) {
        const c = slot.runs[r * 3];
        const bytes = slot.runs[r * 3 + 1] * cs;
        const host = slot.runs[r * 3 + 2];
        if (host !== groupEnd) {
          if (parts.length > 0) writes.push(dst.file.writevAtAsync(groupHost, parts));
          parts = [];
          groupHost = host;
        }
        const from = c * cs - at - slot.offset;
        parts.push(slot.buf.subarray(from, from + bytes));
        groupEnd = host + bytes;
      }
    }
    if (parts.length > 0) writes.push(dst.file.writevAtAsync(groupHost, parts));
    const all = Promise.all(writes);
    all.catch(() => {});
    return all;
  };

  /** Links the piece's runs (its data is on the host file), one pwrite per L2 table. */
  const link = (slot: Slot): void => {
    let from = 0;
    for (let r = 1; r <= slot.count; r++) {
      if (r === slot.count || Math.floor(slot.runs[r * 3] / l2Entries) !== Math.floor(slot.runs[from * 3] / l2Entries)) {
        dst.linkClusters(slot.runs, from, r);
        from = r;
      }
    }
    slot.count = 0;
  };

  // Pieces being read, oldest first, and the pieces of the write in flight. Slots are taken
  // in turn; one is refilled only once its piece is linked.
  const ahead: Array<{ piece: [number, number]; slot: Slot; reading: Promise<void>; read: boolean }> = [];
  let inFlight: Slot[] = [];
  let written: Promise<unknown> = Promise.resolve();
  let readFrom = 0;
  let slotIndex = 0;
  const readAhead = () => {
    while (ahead.length + inFlight.length < SLOTS) {
      const piece = nextPiece(readFrom);
      if (piece === null) return;
      readFrom = piece[0] + Math.ceil(piece[1] / unit) * unit;
      const item = { piece, slot: slots[slotIndex++ % SLOTS], reading: Promise.resolve(), read: false };
      item.reading = read(item.slot, piece).then(() => {
        item.read = true;
      });
      item.reading.catch(() => {});
      ahead.push(item);
    }
  };

  readAhead();
  while (ahead.length > 0) {
    await ahead[0].reading;
    // One data write at a time, and metadata written only between them: writes to one file
    // serialise on its inode lock, where a waiting writer spins.
    await written;
    for (const slot of inFlight) link(slot);
    const batch = [ahead.shift()!];
    while (batch.length < BATCH && ahead.length > 0 && ahead[0].read) batch.push(ahead.shift()!);
    for (const b of batch) scan(b.slot, b.piece);
    inFlight = batch.map((b) => b.slot);
    written = write(inFlight);
    readAhead();
    const last = batch[batch.length - 1].piece;
    onProgress(last[0] + last[1]);
  }
  await written;
  for (const slot of inFlight) link(slot);
  onProgress(length);
}
