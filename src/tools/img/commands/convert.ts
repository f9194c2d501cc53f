// termu-img convert [-f fmt] [-O fmt] [-c] [-p] [-q] [-n] [-o opts] [-B backing [-F fmt]] [-S size] [-U] src... dst
import type { BlockDriver } from '../../../vm/block/block-driver.js';
import { alignedBuffers } from '../../../vm/block/aligned-buffers.js';
import { BlockError } from '../../../vm/block/block-error.js';
import { FORMATS } from '../../../vm/block/open-image.js';
import { isZero, RawDriver } from '../../../vm/block/raw-driver.js';
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { splitOptions } from '../create-options.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { ImgError } from '../output.js';
import { Progress } from '../progress.js';
import { copyToFreshRaw } from '../copy-to-fresh-raw.js';
import { forEachDataRun, SPARSE } from '../data-runs.js';
import { canStreamInto, copyRawToEmptyQcow2 } from '../raw-to-empty-qcow2.js';
import { createImage } from './create.js';

const CHUNK = 2 << 20;

export async function runConvert(argv: string[]): Promise<number> {
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
      await copyImages(sources, dst, { compress, fresh: !noCreate, topOnly: backing !== null, progress: new Progress(progress) });
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

export async function copyImages(sources: BlockDriver[], dst: BlockDriver, o: CopyOptions): Promise<void> {
  const total = sources.reduce((n, s) => n + s.length, 0);
  const cs = dst instanceof Qcow2Driver ? dst.clusterSize : 65536;
  const buf = new Uint8Array(Math.max(CHUNK, cs));
  let base = 0;
  for (const src of sources) {
    if (src instanceof RawDriver && dst instanceof Qcow2Driver && o.fresh && !o.compress && !o.topOnly && canStreamInto(dst, base)) {
      const at = base;
      await copyRawToEmptyQcow2(src, dst, at, (copied) => o.progress.show(((at + copied) / total) * 100));
      base += src.length;
      continue;
    }
    if (dst instanceof RawDriver && o.fresh && !o.topOnly) {
      const at = base;
      await copyToFreshRaw(src, dst, at, (copied) => o.progress.show(((at + copied) / total) * 100));
      base += src.length;
      continue;
    }
    if (src instanceof RawDriver && !o.compress && !o.topOnly) {
      await copyRawAhead(src, dst, base, o, cs);
      base += src.length;
      continue;
    }
    for (let off = 0; off < src.length;) {
      let s = src.blockStatus(off, Math.min(CHUNK, src.length - off));
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

  /**
   * A raw source: holes (found with SEEK_DATA where the host can tell) are skipped as qemu-img
   * skips them, and zeros inside data runs are found in the buffer. The next chunk is read on
   * the thread pool while this one is written.
   */
  async function copyRawAhead(src: RawDriver, to: BlockDriver, at: number, opts: CopyOptions, clusterSize: number): Promise<void> {
    const bufs = alignedBuffers(2, CHUNK);
    const holes = src.file.extentAt(0) !== null;
    /** The next piece of data at or after `from` (at most CHUNK bytes), zeroing holes on the way. */
    const nextData = (from: number): [number, number] | null => {
      for (let off = from; off < src.length;) {
        const s = holes ? src.blockStatus(off, src.length - off) : null;
        if (!s || !s.zero) return [off, Math.min(CHUNK, src.length - off, s ? s.length : CHUNK)];
        if (!opts.fresh) to.writeZeroes(at + off, s.length, true);
        off += s.length;
      }
      return null;
    };
    let piece = nextData(0);
    let pending = piece ? src.file.readAtAsync(piece[0], bufs[0].subarray(0, piece[1])) : null;
    for (let i = 0; piece && pending; i ^= 1) {
      await pending;
      const [off, n] = piece;
      piece = nextData(off + n);
      pending = piece ? src.file.readAtAsync(piece[0], bufs[i ^ 1].subarray(0, piece[1])) : null;
      writeData(to, at + off, bufs[i].subarray(0, n), opts, clusterSize);
      opts.progress.show(((at + off + n) / total) * 100);
    }
    opts.progress.show(((at + src.length) / total) * 100);
  }
}

function writeData(dst: BlockDriver, at: number, data: Uint8Array, o: CopyOptions, cs: number): void {
  if (o.compress && dst instanceof Qcow2Driver && at % cs === 0 && data.length === cs) {
    if (!isZero(data)) dst.writeCompressed(at, data);
    return;
  }
  forEachDataRun(data, data.length, SPARSE, (from, to) => dst.write(at + from, data.subarray(from, to)), (from, to) => {
    if (!o.fresh) dst.writeZeroes(at + from, to - from, true);
  });
}

