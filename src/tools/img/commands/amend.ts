// termu-img amend [-p] [-q] [-f fmt] [-t cache] [--force] -o options filename
import { BlockError } from '../../../vm/block/block-error.js';
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { COMPAT_LAZY_REFCOUNTS, INCOMPAT_DIRTY } from '../../../vm/block/qcow2/qcow2-header.js';
import { parseBool, parseSizeOption, QCOW2_OPTIONS, splitOptions } from '../create-options.js';
import { getopt } from '../getopt.js';
import { openForTool } from '../open.js';
import { ImgError, UsageError } from '../output.js';

const AMENDABLE = ['compat', 'lazy_refcounts', 'backing_file', 'backing_fmt', 'size'];

export function runAmend(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':ho:f:t:pq', [
    { name: 'force', hasArg: false }, { name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true },
  ]);
  let format: string | undefined;
  const options: Array<[string, string]> = [];
  let given = false;
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'o') { given = true; options.push(...splitOptions(v)); }
  }
  if (!given) throw new UsageError('Must specify options (-o)');
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const drv = openForTool(rest[0], { format, readOnly: false, noBacking: true });
  try {
    if (!(drv instanceof Qcow2Driver)) throw new ImgError(`Format driver '${drv.format}' does not support option amendment`);
    const values = new Map<string, string>();
    for (const [k, v] of options) {
      if (!QCOW2_OPTIONS.includes(k)) throw new ImgError(`Invalid parameter '${k}'`);
      if (!AMENDABLE.includes(k)) throw new ImgError(`Invalid parameter '${k}'\nThis option is only supported for image creation`);
      values.set(k, v);
    }
    amendQcow2(drv, values);
    return 0;
  } catch (e) {
    if (e instanceof BlockError) throw new ImgError(e.message);
    throw e;
  } finally {
    drv.close();
  }
}

function amendQcow2(drv: Qcow2Driver, values: Map<string, string>): void {
  const h = drv.header;
  let version = h.version;
  const compat = values.get('compat');
  if (compat !== undefined) {
    if (compat === '0.10' || compat === 'v2') version = 2;
    else if (compat === '1.1' || compat === 'v3') version = 3;
    else throw new ImgError(`Invalid compatibility level: '${compat}'`);
  }
  let lazy = (h.compatible & COMPAT_LAZY_REFCOUNTS) !== 0n;
  if (values.has('lazy_refcounts')) lazy = parseBool('lazy_refcounts', values.get('lazy_refcounts')!);
  if (lazy && version < 3) {
    throw new ImgError('Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or greater)');
  }
  if (version === 2 && h.refcountOrder !== 4) {
    throw new ImgError('Cannot downgrade an image with a refcount width other than 16 bits');
  }
  if (values.has('size')) {
    const size = parseSizeOption('size', values.get('size')!);
    if (size < drv.length) throw new ImgError('Use the --shrink option to perform a shrink operation.');
    if (size !== drv.length) drv.resize(size);
  }
  if (version === 2 && h.version === 3) drv.expandZeroClusters();
  drv.markClean();
  h.version = version;
  h.compatible = lazy ? h.compatible | COMPAT_LAZY_REFCOUNTS : h.compatible & ~COMPAT_LAZY_REFCOUNTS;
  h.incompatible &= ~INCOMPAT_DIRTY;
  if (version === 2) {
    h.compatible = 0n;
    h.incompatible = 0n;
    h.autoclear = 0n;
  }
  if (values.has('backing_file')) h.backingFile = values.get('backing_file') || null;
  if (values.has('backing_fmt')) h.backingFormat = values.get('backing_fmt') || null;
  drv.file.sync();
  drv.rewriteHeader();
}
