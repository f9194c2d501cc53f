// Child process for the hostile-image test: feeds every image in a directory to info,
// check, check -r all (on a copy), map and full reads, in-process, and records any failure
// that is not a clean error (an exception other than the block layer's or termu-img's).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlockError } from '../../src/vm/block/block-error.js';
import { openImage } from '../../src/vm/block/open-image.js';
import { runCheck } from '../../src/tools/img/commands/check.js';
import { runInfo } from '../../src/tools/img/commands/info.js';
import { runMap } from '../../src/tools/img/commands/map.js';
import { ImgError } from '../../src/tools/img/output.js';

const [dir, reportFile] = process.argv.slice(2);
const problems: string[] = [];
let cleanErrors = 0;
let successes = 0;
const READ_LIMIT = 64 << 20;
const SLOW_MS = 10_000;

function attempt(label: string, fn: () => unknown): void {
  const t0 = Date.now();
  try {
    fn();
    successes++;
  } catch (e) {
    if (!(e instanceof BlockError) && !(e instanceof ImgError)) problems.push(`${label}: ${(e as Error).stack ?? e}`);
    else cleanErrors++;
  }
  if (Date.now() - t0 > SLOW_MS) problems.push(`${label}: took ${Date.now() - t0} ms`);
}

process.chdir(dir);
for (const name of fs.readdirSync('.').filter((f) => f.endsWith('.qcow2') && f !== 'base.qcow2').sort()) {
  attempt(`${name} info`, () => runInfo([name]));
  attempt(`${name} info json chain`, () => runInfo(['--output=json', '--backing-chain', name]));
  attempt(`${name} check`, () => runCheck([name]));
  attempt(`${name} map`, () => runMap(['--output=json', name]));
  attempt(`${name} read`, () => {
    const d = openImage(name, { readOnly: true });
    try {
      const buf = new Uint8Array(1 << 20);
      for (let off = 0; off < Math.min(d.length, READ_LIMIT); off += buf.length) {
        d.read(off, buf.subarray(0, Math.min(buf.length, d.length - off)));
      }
    } finally {
      d.close();
    }
  });
  const copy = path.join('repair', name);
  fs.mkdirSync('repair', { recursive: true });
  fs.copyFileSync(name, copy);
  attempt(`${name} check -r all`, () => runCheck(['-r', 'all', copy]));
  fs.rmSync(copy);
}
fs.writeFileSync(reportFile, JSON.stringify({ problems, cleanErrors, successes }));
