// termu-img convert [-f fmt] [-O fmt] [-c] [-p] [-q] [-n] [-o opts] [-B backing [-F fmt]] [-S size] [-U] src... dst
import type { BlockDriver, BlockStatus } from '../../../vm/block/block-driver.js';
import { BlockError } from '../../../vm/block/block-error.js';
import { FORMATS } from '../../../vm/block/open-image.js';
import { isZero } from '../../../vm/block/raw-driver.js';
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { splitOptions } from '../create-options.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { ImgError } from '../output.js';
import { Progress } from '../progress.js';
import { createImage } from './create.js';

const CHUNK = 2 << 20;
const SPARSE = 4096;

export function runConvert(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':hf:O:B:CcF:o:l:S:pt:T:qnm:WrU', [
    { name: 'force-share', hasArg: false, key: 'U' }, { name: 'target-is-zero', hasArg: false }, { name: 'salvage', hasArg: false },
    { name: 'image-opts', hasArg: false }, { name: 'target-image-opts', hasArg: false }, { name: 'object', hasArg: true },
    { name: 'bitmaps', hasArg: false },
  ]);
  let srcFormat: string | undefined;
  let outFormat = 'raw';
  let compress = false;
  let progress = false;
  let noCreate = false;
  let backing: string | null = null;
  let backingFmt: string | null = null;
  const options: Array<[string, string]> = [];
  for (const [k, v] of opts) {
    if (k === 'f') srcFormat = v;
    else if (k === 'O') outFormat = v;
    else if (k === 'c') compress = true;
    else if (k === 'p') progress = true;
    else if (k === 'n') noCreate = true;
    else if (k === 'B') backing = v;
    else if (k === 'F') backingFmt = v;
    else if (k === 'o') options.push(...splitOptions(v));
  }
  if (rest.length < 2) throw new ImgError('Must specify image file name');
  const target = rest[rest.length - 1];
  const sources: BlockDriver[] = [];
  try {
    for (const name of rest.slice(0, -1)) sources.push(openForTool(name, { format: srcFormat, readOnly: true }));
    const total = sources.reduce((n, s) => n + s.length, 0);
    if (!FORMATS.includes(outFormat)) throw new ImgError(`Unknown file format '${outFormat}'`);
    if (compress && outFormat !== 'qcow2') throw new ImgError('Compression not supported for this file format');
    if (!noCreate) {
      const all: Array<[string, string]> = [...options];
      if (backing !== null) all.push(['backing_file', backing]);
      if (backingFmt !== null) all.push(['backing_fmt', backingFmt]);
      try {
        createImage({ filename: target, format: outFormat, options: all, size: total, unsafe: false, quiet: true });
      } catch (e) {
        if (e instanceof ImgError) throw new ImgError(`${target}: ${e.message.replace(/\n$/, '')}`);
        throw e;
      }
    }
    const dst = openForTool(target, { format: outFormat, readOnly: false });
    try {
      // Like qemu-img (target cache mode "unsafe"), no flush: the data reaches the disk in time.
      copyImages(sources, dst, { compress, fresh: !noCreate, topOnly: backing !== null, progress: new Progress(progress) });
    } finally {
      dst.close();
    }
  } catch (e) {
    if (e instanceof BlockError) throw new ImgError(`error while converting: ${e.message}`);
    throw e;
  } finally {
    for (const s of sources) s.close();
  }
  return 0;
}

interface CopyOptions {
  compress: boolean;
  /** The target was just created and reads as zeros everywhere. */
  fresh: boolean;
  /** Copy only what the source's top image holds (the target has a backing file). */
  topOnly: boolean;
  progress: Progress;
}

export function copyImages(sources: BlockDriver[], dst: BlockDriver, o: CopyOptions): void {
  const total = sources.reduce((n, s) => n + s.length, 0);
  const cs = dst instanceof Qcow2Driver ? dst.clusterSize : 65536;
  const buf = new Uint8Array(Math.max(CHUNK, cs));
  let base = 0;
  for (const src of sources) {
    for (let off = 0; off < src.length;) {
      // A raw source is all data as far as we can tell; its zeros are found in the buffer.
      let s: BlockStatus = src.format === 'raw'
        ? { length: Math.min(CHUNK - (off % CHUNK), src.length - off), allocated: true, zero: false, depth: 0 }
        : src.blockStatus(off, Math.min(CHUNK, src.length - off));
      // Compressed output works on whole clusters.
      const n = o.compress ? Math.min(src.length - off, cs - (off % cs)) : s.length;
      if (o.compress && n !== s.length) s = { ...s, zero: false };
      const skip = o.topOnly && s.depth > 0;
      if (!skip) {
        if (s.zero) {
          if (!o.fresh || o.topOnly) dst.writeZeroes(base + off, n, true);
        } else {
          const data = buf.subarray(0, n);
          src.read(off, data);
          writeData(dst, base + off, data, o, cs);
        }
      }
      off += n;
      o.progress.show(((base + off) / total) * 100);
    }
    base += src.length;
  }
  o.progress.finish();
}

function writeData(dst: BlockDriver, at: number, data: Uint8Array, o: CopyOptions, cs: number): void {
  if (o.compress && dst instanceof Qcow2Driver && at % cs === 0 && data.length === cs) {
    if (!isZero(data)) dst.writeCompressed(at, data);
    return;
  }
  // Skip 4 KiB blocks of zeros (qemu's default -S 4k) so the target stays sparse.
  let runStart = -1;
  for (let i = 0; i < data.length; i += SPARSE) {
    const block = data.subarray(i, Math.min(i + SPARSE, data.length));
    const zero = isZero(block);
    if (!zero && runStart < 0) runStart = i;
    if (zero && runStart >= 0) {
      dst.write(at + runStart, data.subarray(runStart, i));
      runStart = -1;
    }
    if (zero && !o.fresh) dst.writeZeroes(at + i, block.length, true);
  }
  if (runStart >= 0) dst.write(at + runStart, data.subarray(runStart));
}
