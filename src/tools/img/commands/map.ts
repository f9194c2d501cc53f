// termu-img map [-f fmt] [--start-offset=N] [--max-length=N] [--output=human|json] [-U] filename
import type { BlockDriver } from '../../../vm/block/block-driver.js';
import { getopt } from '../getopt.js';
import { hostFileOf } from '../image-info.js';
import { chainOf, openForTool } from '../open.js';
import { ImgError, out, UsageError } from '../output.js';
import { parseSize } from '../sizes.js';
import { outputFormat } from './info.js';

interface MapEntry {
  start: number;
  length: number;
  depth: number;
  present: boolean;
  zero: boolean;
  data: boolean;
  offset: number | null;
  filename: string;
}

/** One run of the chain's status, as qemu-img's get_block_status() reports it. */
export function chainStatus(top: BlockDriver, chain: BlockDriver[], offset: number, length: number): MapEntry {
  const s = top.blockStatus(offset, length);
  const d = chain[Math.min(s.depth, chain.length - 1)];
  let zero = s.zero;
  let offsetOut = s.hostOffset ?? null;
  const file = hostFileOf(d);
  if (s.allocated && !s.zero && offsetOut !== null && d.format === 'qcow2' && offsetOut >= file.size) zero = true;
  if (!s.allocated && s.zero) offsetOut = null;
  return {
    start: offset,
    length: s.length,
    depth: s.depth,
    present: s.allocated,
    zero,
    data: s.allocated && (!s.zero || (zero && !s.zero)),
    offset: offsetOut,
    filename: file.path,
  };
}

export function runMap(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':f:hU', [
    { name: 'output', hasArg: true }, { name: 'start-offset', hasArg: true }, { name: 'max-length', hasArg: true },
    { name: 'force-share', hasArg: false, key: 'U' }, { name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true },
  ]);
  let format: string | undefined;
  let output: string | undefined;
  let start = 0;
  let maxLength = Infinity;
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'output') output = v;
    else if (k === 'start-offset' || k === 'max-length') {
      const n = parseSize(v);
      if (n === null) throw new ImgError(`Invalid ${k === 'start-offset' ? 'start offset' : 'max length'} specified`);
      if (k === 'start-offset') start = Number(n);
      else maxLength = Number(n);
    }
  }
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const fmt = outputFormat(output);
  const top = openForTool(rest[0], { format, readOnly: true });
  try {
    const chain = chainOf(top);
    const end = Math.min(top.length, start + maxLength);
    const entries: MapEntry[] = [];
    let cur: MapEntry | null = null;
    let human = '';
    if (fmt === 'human') out('Offset          Length          Mapped to       File\n');
    const emit = (e: MapEntry) => {
      if (fmt === 'human') {
        if (e.data && e.offset === null) throw new ImgError('File contains external, encrypted or compressed clusters.');
        if (e.data && !e.zero) human += `${hex16(e.start)}${hex16(e.length)}${hex16(e.offset ?? 0)}${e.filename}\n`;
      } else {
        entries.push(e);
      }
    };
    for (let off = start; off < end;) {
      const e = chainStatus(top, chain, off, Math.min(end - off, 1 << 30));
      if (e.length <= 0) break;
      off += e.length;
      if (cur && mergeable(cur, e)) {
        cur.length += e.length;
        continue;
      }
      if (cur) emit(cur);
      cur = e;
    }
    if (cur) emit(cur);
    if (fmt === 'human') out(human);
    else out('[' + entries.map(jsonEntry).join(',\n') + ']\n');
    return 0;
  } finally {
    top.close();
  }
}

function mergeable(a: MapEntry, b: MapEntry): boolean {
  return a.depth === b.depth && a.zero === b.zero && a.data === b.data && a.present === b.present &&
    (a.offset === null) === (b.offset === null) && (a.offset === null || a.offset + a.length === b.offset) &&
    a.filename === b.filename;
}

function hex16(v: number): string {
  return (v === 0 ? '0' : '0x' + v.toString(16)).padEnd(16);
}

function jsonEntry(e: MapEntry): string {
  return `{ "start": ${e.start}, "length": ${e.length}, "depth": ${e.depth}, "present": ${e.present}, "zero": ${e.zero}, "data": ${e.data}` +
    (e.offset !== null ? `, "offset": ${e.offset}` : '') + '}';
}
