import test from 'node:test';
import assert from 'node:assert/strict';
import { Pit } from '../../src/vm/devices/pit.js';
import { PIT_HZ } from '../../src/vm/devices/pit-channel.js';
import { SystemPortB } from '../../src/vm/devices/system-port-b.js';
import { nsForTicks } from '../../src/vm/devices/tick-math.js';
import { Ports, RecordingIrq, TestClock } from './fixtures.js';

function setup() {
  const clock = new TestClock();
  const irq0 = new RecordingIrq();
  const pit = new Pit(clock, irq0);
  const portB = new SystemPortB(pit.channels[2]);
  const p = new Ports();
  pit.attach(p.io);
  portB.attach(p.io);
  pit.reset();
  portB.reset();
  return { clock, irq0, pit, p };
}

test("Linux's pit_calibrate_tsc: channel 2 mode 0 raises OUT (port 0x61 bit 5) after the latch", () => {
  const { clock, p } = setup();
  const latch = Math.floor(PIT_HZ / (1000 / 50)); // CAL_LATCH: 50 ms
  p.outb(0x61, (p.inb(0x61) & ~0x02) | 0x01);
  p.outb(0x43, 0xb0);
  p.outb(0x42, latch & 0xff);
  p.outb(0x42, latch >> 8);
  assert.equal(p.inb(0x61) & 0x20, 0, 'OUT low while counting');
  clock.advanceTo(nsForTicks(latch, PIT_HZ) - 1);
  assert.equal(p.inb(0x61) & 0x20, 0, 'still low one ns before terminal count');
  clock.advanceTo(nsForTicks(latch, PIT_HZ));
  assert.equal(p.inb(0x61) & 0x20, 0x20, 'high at terminal count');
  assert.equal(p.inb(0x61) & 0x01, 0x01, 'gate reads back');
  // 50 ms of the 1.193182 MHz clock: the figure Linux uses to compute the TSC rate.
  assert.ok(Math.abs(clock.now() - 50e6) < 1000);
});

test('port 0x61 bit 4 toggles on every read', () => {
  const { p } = setup();
  const a = p.inb(0x61) & 0x10;
  const b = p.inb(0x61) & 0x10;
  assert.notEqual(a, b);
});

test('channel 0 mode 2 at HZ=1000 gives 1000 IRQ0 rising edges a second', () => {
  const { clock, irq0, p } = setup();
  const latch = Math.round(PIT_HZ / 1000);
  p.outb(0x43, 0x34);
  p.outb(0x40, latch & 0xff);
  p.outb(0x40, latch >> 8);
  irq0.rises = 0;
  for (let t = 1; t <= 1000; t++) clock.advanceTo(t * 1e6 + 5000);
  assert.equal(irq0.rises, Math.floor(1.000005 * PIT_HZ / latch));
});

test('after reset channel 0 runs mode 3 with count 0x10000 (18.2 Hz), as QEMU', () => {
  const { clock, irq0 } = setup();
  irq0.rises = 0;
  for (let t = 1; t <= 100; t++) clock.advanceTo(t * 1e7);
  assert.equal(irq0.rises, Math.floor((1 * PIT_HZ) / 0x10000));
});

test('mode 3 square wave: OUT high for the first half of the period', () => {
  const { clock, pit, p } = setup();
  p.outb(0x61, 0x01); // gate channel 2 on
  p.outb(0x43, 0xb6); // channel 2, word, mode 3
  p.outb(0x42, 100);
  p.outb(0x42, 0);
  const ch = pit.channels[2];
  clock.advanceTo(nsForTicks(49, PIT_HZ));
  assert.equal(ch.output(), true);
  clock.advanceTo(nsForTicks(50, PIT_HZ));
  assert.equal(ch.output(), false);
  clock.advanceTo(nsForTicks(100, PIT_HZ));
  assert.equal(ch.output(), true);
});

test('counter latch freezes the value read; live reads keep counting down', () => {
  const { clock, p } = setup();
  p.outb(0x43, 0x30); // channel 0, word, mode 0
  p.outb(0x40, 0x00);
  p.outb(0x40, 0x10); // 0x1000
  clock.advanceTo(nsForTicks(0x100, PIT_HZ));
  p.outb(0x43, 0x00); // latch channel 0
  clock.advanceTo(nsForTicks(0x200, PIT_HZ));
  const lo = p.inb(0x40);
  const hi = p.inb(0x40);
  assert.equal((hi << 8) | lo, 0x1000 - 0x100);
  const lo2 = p.inb(0x40);
  const hi2 = p.inb(0x40);
  assert.equal((hi2 << 8) | lo2, 0x1000 - 0x200);
});

test('read-back returns status (OUT, null count, access, mode, BCD) then the count', () => {
  const { clock, p } = setup();
  p.outb(0x61, 0x01); // gate channel 2 on
  p.outb(0x43, 0xb1); // channel 2, word, mode 0, BCD
  assert.equal(p.inb(0x43), 0xff, 'control port is write-only');
  p.outb(0x43, 0xe8); // read-back status of channel 2 only
  assert.equal(p.inb(0x42), 0x40 | 0x30 | 0x00 | 0x01, 'null count before the count is written');
  p.outb(0x42, 0x00);
  p.outb(0x42, 0x20); // BCD 2000
  clock.advanceTo(nsForTicks(5, PIT_HZ));
  p.outb(0x43, 0xc8); // read-back count and status of channel 2
  assert.equal(p.inb(0x42), 0x31, 'status first: OUT low, count loaded');
  const lo = p.inb(0x42);
  const hi = p.inb(0x42);
  assert.equal((hi << 8) | lo, 0x1995, 'BCD 2000 - 5 = 1995');
});

test('LSB-only and MSB-only access', () => {
  const { clock, p } = setup();
  p.outb(0x61, 0x01);
  p.outb(0x43, 0x90); // channel 2, LSB only, mode 0
  p.outb(0x42, 0x80);
  clock.advanceTo(nsForTicks(0x10, PIT_HZ));
  assert.equal(p.inb(0x42), 0x70);
  p.outb(0x43, 0xa0); // channel 2, MSB only, mode 0
  p.outb(0x42, 0x12);
  assert.equal(p.inb(0x42), 0x12);
});

test('mode 2 OUT drops for exactly the tick before reload', () => {
  const { clock, pit, p } = setup();
  p.outb(0x61, 0x01);
  p.outb(0x43, 0xb4);
  p.outb(0x42, 10);
  p.outb(0x42, 0);
  const ch = pit.channels[2];
  clock.advanceTo(nsForTicks(8, PIT_HZ));
  assert.equal(ch.output(), true);
  clock.advanceTo(nsForTicks(9, PIT_HZ));
  assert.equal(ch.output(), false);
  assert.equal(ch.currentCount(), 1);
  clock.advanceTo(nsForTicks(10, PIT_HZ));
  assert.equal(ch.output(), true);
  assert.equal(ch.currentCount(), 10);
  p.outb(0x61, 0x00);
  clock.advanceTo(nsForTicks(19, PIT_HZ));
  assert.equal(ch.output(), true, 'gate low forces OUT high');
});

test('a rising gate restarts mode 1 (hardware-retriggerable one-shot)', () => {
  const { clock, pit, p } = setup();
  p.outb(0x61, 0x00);
  p.outb(0x43, 0xb2); // channel 2, word, mode 1
  p.outb(0x42, 100);
  p.outb(0x42, 0);
  clock.advanceTo(nsForTicks(60, PIT_HZ));
  p.outb(0x61, 0x01);
  clock.advanceTo(nsForTicks(150, PIT_HZ));
  assert.equal(pit.channels[2].output(), false, 'retriggered at tick 60, ends at 160');
  clock.advanceTo(nsForTicks(161, PIT_HZ));
  assert.equal(pit.channels[2].output(), true);
});

test('state survives save and load', () => {
  const { clock, pit, p } = setup();
  p.outb(0x43, 0x30);
  p.outb(0x40, 0x34);
  p.outb(0x40, 0x12);
  clock.advanceTo(nsForTicks(0x10, PIT_HZ));
  const other = new Pit(clock, new RecordingIrq());
  other.loadState(JSON.parse(JSON.stringify(pit.saveState())));
  assert.equal(other.channels[0].currentCount(), 0x1234 - 0x10);
});

test('modes 0 and 4: a low gate suspends counting (datasheet)', () => {
  const { clock, pit, p } = setup();
  p.outb(0x61, 0x01);
  p.outb(0x43, 0xb0); // channel 2, mode 0
  p.outb(0x42, 100);
  p.outb(0x42, 0);
  clock.advanceTo(nsForTicks(30, PIT_HZ));
  p.outb(0x61, 0x00);
  clock.advanceTo(nsForTicks(500, PIT_HZ));
  assert.equal(pit.channels[2].currentCount(), 70, 'frozen while the gate is low');
  assert.equal(pit.channels[2].output(), false);
  p.outb(0x61, 0x01);
  clock.advanceTo(nsForTicks(500 + 69, PIT_HZ));
  assert.equal(pit.channels[2].output(), false);
  clock.advanceTo(nsForTicks(500 + 71, PIT_HZ));
  assert.equal(pit.channels[2].output(), true, 'terminal count 70 ticks after the gate rose');
  p.outb(0x61, 0x00);
  p.outb(0x43, 0xb8); // mode 4 loaded with the gate low: does not count
  p.outb(0x42, 10);
  p.outb(0x42, 0);
  clock.advanceBy(1e6);
  assert.equal(pit.channels[2].currentCount(), 10);
});
