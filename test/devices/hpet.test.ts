import test from 'node:test';
import assert from 'node:assert/strict';
import { Hpet, HPET_BASE } from '../../src/vm/devices/hpet.js';
import { PhysicalMemory } from '../../src/vm/machine/physical-memory.js';
import { RecordingIrq, TestClock } from './fixtures.js';

const CFG = 0x10;
const STATUS = 0x20;
const COUNTER = 0xf0;
const timerCfg = (n: number) => 0x100 + 0x20 * n;
const timerCmp = (n: number) => 0x108 + 0x20 * n;

const TN_LEVEL = 1 << 1;
const TN_ENABLE = 1 << 2;
const TN_PERIODIC = 1 << 3;
const TN_SETVAL = 1 << 6;
const TN_32BIT = 1 << 8;

function setup() {
  const clock = new TestClock();
  const memory = new PhysicalMemory(1 << 20);
  const gsi = Array.from({ length: 24 }, () => new RecordingIrq());
  const hpet = new Hpet({ clock, memory, gsi });
  hpet.attach();
  const read = (offset: number) => memory.read32(HPET_BASE + offset);
  const write = (offset: number, value: number) => memory.write32(HPET_BASE + offset, value);
  return { clock, gsi, hpet, read, write };
}

test('capabilities as QEMU 7.2 reports them: 3 timers, 64-bit, legacy route, vendor 8086, 10 ns period', () => {
  const { read } = setup();
  assert.equal(read(0x00), 0x8086a201);
  assert.equal(read(0x04), 10_000_000);
  // Timers: periodic and 64-bit capable, IOAPIC input 2 offered (the piix machine's intcap).
  assert.equal(read(timerCfg(0)), 0x30);
  assert.equal(read(timerCfg(0) + 4), 4);
  assert.equal(read(timerCmp(2)), 0xffffffff);
  assert.equal(read(timerCmp(2) + 4), 0xffffffff);
});

test('the main counter runs at 100 MHz only while enabled, and keeps its value while halted', () => {
  const { clock, read, write } = setup();
  clock.advanceTo(5_000);
  assert.equal(read(COUNTER), 0, 'halted at reset');
  write(CFG, 1);
  clock.advanceTo(5_000 + 1_234_560);
  assert.equal(read(COUNTER), 123_456);
  write(CFG, 0);
  clock.advanceTo(1e9);
  assert.equal(read(COUNTER), 123_456);
  write(COUNTER, 0xfffffff0);
  write(COUNTER + 4, 1);
  write(CFG, 1);
  clock.advanceBy(200);
  assert.equal(read(COUNTER), 0x00000004, 'the low half wraps into the high half');
  assert.equal(read(COUNTER + 4), 2);
});

test('legacy replacement: timer 0 drives IRQ0 in place of the PIT, and the RTC is cut off from IRQ8', () => {
  const { clock, gsi, hpet, read, write } = setup();
  hpet.pitInput.set(true);
  assert.equal(gsi[0].level, true, 'without legacy mode the PIT reaches IRQ0');
  hpet.rtcInput.set(true);
  assert.equal(gsi[8].level, true);
  write(CFG, 3);
  assert.equal(gsi[0].level, false);
  assert.equal(gsi[8].level, false);
  hpet.pitInput.set(false);
  hpet.pitInput.set(true);
  assert.equal(gsi[0].rises, 1, 'the PIT no longer reaches IRQ0');
  // Linux's periodic HPET tick: SETVAL, comparator = now + period, then the period.
  write(timerCfg(0), TN_ENABLE | TN_PERIODIC | TN_SETVAL | TN_32BIT);
  const now = read(COUNTER);
  write(timerCmp(0), now + 400_000);
  write(timerCmp(0), 400_000);
  for (let ms = 1; ms <= 40; ms++) clock.advanceTo(ms * 1e6);
  assert.equal(gsi[0].rises, 11, 'ten 4 ms ticks in 40 ms, edge-triggered');
  assert.equal(gsi[0].level, false);
  // Leaving legacy mode hands IRQ0 and IRQ8 back with their current levels.
  write(CFG, 1);
  assert.equal(gsi[0].level, true);
  assert.equal(gsi[8].level, true);
});

test('a level-triggered timer holds its line and status bit until the status bit is written', () => {
  const { clock, gsi, read, write } = setup();
  write(timerCfg(2), TN_ENABLE | TN_LEVEL | (2 << 9));
  write(timerCmp(2), 1000);
  write(timerCmp(2) + 4, 0);
  write(CFG, 1);
  clock.advanceTo(9_990);
  assert.equal(gsi[2].level, false);
  clock.advanceTo(10_000);
  assert.equal(gsi[2].level, true);
  assert.equal(read(STATUS), 4);
  write(STATUS, 1);
  assert.equal(read(STATUS), 4, 'writing another bit clears nothing');
  write(STATUS, 4);
  assert.equal(read(STATUS), 0);
  assert.equal(gsi[2].level, false);
  clock.advanceTo(1e9);
  assert.equal(gsi[2].rises, 1, 'a one-shot 64-bit timer fires once');
});

test('a 32-bit one-shot comparator matches modulo 2^32, after the counter wraps', () => {
  const { clock, gsi, read, write } = setup();
  write(COUNTER, 0xfffff000);
  write(timerCfg(2), TN_ENABLE | TN_32BIT | (2 << 9));
  write(timerCmp(2), 0x1000);
  write(CFG, 1);
  clock.advanceTo(0xfff * 10);
  const wrapRises = gsi[2].rises;
  assert.ok(wrapRises <= 1, 'at most the wrap interrupt QEMU also gives');
  clock.advanceTo((0x2000 - 1) * 10);
  assert.equal(gsi[2].rises, wrapRises);
  clock.advanceTo(0x2000 * 10);
  assert.equal(gsi[2].rises, wrapRises + 1, 'fires when the low 32 bits reach the comparator');
  assert.equal(read(COUNTER + 4), 1);
});

test('a periodic timer that fell behind skips to the next period instead of firing for each missed one', () => {
  const { clock, gsi, read, write } = setup();
  write(timerCfg(2), TN_ENABLE | TN_PERIODIC | TN_SETVAL | TN_32BIT | (2 << 9));
  write(timerCmp(2), 100);
  write(timerCmp(2), 100);
  write(CFG, 1);
  clock.advanceTo(10_555);
  assert.equal(gsi[2].rises, 1);
  assert.equal(read(timerCmp(2)), 1100, 'next match: the first multiple of the period past the counter');
  clock.advanceTo(11_000);
  assert.equal(gsi[2].rises, 2);
});

test('snapshot round trip keeps the counter, comparators and legacy mode', () => {
  const a = setup();
  a.write(CFG, 3);
  a.write(timerCfg(1), TN_ENABLE | TN_32BIT);
  a.write(timerCmp(1), 777);
  a.clock.advanceTo(50_000);
  const b = setup();
  b.clock.advanceTo(50_000);
  b.hpet.loadState(JSON.parse(JSON.stringify(a.hpet.saveState())));
  for (const r of [CFG, COUNTER, timerCfg(1), timerCmp(1)]) assert.equal(b.read(r), a.read(r), `register ${r.toString(16)}`);
});
