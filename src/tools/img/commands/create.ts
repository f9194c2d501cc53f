// termu-img create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]
import { BlockError } from '../../../vm/block/block-error.js';
import { HostFile } from '../../../vm/block/host-file.js';
import { FORMATS, openImage, resolveBackingPath } from '../../../vm/block/open-image.js';
import { createQcow2, type Preallocation } from '../../../vm/block/qcow2/qcow2-create.js';
import { MAX_L1_BYTES } from '../../../vm/block/qcow2/qcow2-header.js';
import {
  parseBool, parseSizeOption, QCOW2_HELP, QCOW2_OPTIONS, RAW_HELP, RAW_OPTIONS, splitOptions,
} from '../create-options.js';
import { getopt } from '../getopt.js';
import { err, ImgError, out, PROG, UsageError } from '../output.js';
import { isHexWithSuffix, parseSize } from '../sizes.js';

export interface CreateRequest {
  filename: string;
  format: string;
  options: Array<[string, string]>;
  size: number | bigint | null;
  /** -u: do not open the backing file. */
  unsafe: boolean;
  quiet: boolean;
}

export function runCreate(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':F:b:f:ho:quU', [{ name: 'object', hasArg: true }]);
  let format = 'raw';
  const options: Array<[string, string]> = [];
  let quiet = false;
  let unsafe = false;
  let help = false;
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'b') options.push(['backing_file', v]);
    else if (k === 'F') options.push(['backing_fmt', v]);
    else if (k === 'u') unsafe = true;
    else if (k === 'q') quiet = true;
    else if (k === 'o') {
      if (v === 'help' || v === '?') help = true;
      else options.push(...splitOptions(v));
    }
  }
  if (help) {
    if (format === 'qcow2') out(QCOW2_HELP);
    else if (format === 'raw') out(RAW_HELP);
    else throw new ImgError(`Unknown file format '${format}'`);
    return 0;
  }
  if (rest.length < 1) throw new UsageError('Expecting image file name');
  if (rest.length > 2) throw new UsageError(`Unexpected argument: ${rest[2]}`);
  let size: bigint | null = null;
  if (rest.length === 2) {
    const n = parseSize(rest[1]);
    if (n !== null && isHexWithSuffix(rest[1])) err(`${PROG}: warning: Using a multiplier suffix on hex numbers is deprecated: ${rest[1]}\n`);
    if (n === null) {
      err(`${PROG}: Invalid image size specified. You may use k, M, G, T, P or E suffixes for\n`);
      err(`${PROG}: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.\n`);
      return 1;
    }
    if (n > 0x7fffffffffffffffn) throw new ImgError('Invalid image size specified. Must be between 0 and 9223372036854775807.');
    size = n;
  }
  try {
    createImage({ filename: rest[0], format, options, size, unsafe, quiet });
  } catch (e) {
    if (e instanceof ImgError && !(e instanceof UsageError)) {
      err(`${PROG}: ${rest[0]}: ${e.message}`);
      return 1;
    }
    throw e;
  }
  return 0;
}

/** bdrv_img_create(): validates, prints "Formatting …", creates. Errors end without a newline policy of their own. */
export function createImage(r: CreateRequest): void {
  if (!FORMATS.includes(r.format)) throw new ImgError(`Unknown file format '${r.format}'\n`);
  const allowed = r.format === 'qcow2' ? QCOW2_OPTIONS : RAW_OPTIONS;
  const values = new Map<string, string>();
  for (const [k, v] of r.options) {
    if (!allowed.includes(k)) throw new ImgError(`Invalid parameter '${k}'\n`);
    values.set(k, v);
  }
  let size = r.size === null ? null : BigInt(r.size);
  if (values.has('size')) size = BigInt(parseSizeOption('size', values.get('size')!));
  const backingFile = values.get('backing_file') ?? null;
  const backingFmt = values.get('backing_fmt') ?? null;
  if (backingFile !== null) {
    if (backingFile === r.filename) throw new ImgError('Error: Trying to create an image with the same filename as the backing file\n');
    if (backingFile === '') throw new ImgError('Expected backing file name, got empty string\n');
  }
  if (backingFile !== null && !r.unsafe) {
    const full = resolveBackingPath(r.filename, backingFile);
    let b;
    try {
      b = openImage(full, { format: backingFmt ?? undefined, readOnly: true, noBacking: true });
    } catch (e) {
      const m = e instanceof BlockError ? e.message : String(e);
      throw new ImgError(`${m.startsWith('Could not open') ? m : `Could not open '${full}': ${m}`}\nCould not open backing image.\n`);
    }
    const detected = b.format;
    const len = b.length;
    b.close();
    if (backingFmt === null) throw new ImgError(`Backing file specified without backing format\nDetected format of ${detected}.`);
    if (size === null) size = BigInt(len);
  } else if (backingFile !== null && backingFmt === null) {
    throw new ImgError('Backing file specified without backing format\n');
  }
  if (size === null) throw new ImgError('Image creation needs a size parameter\n');

  const prealloc = values.get('preallocation');
  if (r.format === 'raw') {
    if (!r.quiet) out(`Formatting '${r.filename}', fmt=raw size=${size}${prealloc !== undefined ? ` preallocation=${prealloc}` : ''}\n`);
    if (prealloc !== undefined && !['off', 'falloc', 'full'].includes(prealloc)) throw new ImgError(`Invalid parameter '${prealloc}'\n`);
    if (size > MAX_EXACT) throw new ImgError("The image size is too large for file format 'raw'\n");
    createRaw(r.filename, Number(size), (prealloc ?? 'off') as Preallocation);
    return;
  }
  const clusterSize = values.has('cluster_size') ? parseSizeOption('cluster_size', values.get('cluster_size')!) : 65536;
  const lazy = values.has('lazy_refcounts') ? parseBool('lazy_refcounts', values.get('lazy_refcounts')!) : false;
  const extL2 = values.has('extended_l2') ? parseBool('extended_l2', values.get('extended_l2')!) : false;
  const refcountBits = values.has('refcount_bits') ? Number(values.get('refcount_bits')) : 16;
  const compression = values.get('compression_type') ?? 'zlib';
  const compat = values.get('compat');
  if (!r.quiet) {
    let line = `Formatting '${r.filename}', fmt=qcow2 cluster_size=${clusterSize} extended_l2=${extL2 ? 'on' : 'off'}`;
    if (prealloc !== undefined) line += ` preallocation=${prealloc}`;
    line += ` compression_type=${compression} size=${size}`;
    if (backingFile !== null) line += ` backing_file=${backingFile}`;
    if (backingFmt !== null) line += ` backing_fmt=${backingFmt}`;
    if (compat !== undefined) line += ` compat=${compat}`;
    line += ` lazy_refcounts=${lazy ? 'on' : 'off'} refcount_bits=${values.get('refcount_bits') ?? 16}`;
    out(line + '\n');
  }
  let version: 2 | 3 = 3;
  if (compat === '0.10' || compat === 'v2') version = 2;
  else if (compat !== undefined && compat !== '1.1' && compat !== 'v3') throw new ImgError(`Invalid parameter '${compat}'\n`);
  if (!Number.isInteger(Math.log2(clusterSize)) || clusterSize < 512 || clusterSize > 2 << 20) {
    throw new ImgError('Cluster size must be a power of two between 512 and 2048k\n');
  }
  if (lazy && version === 2) {
    throw new ImgError('Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or greater)\n');
  }
  if (!Number.isInteger(refcountBits) || refcountBits < 1 || refcountBits > 64 || (refcountBits & (refcountBits - 1))) {
    throw new ImgError('Refcount width must be a power of two and may not exceed 64 bits\n');
  }
  if (version === 2 && refcountBits !== 16) {
    throw new ImgError('Different refcount widths than 16 bits require compatibility level 1.1 or above (use version=v3 or greater)\n');
  }
  if (extL2 || values.has('data_file') || values.has('encrypt.format') || (values.has('encryption') && parseBool('encryption', values.get('encryption')!))) {
    throw new ImgError('termu does not support extended L2 entries, external data files or encryption\n');
  }
  if (compression !== 'zlib' && compression !== 'zstd') throw new ImgError(`Parameter 'compression-type' does not accept value '${compression}'\n`);
  if (compression === 'zstd' && version === 2) {
    throw new ImgError('Non-zlib compression type is only supported with compatibility level 1.1 and above (use version=v3 or greater)\n');
  }
  if (prealloc !== undefined && !['off', 'metadata', 'falloc', 'full'].includes(prealloc)) {
    throw new ImgError(`Parameter 'preallocation' does not accept value '${prealloc}'\n`);
  }
  const rounded = (size + 511n) / 512n * 512n;
  if (rounded > 0x7fffffffffffffffn) throw new ImgError('Could not resize image: Image size cannot be negative\n');
  if (rounded > MAX_LENGTH) throw new ImgError(`Could not resize image: offset(${rounded}) exceeds maximum(${MAX_LENGTH})\n`);
  const coverage = BigInt(clusterSize) * BigInt(clusterSize / 8);
  if ((rounded + coverage - 1n) / coverage * 8n > BigInt(MAX_L1_BYTES) || rounded > MAX_EXACT) {
    throw new ImgError("The image size is too large for file format 'qcow2' (try using a larger cluster size)\n");
  }
  try {
    createQcow2(r.filename, {
      size: Number(rounded), clusterSize, version, lazyRefcounts: lazy, refcountBits,
      backingFile, backingFormat: backingFmt, preallocation: (prealloc ?? 'off') as Preallocation,
      compressionType: compression === 'zstd' ? 1 : 0,
    });
  } catch (e) {
    if (e instanceof BlockError) throw new ImgError(e.message + '\n');
    throw e;
  }
}

/** Largest length qemu's block layer accepts (BDRV_MAX_LENGTH). */
const MAX_LENGTH = 0x7fffffffc0000000n;
/** Sizes termu handles exactly (JavaScript numbers). */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

export function createRaw(filename: string, size: number, prealloc: Preallocation): void {
  let f: HostFile;
  try {
    f = HostFile.create(filename);
  } catch (e) {
    throw new ImgError((e as Error).message + '\n');
  }
  try {
    f.truncate(size);
    if (prealloc === 'full' || prealloc === 'falloc') {
      const zeros = new Uint8Array(1 << 20);
      for (let at = 0; at < size; at += zeros.length) f.writeAt(at, zeros.subarray(0, Math.min(zeros.length, size - at)));
    } else if (size > 0) {
      // qemu writes the first block so that later alignment probing works; "disk size" shows it.
      f.writeAt(0, new Uint8Array(Math.min(4096, size)));
    }
  } finally {
    f.close();
  }
}
