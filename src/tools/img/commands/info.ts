// termu-img info [-f fmt] [--output=human|json] [--backing-chain] [-U] filename
import type { BlockDriver } from '../../../vm/block/block-driver.js';
import { resolveBackingPath } from '../../../vm/block/open-image.js';
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { getopt } from '../getopt.js';
import { infoHuman, infoJson } from '../image-info.js';
import { toQemuJson, type Json } from '../json.js';
import { openForTool } from '../open.js';
import { ImgError, out, UsageError } from '../output.js';

export function outputFormat(v: string | undefined): 'human' | 'json' {
  if (v === undefined || v === 'human') return 'human';
  if (v === 'json') return 'json';
  throw new ImgError('--output must be used with human or json as argument.');
}

export function runInfo(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':f:hU', [
    { name: 'output', hasArg: true }, { name: 'backing-chain', hasArg: false }, { name: 'force-share', hasArg: false, key: 'U' },
    { name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true },
  ]);
  let format: string | undefined;
  let output: string | undefined;
  let chain = false;
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'output') output = v;
    else if (k === 'backing-chain') chain = true;
  }
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const fmt = outputFormat(output);
  const filename = rest[0];

  const entries: Array<{ human: string; json: Json }> = [];
  const seen = new Set<string>();
  let name: string | null = filename;
  let nameFormat = format;
  while (name !== null) {
    if (seen.has(name)) throw new ImgError(`Backing file '${name}' creates an infinite loop.`);
    seen.add(name);
    const d: BlockDriver = openForTool(name, { format: nameFormat, readOnly: true, noBacking: true });
    try {
      entries.push({ human: infoHuman(d, name), json: infoJson(d, name) });
      const backing = d instanceof Qcow2Driver ? d.header.backingFile : null;
      nameFormat = d instanceof Qcow2Driver ? d.header.backingFormat ?? undefined : undefined;
      name = chain && backing ? resolveBackingPath(name, backing) : null;
    } finally {
      d.close();
    }
  }
  if (fmt === 'json') out(toQemuJson(chain ? entries.map((e) => e.json) : entries[0].json) + '\n');
  else out(entries.map((e) => e.human).join('\n'));
  return 0;
}
