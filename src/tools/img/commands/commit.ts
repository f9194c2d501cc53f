// termu-img commit [-q] [-f fmt] [-t cache] [-b base] [-d] [-p] filename
import { resolveBackingPath } from '../../../vm/block/open-image.js';
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { ImgError, out, UsageError } from '../output.js';
import { Progress } from '../progress.js';

const STEP = 2 << 20;

export function runCommit(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':f:ht:b:dpqr:', [{ name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true }]);
  let format: string | undefined;
  let keep = false;
  let quiet = false;
  let progress = false;
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'd') keep = true;
    else if (k === 'q') quiet = true;
    else if (k === 'p') progress = true;
    else if (k === 'b' && v === '') throw new ImgError('Invalid base image name');
  }
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const filename = rest[0];
  const top = openForTool(filename, { format, readOnly: false, noBacking: true });
  try {
    if (!(top instanceof Qcow2Driver) || !top.header.backingFile) throw new ImgError('Image does not have a backing file');
    const basePath = resolveBackingPath(filename, top.header.backingFile);
    const base = openForTool(basePath, { format: top.header.backingFormat ?? undefined, readOnly: false });
    try {
      const p = new Progress(progress);
      const buf = new Uint8Array(STEP);
      const size = Math.min(top.length, base.length);
      for (let off = 0; off < size;) {
        const s = top.blockStatus(off, Math.min(STEP, size - off));
        if (s.allocated && s.depth === 0) {
          if (s.zero) base.writeZeroes(off, s.length, true);
          else {
            const data = buf.subarray(0, s.length);
            top.read(off, data);
            base.write(off, data);
          }
        }
        off += s.length;
        p.show((off / size) * 100);
      }
      p.finish();
      base.flush();
    } finally {
      base.close();
    }
    if (!keep) top.makeEmpty();
    if (!quiet) out('Image committed.\n');
    return 0;
  } finally {
    top.close();
  }
}
