// The Linux test guest booted through SeaBIOS and ISOLINUX from real media, with its disk
// writes checked by Debian's tools:
// 1. the hybrid CD as -cdrom, plus a qcow2 overlay (made by termu-img over a raw ext4 image
//    made by mke2fs -d) as -hdb: the guest mounts it, writes a file and powers off; the file
//    is there for debugfs in a qemu-img convert of the overlay, the base is unchanged and
//    qemu-img check of the overlay is clean;
// 2. with -snapshot, the same ISO as -hda and another overlay as -hdb: the guest writes to
//    both disks and reads its writes back, yet no image changes.
// The boots are independent and run side by side.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { EXT4_HELLO, ensureExt4Image, ext4PayloadSha256 } from '../../guests/ext4-image.js';
import { ensureIsolinuxCd, ISOLINUX_BANNER } from '../../guests/isolinux-cd.js';
import { GUEST_PROMPT, GUEST_READY_MARKER } from '../../guests/linux-init.js';
import { QemuSession } from '../../guests/qemu-session.js';
import { runCommand } from '../../guests/run-command.js';
import { REPO, TERMU } from '../test-kernels.js';
import { HAVE_SEABIOS } from './bios-test-machine.js';

const TERMU_IMG = join(REPO, 'bin', 'termu-img');
const have = (tool: string, ...args: string[]) => runCommand(tool, args, { allowFailure: true }).then((r) => r.status === 0, () => false);
const skip = !HAVE_SEABIOS
  ? "Debian's seabios package is not installed"
  : !existsSync('/usr/lib/ISOLINUX/isolinux.bin')
    ? 'isolinux is not installed'
    : !(await have('xorriso', '-version'))
      ? 'xorriso is not installed'
      : !(await have('qemu-img', '--version'))
        ? 'qemu-img is not installed'
        : !(await have('debugfs', '-V')) && 'debugfs (e2fsprogs) is not installed';

// A boot is one to two minutes on a quiet machine.
const BOOT_TIMEOUT_MS = 600_000;
const TEST_TIMEOUT_MS = BOOT_TIMEOUT_MS + 300_000;
const WRITTEN = 'termu wrote this\n';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Starts termu on `media` and waits for ISOLINUX and then the guest's shell. */
async function bootGuest(media: string[]): Promise<QemuSession> {
  const guest = new QemuSession(['-display', 'none', '-serial', 'stdio', '-m', '256', '-no-reboot', ...media], TERMU);
  try {
    const banner = await guest.waitFor(ISOLINUX_BANNER, BOOT_TIMEOUT_MS);
    await guest.waitFor(GUEST_PROMPT, BOOT_TIMEOUT_MS, await guest.waitFor(GUEST_READY_MARKER, BOOT_TIMEOUT_MS, banner));
    const cmdline = await guest.command('cat /proc/cmdline', GUEST_PROMPT);
    assert.match(cmdline, /^BOOT_IMAGE=\/boot\/vmlinuz console=ttyS0 cryptomgr\.notests noisapnp initrd=\/boot\/initrd\.gz$/m);
    return guest;
  } catch (e) {
    await guest.close();
    throw e;
  }
}

/** Runs a shell command in the guest; `ok` follows only when it succeeded. */
async function sh(guest: QemuSession, line: string, timeoutMs = 120_000): Promise<string> {
  const out = await guest.command(`${line} && echo @ok`, GUEST_PROMPT, timeoutMs);
  assert.match(out, /^@ok$/m, `'${line}' failed:\n${out}`);
  return out.replace(/^@ok\n?/m, '');
}

/** The kernel attaches SCSI disks asynchronously, so the shell may start before a disk has its size. */
async function waitForDisks(guest: QemuSession, ...disks: string[]): Promise<void> {
  for (const disk of disks) await sh(guest, `n=0; while [ "$(cat /sys/block/${disk}/size 2>/dev/null || echo 0)" = 0 ] && [ $n -lt 120 ]; do sleep 1; n=$((n + 1)); done; [ $n -lt 120 ]`, 180_000);
}

async function powerOff(guest: QemuSession): Promise<void> {
  guest.write('poweroff -f\n');
  assert.deepEqual(await guest.waitExit(120_000), { code: 0, signal: null });
}

/** Boot 1: -cdrom, and the guest writes a file to the ext4 overlay on -hdb. */
async function cdromBootWritesOverlay(iso: string, base: string, overlay: string, dir: string): Promise<void> {
  const baseSum = sha256(base);
  const guest = await bootGuest(['-cdrom', iso, '-boot', 'd', '-hdb', overlay]);
  try {
    // -hdb is the first ATA disk (ide0 slave); the CD is ide1 master.
    await waitForDisks(guest, 'sda');
    assert.equal(await sh(guest, 'mkdir -p /mnt && mount -t ext4 /dev/sda /mnt && cat /mnt/hello.txt'), EXT4_HELLO);
    assert.match(await sh(guest, 'sha256sum /mnt/data/payload.bin'), new RegExp(`^${ext4PayloadSha256()} `));
    await sh(guest, `printf '${WRITTEN.replace('\n', '\\n')}' > /mnt/written.txt && umount /mnt && sync`);
    await powerOff(guest);
  } finally {
    await guest.close();
  }
  assert.equal(sha256(base), baseSum, 'the raw base image changed');
  const check = await runCommand('qemu-img', ['check', overlay], { allowFailure: true });
  assert.equal(check.status, 0, `qemu-img check: ${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /No errors were found on the image\./);
  const flat = join(dir, 'flat.raw');
  await runCommand('qemu-img', ['convert', '-O', 'raw', overlay, flat]);
  const cat = (path: string) => runCommand('debugfs', ['-R', `cat ${path}`, flat]).then((r) => r.stdout);
  assert.equal(await cat('/written.txt'), WRITTEN);
  assert.equal(await cat('/hello.txt'), EXT4_HELLO);
  const fsck = await runCommand('e2fsck', ['-fn', flat], { allowFailure: true });
  assert.equal(fsck.status, 0, `e2fsck: ${fsck.stdout}${fsck.stderr}`);
}

/** Boot 2: -snapshot, the ISO as -hda and an overlay as -hdb; the guest writes to both, reads its writes back, and neither image changes. */
async function snapshotBootKeepsImages(iso: string, base: string, overlay: string): Promise<void> {
  const sums = [iso, base, overlay].map(sha256);
  const guest = await bootGuest(['-snapshot', '-hda', iso, '-hdb', overlay, '-boot', 'c']);
  try {
    await waitForDisks(guest, 'sda', 'sdb');
    // Disks are probed asynchronously, so sda/sdb may come in either order: tell them by size.
    const ext4Disk = (await sh(guest, `for d in sda sdb; do [ "$(cat /sys/block/$d/size)" = ${statSync(base).size / 512} ] && echo $d; done; true`)).trim();
    assert.match(ext4Disk, /^sd[ab]$/);
    const isoDisk = ext4Disk === 'sda' ? 'sdb' : 'sda';
    await sh(guest, `mkdir -p /mnt && mount -t ext4 /dev/${ext4Disk} /mnt && rm /mnt/hello.txt && echo x > /mnt/snap.txt && umount /mnt && sync`);
    // Zero the boot disk's first 64 KiB (its MBR and ISOLINUX's start), then read it back past the cache.
    await sh(guest, `dd if=/dev/zero of=/dev/${isoDisk} bs=4096 count=16 conv=fsync 2>/dev/null && echo 3 > /proc/sys/vm/drop_caches`);
    assert.equal(await sh(guest, `dd if=/dev/${isoDisk} bs=65536 count=1 2>/dev/null | tr -d "\\0" | wc -c`), '0\n');
    const ls = await sh(guest, `mount -t ext4 /dev/${ext4Disk} /mnt && ls -1 /mnt && umount /mnt`);
    assert.match(ls, /^snap\.txt$/m);
    assert.doesNotMatch(ls, /^hello\.txt$/m);
    await powerOff(guest);
  } finally {
    await guest.close();
  }
  assert.deepEqual([iso, base, overlay].map(sha256), sums, 'an image changed (ISO, raw base, overlay)');
}

test('Linux boots from the ISOLINUX CD and writes to a qcow2 overlay of an ext4 image as Debian tools see it; booted from -hda with -snapshot, it changes no image', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const [{ iso: cachedIso }, ext4] = await Promise.all([ensureIsolinuxCd(), ensureExt4Image()]);
  const dir = mkdtempSync(join(tmpdir(), 'termu-linux-disk-'));
  const iso = join(dir, 'termu-linux.iso');
  const base = join(dir, 'base.raw');
  copyFileSync(cachedIso, iso);
  copyFileSync(ext4, base);
  const overlays = [join(dir, 'written.qcow2'), join(dir, 'snapshot.qcow2')];
  for (const overlay of overlays) await runCommand(TERMU_IMG, ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', overlay]);
  // The two boots are independent (the snapshot boot only reads its images), so they run side by side.
  await Promise.all([cdromBootWritesOverlay(iso, base, overlays[0], dir), snapshotBootKeepsImages(iso, base, overlays[1])]);
  rmSync(dir, { recursive: true, force: true });
});
