// termu-img measure [--output=ofmt] [-O fmt] [-o options] [--size N | [-f fmt] filename]
import { splitOptions, parseSizeOption } from '../create-options.js';
import { getopt } from '../getopt.js';
import { toQemuJson } from '../json.js';
import { openForTool } from '../open.js';
import { ImgError, out, PROG, err } from '../output.js';
import { parseSize } from '../sizes.js';
import { outputFormat } from './info.js';

export function runMeasure(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':hf:O:o:l:U', [
    { name: 'output', hasArg: true }, { name: 'size', hasArg: true }, { name: 'force-share', hasArg: false, key: 'U' },
    { name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true },
  ]);
  let format: string | undefined;
  let outFormat = 'raw';
  let output: string | undefined;
  let sizeArg: number | null = null;
  const options: Array<[string, string]> = [];
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'O') outFormat = v;
    else if (k === 'o') options.push(...splitOptions(v));
    else if (k === 'output') output = v;
    else if (k === 'size') {
      const n = parseSize(v);
      if (n === null) {
        err(`${PROG}: Invalid size specified. You may use k, M, G, T, P or E suffixes for\n${PROG}: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.\n`);
        return 1;
      }
      sizeArg = Number(n);
    }
  }
  const fmt = outputFormat(output);
  if (sizeArg !== null && rest.length) throw new ImgError('--size N cannot be used together with a filename.');
  if (sizeArg === null && rest.length !== 1) throw new ImgError('Either --size N or one filename must be specified.');
  if (outFormat !== 'raw' && outFormat !== 'qcow2') throw new ImgError(`Unknown file format '${outFormat}'`);
  const values = new Map(options);
  const cs = values.has('cluster_size') ? parseSizeOption('cluster_size', values.get('cluster_size')!) : 65536;
  const refcountOrder = Math.log2(values.has('refcount_bits') ? Number(values.get('refcount_bits')) : 16);

  let virtualSize: number;
  let data: number;
  let fromFile = false;
  if (sizeArg !== null) {
    virtualSize = sizeArg;
    data = outFormat === 'raw' ? sizeArg : 0;
  } else {
    fromFile = true;
    const src = openForTool(rest[0], { format, readOnly: true });
    try {
      virtualSize = src.length;
      data = 0;
      for (let off = 0; off < src.length;) {
        const s = src.blockStatus(off, src.length - off);
        if (!s.zero) data += Math.ceil((off + s.length) / cs) * cs - off;
        const next = !s.zero ? Math.ceil((off + s.length) / cs) * cs : off + s.length;
        off = Math.min(src.length, next);
      }
    } finally {
      src.close();
    }
  }
  let required: number;
  let full: number;
  if (outFormat === 'raw') {
    required = virtualSize;
    full = virtualSize;
  } else {
    const aligned = Math.ceil(virtualSize / cs) * cs;
    full = preallocSize(aligned, cs, refcountOrder);
    required = full - aligned + data;
  }
  const bitmaps = fromFile && outFormat === 'qcow2';
  if (fmt === 'json') {
    out(toQemuJson({ bitmaps: bitmaps ? 0 : undefined, required, 'fully-allocated': full }) + '\n');
  } else {
    out(`required size: ${required}\nfully allocated size: ${full}\n${bitmaps ? 'bitmaps size: 0\n' : ''}`);
  }
  return 0;
}

/** qcow2_calc_prealloc_size(): metadata and data of a fully allocated image. */
function preallocSize(aligned: number, cs: number, refcountOrder: number): number {
  let meta = cs;
  let l2e = aligned / cs;
  l2e = Math.ceil(l2e / (cs / 8)) * (cs / 8);
  meta += l2e * 8;
  let l1e = (l2e * 8) / cs;
  l1e = Math.ceil(l1e / (cs / 8)) * (cs / 8);
  meta += l1e * 8;
  meta += refcountMetadata((meta + aligned) / cs, cs, refcountOrder);
  return meta + aligned;
}

function refcountMetadata(clusters: number, cs: number, order: number): number {
  const perTable = cs / 8;
  const perBlock = (cs * 8) / (1 << order);
  let table = 0;
  let blocks = 0;
  let n = 0;
  let last: number;
  do {
    last = n;
    blocks = Math.ceil((clusters + table + blocks) / perBlock);
    table = Math.ceil(blocks / perTable);
    n = clusters + blocks + table;
  } while (n !== last);
  return (blocks + table) * cs;
}
