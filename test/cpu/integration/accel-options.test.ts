// -accel: QEMU's tcg forms are accepted (and its errors for bad tcg properties match
// qemu-system-i386's), and termu's own jit=on|off and jit-threshold=N reach MachineConfig.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CliError, formatCliError } from '../../../src/cli/cli-error.js';
import { parseArgs } from '../../../src/cli/parse-args.js';

const hasQemu = spawnSync('qemu-system-i386', ['-version']).status === 0;

function termuError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (e) {
    if (e instanceof CliError) return formatCliError(e).trimEnd();
    throw e;
  }
  return '';
}

test('-accel tcg and tcg,thread=single are accepted; jit=, jit-threshold= and jit-entry-threshold= set the JIT', () => {
  for (const arg of ['tcg', 'tcg,thread=single', 'tcg,thread=multi', 'tcg,tb-size=256']) assert.equal(termuError(['-accel', arg]), '', arg);
  const defaults = parseArgs([]).jit;
  assert.equal(parseArgs(['-accel', 'tcg,jit=off']).jit.enabled, false);
  assert.equal(parseArgs(['-accel', 'tcg,jit=on']).jit.enabled, true);
  assert.deepEqual(parseArgs(['-accel', 'tcg,jit=on,jit-threshold=0']).jit, { enabled: true, threshold: 0, entryThreshold: defaults.entryThreshold, wasm: true });
  assert.equal(parseArgs(['-accel', 'tcg,jit-entry-threshold=16']).jit.entryThreshold, 16);
  assert.equal(parseArgs(['-accel', 'tcg,jit-wasm=off']).jit.wasm, false);
  assert.equal(parseArgs(['-accel', 'tcg,jit-threshold=0x100']).jit.threshold, 256);
  assert.equal(parseArgs(['-accel', 'tcg']).jit.threshold, defaults.threshold);
});

test('bad termu JIT properties fail with QEMU-style property errors', () => {
  assert.equal(termuError(['-accel', 'tcg,jit=maybe']), "termu: -accel tcg,jit=maybe: Parameter 'jit' expects 'on' or 'off'");
  assert.equal(termuError(['-accel', 'tcg,jit-wasm=2']), "termu: -accel tcg,jit-wasm=2: Parameter 'jit-wasm' expects 'on' or 'off'");
  assert.equal(termuError(['-accel', 'tcg,jit-threshold=-1']), "termu: -accel tcg,jit-threshold=-1: Parameter 'jit-threshold' expects uint32");
  assert.equal(termuError(['-accel', 'tcg,jit-threshold=lots']), "termu: -accel tcg,jit-threshold=lots: Parameter 'jit-threshold' expects uint32");
  assert.equal(termuError(['-accel', 'tcg,jit-entry-threshold=65536']), "termu: -accel tcg,jit-entry-threshold=65536: Parameter 'jit-entry-threshold' expects uint16");
});

for (const arg of ['tcg,foo=1', 'tcg,thread=bogus', 'tcg,tb-size=abc', 'tcg,split-wx=maybe']) {
  test(`-accel ${arg} fails as in qemu-system-i386`, { skip: !hasQemu && 'qemu-system-i386 is not installed' }, () => {
    const q = spawnSync('qemu-system-i386', ['-display', 'none', '-S', '-accel', arg], { encoding: 'utf8', timeout: 10000, input: '' });
    assert.equal(q.status, 1);
    assert.equal(termuError(['-accel', arg]).replace('termu:', 'qemu-system-i386:'), q.stderr.trim());
  });
}
