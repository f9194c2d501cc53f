// termu-img resize [-f fmt] [--preallocation=X] [-q] [--shrink] filename [+|-]size
import { BlockError } from '../../../vm/block/block-error.js';
import { SIZE_PARSER_HINT } from '../create-options.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { err, ImgError, out, PROG, UsageError } from '../output.js';
import { parseSize } from '../sizes.js';

export function runResize(argv: string[]): number {
  if (argv.length < 2) throw new UsageError('Not enough arguments');
  // qemu takes the size from the last argument before option parsing, so "-5M" works.
  const sizeText = argv[argv.length - 1];
  const { opts, rest } = getopt(argv.slice(0, -1), ':f:hq', [
    { name: 'shrink', hasArg: false }, { name: 'preallocation', hasArg: true }, { name: 'image-opts', hasArg: false },
    { name: 'object', hasArg: true },
  ]);
  let format: string | undefined;
  let quiet = false;
  let shrink = false;
  let prealloc: string | undefined;
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'q') quiet = true;
    else if (k === 'shrink') shrink = true;
    else if (k === 'preallocation') prealloc = v;
  }
  const rel = sizeText[0] === '+' ? 1 : sizeText[0] === '-' ? -1 : 0;
  const n = parseSize(rel ? sizeText.slice(1) : sizeText);
  if (n === null || n >= 1n << 64n) throw new ImgError(`Parameter 'size' expects a non-negative number below 2^64\n${SIZE_PARSER_HINT}`);
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const drv = openForTool(rest[0], { format, readOnly: false });
  try {
    const current = drv.length;
    // qemu reads the size as a signed 64-bit number: 8E and above come out negative.
    const wide = rel ? BigInt(current) + BigInt(rel) * n : n;
    if (wide <= 0n || wide >= 1n << 63n) throw new ImgError('New image size must be positive');
    const total = Number(wide);
    if (prealloc !== undefined && prealloc !== 'off' && total <= current) throw new ImgError('Preallocation can only be used for growing images');
    if (total < current && !shrink) {
      err(`${PROG}: Use the --shrink option to perform a shrink operation.\n`);
      err(`${PROG}: warning: Shrinking an image will delete all data beyond the shrunken image's end. Before performing such an operation, make sure there is no important data there.\n`);
      return 1;
    }
    try {
      if (total !== current) drv.resize(total);
    } catch (e) {
      if (e instanceof BlockError) throw new ImgError(e.message);
      throw e;
    }
    if (!quiet) out('Image resized.\n');
    return 0;
  } finally {
    drv.close();
  }
}
