// A triple fault resets the machine, which boots the kernel again; with -no-reboot it
// ends termu instead, with the status qemu-system-i386 gives.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import test from 'node:test';
import { buildTestKernels, HAVE_NASM, HAVE_QEMU, TERMU } from './test-kernels.js';

test('-no-reboot: a triple fault ends termu like qemu-system-i386', { skip: !HAVE_NASM ? 'nasm is not installed' : !HAVE_QEMU && 'qemu-system-i386 is not installed' }, () => {
  const k = buildTestKernels();
  const args = ['-display', 'none', '-serial', 'stdio', '-no-reboot', '-kernel', k.tripleFault];
  const qemu = spawnSync('qemu-system-i386', args, { encoding: 'utf8', timeout: 30000 });
  const termu = spawnSync(TERMU, args, { encoding: 'utf8', timeout: 30000 });
  assert.equal(qemu.stdout, 'boot\n');
  assert.equal(termu.stdout, qemu.stdout);
  assert.equal(termu.status, qemu.status);
});

test('without -no-reboot the machine resets and boots the kernel again', { skip: !HAVE_NASM && 'nasm is not installed' }, async () => {
  const k = buildTestKernels();
  const p = spawn(TERMU, ['-display', 'none', '-serial', 'stdio', '-kernel', k.tripleFault]);
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 600 && out.split('boot\n').length - 1 < 3; i++) await new Promise((r) => setTimeout(r, 50));
  p.kill();
  assert.ok(out.startsWith('boot\nboot\nboot\n'), JSON.stringify(out.slice(0, 100)));
});
