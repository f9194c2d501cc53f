import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import type { SerialPort } from '../../src/tui/front-end-ports.js';
import { SerialPane } from '../../src/tui/serial-pane.js';
import { TerminalUi, type TerminalUiOptions } from '../../src/tui/terminal-ui.js';
import { StubMonitor, syntheticTextScreen } from './fixtures/synthetic-machine.js';

class FakeTerminal extends Writable {
  columns = 132;
  rows = 30;
  override _write(_chunk: unknown, _enc: string, done: () => void): void { done(); }
}

function serialPort(): SerialPort & { sent: number[]; emit(s: string): void } {
  const listeners: ((b: Uint8Array) => void)[] = [];
  const port = {
    label: 'serial0', sent: [] as number[],
    onOutput: (l: (b: Uint8Array) => void) => { listeners.push(l); },
    write: (b: Uint8Array) => { port.sent.push(...b); },
    emit: (s: string) => { for (const l of listeners) l(Buffer.from(s)); },
  };
  return port;
}

/** Every UI started, so a failed test does not leave its timers running. */
const started = new Set<TerminalUi>();
test.afterEach(() => {
  for (const ui of started) ui.stop();
  started.clear();
});

function makeUi(extra: Partial<TerminalUiOptions> = {}) {
  const input = new PassThrough();
  const keys: string[] = [];
  const serial = serialPort();
  const screen = syntheticTextScreen();
  const ui = new TerminalUi({
    input, output: new FakeTerminal(), display: { current: () => screen }, monitor: new StubMonitor(),
    serials: [serial], keyboard: (codes) => keys.push(codes.map((c) => c.toString(16).padStart(2, '0')).join(' ')),
    maxFps: 1, env: { TERM: 'xterm-256color' }, ...extra,
  });
  ui.start();
  started.add(ui);
  const type = (s: string) => { input.write(s); return new Promise((r) => setImmediate(r)); };
  const text = () => Array.from({ length: ui.grid.rows }, (_, y) => ui.grid.rowText(y)).join('\n');
  return { ui, keys, serial, type, text };
}

test('-echr changes the mux escape; the escape twice sends it to the guest; unknown commands are dropped', async () => {
  const { ui, keys, type } = makeUi({ escapeChar: 0x14 });
  await type('\x14c');
  assert.equal(ui.focus, 'monitor');
  await type('\x14c\x14c');
  assert.equal(ui.focus, 'display'); // monitor → serial0 → display
  await type('\x14\x14\x14q\x01');
  assert.deepEqual(keys, ['1d 14 94 9d', '1d 1e 9e 9d']); // Ctrl-t passed through, "C-t q" dropped, Ctrl-a is a key
  ui.stop();
});

test('Ctrl+Alt+Shift+2 from modifyOtherKeys is recognised through the keymap (\'"\' on a German layout)', async () => {
  const { ui, keys, type } = makeUi({ keymap: 'de' });
  await type('\x1b[27;8;34~');
  assert.equal(ui.focus, 'monitor');
  await type('\x1b[50;8u');
  assert.equal(ui.focus, 'display');
  await type('\x1b[27;8;35~'); // Ctrl+Alt+Shift+3 ('#' is not on the 2 key): goes to the guest
  assert.equal(ui.focus, 'display');
  assert.equal(keys.length, 1);
  ui.stop();
});

test('Alt+3 shows the serial console, which renders the guest output and sends typed bytes', async () => {
  const { ui, serial, type, text } = makeUi();
  serial.emit('Linux version 6.1\r\n\x1b[1;32mOK\x1b[0m login: ');
  await type('\x1b3');
  assert.equal(ui.focus, 'serial0');
  ui.frame();
  assert.match(text(), /─ serial serial0 ─/);
  assert.match(text(), /│Linux version 6\.1/);
  assert.match(text(), /│OK login: /);
  await type('root\r\x1b[A');
  assert.equal(Buffer.from(serial.sent).toString(), 'root\r\x1b[A');
  await type('\x1b1');
  assert.equal(ui.focus, 'display');
  ui.stop();
});

test('Ctrl-a h shows QEMU\'s mux help until the next key', async () => {
  const { ui, type, text } = makeUi();
  await type('\x01h');
  ui.frame();
  for (const line of ['C-a h    print this help', 'C-a x    exit emulator', 'C-a s    save disk data back to file (if -snapshot)',
    'C-a t    toggle console timestamps', 'C-a b    send break (magic sysrq)', 'C-a c    switch between console and monitor',
    'C-a C-a  sends C-a']) assert.ok(text().includes(line), line);
  await type('z');
  ui.frame();
  assert.ok(!text().includes('print this help'));
  ui.stop();
});

test('a narrow terminal puts the monitor under the display', async () => {
  const output = new FakeTerminal();
  output.columns = 80;
  output.rows = 40;
  const { ui, type, text } = makeUi({ output });
  await type('\x1b2');
  ui.frame();
  const rows = text().split('\n');
  const title = rows.findIndex((r) => r.includes(' monitor '));
  assert.ok(title > 20, `monitor title on row ${title}`);
  assert.ok(rows[0].length === 80 && !rows[0].includes('│'));
  ui.stop();
});

test('the serial console scrolls and applies erase sequences', () => {
  const port = serialPort();
  const pane = new SerialPane(port, () => {}, 20, 3);
  port.emit('one\r\ntwo\r\nthree\r\nfour');
  assert.deepEqual([0, 1, 2].map((y) => pane.screen.rowText(y).trimEnd()), ['two', 'three', 'four']);
  port.emit('\x1b[2;1H\x1b[Kx\x1b[1;2Hy');
  assert.deepEqual([0, 1, 2].map((y) => pane.screen.rowText(y).trimEnd()), ['tyo', 'x', 'four']);
});
