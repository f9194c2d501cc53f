// A Multiboot kernel of our own, booted by termu and by qemu-system-i386 with the same
// options: the serial output (command line, memory sizes, modules, memory map) and the
// isa-debug-exit status must be the same.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { buildTestKernels, HAVE_NASM, HAVE_QEMU, TERMU } from './test-kernels.js';

const skip = !HAVE_NASM ? 'nasm/ld are not installed' : !HAVE_QEMU ? 'qemu-system-i386 is not installed' : false;

function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill(), 60000);
    p.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

for (const variant of ['aout', 'elf'] as const) {
  for (const [label, extra] of [
    ['modules and a command line, 128 MiB', (dir: string) => ['-m', '128', '-append', 'arg1 arg2=x', '-initrd', `${join(dir, 'm1.txt')} one two,${join(dir, 'm2.txt')}`]],
    ['no modules, 64 MiB', () => ['-m', '64']],
  ] as const) {
    test(`Multiboot ${variant === 'aout' ? 'a.out kludge' : 'ELF'} kernel, ${label}: same output and exit status as qemu-system-i386`, { skip }, async () => {
      const k = buildTestKernels();
      writeFileSync(join(k.dir, 'm1.txt'), 'hello module\nline2\n');
      writeFileSync(join(k.dir, 'm2.txt'), 'second');
      const args = ['-display', 'none', '-serial', 'stdio', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', k[variant], ...extra(k.dir)];
      const [qemu, termu] = await Promise.all([run('qemu-system-i386', args), run(TERMU, args)]);
      assert.match(qemu.stdout, /^magic=2BADB002\n/);
      assert.equal(termu.stderr, '');
      assert.equal(termu.stdout, qemu.stdout);
      assert.equal(termu.status, qemu.status);
      assert.equal(termu.status, (0x2a << 1) | 1);
    });
  }
}
