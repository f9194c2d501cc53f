import assert from 'node:assert/strict';
import test from 'node:test';
import { parseKeys } from '../../src/monitor/input-commands.js';
import { keycodeScancodes, QKEYCODE_NAMES } from '../../src/monitor/qkeycode.js';
import { I8042 } from '../../src/vm/devices/i8042.js';
import type { IoBus } from '../../src/vm/machine/io-bus.js';
import { injectScancodes } from '../../src/vm/machine/key-injection.js';
import { fakeVm, monitorOutput } from './fake-vm.js';
import { HAVE_QEMU, qemuMonitor } from './qemu-monitor.js';


/** An i8042 with its ports captured; `drain` reads every byte the guest would get. */
function controller() {
  const handlers = new Map<number, { readPort(p: number, s: 1): number; writePort(p: number, s: 1, v: number): void }>();
  const io = { register: (port: number, _n: number, h: never) => void handlers.set(port, h) } as unknown as IoBus;
  const line = { set: () => {} } as never;
  const kbc = new I8042({ kbdIrq: line, auxIrq: line, onA20: () => {}, onReset: () => {} });
  kbc.attach(io);
  kbc.reset();
  const out = (port: number, v: number) => handlers.get(port)!.writePort(port, 1, v);
  const drain = () => {
    const bytes: number[] = [];
    while (handlers.get(0x64)!.readPort(0x64, 1) & 1) bytes.push(handlers.get(0x60)!.readPort(0x60, 1));
    return bytes;
  };
  return { kbc, out, drain };
}

test('set-1 bytes typed into the i8042 reach a translating guest unchanged', () => {
  const { kbc, out, drain } = controller();
  out(0x64, 0x60);
  out(0x60, 0x45); // XLATE, SYS, KBD INT as Linux and SeaBIOS set it
  const ctrlAltDel = [0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d];
  injectScancodes(kbc, ctrlAltDel);
  assert.deepEqual(drain(), ctrlAltDel);
  injectScancodes(kbc, [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
  assert.deepEqual(drain(), [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5], 'Pause');
});

test('without translation the keyboard sends them in its own set (2, or 1 when selected)', () => {
  const { kbc, out, drain } = controller();
  injectScancodes(kbc, [0x1e, 0x9e, 0xe0, 0x1c, 0xe0, 0x9c]);
  assert.deepEqual(drain(), [0x1c, 0xf0, 0x1c, 0xe0, 0x5a, 0xe0, 0xf0, 0x5a], 'a, keypad Enter in set 2');
  injectScancodes(kbc, [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
  assert.deepEqual(drain(), [0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77], 'Pause in set 2');
  out(0x60, 0xf0);
  out(0x60, 0x01);
  assert.deepEqual(drain(), [0xfa, 0xfa]);
  injectScancodes(kbc, [0x2a, 0x1e, 0x9e, 0xaa]);
  assert.deepEqual(drain(), [0x2a, 0x1e, 0x9e, 0xaa], 'shift-a in set 1');
});

test("sendkey: QEMU's key names, pressed in order and released in reverse", async () => {
  const { vm, keys } = fakeVm();
  assert.equal(await monitorOutput(vm, ['sendkey ctrl-alt-delete 1', 'sendkey shift-a 1', 'sendkey kp_enter 1', 'sendkey 0x1e-< 1']), '');
  assert.deepEqual(keys, [
    [0x1d], [0x38], [0xe0, 0x53], [0xe0, 0xd3], [0xb8], [0x9d],
    [0x2a], [0x1e], [0x9e], [0xaa],
    [0xe0, 0x1c], [0xe0, 0x9c],
    [0x1e], [0x56], [0xd6], [0x9e],
  ]);
  assert.deepEqual(keycodeScancodes(0xc6, true), [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
  assert.deepEqual(keycodeScancodes(0xc6, false), []);
  assert.deepEqual(parseKeys('ctrl-foo-a'), { invalid: 'foo' });
  assert.deepEqual(parseKeys('0x'), { invalid: '0x' });
});

test('every QKeyCode name termu knows is one qemu-system-i386 7.2 accepts', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  // 'sendkey <name> 0' in a stopped QEMU prints nothing for a known key.
  const script = QKEYCODE_NAMES.filter((n) => n !== 'power' && n !== 'sleep' && n !== 'wake').map((n) => `sendkey ${n} 1`).join('\n');
  const q = await qemuMonitor(['-nodefaults'], `${script}\nsendkey nosuchkey\n`.split(/(?<=\n)/));
  const invalid = q.split(/\r?\n/).filter((l) => l.startsWith('invalid parameter'));
  assert.deepEqual(invalid, ['invalid parameter: nosuchkey']);
});

test('sendkey bad input: the same messages as qemu-system-i386', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const lines = ['sendkey', 'sendkey foo', 'sendkey ctrl-foo-a', 'sendkey 0xzz', 'sendkey a 10 20', 'sendkey a b', 'sendkey a 1x', 'sendkey a -5', 'sendkey "a'];
  const q = await qemuMonitor(['-nodefaults'], lines.map((l) => `${l}\n`));
  // QEMU echoes the input line by line; keep only what the commands printed.
  const expected = q.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split(/\r?\n/).filter((l) => !l.startsWith('(qemu)') && !l.startsWith('QEMU ') && !l.startsWith('unterminated'));
  const ours = (await monitorOutput(fakeVm().vm, lines)).split('\n');
  assert.deepEqual(ours, expected);
});
