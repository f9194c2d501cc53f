// HLT sleeps: a guest halted with interrupts off must leave the host idle (the run loop
// waits for the next timer deadline or a wake-up instead of spinning).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { buildTestKernels, HAVE_NASM, TERMU } from './test-kernels.js';

/** User + system CPU seconds of a Linux process, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

test('a halted guest costs (almost) no host CPU', { skip: !HAVE_NASM && 'nasm is not installed' }, async () => {
  const k = buildTestKernels();
  const p = spawn(TERMU, ['-display', 'none', '-kernel', k.halt], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 1500)); // start-up (module loading) is not idle time
    const before = cpuSeconds(p.pid!);
    await new Promise((r) => setTimeout(r, 2000));
    const used = cpuSeconds(p.pid!) - before;
    assert.ok(used < 0.2, `termu used ${used.toFixed(2)} s of CPU in 2 s while the guest was halted`);
  } finally {
    p.kill();
  }
});
