// Opening images for termu-img commands, with qemu-img's outer error texts and warnings.
import type { BlockDriver } from '../../vm/block/block-driver.js';
import { BlockError } from '../../vm/block/block-error.js';
import { openImage, type OpenImageOptions } from '../../vm/block/open-image.js';
import { err, ImgError } from './output.js';

export function openForTool(path: string, opts: OpenImageOptions, exitCode = 1): BlockDriver {
  try {
    const drv = openImage(path, opts);
    if (!opts.readOnly && opts.format === undefined && drv.format === 'raw') {
      err(`WARNING: Image format was not specified for '${path}' and probing guessed raw.\n` +
        '         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n' +
        "         Specify the 'raw' format explicitly to remove the restrictions.\n");
    }
    return drv;
  } catch (e) {
    if (e instanceof BlockError) throw new ImgError(`Could not open '${path}': ${e.message}`, exitCode);
    throw e;
  }
}

/** The images of a chain, top first. */
export function chainOf(top: BlockDriver): BlockDriver[] {
  const list: BlockDriver[] = [];
  for (let d: BlockDriver | null = top; d; d = (d as { backing?: BlockDriver | null }).backing ?? null) list.push(d);
  return list;
}

export function blockErrorText(e: unknown): string {
  return e instanceof BlockError ? e.message : String(e);
}
