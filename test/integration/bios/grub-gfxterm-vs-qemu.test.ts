// Issue 5's VBE screendump: GRUB (from a grub-mkrescue ISO, through SeaBIOS and the VGA BIOS's
// VESA modes) switches its console to gfxterm at 640×480×32 and prints a line; termu's
// `screendump` of that graphics screen equals qemu-system-i386's pixel for pixel. Both run
// from the command line side by side, driven through COM1 and the HMP monitor socket.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureGrubRescueIso, GRUB_PROMPT, GRUB_READY_MARKER } from '../../guests/grub-rescue.js';
import { haveQemu, QemuSession } from '../../guests/qemu-session.js';

const TERMU = fileURLToPath(new URL('../../../../bin/termu', import.meta.url));
const skip = !existsSync('/usr/share/seabios/bios.bin')
  ? "Debian's seabios package is not installed"
  : !haveQemu()
    ? 'qemu-system-i386 is not installed'
    : false;
const COMMANDS = ['insmod all_video', 'loadfont unicode', 'set gfxmode=640x480x32', 'terminal_output gfxterm serial', 'echo termu gfxterm check'];
const PPM_HEADER = 'P6\n640 480\n255\n';
const SETTLE_POLL_MS = 500;

/** Boots the ISO to GRUB's prompt and switches its console to gfxterm. */
async function bootToGfxterm(session: QemuSession): Promise<void> {
  let at = await session.waitFor(GRUB_READY_MARKER, 90_000);
  at = await session.waitFor(GRUB_PROMPT, 30_000, at);
  for (const command of COMMANDS) {
    session.write(`${command}\r`);
    at = await session.waitFor(GRUB_PROMPT, 30_000, at);
  }
}

/**
 * Screendumps until two in a row are equal: the prompt reaches COM1 before GRUB may have
 * finished drawing on the framebuffer.
 */
async function settledScreendump(session: QemuSession, name: string, dir: string, timeoutMs: number): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  let previous: Buffer | undefined;
  for (let n = 0; ; n++) {
    const file = join(dir, `${name}-${n}.ppm`);
    assert.equal(await session.monitor(`screendump ${file}`), '');
    const dump = readFileSync(file);
    if (previous?.equals(dump)) return dump;
    if (Date.now() > deadline) throw new Error(`the screen did not settle within ${timeoutMs} ms`);
    previous = dump;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** Describes where two PPMs of the same size differ, for the failure message. */
function pixelDifferences(actual: Buffer, expected: Buffer): string {
  const width = 640;
  const offset = PPM_HEADER.length;
  let count = 0;
  let first = '';
  for (let i = offset; i + 2 < expected.length; i += 3) {
    if (actual[i] === expected[i] && actual[i + 1] === expected[i + 1] && actual[i + 2] === expected[i + 2]) continue;
    if (count++ === 0) {
      const pixel = (i - offset) / 3;
      const rgb = (b: Buffer): string => `(${b[i]},${b[i + 1]},${b[i + 2]})`;
      first = ` first at (${pixel % width},${Math.floor(pixel / width)}): termu ${rgb(actual)}, QEMU ${rgb(expected)}`;
    }
  }
  return `${count} pixels differ;${first}`;
}

test("GRUB's gfxterm on a VBE mode: termu's screendump equals QEMU's pixel for pixel", { skip, timeout: 150_000 }, async () => {
  const iso = await ensureGrubRescueIso();
  const args = ['-cdrom', iso, '-boot', 'd', '-m', '128', '-display', 'none', '-serial', 'stdio'];
  const termu = new QemuSession(args, TERMU);
  const qemu = new QemuSession(args);
  const dir = mkdtempSync(join(tmpdir(), 'termu-gfxterm-'));
  try {
    const [actual, expected] = await Promise.all([
      bootToGfxterm(termu).then(() => settledScreendump(termu, 'termu', dir, 20_000)),
      bootToGfxterm(qemu).then(() => settledScreendump(qemu, 'qemu', dir, 20_000)),
    ]);
    assert.equal(expected.toString('latin1', 0, PPM_HEADER.length), PPM_HEADER, 'QEMU shows a 640x480 graphics screen');
    assert.equal(actual.toString('latin1', 0, PPM_HEADER.length), PPM_HEADER, 'termu shows a 640x480 graphics screen');
    assert.ok(expected.subarray(PPM_HEADER.length).some((v) => v !== 0), "QEMU's screen shows GRUB's text");
    assert.equal(actual.length, expected.length);
    assert.ok(actual.equals(expected), pixelDifferences(actual, expected));
  } finally {
    await Promise.all([termu.monitor('quit').catch(() => {}), qemu.monitor('quit').catch(() => {})]);
    await Promise.all([termu.close(), qemu.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
