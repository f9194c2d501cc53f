// The ext4 image is clean for Debian's e2fsck, and the Linux test guest on qemu-system-i386
// mounts it from an IDE disk (ata_piix + sd_mod) and a virtio disk (virtio_blk) and reads
// back exactly what was put in it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EXT4_HELLO, EXT4_LABEL, ensureExt4Image, ext4PayloadSha256 } from './ext4-image.js';
import { ensureLinuxGuest } from './linux.js';
import { GUEST_PROMPT, GUEST_READY_MARKER } from './linux-init.js';
import { haveQemu, QemuSession } from './qemu-session.js';

const skip = !haveQemu() && 'qemu-system-i386 is not installed';

test('e2fsck finds the ext4 image clean and labelled', async () => {
  const image = await ensureExt4Image();
  const fsck = spawnSync('e2fsck', ['-fn', image], { encoding: 'utf8' });
  assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
  const label = spawnSync('e2label', [image], { encoding: 'utf8' });
  assert.equal(label.stdout.trim(), EXT4_LABEL);
});

test('the guest mounts the ext4 image from IDE and virtio disks', { skip, timeout: 240_000 }, async () => {
  const [image, guest] = await Promise.all([ensureExt4Image(), ensureLinuxGuest()]);
  const qemu = new QemuSession([
    '-nographic', '-m', '256', '-no-reboot',
    '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', guest.append,
    '-drive', `file=${image},format=raw,if=ide,snapshot=on`,
    '-drive', `file=${image},format=raw,if=virtio,snapshot=on`,
  ]);
  try {
    await qemu.waitFor(GUEST_PROMPT, 120_000, await qemu.waitFor(GUEST_READY_MARKER, 120_000));
    for (const disk of ['/dev/sda', '/dev/vda']) {
      const out = await qemu.command(
        `mount -t ext4 -o ro ${disk} /mnt && cat /mnt/hello.txt && sha256sum /mnt/payload-link && umount /mnt && echo done`,
        GUEST_PROMPT, 60_000);
      assert.ok(out.includes(EXT4_HELLO), `${disk}: hello.txt in\n${out}`);
      assert.match(out, new RegExp(`^${ext4PayloadSha256()}  /mnt/payload-link$`, 'm'), disk);
      assert.match(out, /^done$/m, disk);
    }
    qemu.write('poweroff -f\n');
    assert.deepEqual(await qemu.waitExit(30_000), { code: 0, signal: null });
  } finally {
    await qemu.close();
  }
});
