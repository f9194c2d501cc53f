import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import test from 'node:test';
import { formatRegisters } from '../../src/monitor/cpu-registers.js';
import { Hmp } from '../../src/monitor/hmp.js';
import { QEMU_COMPAT_VERSION } from '../../src/monitor/hmp-commands.js';
import type { RunState, VmControl } from '../../src/monitor/vm-control.js';
import { resetRegisters } from './fake-vm.js';
import { wireChardev } from './wire-chardev.js';

const Wire = wireChardev('stdio');


function fakeVm(state: RunState) {
  const calls: string[] = [];
  const vm: VmControl = {
    runState: () => state,
    stop: async () => void calls.push('stop'),
    cont: async () => {
      calls.push('cont');
      state = 'running';
    },
    systemReset: async () => void calls.push('reset'),
    systemPowerdown: async () => void calls.push('powerdown'),
    quit: () => void calls.push('quit'),
    registers: async () => resetRegisters(),
    sendKeys: async (codes) => void calls.push(`keys ${codes.map((c) => c.toString(16)).join(' ')}`),
    readMemory: async () => undefined,
    machineInfo: async () => "",
    chardevs: () => [{ label: 'compat_monitor0', filename: 'stdio' }],
    kvmEnabled: () => false,
    name: () => 'vm1',
  };
  return { vm, calls };
}

async function settle() {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

const hasQemu = spawnSync('qemu-system-i386', ['-version']).status === 0;
const SCRIPT = 'info status\nstop\ninfo status\nfoo\ninfo foo\nhelp quit\nhelp cont\ninfo registers\ncont\ninfo status\nquit\n';

test('a monitor session prints byte for byte what qemu-system-i386 -S -monitor stdio prints', { skip: !hasQemu && 'qemu-system-i386 is not installed' }, async () => {
  const q = spawnSync('qemu-system-i386', ['-display', 'none', '-S', '-monitor', 'stdio'], { input: SCRIPT, encoding: 'latin1', timeout: 15000 });
  const expected = q.stdout.replace(/^QEMU [0-9.]+ monitor/, `QEMU ${QEMU_COMPAT_VERSION} monitor`);
  const wire = new Wire('compat_monitor0');
  const { vm, calls } = fakeVm('prelaunch');
  new Hmp(wire, vm);
  for (const line of SCRIPT.split(/(?<=\n)/)) {
    wire.type(line);
    await settle();
  }
  // QEMU exits inside `quit`; the fake VM does not, so one more prompt follows.
  assert.equal(wire.out, `${expected}(qemu) `);
  assert.deepEqual(calls, ['stop', 'cont', 'quit']);
});

test('info chardev, info kvm, info name, help info, system_powerdown, system_reset', async () => {
  const wire = new Wire('m');
  const { vm, calls } = fakeVm('running');
  new Hmp(wire, vm);
  wire.type('info chardev\ninfo kvm\ninfo name\nhelp info\nsystem_powerdown\nsystem_reset\n');
  await settle();
  const text = wire.out.replace(/\x1b\[[0-9]*[A-Z]/g, '');
  assert.match(text, /\r\ncompat_monitor0: filename=stdio\r\n/);
  assert.match(text, /\r\nkvm support: disabled\r\n/);
  assert.match(text, /\r\nvm1\r\n/);
  assert.match(text, /\r\ninfo status  -- show the current VM status \(running\|paused\)\r\n/);
  assert.deepEqual(calls, ['powerdown', 'reset']);
});

test('behind a mux the banner waits for the focus; focus-out ends the prompt line', () => {
  const wire = new Wire('m');
  const mon = new Hmp(wire, fakeVm('running').vm);
  wire.out = '';
  mon.event('focus-out');
  assert.equal(wire.out, '\r\n');
  const wire2 = new Wire('m2');
  // Attached to a mux: focus-out comes before the open event.
  const mon2 = new Hmp({ id: 'x', filename: () => 'mux', write: (d) => wire2.write(d), attach: () => {}, close: () => {} }, fakeVm('running').vm);
  mon2.event('focus-in');
  mon2.event('focus-out');
  mon2.event('opened');
  assert.equal(wire2.out, '');
  mon2.event('focus-in');
  assert.equal(wire2.out, `QEMU ${QEMU_COMPAT_VERSION} monitor - type 'help' for more information\r\n(qemu) `);
});

test('protected-mode segment descriptions', () => {
  const r = resetRegisters();
  r.protectedMode = true;
  r.segments[1] = { selector: 0x10, base: 0, limit: 0xffffffff, flags: 0x00cf9b00 };
  r.segments[2] = { selector: 0x18, base: 0, limit: 0xffffffff, flags: 0x00cf9300 };
  r.segments[7] = { selector: 0x28, base: 0x1000, limit: 0x67, flags: 0x00008b00 };
  const text = formatRegisters(r);
  assert.match(text, /\nCS =0010 00000000 ffffffff 00cf9b00 DPL=0 CS32 \[-RA\]\n/);
  assert.match(text, /\nSS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   \[-WA\]\n/);
  assert.match(text, /\nTR =0028 00001000 00000067 00008b00 DPL=0 TSS32-busy\n/);
});
