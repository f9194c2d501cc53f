// termu-img bench [-c count] [-d depth] [-f fmt] [--flush-interval=N] [-i aio] [-n] [--no-drain]
//                 [-o offset] [--pattern=byte] [-q] [-s buffer_size] [-S step_size] [-t cache] [-w] [-U] filename
// qemu-img's I/O benchmark over termu's block layer. termu's I/O is synchronous, so the
// requests run one after another; the depth is reported as given.
import { performance } from 'node:perf_hooks';
import { BlockError } from '../../../vm/block/block-error.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { cvtnum } from '../option-values.js';
import { ImgError, out, UsageError } from '../output.js';

const INT_MAX = 2147483647;
const CACHE_MODES = ['none', 'off', 'writeback', 'unsafe', 'directsync', 'writethrough'];

/** qemu_strtoul() into [min, max]; null when it does not parse or is out of range. */
function unsigned(text: string, max: number): number | null {
  if (!/^\s*(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(text)) return null;
  const v = Number(text);
  return v <= max ? v : null;
}

export function runBench(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':hc:d:f:ni:o:qs:S:t:wU', [
    { name: 'flush-interval', hasArg: true }, { name: 'image-opts', hasArg: false }, { name: 'pattern', hasArg: true },
    { name: 'no-drain', hasArg: false }, { name: 'force-share', hasArg: false, key: 'U' },
  ]);
  let count = 75000;
  let depth = 64;
  let format: string | undefined;
  let offset = 0;
  let bufSize = 4096;
  let step = 0;
  let write = false;
  let pattern = 0;
  let flushInterval = 0;
  let nativeAio = false;
  let directCache = false;
  for (const [k, v] of opts) {
    if (k === 'c') {
      const n = unsigned(v, INT_MAX);
      if (n === null) throw new ImgError('Invalid request count specified');
      count = n;
    } else if (k === 'd') {
      const n = unsigned(v, INT_MAX);
      if (n === null) throw new ImgError('Invalid queue depth specified');
      depth = n;
    } else if (k === 'f') format = v;
    else if (k === 'n') nativeAio = true;
    else if (k === 'i') {
      if (!['threads', 'native', 'io_uring'].includes(v)) throw new ImgError(`Invalid aio option: ${v}`);
      nativeAio = v === 'native';
    } else if (k === 'o') offset = cvtnum('offset', v);
    else if (k === 's') bufSize = cvtnum('buffer size', v, 0n, BigInt(INT_MAX));
    else if (k === 'S') step = cvtnum('step_size', v, 0n, BigInt(INT_MAX));
    else if (k === 't') {
      if (!CACHE_MODES.includes(v)) throw new ImgError('Invalid cache mode');
      directCache = v === 'none' || v === 'directsync';
    } else if (k === 'w') write = true;
    else if (k === 'pattern') {
      const n = unsigned(v, 0xff);
      if (n === null) throw new ImgError('Invalid pattern byte specified');
      pattern = n;
    } else if (k === 'flush-interval') {
      const n = unsigned(v, INT_MAX);
      if (n === null) throw new ImgError('Invalid flush interval specified');
      flushInterval = n;
    }
  }
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  if (flushInterval && !write) throw new ImgError('--flush-interval is only available in write tests');
  if (flushInterval && flushInterval < depth) throw new ImgError("Flush interval can't be smaller than depth");
  const filename = rest[0];
  if (nativeAio && !directCache) {
    throw new ImgError(`Could not open '${filename}': aio=native was specified, but it requires cache.direct=on, which was not specified.`);
  }
  const drv = openForTool(filename, { format, readOnly: !write });
  try {
    if (step === 0) step = bufSize;
    out(`Sending ${count} ${write ? 'write' : 'read'} requests, ${bufSize} bytes each, ${depth} in parallel ` +
      `(starting at offset ${offset}, step size ${step})\n`);
    if (flushInterval) out(`Sending flush every ${flushInterval} requests\n`);
    const buf = new Uint8Array(bufSize).fill(pattern);
    const size = drv.length;
    const start = performance.now();
    let at = offset;
    try {
      for (let i = 0; i < count; i++) {
        if (at + bufSize > size) throw new ImgError('Failed request: Input/output error');
        if (write) drv.write(at, buf);
        else drv.read(at, buf);
        if (write && flushInterval && (i + 1) % flushInterval === 0) drv.flush();
        at += step;
        at = size <= bufSize ? 0 : at % (size - bufSize);
      }
      if (write) drv.flush();
    } catch (e) {
      if (e instanceof BlockError) throw new ImgError(`Failed request: ${e.message}`);
      throw e;
    }
    out(`Run completed in ${((performance.now() - start) / 1000).toFixed(3)} seconds.\n`);
    return 0;
  } finally {
    drv.close();
  }
}
