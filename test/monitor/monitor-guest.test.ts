// The monitor on a real termu process running a guest with known state (guest/paging-
// keyboard.asm): x, xp, memsave, info mem, info tlb and info pic must print what the
// guest's page tables, memory and interrupt controllers hold, byte for byte as
// qemu-system-i386 prints them for the same guest; sendkey must reach the guest's IRQ1
// handler as the scancodes QEMU delivers.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { HAVE_QEMU } from './qemu-monitor.js';
import { QmpMachine } from './qmp-machine.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TERMU = join(REPO, 'bin', 'termu');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const READY = 0x3f0ff0;
const KEYS = 0x3f0000;
const INSPECT = [
  'info mem',
  'info tlb',
  'x /16xb 0x80000000',
  'x /3c 0x8000000d',
  'x /4xw 0x80001ffc',
  'x /2xg 0x80000120',
  'xp /5dh 0x300120',
  'x /x 0x80003000',
  'x /2xw 0x80002ffc',
  'x /3ob 0x40000000',
  'xp /3ug 0x300020',
  'xp /5dg 0x300120',
  'xp /4ow 0x300000',
  'x /20xw 0x7ffffff0',
  'xp /2xw 0x1fffffc',
  'info pic',
  'x /2xb $pc',
  'xp /2xw $esp-8',
];

/** Runs the whole session on one emulator: what the inspection commands printed, the keys the guest got, the memsave file. */
async function session(program: string, kernel: string, dir: string) {
  const m = new QmpMachine(program, ['-m', '32', '-kernel', kernel]);
  try {
    await m.start();
    await m.until(READY, 0x600dbeef);
    const outputs: string[] = [];
    for (const line of INSPECT) outputs.push(await m.hmp(line));
    const keys: string[] = [];
    for (const [line, count] of [['sendkey shift-a', 4], ['sendkey ctrl-alt-delete 10', 12], ['sendkey kp_enter', 16]] as const) {
      assert.equal(await m.hmp(line), '');
      await m.until(KEYS, count);
      keys.push(await m.hmp(`xp /${count}xb ${KEYS + 4}`));
    }
    outputs.push(await m.hmp('info irq'));
    if (program === TERMU) assert.match(await m.hmp('info jit'), /^JIT: threshold \d+ instructions per page, cap \d+ regions\nregions +\d+ on \d+ pages\ncompiled +\d+\n/);
    const file = join(dir, `${program.replace(/\W/g, '')}.mem`);
    outputs.push(await m.hmp(`memsave 0x80000000 0x2010 "${file}"`));
    outputs.push(await m.hmp(`memsave 0x80002ff0 0x20 "${file}.2"`));
    return { outputs, keys, memsave: readFileSync(file) };
  } finally {
    m.kill();
  }
}

test('x, xp, memsave, info mem/tlb/pic and sendkey on a paging guest, against qemu-system-i386', { skip: !has('nasm') && 'nasm is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-mon-'));
  const kernel = join(dir, 'guest.bin');
  const asm = spawnSync('nasm', ['-f', 'bin', '-o', kernel, join(REPO, 'test', 'monitor', 'guest', 'paging-keyboard.asm')], { encoding: 'utf8' });
  assert.equal(asm.status, 0, asm.stderr);

  const ours = await session(TERMU, kernel, dir);
  // What the guest itself holds: its pattern through the 0x80000000 mapping, and the keys its IRQ1 handler stored.
  assert.equal(ours.outputs[2], '80000000: 0x74 0x65 0x72 0x6d 0x75 0x20 0x6d 0x6f\n80000008: 0x6e 0x69 0x74 0x6f 0x72 0x0a 0x27 0x5c\n');
  assert.equal(ours.outputs[7], '80003000: Cannot access memory\n');
  assert.match(ours.outputs[16], /^[0-9a-f]{8}: 0xf4 0xeb\n$|^[0-9a-f]{8}: 0xeb 0xfd\n$/, 'the CPU idles at its hlt; jmp loop');
  assert.match(ours.outputs[0], /^0000000080001000-0000000080002000 0000000000001000 ur-$/m);
  assert.match(ours.outputs[1], /^0000000040000000: 0000000000800000 -GPDA---W$/m);
  assert.deepEqual(ours.keys, [
    '00000000003f0004: 0x2a 0x1e 0x9e 0xaa\n',
    '00000000003f0004: 0x2a 0x1e 0x9e 0xaa 0x1d 0x38 0xe0 0x53\n00000000003f000c: 0xe0 0xd3 0xb8 0x9d\n',
    '00000000003f0004: 0x2a 0x1e 0x9e 0xaa 0x1d 0x38 0xe0 0x53\n00000000003f000c: 0xe0 0xd3 0xb8 0x9d 0xe0 0x1c 0xe0 0x9c\n',
  ]);
  assert.equal(ours.memsave.subarray(0, 13).toString('latin1'), 'termu monitor');
  assert.equal(ours.memsave.readUInt32LE(0x1000), 0x11223344);
  assert.equal(ours.memsave.readUInt32LE(0x2000), 0x55667788);

  if (!HAVE_QEMU) return;
  const qemu = await session('qemu-system-i386', kernel, dir);
  // IRQ1 counts the 16 key bytes on both controllers. The timer's count depends on how long
  // each ran, and the SeaBIOS QEMU runs before a -kernel pulses COM1's IRQ4 once.
  const irq = INSPECT.length;
  assert.match(ours.outputs[irq], /^IRQ statistics for ioapic:\n(?: 0: \d+\n)? 1: 16\nIRQ statistics for isa-i8259:\n(?: 0: \d+\n)? 1: 16\n$/);
  const withoutTimerAndSerial = (text: string) => text.replace(/^ [04]: \d+\n/gm, '');
  assert.equal(withoutTimerAndSerial(ours.outputs[irq]), withoutTimerAndSerial(qemu.outputs[irq]), 'info irq');
  ours.outputs.forEach((text, i) => i !== irq && assert.equal(text, qemu.outputs[i], INSPECT[i] ?? 'memsave'));
  assert.deepEqual(ours.keys, qemu.keys);
  assert.deepEqual(ours.memsave, qemu.memsave);
});
