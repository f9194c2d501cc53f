// The storage options fail the way qemu-system-i386 fails: each case runs QEMU with the
// same arguments and compares its message (program name aside) with termu's.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { CliError, formatCliError } from '../../../src/cli/cli-error.js';
import { applyStorageOption, defaultStorageConfig, parseBootOption, parseDriveOption, resolveDrives, shorthandDrive } from '../../../src/cli/drive-options.js';
import { haveQemu } from '../../guests/qemu-session.js';

const dir = mkdtempSync(join(tmpdir(), 'termu-drive-options-'));
const disk = join(dir, 'disk.img');
writeFileSync(disk, Buffer.alloc(1 << 20));

/** Feeds `args` through the storage option parsers as parse-args does. */
function termuError(args: string[]): string {
  const config = defaultStorageConfig();
  try {
    for (let i = 0; i < args.length; i += 2) applyStorageOption(config, args[i].slice(1), args[i + 1]);
    resolveDrives(config);
  } catch (e) {
    if (e instanceof CliError) return formatCliError(e).trimEnd();
    throw e;
  }
  return '';
}

function qemuError(args: string[]): string {
  const r = spawnSync('qemu-system-i386', ['-display', 'none', '-S', ...args], { encoding: 'utf8', timeout: 3000, input: '' });
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('qemu'))
    .join('\n')
    .replace(/^qemu-system-i386:/gm, 'termu:');
}

const CASES: string[][] = [
  ['-drive', 'file=x,if=bogus'],
  ['-drive', 'file=x,media=tape'],
  ['-drive', 'file=x,cache=fast'],
  ['-drive', 'file=x,format=vmdkx'],
  ['-drive', 'file=x,snapshot=maybe'],
  ['-drive', 'file=x,unit=3'],
  ['-drive', `file=${disk},format=raw,foo=1`],
  ['-drive', `file=${disk},format=raw,index=9`],
  ['-drive', `file=${disk},format=raw,bus=2`],
  ['-drive', `file=${disk},format=raw,if=scsi`],
  ['-hda', disk, '-drive', `file=${disk},format=raw,index=0`],
  ['-boot', 'order=xyz'],
  ['-boot', 'order=cdnacd'],
  ['-boot', 'order=cdna'],
  ['-boot', 'order=e'],
  ['-boot', 'menu=maybe'],
  ['-boot', 'order=cd,foo=1'],
  ['-boot', 'splash-time=abc'],
  ['-vga', 'foo'],
];

test('storage option errors match qemu-system-i386', { skip: haveQemu() ? false : 'qemu-system-i386 is not installed' }, () => {
  for (const args of CASES) {
    const expected = qemuError(args);
    assert.notEqual(expected, '', `QEMU accepted ${args.join(' ')}`);
    assert.equal(termuError(args), expected, args.join(' '));
  }
});

test('drives get the next free index of their interface; -cdrom is ide index 2', () => {
  const config = defaultStorageConfig();
  config.drives.push(shorthandDrive('cdrom', 'cd.iso'), parseDriveOption('file=a.img'), parseDriveOption('file=b.img'), parseDriveOption('file=c.img,if=floppy'));
  config.snapshot = true;
  resolveDrives(config);
  assert.deepEqual(
    config.drives.map((d) => [d.interface, d.index, d.media, d.snapshot, d.readOnly]),
    [
      ['ide', 2, 'cdrom', true, true],
      ['ide', 0, 'disk', true, false],
      ['ide', 1, 'disk', true, false],
      ['floppy', 0, 'disk', true, false],
    ],
  );
});

test('-boot keeps order, menu, splash-time and reboot-timeout', () => {
  const boot = parseBootOption('order=dc,menu=on,splash-time=2500,reboot-timeout=1000', defaultStorageConfig().boot);
  assert.deepEqual(boot, { order: 'dc', menu: true, splashTimeMs: 2500, rebootTimeoutMs: 1000 });
  assert.equal(parseBootOption('d', boot).order, 'd');
});
