// The ISOLINUX hybrid CD boots the Linux test guest on qemu-system-i386 from the CD drive
// and, written as it is, from a hard disk.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ensureIsolinuxCd, ISOLINUX_BANNER } from './isolinux-cd.js';
import { GUEST_PROMPT, GUEST_READY_MARKER } from './linux-init.js';
import { haveQemu, QemuSession } from './qemu-session.js';

const skip = !haveQemu() && 'qemu-system-i386 is not installed';

async function bootToShell(media: string[]): Promise<void> {
  const qemu = new QemuSession(['-display', 'none', '-serial', 'stdio', '-m', '256', '-no-reboot', ...media]);
  try {
    const banner = await qemu.waitFor(ISOLINUX_BANNER, 60_000);
    await qemu.waitFor(GUEST_PROMPT, 120_000, await qemu.waitFor(GUEST_READY_MARKER, 120_000, banner));
    const cmdline = await qemu.command('cat /proc/cmdline', GUEST_PROMPT);
    assert.match(cmdline, /^BOOT_IMAGE=\/boot\/vmlinuz console=ttyS0 cryptomgr\.notests noisapnp initrd=\/boot\/initrd\.gz$/m);
    qemu.write('poweroff -f\n');
    assert.deepEqual(await qemu.waitExit(30_000), { code: 0, signal: null });
  } finally {
    await qemu.close();
  }
}

test('the ISOLINUX CD boots the guest from the CD drive', { skip, timeout: 240_000 }, async () => {
  const { iso } = await ensureIsolinuxCd();
  await bootToShell(['-cdrom', iso, '-boot', 'd']);
});

test('the hybrid ISO boots the guest as a hard disk', { skip, timeout: 240_000 }, async () => {
  const { iso } = await ensureIsolinuxCd();
  await bootToShell(['-drive', `file=${iso},format=raw,if=ide,snapshot=on`, '-boot', 'c']);
});
