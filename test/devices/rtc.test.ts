import test from 'node:test';
import assert from 'node:assert/strict';
import { Rtc, parseRtcBase, type RtcOptions } from '../../src/vm/devices/rtc.js';
import { Ports, RecordingIrq, TestClock } from './fixtures.js';

const LEAP_EVE = Date.UTC(2024, 1, 29, 23, 59, 58, 500); // Thu 2024-02-29 23:59:58.5

function setup(options: Partial<RtcOptions> = {}) {
  const clock = new TestClock();
  const irq = new RecordingIrq();
  const rtc = new Rtc(clock, irq, { hostTimeMs: () => LEAP_EVE, cmos: { ramBelow4g: 256 << 20 }, ...options });
  const p = new Ports();
  rtc.attach(p.io);
  rtc.reset();
  const cmos = (i: number) => {
    p.outb(0x70, i);
    return p.inb(0x71);
  };
  const setCmos = (i: number, v: number) => {
    p.outb(0x70, i);
    p.outb(0x71, v);
  };
  return { clock, irq, rtc, p, cmos, setCmos };
}

/** Linux's mc146818_get_time(): wait for UIP to clear, then read the fields. */
function linuxGetTime(cmos: (i: number) => number) {
  for (let i = 0; i < 1000 && cmos(0x0a) & 0x80; i++);
  return [cmos(0x32), cmos(9), cmos(8), cmos(7), cmos(4), cmos(2), cmos(0), cmos(6)];
}

test('host UTC time in BCD, 24 h, with the century byte; rolls over a leap day', () => {
  const { clock, cmos } = setup();
  assert.deepEqual(linuxGetTime(cmos), [0x20, 0x24, 0x02, 0x29, 0x23, 0x59, 0x58, 0x05]);
  clock.advanceTo(1.5e9);
  assert.deepEqual(linuxGetTime(cmos), [0x20, 0x24, 0x03, 0x01, 0x00, 0x00, 0x00, 0x06]);
  assert.equal(cmos(0x0a), 0x26, 'register A as after QEMU reset');
  assert.equal(cmos(0x0b), 0x02, 'register B: 24 h, BCD');
  assert.equal(cmos(0x0d), 0x80, 'register D: valid RAM and time');
});

test('base=localtime follows the host time zone', () => {
  const saved = process.env.TZ;
  process.env.TZ = 'Asia/Kolkata'; // UTC+05:30, no DST
  try {
    const { cmos } = setup({ base: 'localtime' });
    const t = linuxGetTime(cmos);
    assert.deepEqual(t.slice(1, 7), [0x24, 0x03, 0x01, 0x05, 0x29, 0x58]);
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('base=<date> starts the clock at the given instant', () => {
  const { cmos } = setup({ base: Date.UTC(2006, 5, 17, 16, 1, 21) / 1000 });
  assert.deepEqual(linuxGetTime(cmos), [0x20, 0x06, 0x06, 0x17, 0x16, 0x01, 0x21, 0x07]);
});

test('update-in-progress is set for the 244 µs before each update', () => {
  const { clock, cmos } = setup();
  // The host clock was at .5 s: the next update is at virtual 0.5 s.
  clock.advanceTo(0.5e9 - 245_000);
  assert.equal(cmos(0x0a) & 0x80, 0);
  clock.advanceTo(0.5e9 - 243_000);
  assert.equal(cmos(0x0a) & 0x80, 0x80);
  assert.equal(cmos(0), 0x58, 'registers still hold the old second');
  clock.advanceTo(0.5e9);
  assert.equal(cmos(0x0a) & 0x80, 0);
  assert.equal(cmos(0), 0x59);
});

test('binary and 12-hour formats', () => {
  const { cmos, setCmos } = setup();
  setCmos(0x0b, 0x04); // binary, 12 h
  assert.equal(cmos(4), 0x80 | 11, '23 h is 11 PM');
  assert.equal(cmos(2), 59);
  assert.equal(cmos(9), 24);
  assert.equal(cmos(0x32), 20);
  setCmos(0x0b, 0x00); // BCD, 12 h
  assert.equal(cmos(4), 0x91);
});

test("Linux's mc146818_set_time: SET + divider reset, write, release; first update 500 ms later", () => {
  const { clock, cmos, setCmos } = setup();
  const control = cmos(0x0b);
  setCmos(0x0b, control | 0x80);
  const freq = cmos(0x0a);
  setCmos(0x0a, freq | 0x70);
  setCmos(9, 0x99);
  setCmos(8, 0x12);
  setCmos(7, 0x31);
  setCmos(4, 0x23);
  setCmos(2, 0x59);
  setCmos(0, 0x59);
  setCmos(0x32, 0x19);
  clock.advanceTo(5e9);
  assert.equal(cmos(0), 0x59, 'frozen while SET');
  setCmos(0x0b, control);
  setCmos(0x0a, freq);
  clock.advanceTo(5e9 + 499e6);
  assert.deepEqual(linuxGetTime(cmos).slice(0, 7), [0x19, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59]);
  clock.advanceTo(5e9 + 500e6);
  assert.deepEqual(linuxGetTime(cmos).slice(0, 7), [0x20, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00]);
});

test('periodic interrupt at 1024 Hz (rate 6) on IRQ8, held until register C is read', () => {
  const { clock, irq, cmos, setCmos } = setup();
  setCmos(0x0b, cmos(0x0b) | 0x40);
  let interrupts = 0;
  while (clock.next <= 1e9) {
    clock.advanceTo(clock.next);
    assert.equal(irq.level, true);
    assert.equal(cmos(0x0c) & 0xc0, 0xc0, 'IRQF|PF');
    assert.equal(irq.level, false, 'reading C lowers IRQ8');
    interrupts++;
  }
  assert.equal(interrupts, 1024);
  setCmos(0x0a, 0x2f); // rate 15: 2 Hz
  const start = clock.now();
  interrupts = 0;
  while (clock.next <= start + 2e9) {
    clock.advanceTo(clock.next);
    cmos(0x0c);
    interrupts++;
  }
  assert.equal(interrupts, 4);
});

test('update-ended and alarm interrupts', () => {
  const { clock, irq, cmos, setCmos } = setup();
  setCmos(1, 0x01); // alarm 00:00:01 (hour and minute: don't care)
  setCmos(3, 0xc0);
  setCmos(5, 0xff);
  setCmos(0x0b, 0x02 | 0x10); // UIE
  clock.advanceTo(0.5e9);
  assert.equal(irq.level, true);
  assert.equal(cmos(0x0c), 0x90, 'IRQF|UF at the update');
  assert.equal(irq.level, false);
  setCmos(0x0b, 0x02 | 0x20); // AIE only
  clock.advanceTo(2.4e9);
  assert.equal(irq.level, false, 'no alarm at 00:00:00');
  clock.advanceTo(2.5e9);
  assert.equal(irq.level, true);
  assert.equal(cmos(0x0c), 0xb0, 'IRQF|AF|UF');
  clock.advanceTo(3.6e9);
  assert.equal(cmos(0x0c), 0x10, 'UF is set without its interrupt enabled');
});

test("QEMU pc CMOS bytes for -m 256: memory sizes, equipment, boot order 'cad'", () => {
  const { cmos, p } = setup();
  assert.equal(cmos(0x15) | (cmos(0x16) << 8), 640);
  assert.equal(cmos(0x17) | (cmos(0x18) << 8), 0xffff);
  assert.equal(cmos(0x30) | (cmos(0x31) << 8), 0xffff);
  assert.equal(cmos(0x34) | (cmos(0x35) << 8), (256 - 16) * 16);
  assert.equal(cmos(0x5b) | cmos(0x5c) | cmos(0x5d), 0);
  assert.equal(cmos(0x14), 0x06);
  assert.equal(cmos(0x3d), 0x12, 'first boot device c (2), second a (1)');
  assert.equal(cmos(0x38), 0x30, 'third boot device d (3), floppy signature check on');
  assert.equal(cmos(0x5f), 0);
  p.outb(0x70, 0x8f);
  assert.equal(p.inb(0x70), 0xff);
});

test('NMI mask bit of port 0x70', () => {
  const { rtc, p } = setup();
  p.outb(0x70, 0x80 | 0x0d);
  assert.equal(rtc.nmiMasked, true);
  assert.equal(p.inb(0x71), 0x80, 'index still selects register D');
  p.outb(0x70, 0x0d);
  assert.equal(rtc.nmiMasked, false);
});

test('state survives save and load', () => {
  const { clock, rtc } = setup();
  const other = new Rtc(clock, new RecordingIrq(), { hostTimeMs: () => 0, cmos: { ramBelow4g: 1 << 20 } });
  other.loadState(JSON.parse(JSON.stringify(rtc.saveState())));
  const p = new Ports();
  other.attach(p.io);
  p.outb(0x70, 0);
  assert.equal(p.inb(0x71), 0x58);
  p.outb(0x70, 0x34);
  assert.equal(p.inb(0x71), (256 - 16) * 16 & 0xff);
});

test('-rtc base= values: utc, localtime, QEMU date formats, and its error text', () => {
  assert.equal(parseRtcBase('utc'), 'utc');
  assert.equal(parseRtcBase('localtime'), 'localtime');
  assert.equal(parseRtcBase('2006-06-17T16:01:21'), Date.UTC(2006, 5, 17, 16, 1, 21) / 1000);
  assert.equal(parseRtcBase('2006-06-17'), Date.UTC(2006, 5, 17) / 1000);
  assert.equal(parseRtcBase('2006-13-01'), Date.UTC(2007, 0, 1) / 1000, 'fields roll over as mktime does');
  assert.throws(() => parseRtcBase('yesterday'), {
    message: "invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'",
  });
});
