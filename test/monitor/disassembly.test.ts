// `x /i` and `xp /i` against qemu-system-i386's monitor (which prints Capstone's AT&T output):
// a 32-bit guest's known instruction mix (guest/disassembly.asm, through paging-free virtual
// and physical addresses, the CPU's own position, and a window cut at a 1 KiB boundary), and
// SeaBIOS's 16-bit code at the reset vector with the CPU still in real mode.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { HAVE_QEMU } from './qemu-monitor.js';
import { QmpMachine } from './qmp-machine.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TERMU = join(REPO, 'bin', 'termu');
const HAVE_NASM = spawnSync('sh', ['-c', 'command -v nasm']).status === 0;
const READY = 0x3f0ff0;
const GUEST_32 = ['xp /110i 0x100000', 'x /60i 0x100030', 'x /2i $pc', 'xp /3i 0x1003fd', 'xp /2i 0x1003ff'];
const RESET_16 = ['x /3i 0xffff0', 'xp /60i 0xfe05b', 'xp /40i 0xf0000'];

async function outputs(program: string, args: string[], lines: string[], ready?: number): Promise<string[]> {
  const m = new QmpMachine(program, ['-m', '32', ...args]);
  try {
    await m.start();
    if (ready !== undefined) await m.until(ready, 0x600dbeef);
    const result: string[] = [];
    for (const line of lines) result.push(await m.hmp(line));
    return result;
  } finally {
    m.kill();
  }
}

test('x /i on a 32-bit guest prints what qemu-system-i386 prints', { skip: (!HAVE_NASM && 'nasm is not installed') || (!HAVE_QEMU && 'qemu-system-i386 is not installed') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-disas-'));
  try {
    const kernel = join(dir, 'guest.bin');
    const asm = spawnSync('nasm', ['-f', 'bin', '-o', kernel, join(REPO, 'test', 'monitor', 'guest', 'disassembly.asm')], { encoding: 'utf8' });
    assert.equal(asm.status, 0, asm.stderr);
    const [ours, qemu] = await Promise.all([
      outputs(TERMU, ['-kernel', kernel], GUEST_32, READY),
      outputs('qemu-system-i386', ['-kernel', kernel], GUEST_32, READY),
    ]);
    assert.match(ours[1], /^0x00100030:  83 c0 ff                 addl     \$-1, %eax\n/);
    GUEST_32.forEach((line, i) => assert.equal(ours[i], qemu[i], line));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('x /i in real mode disassembles SeaBIOS as 16-bit code, as qemu-system-i386 does', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const [ours, qemu] = await Promise.all([outputs(TERMU, ['-S'], RESET_16), outputs('qemu-system-i386', ['-S'], RESET_16)]);
  assert.match(ours[0], /^0x000ffff0:  ea 5b e0 00 f0           ljmpw    \$0xf000:\$0xe05b\n/);
  RESET_16.forEach((line, i) => assert.equal(ours[i], qemu[i], line));
});
