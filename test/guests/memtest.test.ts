// memtest86+ reaches its main screen on qemu-system-i386 from CD, floppy and -kernel.
// (-m 64: with more memory memtest's start-up bandwidth probe takes minutes under TCG.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { ensureMemtest, MEMTEST_SCREEN } from './memtest.js';
import { haveQemu, QemuSession } from './qemu-session.js';

const skip = !haveQemu() && 'qemu-system-i386 is not installed';
const COMMON = ['-display', 'none', '-m', '64', '-no-reboot'];

async function screenOf(args: string[]): Promise<string> {
  const qemu = new QemuSession([...COMMON, ...args]);
  try {
    return await qemu.waitForScreen(MEMTEST_SCREEN, 60_000);
  } finally {
    await qemu.close();
  }
}

test('memtest86+ boots from its ISO', { skip, timeout: 120_000 }, async () => {
  const { iso } = await ensureMemtest();
  const screen = await screenOf(['-cdrom', iso, '-boot', 'd']);
  assert.match(screen, /Memory\s*:\s*6\dMB/);
});

test('memtest86+ boots from a floppy image', { skip, timeout: 120_000 }, async () => {
  const { floppy } = await ensureMemtest();
  const screen = await screenOf(['-drive', `file=${floppy},if=floppy,format=raw`, '-boot', 'a']);
  assert.match(screen, /QEMU Virtual CPU/);
});

test('memtest86+ boots as a bzImage through -kernel', { skip, timeout: 120_000 }, async () => {
  const { bzImage } = await ensureMemtest();
  const screen = await screenOf(['-kernel', bzImage]);
  assert.match(screen, /<ESC> Exit/);
});
