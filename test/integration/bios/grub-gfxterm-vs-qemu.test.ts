// Issue 5's VBE screendump: GRUB (from a grub-mkrescue ISO, through SeaBIOS and the VGA BIOS's
// VESA modes) switches its console to gfxterm at 640×480×32 and prints a line; termu's
// `screendump` of that graphics screen equals qemu-system-i386's pixel for pixel. Both run
// from the command line side by side, driven through COM1 and the HMP monitor socket.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ensureGrubRescueIso, GRUB_PROMPT, GRUB_READY_MARKER } from '../../guests/grub-rescue.js';
import type { QemuSession } from '../../guests/qemu-session.js';
import { pixelDifferences, ppmHeader, screendumpsSideBySide, SIDE_BY_SIDE_SKIP as skip } from './settled-screendump.js';

const COMMANDS = ['insmod all_video', 'loadfont unicode', 'set gfxmode=640x480x32', 'terminal_output gfxterm serial', 'echo termu gfxterm check'];
const PPM_HEADER = ppmHeader(640, 480);

/** Boots the ISO to GRUB's prompt and switches its console to gfxterm. */
async function bootToGfxterm(session: QemuSession): Promise<void> {
  let at = await session.waitFor(GRUB_READY_MARKER, 90_000);
  at = await session.waitFor(GRUB_PROMPT, 30_000, at);
  for (const command of COMMANDS) {
    session.write(`${command}\r`);
    at = await session.waitFor(GRUB_PROMPT, 30_000, at);
  }
}

test("GRUB's gfxterm on a VBE mode: termu's screendump equals QEMU's pixel for pixel", { skip, timeout: 150_000 }, async () => {
  const iso = await ensureGrubRescueIso();
  const args = ['-cdrom', iso, '-boot', 'd', '-m', '128', '-display', 'none', '-serial', 'stdio'];
  await screendumpsSideBySide(args, bootToGfxterm, ({ actual, expected }) => {
    assert.equal(expected.toString('latin1', 0, PPM_HEADER.length), PPM_HEADER, 'QEMU shows a 640x480 graphics screen');
    assert.equal(actual.toString('latin1', 0, PPM_HEADER.length), PPM_HEADER, 'termu shows a 640x480 graphics screen');
    assert.ok(expected.subarray(PPM_HEADER.length).some((v) => v !== 0), "QEMU's screen shows GRUB's text");
    assert.equal(actual.length, expected.length);
    assert.ok(actual.equals(expected), pixelDifferences(actual, expected, 640, 480));
  });
});
