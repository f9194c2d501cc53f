// savevm / loadvm / delvm / info snapshots through bin/termu's monitor, on the savevm guest
// booted by SeaBIOS from a qcow2 disk: loadvm gives back the memory and the screen of the
// savevm moment, the guest runs on afterwards, and the real qemu-img finds the image clean
// and lists the snapshot. The monitor's texts are compared with qemu-system-i386's.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import test from 'node:test';
import { buildSavevmDisk, run, savevmGuestMissing } from '../machine/savevm-guest.js';
import { HAVE_QEMU, qemuMonitor } from '../monitor/qemu-monitor.js';
import { HAVE_SEABIOS } from './bios/bios-test-machine.js';
import { TERMU } from './test-kernels.js';
import { HmpSocket } from './hmp-socket.js';

const skip = !HAVE_SEABIOS ? "Debian's seabios package is not installed" : savevmGuestMissing() ?? false;
const RAM_BYTES = 32 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function qemuImg(...args: string[]): string {
  return run('qemu-img', args);
}

function assertClean(disk: string): void {
  assert.match(qemuImg('check', '-U', disk), /^No errors were found on the image\./m);
}

test('savevm s1, the guest changes, loadvm s1 gives back its memory and screen; qemu-img check clean and snapshot -l lists s1', { skip, timeout: 120_000 }, async () => {
  const disk = buildSavevmDisk();
  const dir = dirname(disk);
  const sock = join(dir, 'monitor.sock');
  const termu = spawn(TERMU, ['-hda', disk, '-m', String(RAM_BYTES >> 20), '-display', 'none', '-serial', 'stdio', '-monitor', `unix:${sock},server=on,wait=off`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  termu.stdout.on('data', (b: Buffer) => (output += b.toString('latin1')));
  termu.stderr.on('data', (b: Buffer) => (output += b.toString('latin1')));
  try {
    const deadline = Date.now() + 60_000;
    while (!output.includes('R')) {
      assert.ok(Date.now() < deadline && termu.exitCode === null, `the guest did not start; termu said:\n${output}`);
      await sleep(100);
    }
    const hmp = await HmpSocket.open(sock);
    const dump = async (name: string) => {
      assert.equal(await hmp.run(`pmemsave 0 ${RAM_BYTES} "${join(dir, `${name}.ram`)}"`), '');
      assert.equal(await hmp.run(`screendump "${join(dir, `${name}.ppm`)}"`), '');
      return { ram: readFileSync(join(dir, `${name}.ram`)), screen: readFileSync(join(dir, `${name}.ppm`)) };
    };
    await sleep(500);
    assert.equal(await hmp.run('stop'), '');
    const saved = await dump('saved');
    assert.equal(await hmp.run('savevm s1'), '');

    assert.equal(await hmp.run('cont'), '');
    await sleep(700);
    assert.equal(await hmp.run('stop'), '');
    const changed = await dump('changed');
    assert.ok(!changed.ram.equals(saved.ram), 'the guest did not change its memory');
    assert.ok(!changed.screen.equals(saved.screen), 'the guest did not change its screen');

    assert.equal(await hmp.run('loadvm s1'), '');
    const restored = await dump('restored');
    assert.ok(restored.ram.equals(saved.ram), 'memory after loadvm differs from memory at savevm');
    assert.ok(restored.screen.equals(saved.screen), 'the screen after loadvm differs from the screen at savevm');
    assert.equal(await hmp.run('info status'), 'VM status: paused');

    // Both listings show the same snapshot: QEMU's "--" id in the monitor, the image's id in qemu-img.
    const info = await hmp.run('info snapshots');
    // VM SIZE, DATE and VM CLOCK of s1's row.
    const columns = (text: string, id: string) => new RegExp(`^${id} +s1 +(\\S+ \\S+) (\\S+ \\S+) (\\S+) *$`, 'm').exec(text)?.slice(1);
    assert.ok(info.startsWith('List of snapshots present on all disks:\nID        TAG  '), info);
    assertClean(disk);
    const list = qemuImg('snapshot', '-U', '-l', disk);
    assert.deepEqual(columns(info, '--'), columns(list, '1'), `${list}\n${info}`);
    assert.match(columns(info, '--')?.[0] ?? '', /^\d+ [KM]iB$/);

    // The restored guest runs on: its counter keeps moving across memory and the screen.
    assert.equal(await hmp.run('cont'), '');
    await sleep(700);
    // A failed loadvm stops a running VM, as QEMU's does.
    assert.equal(await hmp.run('loadvm nope'), "Error: Snapshot 'nope' does not exist in one or more devices");
    assert.equal(await hmp.run('info status'), 'VM status: paused (restore-vm)');
    const later = await dump('later');
    assert.ok(!later.ram.equals(saved.ram) && !later.screen.equals(saved.screen), 'the guest did not run after loadvm');
    // Without a tag, QEMU names the snapshot after the local time.
    assert.equal(await hmp.run('savevm'), '');
    assert.equal(await hmp.run('delvm s1'), '');
    const untagged = /^List of snapshots present on all disks:\n.*\n-- +(vm-\d{14}) /.exec(await hmp.run('info snapshots'));
    assert.ok(untagged);
    assert.equal(await hmp.run(`delvm ${untagged[1]}`), '');
    assert.equal(await hmp.run('info snapshots'), 'There is no snapshot available.');
    assertClean(disk);
    assert.equal(qemuImg('snapshot', '-U', '-l', disk), '');
    hmp.close();
  } finally {
    termu.kill('SIGKILL');
  }
});

/** The monitor's replies with prompts and echo removed. */
function replies(output: string): string {
  return output
    .replace(/\r/g, '')
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
    .split('\n')
    .filter((l) => !l.startsWith('(qemu)') && !l.startsWith('QEMU '))
    .join('\n')
    .trimEnd();
}

function termuTranscript(args: string[], lines: string[]): string {
  const r = spawnSync(TERMU, [...args, '-display', 'none', '-S', '-m', '32', '-monitor', 'stdio'], { input: `${lines.join('\n')}\nquit\n`, encoding: 'latin1', timeout: 30_000 });
  return replies(r.stdout);
}

test("savevm/loadvm/delvm/info snapshots errors and tables match qemu-system-i386's", { skip: skip || (!HAVE_QEMU && 'qemu-system-i386 is not installed'), timeout: 60_000 }, async () => {
  const disk = buildSavevmDisk();
  const dir = dirname(disk);
  const raw = join(dir, 'disk.raw');
  const other = join(dir, 'other.qcow2');
  qemuImg('snapshot', '-c', 'disk1', disk);
  copyFileSync(disk, other);
  qemuImg('snapshot', '-c', 'only-other', other);
  const lines = ['info snapshots', 'savevm a b', 'savevm "a', 'loadvm', 'delvm', 'loadvm nope', 'delvm nope', 'loadvm disk1', 'info status'];
  const machines: string[][] = [
    [],
    ['-drive', `file=${raw},format=raw`],
    ['-cdrom', raw, '-drive', `file=${disk},format=qcow2,index=1`],
    ['-drive', `file=${disk},format=qcow2`, '-drive', `file=${other},format=qcow2`],
  ];
  for (const args of machines) {
    const expected = replies(await qemuMonitor([...args, '-m', '32'], lines.map((l) => `${l}\n`)));
    assert.equal(termuTranscript(args, lines), expected, `with ${args.join(' ') || 'no drives'}`);
  }
});
