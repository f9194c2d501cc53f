// termu-img compare [-f fmt] [-F fmt] [-T cache] [-p] [-q] [-s] [-U] filename1 filename2
import type { BlockDriver } from '../../../vm/block/block-driver.js';
import { isZero } from '../../../vm/block/raw-driver.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { out, UsageError } from '../output.js';

const CHUNK = 1 << 20;

export function runCompare(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':hf:F:T:pqsU', [
    { name: 'force-share', hasArg: false, key: 'U' }, { name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true },
  ]);
  let fmt1: string | undefined;
  let fmt2: string | undefined;
  let strict = false;
  let quiet = false;
  for (const [k, v] of opts) {
    if (k === 'f') fmt1 = v;
    else if (k === 'F') fmt2 = v;
    else if (k === 's') strict = true;
    else if (k === 'q') quiet = true;
  }
  if (rest.length !== 2) throw new UsageError('Expecting two image file names');
  const a = openForTool(rest[0], { format: fmt1, readOnly: true }, 2);
  let b: BlockDriver;
  try {
    b = openForTool(rest[1], { format: fmt2, readOnly: true }, 2);
  } catch (e) {
    a.close();
    throw e;
  }
  const say = (s: string) => { if (!quiet) out(s); };
  try {
    const r = compareImages(a, b, strict);
    say(r.message + '\n');
    return r.equal ? 0 : 1;
  } finally {
    a.close();
    b.close();
  }
}

export function compareImages(a: BlockDriver, b: BlockDriver, strict: boolean): { equal: boolean; message: string } {
  if (strict && a.length !== b.length) return { equal: false, message: 'Strict mode: Image size mismatch!' };
  const common = Math.min(a.length, b.length);
  const bufA = new Uint8Array(CHUNK);
  const bufB = new Uint8Array(CHUNK);
  for (let off = 0; off < common;) {
    // Ask for the whole remainder: qemu's strict mode also compares "reaches the end".
    const sa = a.blockStatus(off, common - off);
    const sb = b.blockStatus(off, common - off);
    const n = Math.min(sa.length, sb.length);
    if (strict && (sa.allocated !== sb.allocated || sa.zero !== sb.zero ||
      (off + sa.length >= a.length) !== (off + sb.length >= b.length))) {
      return { equal: false, message: `Strict mode: Offset ${off} block status mismatch!` };
    }
    if (!(sa.zero && sb.zero)) {
      for (let at = off; at < off + n; at += CHUNK) {
        const len = Math.min(CHUNK, off + n - at);
        const x = bufA.subarray(0, len);
        const y = bufB.subarray(0, len);
        if (sa.zero) x.fill(0); else a.read(at, x);
        if (sb.zero) y.fill(0); else b.read(at, y);
        const diff = firstDifferentSector(x, y);
        if (diff >= 0) return { equal: false, message: `Content mismatch at offset ${at + diff}!` };
      }
    }
    off += n;
  }
  const longer = a.length > b.length ? a : b;
  for (let off = common; off < longer.length;) {
    const s = longer.blockStatus(off, Math.min(CHUNK, longer.length - off));
    if (s.length <= 0) break;
    if (!s.zero) {
      const x = bufA.subarray(0, s.length);
      longer.read(off, x);
      for (let i = 0; i < x.length; i += 512) {
        if (!isZero(x.subarray(i, Math.min(i + 512, x.length)))) return { equal: false, message: `Content mismatch at offset ${off + i}!` };
      }
    }
    off += s.length;
  }
  return { equal: true, message: 'Images are identical.' };
}

function firstDifferentSector(x: Uint8Array, y: Uint8Array): number {
  if (Buffer.compare(x, y) === 0) return -1;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i - (i % 512);
  return -1;
}
