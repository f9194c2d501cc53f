// termu-img check [-q] [-f fmt] [--output=human|json] [-r leaks|all] [-T cache] [-U] filename
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { CheckFailed, checkQcow2, type CheckFix, type CheckResult } from '../../../vm/block/qcow2/qcow2-check.js';
import { getopt } from '../getopt.js';
import { toQemuJson } from '../json.js';
import { openForTool } from '../open.js';
import { err, ImgError, out, UsageError } from '../output.js';
import { outputFormat } from './info.js';

export function runCheck(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':hf:r:T:qU', [
    { name: 'output', hasArg: true }, { name: 'repair', hasArg: true, key: 'r' }, { name: 'force-share', hasArg: false, key: 'U' },
    { name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true },
  ]);
  let format: string | undefined;
  let output: string | undefined;
  let quiet = false;
  const fix: CheckFix = { leaks: false, errors: false };
  for (const [k, v] of opts) {
    if (k === 'f') format = v;
    else if (k === 'output') output = v;
    else if (k === 'q') quiet = true;
    else if (k === 'r') {
      if (v === 'leaks') fix.leaks = true;
      else if (v === 'all') { fix.leaks = true; fix.errors = true; }
      else throw new UsageError(`Unknown option value for -r (expecting 'leaks' or 'all'): ${v}`);
    }
  }
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const fmt = outputFormat(output);
  const filename = rest[0];
  const repairing = fix.leaks || fix.errors;
  const drv = openForTool(filename, { format, readOnly: !repairing, repair: repairing });
  try {
    if (!(drv instanceof Qcow2Driver)) throw new ImgError('This image format does not support checks', 63);
    const log = (s: string) => err(s + '\n');
    let res: CheckResult;
    try {
      res = checkQcow2(drv, fix, log);
    } catch (e) {
      if (e instanceof CheckFailed) throw new ImgError('Check failed: Input/output error');
      throw e;
    }
    if (res.leaksFixed || res.corruptionsFixed) {
      if (fmt === 'human' && !quiet) {
        out('The following inconsistencies were found and repaired:\n\n' +
          `    ${res.leaksFixed} leaked clusters\n    ${res.corruptionsFixed} corruptions\n\n` +
          'Double checking the fixed image now...\n');
      }
      const second = checkQcow2(drv, { leaks: false, errors: false }, log);
      second.leaksFixed = res.leaksFixed;
      second.corruptionsFixed = res.corruptionsFixed;
      res = second;
    }
    if (fmt === 'json') out(checkJson(res, filename) + '\n');
    else if (!quiet) out(checkHuman(res));
    if (res.checkErrors) return 1;
    if (res.corruptions) return 2;
    if (res.leaks) return 3;
    return 0;
  } finally {
    drv.close();
  }
}

/** printf("%0.2f", a * 100.0 / b): glibc rounds exact ties to even, toFixed() rounds them up. */
function pct(a: number, b: number): string {
  const v = (a * 100) / b;
  const hundredths = v * 100;
  if (Number.isInteger(hundredths * 2) && !Number.isInteger(hundredths)) {
    const down = Math.floor(hundredths);
    return ((down % 2 === 0 ? down : down + 1) / 100).toFixed(2);
  }
  return v.toFixed(2);
}

export function checkHuman(r: CheckResult): string {
  let s = '';
  if (!r.corruptions && !r.leaks && !r.checkErrors) {
    s += 'No errors were found on the image.\n';
  } else {
    if (r.corruptions) s += `\n${r.corruptions} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n`;
    if (r.leaks) s += `\n${r.leaks} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n`;
    if (r.checkErrors) s += `\n${r.checkErrors} internal errors have occurred during the check.\n`;
  }
  if (r.totalClusters && r.allocatedClusters) {
    s += `${r.allocatedClusters}/${r.totalClusters} = ${pct(r.allocatedClusters, r.totalClusters)}% allocated, ` +
      `${pct(r.fragmentedClusters, r.allocatedClusters)}% fragmented, ${pct(r.compressedClusters, r.allocatedClusters)}% compressed clusters\n`;
  }
  if (r.imageEndOffset) s += `Image end offset: ${r.imageEndOffset}\n`;
  return s;
}

function checkJson(r: CheckResult, filename: string): string {
  const opt = (n: number) => (n ? n : undefined);
  return toQemuJson({
    'image-end-offset': opt(r.imageEndOffset),
    'compressed-clusters': opt(r.compressedClusters),
    'total-clusters': opt(r.totalClusters),
    corruptions: opt(r.corruptions),
    'corruptions-fixed': opt(r.corruptionsFixed),
    'check-errors': r.checkErrors,
    leaks: opt(r.leaks),
    'leaks-fixed': opt(r.leaksFixed),
    'allocated-clusters': opt(r.allocatedClusters),
    filename,
    format: 'qcow2',
    'fragmented-clusters': opt(r.fragmentedClusters),
  });
}


