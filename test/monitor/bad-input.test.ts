// Bad input to the inspection commands: the same messages as qemu-system-i386 7.2, and
// the monitor goes on. The fake machine has no readable memory, as QEMU's has none at
// the addresses used here.
import assert from 'node:assert/strict';
import test from 'node:test';
import { fakeVm, monitorOutput, resetRegisters } from './fake-vm.js';
import { HAVE_QEMU, qemuMonitor } from './qemu-monitor.js';


const LINES = [
  'x /2x',
  'x',
  'x /',
  'xp 1 2',
  'xp /zz 0',
  'xp /2s 0',
  'x /3xw 0x1000 5',
  'xp /x 0x100000000',
  'x /2xg 0xfffffffffc',
  'xp /0x 0',
  'x /x $foo',
  'x /x 1+',
  'x /x (1',
  'x /x 4/0',
  "x /x 'a",
  'memsave',
  'memsave 0 10',
  'memsave 0 0x10 "/nonexistent-dir/x"',
  'memsave 0x10000000 0x10 "/dev/null"',
  'memsave 0 10 /tmp/f',
  'info mem x',
  'info tlb 1',
  'info pic extra',
  'info cpus x',
  'info uuid 0',
  'info mtree -x',
  'info mtree -f -q',
  'info mtree 1',
  'info qtree x',
  'info network x',
  'info history x',
  'help info mem',
  'help info foo',
  'info foo bar',
  'sendkey ctrl-alt-f1 0x',
  'sendkey ctrl-alt-f1 0x1 2',
  'nosuchcommand 1 2',
];

test('bad input to x, xp, memsave, info and help: the messages of qemu-system-i386', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const q = await qemuMonitor(['-nodefaults'], LINES.map((l) => `${l}\n`));
  // QEMU echoes what it reads; keep what the commands printed.
  const expected = q.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split(/\r?\n/).filter((l) => !l.startsWith('(qemu)') && !l.startsWith('QEMU '));
  const ours = (await monitorOutput(fakeVm(resetRegisters()).vm, LINES)).split('\n');
  assert.deepEqual(ours, expected);
});
