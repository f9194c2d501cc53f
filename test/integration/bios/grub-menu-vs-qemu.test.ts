// Issue 5's text screendump of GRUB's menu: the GRUB rescue CD, at its prompt, is told to
// `configfile` a menu; termu's `screendump` of the text menu equals qemu-system-i386's pixel
// for pixel. Both run from the command line side by side, driven through COM1 and the HMP
// monitor socket. (seabios-boot.test.ts compares GRUB's prompt screen the same way.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { ensureGrubRescueIso, GRUB_MENU_CFG, GRUB_MENU_TITLE, GRUB_PROMPT, GRUB_READY_MARKER } from '../../guests/grub-rescue.js';
import type { QemuSession } from '../../guests/qemu-session.js';
import { pixelDifferences, ppmHeader, screendumpsSideBySide, SIDE_BY_SIDE_SKIP as skip } from './settled-screendump.js';

/** VGA text mode 80×25 with a 9×16 font, as QEMU's screendump renders it. */
const WIDTH = 720;
const HEIGHT = 400;

async function bootToMenu(session: QemuSession): Promise<void> {
  let at = await session.waitFor(GRUB_READY_MARKER, 90_000);
  at = await session.waitFor(GRUB_PROMPT, 30_000, at);
  session.write(`configfile ${GRUB_MENU_CFG}\r`);
  await session.waitFor('third entry', 30_000, at);
}

test("GRUB's text menu: termu's screendump equals QEMU's pixel for pixel", { skip, timeout: 150_000 }, async () => {
  const iso = await ensureGrubRescueIso();
  const args = ['-cdrom', iso, '-boot', 'd', '-m', '128', '-display', 'none', '-serial', 'stdio'];
  await screendumpsSideBySide(args, bootToMenu, async ({ actual, expected, qemu }) => {
    assert.equal(expected.toString('latin1', 0, ppmHeader(WIDTH, HEIGHT).length), ppmHeader(WIDTH, HEIGHT), 'QEMU shows an 80x25 text screen');
    assert.match(await qemu.vgaText(), new RegExp(GRUB_MENU_TITLE), "QEMU's screen shows the menu");
    assert.equal(actual.length, expected.length);
    assert.ok(actual.equals(expected), pixelDifferences(actual, expected, WIDTH, HEIGHT));
  });
});
