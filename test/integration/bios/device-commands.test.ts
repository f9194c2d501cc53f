// The monitor's device commands print what qemu-system-i386's monitor prints for the same
// mistakes (missing arguments, bad expressions, unknown devices, unwritable files), run
// against the real worker-side handler on a board with no drives.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { defaultStorageConfig } from '../../../src/cli/drive-options.js';
import { deviceCommands, type DeviceControl } from '../../../src/monitor/device-commands.js';
import type { HmpContext } from '../../../src/monitor/hmp-commands.js';
import { runDeviceRequest, type DeviceRequest } from '../../../src/vm/machine/device-requests.js';
import { buildBootHardware } from '../../../src/vm/machine/firmware-boot.js';
import { PcBoard } from '../../../src/vm/machine/pc-board.js';
import { haveQemu } from '../../guests/qemu-session.js';

const dir = mkdtempSync(join(tmpdir(), 'termu-device-commands-'));
const LINES = [
  'screendump',
  'commit',
  'eject',
  'eject -f',
  'change',
  'change ide1-cd0',
  'commit foo',
  'eject foo',
  `change foo ${join(dir, 'none.iso')}`,
  'screendump /nonexistent/dir/x.ppm',
  'pmemsave',
  'pmemsave 0',
  `pmemsave 0x10 zz ${join(dir, 'a')}`,
];

function machine(): DeviceControl {
  const events = { serialOut: () => {}, debugconOut: () => {}, powerOff: () => {}, debugExit: () => {}, resetRequested: () => {} };
  const board = new PcBoard({ ramBytes: 16 << 20, serialPorts: 0, debugcon: false, rtcBase: 'utc', externalIde: true }, events);
  const hw = buildBootHardware(board, { storage: defaultStorageConfig(), ramBytes: 16 << 20, nographic: false, directKernel: true }, () => {});
  board.memory.writeBytes(0x1000, new TextEncoder().encode('termu pmemsave'));
  const ask = async (req: DeviceRequest) => runDeviceRequest(req, hw, board.memory);
  return {
    screendump: (file) => ask({ op: 'screendump', file }),
    pmemsave: (addr, size, file) => ask({ op: 'pmemsave', addr, size, file }),
    commit: (device) => ask({ op: 'commit', device }),
    eject: (device, force) => ask({ op: 'eject', device, force }),
    change: (device, file, format) => ask({ op: 'change', device, file, format }),
  };
}

async function termuTranscript(lines: string[]): Promise<string> {
  const control = machine();
  let out = '';
  const ctx = { vm: {}, print: (t: string) => void (out += t) } as unknown as HmpContext;
  const commands = deviceCommands(() => control);
  for (const line of lines) {
    const [name, ...args] = line.split(/\s+/);
    await commands.find((c) => c.names === name)!.run(ctx, args);
  }
  return out;
}

test("device commands' errors match qemu-system-i386's monitor", { skip: haveQemu() ? false : 'qemu-system-i386 is not installed' }, async () => {
  const q = spawnSync('qemu-system-i386', ['-display', 'none', '-S', '-monitor', 'stdio'], { input: LINES.join('\n') + '\nquit\n', encoding: 'latin1', timeout: 15000 });
  const expected = q.stdout
    .replace(/\r/g, '')
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
    .split('\n')
    .filter((l) => !l.startsWith('(qemu)') && !l.startsWith('QEMU '))
    .join('\n');
  assert.equal((await termuTranscript(LINES)).trimEnd(), expected.trimEnd());
});

test('pmemsave writes guest memory; screendump writes a PPM of the VGA screen', async () => {
  const out = await termuTranscript([`pmemsave 0x1000 14 ${join(dir, 'mem.bin')}`, `screendump ${join(dir, 'screen.ppm')}`]);
  assert.equal(out, '');
  assert.equal(readFileSync(join(dir, 'mem.bin'), 'latin1'), 'termu pmemsave');
  assert.match(readFileSync(join(dir, 'screen.ppm'), 'latin1').slice(0, 16), /^P6\n\d+ \d+\n255\n/);
});
