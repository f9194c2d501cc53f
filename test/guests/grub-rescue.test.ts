// The GRUB rescue CD boots on qemu-system-i386 to GRUB's command line, on COM1 and on the
// VGA text screen, and runs a command typed on the serial line.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ensureGrubRescueIso, GRUB_PROMPT, GRUB_READY_MARKER } from './grub-rescue.js';
import { haveQemu, QemuSession } from './qemu-session.js';

const skip = !haveQemu() && 'qemu-system-i386 is not installed';

test('the GRUB rescue ISO boots to a GRUB prompt that runs commands', { skip, timeout: 120_000 }, async () => {
  const iso = await ensureGrubRescueIso();
  const qemu = new QemuSession(['-display', 'none', '-serial', 'stdio', '-m', '64', '-no-reboot', '-cdrom', iso, '-boot', 'd']);
  try {
    const ready = await qemu.waitFor(GRUB_READY_MARKER, 60_000);
    await qemu.waitFor(GRUB_PROMPT, 30_000, ready);
    qemu.write('echo platform=$grub_platform cpu=$grub_cpu\r');
    await qemu.waitFor('platform=pc cpu=i386', 10_000);
    const screen = await qemu.waitForScreen(/^platform=pc cpu=i386$/m, 10_000);
    assert.match(screen, /GNU GRUB +version 2\./);
    assert.match(screen, /^grub> echo platform=\$grub_platform cpu=\$grub_cpu$/m);
  } finally {
    await qemu.close();
  }
});
