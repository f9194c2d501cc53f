// zstd compressed clusters (qcow2 compression_type=zstd). Decoding uses fzstd (pure JS,
// MIT, types included, ~24 KB, no dependencies): Node 20 has no zstd. qemu stores one zstd
// frame per cluster and reads whole 512-byte sectors, so the bytes after the frame belong to
// the next cluster; the frame's length is found from its block headers first.
//
// Encoding writes frames of raw and RLE blocks only: runs of one byte shrink (as in zeroed
// or pattern-filled clusters), other data stays as it is and such clusters are then stored
// uncompressed, as qemu stores clusters that do not compress. Any zstd decoder reads them.
// fzstd loads on the first zstd cluster read: most images have none, and loading it costs
// every termu-img run ~5 ms.
import { createRequire } from 'node:module';

let fzstd: typeof import('fzstd') | null = null;
const load = () => (fzstd ??= createRequire(import.meta.url)('fzstd') as typeof import('fzstd'));

const MAGIC = 0xfd2fb528;
/** Largest block a frame may carry (Block_Maximum_Size). */
const MAX_BLOCK = 128 * 1024;
/** Shortest run worth an RLE block (4 bytes of block header and value, plus the raw block it splits). */
const MIN_RUN = 16;

/** Largest window a frame may ask the decoder to allocate (zstd's own default limit is 128 MiB). */
const MAX_WINDOW = 32 << 20;

/**
 * Length of the zstd frame at the start of `src`, or -1 when it is not one whole frame, or
 * one that declares a content size other than `expected` or an oversized window (so a
 * hostile image cannot make the decoder allocate beyond a cluster's worth).
 */
export function zstdFrameLength(src: Uint8Array, expected = -1): number {
  if (src.length < 6 || (src[0] | (src[1] << 8) | (src[2] << 16) | (src[3] << 24)) >>> 0 !== MAGIC) return -1;
  const fhd = src[4];
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictIdBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  let at = 5 + (singleSegment ? 0 : 1) + dictIdBytes + fcsBytes;
  if (at > src.length) return -1;
  if (!singleSegment) {
    const wd = src[5];
    const base = 2 ** (10 + (wd >> 3));
    if (base + (base / 8) * (wd & 7) > MAX_WINDOW) return -1;
  }
  if (fcsBytes > 0 && expected >= 0) {
    let size = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + src[at - fcsBytes + i];
    if (fcsBytes === 2) size += 256;
    if (size !== expected) return -1;
  }
  for (;;) {
    if (at + 3 > src.length) return -1;
    const header = src[at] | (src[at + 1] << 8) | (src[at + 2] << 16);
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) return -1;
    at += 3 + (type === 1 ? 1 : size);
    if (header & 1) break;
  }
  at += checksum ? 4 : 0;
  return at <= src.length ? at : -1;
}

/** Decodes one compressed cluster into `out` (exactly out.length bytes); false when corrupt. */
export function decompressZstdCluster(src: Uint8Array, out: Uint8Array): boolean {
  const n = zstdFrameLength(src, out.length);
  if (n < 0) return false;
  let filled = 0;
  // Streamed block by block, so a frame decoding to more than a cluster stops at once.
  const stream = new (load().Decompress)((chunk) => {
    if (filled + chunk.length > out.length) throw new RangeError('zstd frame larger than a cluster');
    out.set(chunk, filled);
    filled += chunk.length;
  });
  try {
    stream.push(src.subarray(0, n), true);
  } catch {
    return false;
  }
  return filled === out.length;
}

/** One zstd frame holding `data` as raw and RLE blocks (content size recorded). */
export function compressZstdCluster(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + data.length + 3 * Math.ceil(data.length / MAX_BLOCK) + 3);
  new DataView(out.buffer).setUint32(0, MAGIC, true);
  out[4] = (2 << 6) | (1 << 5); // 4-byte content size, single segment
  new DataView(out.buffer).setUint32(5, data.length, true);
  let at = 9;
  let rawStart = 0;
  const block = (type: number, size: number, last: boolean) => {
    const h = (size << 3) | (type << 1) | (last ? 1 : 0);
    out[at] = h & 0xff;
    out[at + 1] = (h >> 8) & 0xff;
    out[at + 2] = (h >> 16) & 0xff;
    at += 3;
  };
  const flushRaw = (end: number, last: boolean) => {
    for (let from = rawStart; from < end;) {
      const size = Math.min(MAX_BLOCK, end - from);
      block(0, size, last && from + size === end);
      out.set(data.subarray(from, from + size), at);
      at += size;
      from += size;
    }
    rawStart = end;
  };
  for (let i = 0; i < data.length;) {
    let j = i + 1;
    while (j < data.length && data[j] === data[i] && j - i < MAX_BLOCK) j++;
    if (j - i >= MIN_RUN) {
      flushRaw(i, false);
      block(1, j - i, j === data.length);
      out[at++] = data[i];
      rawStart = j;
    }
    i = j;
  }
  if (rawStart < data.length || data.length === 0) {
    if (rawStart === data.length) block(0, 0, true);
    else flushRaw(data.length, true);
  }
  return out.subarray(0, at);
}
