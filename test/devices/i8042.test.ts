import test from 'node:test';
import assert from 'node:assert/strict';
import { I8042 } from '../../src/vm/devices/i8042.js';
import { SET2_TO_SET1, scancodeBytes } from '../../src/vm/devices/scancodes.js';
import { Ports, RecordingIrq } from './fixtures.js';

function setup() {
  const kbdIrq = new RecordingIrq();
  const auxIrq = new RecordingIrq();
  const a20: boolean[] = [];
  const leds: number[] = [];
  let resets = 0;
  const kbc = new I8042({ kbdIrq, auxIrq, onA20: (e) => a20.push(e), onReset: () => resets++, onLeds: (l) => leds.push(l) });
  const p = new Ports();
  kbc.attach(p.io);
  kbc.reset();
  /** i8042_wait_read then read, as Linux's i8042_command() does for each reply byte. */
  const readData = () => {
    assert.equal(p.inb(0x64) & 0x01, 0x01, 'output buffer full');
    return p.inb(0x60);
  };
  const command = (cmd: number, arg?: number) => {
    p.outb(0x64, cmd);
    if (arg !== undefined) p.outb(0x60, arg);
  };
  return { kbc, p, kbdIrq, auxIrq, a20, leds, resets: () => resets, readData, command };
}

test("Linux's i8042 probe: flush, self test 0x55, command byte, interface tests", () => {
  const { p, readData, command } = setup();
  assert.equal(p.inb(0x64), 0x18, 'reset status: command flag and keyboard unlocked');
  command(0xaa);
  assert.equal(readData(), 0x55);
  assert.equal(p.inb(0x64) & 0x04, 0x04, 'system flag after self test');
  command(0x20);
  assert.equal(readData(), 0x03, "QEMU's reset command byte");
  command(0x60, 0x65); // XLATE, SYS, KBD INT, KBD disabled
  command(0x20);
  assert.equal(readData(), 0x65);
  command(0xab);
  assert.equal(readData(), 0x00, 'keyboard interface ok');
  command(0xa9);
  assert.equal(readData(), 0x00, 'aux interface ok');
  assert.equal(p.inb(0x64) & 0x01, 0, 'buffer empty after reads');
});

test("i8042_check_aux: the aux loopback byte comes back with AUXB set and IRQ12", () => {
  const { p, auxIrq, kbdIrq, readData, command } = setup();
  command(0x60, 0x47 & ~0x20); // aux enabled, aux interrupt on
  command(0xd3, 0x5a);
  assert.equal(p.inb(0x64) & 0x21, 0x21);
  assert.equal(auxIrq.level, true);
  assert.equal(kbdIrq.level, false);
  assert.equal(readData(), 0x5a);
  assert.equal(auxIrq.level, false);
  command(0xa7);
  command(0x20);
  assert.equal(readData() & 0x20, 0x20, 'aux disabled in the command byte');
  command(0xa8);
  command(0x20);
  assert.equal(readData() & 0x20, 0x00);
});

test('keyboard reset, ID through translation (0xAB 0x41) and without (0xAB 0x83), LEDs, typematic, scan set', () => {
  const { p, readData, command, leds, kbdIrq } = setup();
  command(0x60, 0x45); // XLATE on, keyboard interrupt, not disabled
  p.outb(0x60, 0xff);
  assert.equal(kbdIrq.level, true);
  assert.equal(readData(), 0xfa);
  assert.equal(readData(), 0xaa);
  p.outb(0x60, 0xf2);
  assert.deepEqual([readData(), readData(), readData()], [0xfa, 0xab, 0x41]);
  p.outb(0x60, 0xf0);
  readData();
  p.outb(0x60, 0x00);
  assert.deepEqual([readData(), readData()], [0xfa, 0x41], 'scan code set 2, as translated (QEMU replies the same)');
  command(0x60, 0x05); // translation off
  p.outb(0x60, 0xf2);
  assert.deepEqual([readData(), readData(), readData()], [0xfa, 0xab, 0x83]);
  p.outb(0x60, 0xed);
  assert.equal(readData(), 0xfa);
  p.outb(0x60, 0x04);
  assert.equal(readData(), 0xfa);
  assert.deepEqual(leds, [4], 'Caps Lock LED');
  p.outb(0x60, 0xf3);
  p.outb(0x60, 0x00);
  p.inb(0x60);
  assert.equal(readData(), 0xfa);
  p.outb(0x60, 0xf0);
  readData();
  p.outb(0x60, 0x00);
  assert.deepEqual([readData(), readData()], [0xfa, 0x02], 'current scan code set');
  p.outb(0x60, 0xee);
  assert.equal(readData(), 0xee, 'echo');
  p.outb(0x60, 0x99);
  assert.equal(readData(), 0xfe, 'unknown command: resend');
});

test('keys in set 2, translated to set 1 by the controller, and in native set 1', () => {
  const { kbc, p, command, readData } = setup();
  const drain = () => {
    const out: number[] = [];
    while (p.inb(0x64) & 1) out.push(p.inb(0x60));
    return out;
  };
  command(0x60, 0x01); // no translation
  kbc.keyEvent(0x1c, true); // Enter
  kbc.keyEvent(0x1c, false);
  kbc.keyEvent(0x9c, true); // keypad Enter (E0)
  kbc.keyEvent(0x9c, false);
  assert.deepEqual(drain(), [0x5a, 0xf0, 0x5a, 0xe0, 0x5a, 0xe0, 0xf0, 0x5a]);
  command(0x60, 0x41); // translation on
  kbc.keyEvent(0x1c, true);
  kbc.keyEvent(0x1c, false);
  kbc.keyEvent(0x9c, false);
  kbc.keyEvent(0x41, true); // F7: set 2 0x83
  assert.deepEqual(drain(), [0x1c, 0x9c, 0xe0, 0x9c, 0x41]);
  command(0x60, 0x01);
  p.outb(0x60, 0xf0);
  readData();
  p.outb(0x60, 0x01); // select set 1
  readData();
  kbc.keyEvent(0x2a, true);
  kbc.keyEvent(0x2a, false);
  assert.deepEqual(drain(), [0x2a, 0xaa]);
});

test('every set 1 key code survives set 2 encoding and 8042 translation', () => {
  for (let code = 1; code < 0x80; code++) {
    const make = scancodeBytes(code, true, 2);
    const brk = scancodeBytes(code, false, 2);
    assert.equal(SET2_TO_SET1[make[0]], code);
    assert.deepEqual([brk[0], SET2_TO_SET1[brk[1]] | 0x80], [0xf0, code | 0x80]);
  }
});

test('disabled keyboard (0xAD) holds its bytes; 0xAE releases them', () => {
  const { kbc, p, command, readData } = setup();
  command(0xad);
  kbc.keyEvent(0x1e, true);
  assert.equal(p.inb(0x64) & 1, 0);
  command(0xae);
  assert.equal(readData(), 0x1c, 'set 2 make code of A');
});

test('PS/2 mouse: reset, IntelliMouse knock, 4-byte packets with wheel, status request', () => {
  const { kbc, p, command, readData, auxIrq } = setup();
  const aux = (...bytes: number[]) => bytes.map((b) => (command(0xd4, b), readData()));
  command(0x60, 0x47 & ~0x20);
  command(0xd4, 0xff);
  assert.deepEqual([readData(), readData(), readData()], [0xfa, 0xaa, 0x00]);
  aux(0xf2);
  assert.equal(readData(), 0x00, 'plain PS/2 mouse');
  assert.deepEqual(aux(0xf3, 200, 0xf3, 100, 0xf3, 80), Array(6).fill(0xfa));
  aux(0xf2);
  assert.equal(readData(), 0x03, 'IntelliMouse after 200,100,80');
  aux(0xf3, 200, 0xf3, 200, 0xf3, 80, 0xf2);
  assert.equal(readData(), 0x04, 'IntelliMouse Explorer after 200,200,80');
  aux(0xe8, 0x03, 0xe9);
  assert.deepEqual([readData(), readData(), readData()], [0x00, 0x03, 80], 'status: disabled, resolution, rate');
  kbc.mouseEvent(5, 5, 0, 0);
  assert.equal(p.inb(0x64) & 1, 0, 'no packets while disabled');
  aux(0xf4);
  kbc.mouseEvent(-3, 10, 1, 1);
  assert.equal(auxIrq.level, true);
  assert.equal(p.inb(0x64) & 0x21, 0x21);
  assert.deepEqual([readData(), readData(), readData(), readData()], [0x08 | 0x01 | 0x10, 0xfd, 10, 0x01]);
  kbc.mouseEvent(300, 0, 0, 1);
  const packets = [readData(), readData(), readData(), readData(), readData(), readData(), readData(), readData()];
  assert.deepEqual(packets, [0x09, 255, 0, 0, 0x09, 45, 0, 0], 'large motion is split');
  aux(0xee);
  assert.deepEqual(aux(0x42), [0x42], 'wrap mode echoes');
  aux(0xec);
});

test('A20 through the output port and 0xDD/0xDF; reset by 0xFE and by output port bit 0', () => {
  const { p, command, readData, a20, resets } = setup();
  command(0xd0);
  assert.equal(readData() & 0x03, 0x03, 'reset line high, A20 on');
  command(0xd1, 0xdd);
  assert.deepEqual(a20, [false]);
  command(0xd1, 0xdf);
  assert.deepEqual(a20, [false, true]);
  command(0xdd);
  command(0xdf);
  assert.deepEqual(a20, [false, true, false, true]);
  command(0xfe);
  assert.equal(resets(), 1);
  command(0xff);
  assert.equal(resets(), 1, '0xFF pulses nothing');
  command(0xd1, 0xde);
  assert.equal(resets(), 2);
  p.inb(0x64);
});

test('state survives save and load', () => {
  const { kbc, command } = setup();
  command(0x60, 0x41);
  kbc.keyEvent(0x1e, true);
  kbc.keyEvent(0x1f, true);
  const other = new I8042({ kbdIrq: new RecordingIrq(), auxIrq: new RecordingIrq(), onA20: () => {}, onReset: () => {} });
  other.loadState(JSON.parse(JSON.stringify(kbc.saveState())));
  const q = new Ports();
  other.attach(q.io);
  assert.equal(q.inb(0x60), 0x1e);
  assert.equal(q.inb(0x60), 0x1f);
});
