// When termu shows the terminal UI, and what it hosts: the `vc` chardevs (COM1 and the monitor
// by default, as in QEMU) and the monitor on a vc.
import test from 'node:test';
import assert from 'node:assert/strict';
import { CliError } from '../../src/cli/cli-error.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { TerminalFrontEnd, wantsTerminalUi } from '../../src/tui/terminal-front-end.js';

test('the terminal UI is the display unless -nographic, -display none, -daemonize, a stdio chardev or no terminal', () => {
  const wants = (args: string[], tty = true) => wantsTerminalUi(parseArgs(args), tty, tty);
  assert.equal(wants([]), true);
  assert.equal(wants(['-display', 'curses']), true);
  assert.equal(wants([], false), false);
  assert.equal(wants(['-nographic']), false);
  assert.equal(wants(['-display', 'none']), false);
  assert.equal(wants(['-daemonize']), false);
  assert.equal(wants(['-serial', 'stdio']), false);
  assert.equal(wants(['-monitor', 'stdio']), false);
});

test('COM1 and the monitor default to vc chardevs, which the front end hosts as panes', () => {
  const config = parseArgs([]);
  assert.deepEqual(config.serials, ['serial0']);
  assert.deepEqual(config.virtualConsoles, ['serial0', 'compat_monitor0']);
  const fe = new TerminalFrontEnd(config);
  assert.ok(fe.displayBuffer instanceof SharedArrayBuffer, '-vga std: a shared display');
  assert.equal(fe.virtualConsole('serial0')?.filename(), 'vc');
  assert.equal(fe.virtualConsole('serial0'), fe.virtualConsole('serial0'), 'one chardev per id');
  assert.ok(fe.hostsMonitor('compat_monitor0'));

  const explicit = parseArgs(['-serial', 'file:/dev/null', '-monitor', 'unix:/tmp/m.sock,server=on,wait=off', '-chardev', 'vc,id=v', '-vga', 'none']);
  assert.deepEqual(explicit.virtualConsoles, ['v']);
  const fe2 = new TerminalFrontEnd(explicit);
  assert.equal(fe2.displayBuffer, undefined, '-vga none: no display to share');
  assert.equal(fe2.virtualConsole('serial0'), undefined);
  assert.equal(fe2.hostsMonitor('compat_monitor0'), false);
  assert.throws(() => new TerminalFrontEnd(parseArgs(['-k', 'xx'])), (e) => e instanceof CliError && e.message === "could not read keymap file: 'xx'");
});
