// Issue 5's text screendump of GRUB's menu: the GRUB rescue CD, at its prompt, is told to
// `configfile` a menu; termu's `screendump` of the text menu equals qemu-system-i386's pixel
// for pixel. Both run from the command line side by side, driven through COM1 and the HMP
// monitor socket. (seabios-boot.test.ts compares GRUB's prompt screen the same way.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureGrubRescueIso, GRUB_MENU_CFG, GRUB_MENU_TITLE, GRUB_PROMPT, GRUB_READY_MARKER } from '../../guests/grub-rescue.js';
import { haveQemu, QemuSession } from '../../guests/qemu-session.js';
import { pixelDifferences, ppmHeader, settledScreendump } from './settled-screendump.js';

const TERMU = fileURLToPath(new URL('../../../../bin/termu', import.meta.url));
const skip = !existsSync('/usr/share/seabios/bios.bin')
  ? "Debian's seabios package is not installed"
  : !haveQemu()
    ? 'qemu-system-i386 is not installed'
    : false;
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
  const termu = new QemuSession(args, TERMU);
  const qemu = new QemuSession(args);
  const dir = mkdtempSync(join(tmpdir(), 'termu-grub-menu-'));
  try {
    const [actual, expected] = await Promise.all([
      bootToMenu(termu).then(() => settledScreendump(termu, 'termu', dir, 20_000)),
      bootToMenu(qemu).then(() => settledScreendump(qemu, 'qemu', dir, 20_000)),
    ]);
    assert.equal(expected.toString('latin1', 0, ppmHeader(WIDTH, HEIGHT).length), ppmHeader(WIDTH, HEIGHT), 'QEMU shows an 80x25 text screen');
    assert.match(await qemu.vgaText(), new RegExp(GRUB_MENU_TITLE), "QEMU's screen shows the menu");
    assert.equal(actual.length, expected.length);
    assert.ok(actual.equals(expected), pixelDifferences(actual, expected, WIDTH, HEIGHT));
  } finally {
    await Promise.all([termu.monitor('quit').catch(() => {}), qemu.monitor('quit').catch(() => {})]);
    await Promise.all([termu.close(), qemu.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
