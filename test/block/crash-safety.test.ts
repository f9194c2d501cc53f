// Crash safety: a child process writes randomly into an overlay (allocating writes,
// overwrites, zero writes, discards) and is killed with SIGKILL at a random moment, over
// many rounds on the same image. After every kill `qemu-img check` must find no corruption
// (leaks are allowed); `termu-img check -r leaks` must then leave the image fully clean.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createQcow2 } from '../../src/vm/block/qcow2/qcow2-create.js';
import { haveQemuImg, qemuImg, qemuIo, rmrf, scratch, termuImg } from '../tools/img/img-harness.js';
import { rng } from './random-ops.js';

const skip = haveQemuImg() ? false : 'qemu-img (qemu-utils) is not installed';
const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-writer.js');

function runAndKill(file: string, seed: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, file, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited on its own (${code}): ${stderr}`));
    });
  });
}

for (const variant of [
  { name: '64 KiB clusters', clusterSize: 65536, rounds: 30 },
  { name: '512-byte clusters, 1-bit refcounts (refcount blocks and table grow)', clusterSize: 512, refcountBits: 1, rounds: 15 },
  { name: 'lazy refcounts (dirty bit set while writing)', clusterSize: 4096, lazyRefcounts: true, rounds: 8 },
]) {
  test(`SIGKILL during random writes never corrupts the image: ${variant.name}`, { skip, timeout: 120_000 }, async (t) => {
    const dir = scratch('crash');
    try {
      assert.equal(qemuImg(['create', '-q', '-f', 'qcow2', 'base.qcow2', '16M'], dir).status, 0);
      assert.equal(qemuIo(['-c', 'write -P 0x5a 0 12M', 'base.qcow2'], dir).status, 0);
      const file = path.join(dir, 'top.qcow2');
      createQcow2(file, {
        size: 16 << 20, clusterSize: variant.clusterSize, version: 3, lazyRefcounts: variant.lazyRefcounts ?? false,
        refcountBits: variant.refcountBits ?? 16, backingFile: 'base.qcow2', backingFormat: 'qcow2', preallocation: 'off',
      });
      const next = rng(1234 + variant.clusterSize);
      let leakyRounds = 0;
      for (let round = 0; round < variant.rounds; round++) {
        await runAndKill(file, round + 1, 5 + Math.floor(next() * 120));
        const chk = qemuImg(['check', 'top.qcow2'], dir);
        assert.ok(chk.status === 0 || chk.status === 3, `round ${round}: qemu-img check exit ${chk.status}\n${chk.stdout}${chk.stderr}`);
        assert.doesNotMatch(chk.stderr, /ERROR/, `round ${round}`);
        if (variant.lazyRefcounts) {
          assert.match(qemuImg(['info', 'top.qcow2'], dir).stdout, /cleanly shut down: no/, `round ${round}: dirty bit not set`);
        }
        if (chk.status === 3 || variant.lazyRefcounts) {
          if (chk.status === 3) leakyRounds++;
          const fix = termuImg(['check', '-r', 'leaks', 'top.qcow2'], dir);
          assert.equal(fix.status, 0, `round ${round}: termu-img check -r leaks: ${fix.stdout}${fix.stderr}`);
          assert.equal(qemuImg(['check', 'top.qcow2'], dir).status, 0, `round ${round}: still not clean after repair`);
          assert.doesNotMatch(qemuImg(['info', 'top.qcow2'], dir).stdout, /cleanly shut down/, `round ${round}: dirty bit left set`);
        }
      }
      // Backing data must still show through wherever the overlay was never written.
      assert.equal(qemuImg(['check', 'top.qcow2'], dir).status, 0);
      t.diagnostic(`${leakyRounds} of ${variant.rounds} kills left leaks`);
    } finally {
      rmrf(dir);
    }
  });
}
