// termu -kernel shows Linux's vgacon text screen with the VGA BIOS's font, as QEMU does (its
// VGA BIOS runs even for -kernel and leaves the font in plane 2): a Multiboot kernel writes
// every character in many colours, and the two `screendump`s are equal byte for byte.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { buildScriptKernel, qemuMissing, qemuScreendump } from '../../devices/vga/qemu-reference.js';
import { VgaScript } from '../../devices/vga/vga-script.js';
import { QemuSession } from '../../guests/qemu-session.js';
import { TERMU } from '../test-kernels.js';

const skip = !existsSync('/usr/share/seabios/vgabios-stdvga.bin') ? "Debian's seabios package is not installed" : qemuMissing() ?? false;
/** The script kernel prints this on COM1 when it has replayed its script. */
const SCRIPT_DONE = 'D';

function allCharacters(): VgaScript {
  const s = new VgaScript();
  for (let i = 0; i < 80 * 25; i++) {
    const attribute = ((i * 5) & 0x0f) | (((i >> 4) & 7) << 4);
    s.write16(0xb8000 + i * 2, (attribute << 8) | (i & 0xff));
  }
  s.crtc(0x0a, 0x2d); // the cursor blinks on each emulator's own clock, so hide it
  return s;
}

test("-kernel's text screen has the VGA BIOS font: termu's screendump equals QEMU's", { skip, timeout: 60_000 }, async () => {
  const script = allCharacters();
  const dir = mkdtempSync(join(tmpdir(), 'termu-kernel-font-'));
  const termu = new QemuSession(['-kernel', buildScriptKernel(script, dir), '-display', 'none', '-serial', 'stdio', '-m', '64'], TERMU);
  try {
    await termu.waitFor(SCRIPT_DONE, 30_000);
    assert.equal(await termu.monitor(`screendump ${join(dir, 'termu.ppm')}`), '');
    const actual = readFileSync(join(dir, 'termu.ppm'));
    const expected = await qemuScreendump(script);
    assert.equal(actual.length, expected.length);
    let differing = 0;
    for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) differing++;
    assert.equal(differing, 0, `${differing} bytes of the screendumps differ`);
  } finally {
    await termu.monitor('quit').catch(() => {});
    await termu.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
