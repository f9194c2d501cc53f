// The monitor pane's port runs the HMP's own commands and returns what they print, with QEMU's
// texts for unknown commands, and keeps the session (history) the HMP keeps.
import test from 'node:test';
import assert from 'node:assert/strict';
import { HmpMonitorPort } from '../../src/tui/hmp-monitor-port.js';
import { fakeVm } from '../monitor/fake-vm.js';

test('commands run through the HMP table and their output is returned', async () => {
  const { vm, keys } = fakeVm();
  const port = new HmpMonitorPort(vm);
  assert.equal(port.banner, "QEMU 7.2.0 monitor - type 'help' for more information");
  assert.equal(await port.execute('info status'), 'VM status: paused\n');
  assert.equal(await port.execute('foo bar'), "unknown command: 'foo'\n");
  assert.equal(await port.execute('sendkey ctrl-alt-delete'), '');
  assert.ok(keys.length > 0, 'sendkey reached the machine');
  assert.equal(await port.execute('info history'), "0: 'info status'\n1: 'foo bar'\n2: 'sendkey ctrl-alt-delete'\n3: 'info history'\n");
  assert.ok(port.commandNames().includes('info') && port.commandNames().includes('q'), 'names and aliases complete');
});
