// termu-img bitmap (--merge SOURCE | --add | --remove | --clear | --enable | --disable)...
//                  [-b source_file [-F source_fmt]] [-g granularity] [-f fmt] filename bitmap
// Options and checks are qemu-img's; termu's qcow2 driver keeps no persistent dirty bitmaps,
// so every action then fails the way qemu-img reports a failed action.
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { cvtnum } from '../option-values.js';
import { ImgError } from '../output.js';

const ACTIONS = ['add', 'remove', 'clear', 'enable', 'disable', 'merge'];

export function runBitmap(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':b:f:F:g:h', [
    { name: 'object', hasArg: true }, { name: 'image-opts', hasArg: false },
    ...ACTIONS.map((name) => ({ name, hasArg: name === 'merge' })),
  ]);
  let format: string | undefined;
  let sourceFile: string | undefined;
  let sourceFormat: string | undefined;
  let granularity: number | undefined;
  const actions: string[] = [];
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'b') sourceFile = v;
    else if (k === 'F') sourceFormat = v;
    else if (k === 'g') granularity = cvtnum('granularity', v);
    else if (ACTIONS.includes(k)) actions.push(k);
  }
  if (actions.length === 0) throw new ImgError('Need at least one of --add, --remove, --clear, --enable, --disable, or --merge');
  if (granularity !== undefined && !actions.includes('add')) throw new ImgError('granularity only supported with --add');
  if (sourceFormat !== undefined && sourceFile === undefined) throw new ImgError('-F only supported with -b');
  if (sourceFile !== undefined && !actions.includes('merge')) throw new ImgError('Merge bitmap source file only supported with --merge');
  if (rest.length !== 2) throw new ImgError('Expecting filename and bitmap name');
  const [filename, bitmap] = rest;
  const drv = openForTool(filename, { format, readOnly: false });
  try {
    throw new ImgError(`Operation ${actions[0]} on bitmap ${bitmap} failed: termu does not support persistent dirty bitmaps`);
  } finally {
    drv.close();
  }
}
