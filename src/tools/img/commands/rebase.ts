// termu-img rebase [-f fmt] [-p] [-u] [-q] [-U] -b backing_file [-F backing_fmt] filename
import type { BlockDriver } from '../../../vm/block/block-driver.js';
import { BlockError } from '../../../vm/block/block-error.js';
import { openImage, resolveBackingPath } from '../../../vm/block/open-image.js';
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { ImgError, UsageError } from '../output.js';
import { Progress } from '../progress.js';

const STEP = 2 << 20;

export function runRebase(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':hf:F:b:upt:T:qU', [
    { name: 'force-share', hasArg: false, key: 'U' }, { name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true },
  ]);
  let format: string | undefined;
  let newBacking: string | null = null;
  let newFormat: string | null = null;
  let unsafe = false;
  let progress = false;
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'b') newBacking = v;
    else if (k === 'F') newFormat = v;
    else if (k === 'u') unsafe = true;
    else if (k === 'p') progress = true;
  }
  if (!unsafe && newBacking === null) throw new UsageError('Must specify backing file (-b) or use unsafe mode (-u)');
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const filename = rest[0];
  const target = newBacking ?? '';
  const top = openForTool(filename, { format, readOnly: false, noBacking: unsafe });
  let fresh: BlockDriver | null = null;
  try {
    if (target !== '' && newFormat === null) {
      throw new ImgError(`Could not change the backing file to '${target}': backing format must be specified`);
    }
    if (!unsafe && target !== '') {
      try {
        fresh = openImage(resolveBackingPath(filename, target), { format: newFormat ?? undefined, readOnly: true });
      } catch (e) {
        if (e instanceof BlockError) throw new ImgError(`Could not open new backing file '${target}': ${e.message}`);
        throw e;
      }
    }
    if (!(top instanceof Qcow2Driver)) throw new ImgError(`Could not change the backing file to '${target}': Operation not supported`);
    if (!unsafe) copyDifferences(top, fresh, new Progress(progress));
    top.header.backingFile = target === '' ? null : target;
    top.header.backingFormat = target === '' ? null : newFormat;
    try {
      top.rewriteHeader();
    } catch (e) {
      if (e instanceof BlockError) throw new ImgError(`Could not change the backing file to '${target}': ${e.message}`);
      throw e;
    }
    return 0;
  } finally {
    fresh?.close();
    top.close();
  }
}

/**
 * Writes into `top` the old backing chain's data wherever it differs from the new backing
 * file, so the guest-visible content does not change (qemu's safe rebase).
 */
function copyDifferences(top: Qcow2Driver, fresh: BlockDriver | null, progress: Progress): void {
  const old = top.backing;
  const size = top.length;
  const a = new Uint8Array(STEP);
  const b = new Uint8Array(STEP);
  for (let off = 0; off < size;) {
    const s = top.blockStatus(off, Math.min(STEP, size - off));
    const n = s.length;
    if (s.depth > 0 || !s.allocated) {
      readOrZero(old, off, a.subarray(0, n));
      readOrZero(fresh, off, b.subarray(0, n));
      for (let i = 0; i < n;) {
        if (sectorEqual(a, b, i, Math.min(512, n - i))) { i += 512; continue; }
        let j = i + 512;
        while (j < n && !sectorEqual(a, b, j, Math.min(512, n - j))) j += 512;
        top.write(off + i, a.subarray(i, Math.min(j, n)));
        i = j;
      }
    }
    off += n;
    progress.show((off / size) * 100);
  }
  progress.finish();
}

function readOrZero(d: BlockDriver | null, off: number, out: Uint8Array): void {
  out.fill(0);
  if (d === null || off >= d.length) return;
  const n = Math.min(out.length, d.length - off);
  d.read(off, out.subarray(0, n));
}

function sectorEqual(a: Uint8Array, b: Uint8Array, at: number, n: number): boolean {
  for (let k = at; k < at + n; k++) if (a[k] !== b[k]) return false;
  return true;
}
