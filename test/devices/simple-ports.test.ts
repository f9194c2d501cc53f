import test from 'node:test';
import assert from 'node:assert/strict';
import { IsaDebugExit } from '../../src/vm/devices/isa-debug-exit.js';
import { Debugcon } from '../../src/vm/devices/debugcon.js';
import { Port92 } from '../../src/vm/devices/port92.js';
import { SharedIrq } from '../../src/vm/devices/shared-irq.js';
import { Ports, RecordingIrq } from './fixtures.js';

test('isa-debug-exit: status is (value << 1) | 1 at the configured iobase/iosize', () => {
  const statuses: number[] = [];
  const dev = new IsaDebugExit((s) => statuses.push(s), 0xf4, 4);
  const p = new Ports();
  dev.attach(p.io);
  p.outb(0xf4, 0x10);
  p.outl(0xf4, 0);
  p.outw(0xf6, 0x7f);
  assert.deepEqual(statuses, [0x21, 1, 0xff]);
  assert.equal(p.io.isClaimed(0xf8), false);
  assert.equal(new IsaDebugExit(() => {}).iobase, 0x501, "QEMU's default iobase");
});

test('debugcon: bytes to the backend, reads return 0xe9', () => {
  const out: number[] = [];
  const dev = new Debugcon((b) => out.push(b));
  const p = new Ports();
  dev.attach(p.io);
  for (const c of Buffer.from('hi\n')) p.outb(0xe9, c);
  assert.equal(Buffer.from(out).toString(), 'hi\n');
  assert.equal(p.inb(0xe9), 0xe9);
});

test('port 0x92: A20 on bit 1, reset on a rising bit 0, bit 0 cleared by reset', () => {
  const a20: boolean[] = [];
  let resets = 0;
  const dev = new Port92((e) => a20.push(e), () => resets++);
  const p = new Ports();
  dev.attach(p.io);
  p.outb(0x92, 0x02);
  assert.deepEqual(a20, [true]);
  assert.equal(p.inb(0x92), 0x02);
  p.outb(0x92, 0x03);
  assert.equal(resets, 1);
  p.outb(0x92, 0x03);
  assert.equal(resets, 1, 'bit 0 already set: no second reset');
  dev.reset();
  assert.equal(p.inb(0x92), 0x02);
});

test('a shared IRQ stays asserted while any of its devices asserts it', () => {
  const out = new RecordingIrq();
  const shared = new SharedIrq(out);
  const com1 = shared.line();
  const com3 = shared.line();
  com1.set(true);
  com3.set(true);
  com1.set(false);
  assert.equal(out.level, true);
  com3.set(false);
  assert.equal(out.level, false);
  com3.set(false);
  assert.equal(out.level, false, 'repeating a level changes nothing');
});
