// The single-file build of termu-img (dist/termu-img.cjs, which bin/termu-img prefers) must
// behave exactly as the ES modules tsc emitted, and must say it is stale as soon as one of
// those modules changes or disappears, so bin/termu-img never runs old code.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSingleFile } from '../../../src/tools/img/single-file-build.js';
import { mask, run, rmrf, scratch } from './img-harness.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MODULES = path.join(DIST, 'src/tools/img/main.js');

/** A launcher for a single file built elsewhere; exits 99 when the file is stale. */
function writeLauncher(dir: string, singleFile: string): string {
  const launcher = path.join(dir, 'launch.cjs');
  fs.writeFileSync(launcher, `const s = require(${JSON.stringify(singleFile)});\nif (!s.isCurrent()) process.exit(99);\ns.main();\n`);
  return launcher;
}

test('termu-img from the single file prints and writes what the modules do', () => {
  const dir = scratch('single-file');
  try {
    const single = path.join(dir, 'termu-img.cjs');
    const ids = buildSingleFile(DIST, single);
    assert.ok(ids.includes('src/tools/img/commands/convert.js') && ids.includes('src/vm/block/qcow2/qcow2-driver.js'));
    const launcher = writeLauncher(dir, single);
    const src = Buffer.alloc(3 << 20);
    for (let i = 0; i < src.length; i += 4096) if ((i >> 12) % 3 !== 0) src.fill((i >> 12) & 0xff | 1, i, i + 4096);
    fs.writeFileSync(path.join(dir, 'src.raw'), src);
    const cases: string[][] = [
      ['--version'], ['--help'], ['nosuchcommand'], [],
      ['create', '-f', 'qcow2', '-o', 'cluster_size=4096', 'TOOL.qcow2', '5M'],
      ['convert', '-f', 'raw', '-O', 'qcow2', 'src.raw', 'TOOL-conv.qcow2'],
      ['convert', '-c', '-f', 'raw', '-O', 'qcow2', 'src.raw', 'TOOL-comp.qcow2'],
      ['info', '--output=json', 'TOOL-comp.qcow2'],
      ['check', 'TOOL-conv.qcow2'],
      ['map', 'TOOL-conv.qcow2'],
      ['compare', 'src.raw', 'TOOL-comp.qcow2'],
      ['info', 'missing.qcow2'],
    ];
    for (const args of cases) {
      const a = run(process.execPath, [MODULES, ...args.map((s) => s.replace('TOOL', 'modules'))], dir);
      const b = run(process.execPath, [launcher, ...args.map((s) => s.replace('TOOL', 'single'))], dir);
      const name = args.join(' ') || '(no arguments)';
      assert.equal(b.status, a.status, `${name}: exit status`);
      assert.equal(mask(b.stdout).replaceAll('single', 'modules'), mask(a.stdout), `${name}: stdout`);
      assert.equal(b.stderr.replaceAll('single', 'modules'), a.stderr, `${name}: stderr`);
    }
    for (const f of ['.qcow2', '-conv.qcow2', '-comp.qcow2']) {
      assert.ok(fs.readFileSync(path.join(dir, `single${f}`)).equals(fs.readFileSync(path.join(dir, `modules${f}`))), `${f}: same bytes`);
    }
  } finally {
    rmrf(dir);
  }
});

test('the single file is stale once a module it was built from changes or goes', () => {
  const dir = scratch('single-file-stale');
  try {
    // A private copy of the modules, so the real dist/ is never touched.
    const dist = path.join(dir, 'dist');
    for (const sub of ['src/tools/img', 'src/vm/block']) fs.cpSync(path.join(DIST, sub), path.join(dist, sub), { recursive: true });
    const single = path.join(dir, 'termu-img.cjs');
    const ids = buildSingleFile(dist, single);
    const launcher = writeLauncher(dir, single);
    assert.equal(run(process.execPath, [launcher, '--version'], dir).status, 0);
    const victim = path.join(dist, ids.find((id) => id.endsWith('raw-driver.js'))!);
    const later = new Date(fs.statSync(victim).mtimeMs + 2000);
    fs.utimesSync(victim, later, later);
    assert.equal(run(process.execPath, [launcher, '--version'], dir).status, 99, 'a newer module');
    buildSingleFile(dist, single);
    assert.equal(run(process.execPath, [launcher, '--version'], dir).status, 0, 'rebuilt');
    fs.rmSync(victim);
    assert.equal(run(process.execPath, [launcher, '--version'], dir).status, 99, 'a missing module');
  } finally {
    rmrf(dir);
  }
});
