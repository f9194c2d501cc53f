// termu-img commit [-q] [-f fmt] [-t cache] [-b base] [-r rate] [-d] [-p] filename
// As qemu-img's active commit: everything the images above BASE hold (BASE defaults to the
// backing file) is copied into BASE, which grows to the top image's size if smaller. Only a
// commit into the backing file without -b or -d empties the top image afterwards.
import * as fs from 'node:fs';
import type { BlockDriver } from '../../../vm/block/block-driver.js';
import { resolveBackingPath } from '../../../vm/block/open-image.js';
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { getopt } from '../getopt.js';
import { hostFileOf } from '../image-info.js';
import { chainOf, openForTool } from '../open.js';
import { checkCacheMode, cvtnum } from '../option-values.js';
import { ImgError, out, UsageError } from '../output.js';
import { Progress } from '../progress.js';

const STEP = 2 << 20;

export function runCommit(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':f:ht:b:dpqr:', [{ name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true }]);
  let format: string | undefined;
  let baseName: string | undefined;
  let keep = false;
  let quiet = false;
  let progress = false;
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'd') keep = true;
    else if (k === 'q') quiet = true;
    else if (k === 'p') progress = true;
    else if (k === 't') checkCacheMode(v);
    else if (k === 'r') cvtnum('rate limit', v);
    else if (k === 'b') {
      baseName = v;
      keep = true; // -b implies -d
    }
  }
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const filename = rest[0];
  const top = openForTool(filename, { format, readOnly: keep });
  try {
    const chain = chainOf(top);
    const baseDepth = baseName === undefined ? 1 : findInChain(chain, baseName);
    if (baseName !== undefined && baseDepth < 0) throw new ImgError(`Did not find '${baseName}' in the backing chain of '${filename}'`);
    if (baseDepth >= chain.length) throw new ImgError('Image does not have a backing file');
    const above = chain[baseDepth - 1] as Qcow2Driver;
    const readOnlyBase = chain[baseDepth];
    // Reopen the base for writing in place of its read-only instance in the chain.
    const base = openForTool(hostFileOf(readOnlyBase).path, { format: readOnlyBase.format, readOnly: false });
    readOnlyBase.close();
    above.backing = base;
    if (base.length < top.length) base.resize(top.length);
    copyAboveBase(top, base, baseDepth, new Progress(progress));
    base.flush();
    if (!keep) (top as Qcow2Driver).makeEmpty();
    if (!quiet) out('Image committed.\n');
    return 0;
  } finally {
    top.close();
  }
}

/**
 * Copies into `base` what the images above it hold: their data and zeros, and the zeros
 * read past the end of an intermediate image shorter than the top.
 */
function copyAboveBase(top: BlockDriver, base: BlockDriver, baseDepth: number, p: Progress): void {
  const buf = new Uint8Array(STEP);
  const size = top.length;
  for (let off = 0; off < size;) {
    const s = top.blockStatus(off, Math.min(STEP, size - off));
    // Unallocated at depth d: image d has no backing file, or d+1 ends before `off`.
    const copy = s.allocated ? s.depth < baseDepth : s.depth + 1 < baseDepth;
    if (copy && s.zero) base.writeZeroes(off, s.length, true);
    else if (copy) {
      const data = buf.subarray(0, s.length);
      top.read(off, data);
      base.write(off, data);
    }
    off += s.length;
    p.show((off / size) * 100);
  }
  p.finish();
}

/**
 * The depth of the image that `name` designates in the chain, as bdrv_find_backing_image()
 * matches it: the backing file name as written, or the same file after resolving `name`
 * relative to the directory of the image above. -1 when none matches.
 */
function findInChain(chain: BlockDriver[], name: string): number {
  for (let i = 1; i < chain.length; i++) {
    const above = chain[i - 1];
    if (above instanceof Qcow2Driver && above.header.backingFile === name) return i;
    const candidate = resolveBackingPath(hostFileOf(above).path, name);
    if (name !== '' && sameFile(candidate, hostFileOf(chain[i]).path)) return i;
  }
  return -1;
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}
