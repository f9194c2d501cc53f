// savevm/loadvm/delvm through QMP's human-monitor-command on a running machine: the
// replies and the STOP/RESUME events around them are qemu-system-i386's.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import test from 'node:test';
import { buildSavevmDisk, savevmGuestMissing } from '../machine/savevm-guest.js';
import { HAVE_QEMU } from '../monitor/qemu-monitor.js';
import { HAVE_SEABIOS } from './bios/bios-test-machine.js';
import { TERMU } from './test-kernels.js';

const skip = !HAVE_SEABIOS ? "Debian's seabios package is not installed" : !HAVE_QEMU ? 'qemu-system-i386 is not installed' : savevmGuestMissing() ?? false;

const hmp = (line: string) => ({ execute: 'human-monitor-command', arguments: { 'command-line': line } });
const COMMANDS = [hmp('savevm x'), hmp('loadvm nope'), hmp('info status'), hmp('cont'), hmp('loadvm x'), hmp('info status'), hmp('delvm x'), hmp('info snapshots')];

/** What the emulator sends after its greeting, one JSON text per entry, timestamps removed; each command waits for the previous reply. */
async function qmpTranscript(program: string, disk: string): Promise<string[]> {
  const p = spawn(program, ['-hda', disk, '-m', '32', '-display', 'none', '-qmp', 'stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let partial = '';
  p.stdout.on('data', (b: Buffer) => {
    partial += b.toString('utf8');
    for (let at = partial.indexOf('\n'); at >= 0; at = partial.indexOf('\n')) {
      lines.push(partial.slice(0, at).trim().replace(/"timestamp": \{[^}]*\}, /, ''));
      partial = partial.slice(at + 1);
    }
  });
  const replies = () => lines.filter((l) => l.startsWith('{"return"') || l.startsWith('{"error"')).length;
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 30_000;
    while (!done()) {
      if (Date.now() > deadline || p.exitCode !== null) throw new Error(`${program} stopped answering:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    await until(() => lines.length > 0);
    for (const command of [{ execute: 'qmp_capabilities' }, ...COMMANDS]) {
      const seen = replies();
      p.stdin.write(`${JSON.stringify(command)}\n`);
      await until(() => replies() > seen);
    }
  } finally {
    p.kill('SIGKILL');
  }
  return lines.slice(1);
}

test("QMP sees qemu-system-i386's replies and STOP/RESUME events for savevm, loadvm and delvm", { skip, timeout: 90_000 }, async () => {
  const disk = buildSavevmDisk();
  const copy = join(dirname(disk), 'qemu.qcow2');
  copyFileSync(disk, copy);
  const expected = await qmpTranscript('qemu-system-i386', copy);
  assert.deepEqual(await qmpTranscript(TERMU, disk), expected);
});
