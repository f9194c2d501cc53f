// termu-img dd [-U] [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] if=input of=output
// As qemu-img 7.2's dd: the input, cut to count×bs, is copied from skip×bs on into a new
// output image of the size that remains (empty when skip reaches past the end).
import type { BlockDriver } from '../../../vm/block/block-driver.js';
import { FORMATS } from '../../../vm/block/open-image.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { cvtnum } from '../option-values.js';
import { err, ImgError, PROG } from '../output.js';
import { createImage } from './create.js';

const CHUNK = 1 << 20;
const INT_MAX = 2147483647n;
const INT64_MAX = (1n << 63n) - 1n;

export function runDd(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':hf:O:U', [{ name: 'image-opts', hasArg: false }, { name: 'force-share', hasArg: false, key: 'U' }]);
  let format: string | undefined;
  let outFormat = 'raw';
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'O') outFormat = v;
  }
  let bs = 512n;
  let count: bigint | null = null;
  let skip: bigint | null = null;
  let input: string | undefined;
  let output: string | undefined;
  for (const arg of rest) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (key === 'bs') bs = BigInt(cvtnum('bs', value, 1n, INT_MAX));
    else if (key === 'count') count = BigInt(cvtnum('count', value));
    else if (key === 'skip') skip = BigInt(cvtnum('skip', value));
    else if (key === 'if') input = value;
    else if (key === 'of') output = value;
    else throw new ImgError(`unrecognized operand ${key}`);
  }
  if (input === undefined || output === undefined) throw new ImgError('Must specify both input and output files');
  const src = openForTool(input, { format, readOnly: true });
  try {
    if (!FORMATS.includes(outFormat)) throw new ImgError('Unknown file format');
    let size = BigInt(src.length);
    if (count !== null && count <= INT64_MAX / bs && size > count * bs) size = count * bs;
    const from = skip === null ? 0n : skip * bs;
    if (skip !== null && (skip > INT64_MAX / bs || size < from)) {
      err(`${PROG}: ${input}: cannot skip to specified offset\n`);
      size = 0n;
    } else {
      size -= from;
    }
    try {
      createImage({ filename: output, format: outFormat, options: [], size, unsafe: false, quiet: true });
    } catch (e) {
      if (e instanceof ImgError) throw new ImgError(`${output}: error while creating output image: ${e.message.replace(/\n$/, '')}`);
      throw e;
    }
    const dst = openForTool(output, { format: outFormat, readOnly: false });
    try {
      copy(src, dst, Number(from), Number(from + size));
    } finally {
      dst.close();
    }
  } finally {
    src.close();
  }
  return 0;
}

/** Input [from, end) to output offset 0. */
function copy(src: BlockDriver, dst: BlockDriver, from: number, end: number): void {
  const buf = new Uint8Array(CHUNK);
  for (let pos = from; pos < end; pos += CHUNK) {
    const data = buf.subarray(0, Math.min(CHUNK, end - pos));
    src.read(pos, data);
    dst.write(pos - from, data);
  }
}
