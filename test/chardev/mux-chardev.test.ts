import assert from 'node:assert/strict';
import test from 'node:test';
import { ChardevBase, type ChardevEvent } from '../../src/vm/chardev/chardev.js';
import { MuxChardev, muxHelpText } from '../../src/vm/chardev/mux-chardev.js';

class FakeBackend extends ChardevBase {
  out = '';
  filename() {
    return 'fake';
  }
  write(d: Uint8Array) {
    this.out += Buffer.from(d).toString('latin1');
  }
  close() {}
  type(s: string) {
    this.deliver(Buffer.from(s, 'latin1'));
  }
}

function setup() {
  const backend = new FakeBackend('x-base');
  const actions = { quits: 0, commits: 0, quit() { this.quits++; }, commitSnapshots() { this.commits++; } };
  const mux = new MuxChardev('x', backend, actions);
  const seen = { monitor: '', serial: '', monitorEvents: [] as ChardevEvent[], serialEvents: [] as ChardevEvent[] };
  mux.attach({ receive: (d) => (seen.monitor += Buffer.from(d).toString('latin1')), event: (e) => seen.monitorEvents.push(e) });
  mux.attach({ receive: (d) => (seen.serial += Buffer.from(d).toString('latin1')), event: (e) => seen.serialEvents.push(e) });
  mux.start();
  return { backend, actions, mux, seen };
}

test("help text is QEMU's exact bytes", () => {
  assert.equal(
    muxHelpText(1),
    '\n\rC-a h    print this help\n\rC-a x    exit emulator\n\rC-a s    save disk data back to file (if -snapshot)\n\rC-a t    toggle console timestamps\n\rC-a b    send break (magic sysrq)\n\rC-a c    switch between console and monitor\n\rC-a C-a  sends C-a\n\r',
  );
  assert.match(muxHelpText(0x1c), /^\n\rEscape-Char set to Ascii: 0x1c\n\r\n\r/);
});

test('the last frontend attached has the focus; the monitor sees open while muxed out', () => {
  const { backend, seen } = setup();
  backend.type('ls\r');
  assert.equal(seen.serial, 'ls\r');
  assert.equal(seen.monitor, '');
  assert.deepEqual(seen.monitorEvents, ['focus-in', 'focus-out', 'opened']);
  assert.deepEqual(seen.serialEvents, ['focus-in', 'opened']);
});

test('Ctrl-a c rotates focus and back; Ctrl-a Ctrl-a sends one Ctrl-a; unknown keys are dropped', () => {
  const { backend, seen } = setup();
  backend.type('a\x01cinfo\x01c');
  assert.equal(seen.monitor, 'info');
  assert.equal(seen.serial, 'a');
  assert.deepEqual(seen.monitorEvents.slice(-2), ['focus-in', 'focus-out']);
  backend.type('\x01\x01z\x01qy');
  assert.equal(seen.serial, 'a\x01zy');
});

test('an escape split across reads still works', () => {
  const { backend, seen } = setup();
  backend.type('\x01');
  backend.type('c');
  backend.type('q');
  assert.equal(seen.monitor, 'q');
});

test('Ctrl-a h prints help, Ctrl-a x terminates, Ctrl-a b breaks the focused frontend, Ctrl-a s commits', () => {
  const { backend, actions, seen } = setup();
  backend.type('\x01h');
  assert.equal(backend.out, muxHelpText(1));
  backend.type('\x01b\x01s\x01x');
  assert.equal(seen.serialEvents.at(-1), 'break');
  assert.equal(actions.commits, 1);
  assert.equal(actions.quits, 1);
  assert.ok(backend.out.endsWith('QEMU: Terminated\n\r'));
});

test('Ctrl-a t prefixes output lines with the time since it was toggled', () => {
  const { backend, mux } = setup();
  backend.type('\x01t');
  mux.write(Buffer.from('one\ntwo'));
  assert.match(backend.out, /^\[00:00:00\.\d{3}\] one\n\[00:00:00\.\d{3}\] two$/);
  backend.type('\x01t');
  backend.out = '';
  mux.write(Buffer.from('three\n'));
  assert.equal(backend.out, 'three\n');
});
