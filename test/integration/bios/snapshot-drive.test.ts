// -snapshot / snapshot=on: the guest's writes land in a temporary qcow2 overlay and the
// image stays byte-identical; the monitor's `commit` copies them into the image. The
// overlay itself must pass the real `qemu-img check`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { shorthandDrive } from '../../../src/cli/drive-options.js';
import { closeDrive } from '../../../src/vm/machine/firmware-boot.js';
import { commitDrive, openDrive } from '../../../src/vm/machine/open-drives.js';

const haveQemuImg = spawnSync('qemu-img', ['--version']).status === 0;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('snapshot=on keeps the image intact until commit', { skip: haveQemuImg ? false : 'qemu-img is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-snapshot-test-'));
  const image = join(dir, 'disk.img');
  const original = Buffer.alloc(4 << 20);
  for (let i = 0; i < original.length; i += 512) original.writeUInt32LE(i, i);
  writeFileSync(image, original);
  const before = sha(image);

  const drive = openDrive({ ...shorthandDrive('hda', image), format: 'raw', snapshot: true });
  const sector = Buffer.alloc(512, 0xab);
  drive.medium.write(1 << 20, sector);
  drive.medium.write(3 << 20, sector);
  drive.medium.flush();
  const readBack = new Uint8Array(512);
  drive.medium.read(1 << 20, readBack);
  assert.deepEqual(Buffer.from(readBack), sector);
  drive.medium.read(0, readBack);
  assert.deepEqual(Buffer.from(readBack), original.subarray(0, 512), 'unwritten data comes from the image');
  assert.equal(sha(image), before, 'the image is untouched while snapshotting');

  assert.ok(drive.overlayPath);
  const check = spawnSync('qemu-img', ['check', '-U', drive.overlayPath], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /No errors were found/);

  commitDrive(drive);
  closeDrive(drive);
  const after = readFileSync(image);
  const expected = Buffer.from(original);
  sector.copy(expected, 1 << 20);
  sector.copy(expected, 3 << 20);
  assert.ok(after.equals(expected), 'commit wrote exactly the guest writes into the image');
});
