// Crash safety of the overlapped raw -> qcow2 convert: termu-img is killed with SIGKILL at
// random moments while it copies (reads, data writes and L2/refcount updates in flight).
// `qemu-img check` must never find corruption, only leaks, which `termu-img check -r leaks`
// repairs, and every cluster the image maps must already hold the source's data (an L2
// entry written before its data would map stale bytes). A run left alone must produce the
// source's content.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rng } from '../../block/random-ops.js';
import { haveQemuImg, qemuImg, rmrf, scratch, TERMU_IMG, termuImg } from './img-harness.js';

const skip = haveQemuImg() ? false : 'qemu-img (qemu-utils) is not installed';
const MiB = 1 << 20;

/** 1 MiB blocks of random data, holes and half-filled blocks. */
function makeSource(file: string, mib: number): void {
  const next = rng(99);
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < mib; i++) {
    if (i % 4 === 1) continue;
    for (let j = 0; j < MiB; j += 4) block.writeUInt32LE((Math.floor(next() * 2 ** 32) | 1) >>> 0, j);
    if (i % 4 === 3) block.fill(0, MiB / 2);
    fs.writeSync(fd, block, 0, MiB, i * MiB);
  }
  fs.ftruncateSync(fd, mib * MiB);
  fs.closeSync(fd);
}

/** Starts a convert and kills it `delayMs` after the target has grown past its empty size. */
function convertAndKill(dir: string, args: string[], target: string, delayMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TERMU_IMG, ...args], { cwd: dir, stdio: 'ignore' });
    let killed = false;
    const poll = setInterval(() => {
      let size = 0;
      try {
        size = fs.statSync(path.join(dir, target)).size;
      } catch { /* not created yet */ }
      if (size > MiB) {
        clearInterval(poll);
        setTimeout(() => { killed = child.kill('SIGKILL'); }, delayMs);
      }
    }, 2);
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      resolve(killed && signal === 'SIGKILL');
    });
  });
}

/** Every range `t.qcow2` maps as data reads as the same bytes of `src.raw`. */
function assertMappedDataIsSource(dir: string, what: string): void {
  const map = qemuImg(['map', '--output=json', 't.qcow2'], dir);
  assert.equal(map.status, 0, `${what}: ${map.stderr}`);
  assert.equal(qemuImg(['convert', '-f', 'qcow2', '-O', 'raw', 't.qcow2', 'view.raw'], dir).status, 0, what);
  const view = fs.readFileSync(path.join(dir, 'view.raw'));
  const src = fs.readFileSync(path.join(dir, 'src.raw'));
  for (const e of JSON.parse(map.stdout) as Array<{ start: number; length: number; data: boolean }>) {
    if (!e.data) continue;
    const same = view.subarray(e.start, e.start + e.length).equals(src.subarray(e.start, e.start + e.length));
    assert.ok(same, `${what}: mapped range ${e.start}+${e.length} does not hold the source's data`);
  }
}

for (const variant of [
  { name: '64 KiB clusters', options: [] as string[], rounds: 8 },
  { name: '4 KiB clusters', options: ['-o', 'cluster_size=4k'], rounds: 5 },
]) {
  test(`SIGKILL during convert -O qcow2 never corrupts the target: ${variant.name}`, { skip, timeout: 120_000 }, async (t) => {
    const dir = scratch('convert-crash');
    try {
      makeSource(path.join(dir, 'src.raw'), 64);
      const args = ['convert', '-f', 'raw', '-O', 'qcow2', ...variant.options, 'src.raw', 't.qcow2'];
      const next = rng(7 + variant.rounds);
      let kills = 0;
      for (let round = 0; round < variant.rounds; round++) {
        fs.rmSync(path.join(dir, 't.qcow2'), { force: true });
        if (!(await convertAndKill(dir, args, 't.qcow2', Math.floor(next() * 40)))) continue;
        kills++;
        assertMappedDataIsSource(dir, `round ${round}`);
        const chk = qemuImg(['check', 't.qcow2'], dir);
        assert.ok(chk.status === 0 || chk.status === 3, `round ${round}: qemu-img check exit ${chk.status}\n${chk.stdout}${chk.stderr}`);
        assert.doesNotMatch(chk.stdout + chk.stderr, /ERROR/, `round ${round}`);
        if (chk.status === 3) {
          assert.equal(termuImg(['check', '-r', 'leaks', 't.qcow2'], dir).status, 0, `round ${round}: repair`);
          assert.equal(qemuImg(['check', 't.qcow2'], dir).status, 0, `round ${round}: still not clean after repair`);
        }
      }
      assert.ok(kills > 0, 'no convert was killed while copying');
      t.diagnostic(`${kills} of ${variant.rounds} runs killed while copying`);
      fs.rmSync(path.join(dir, 't.qcow2'), { force: true });
      assert.equal(termuImg(args, dir).status, 0);
      assert.equal(qemuImg(['compare', '-f', 'raw', '-F', 'qcow2', 'src.raw', 't.qcow2'], dir).status, 0);
    } finally {
      rmrf(dir);
    }
  });
}
