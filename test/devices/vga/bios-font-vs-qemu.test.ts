// Without firmware (-kernel) termu sets up the text mode the VGA BIOS leaves, with the BIOS's
// own 8×16 font found in Debian's vgabios-stdvga.bin; QEMU runs that BIOS even for -kernel.
// Every character in many colours on the 80×25 screen must then look the same on both.

import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { setBiosTextMode } from '../../../src/vm/devices/vga/bios-text-mode.js';
import { findVgaBiosFont16 } from '../../../src/vm/devices/vga/vga-bios-font.js';
import { Vga } from '../../../src/vm/devices/vga/vga.js';
import { VgaDisplay } from '../../../src/vm/devices/vga/vga-display.js';
import { TimerQueue } from '../../../src/vm/machine/clock.js';
import { qemuMissing, qemuScreendump } from './qemu-reference.js';
import { VgaScript } from './vga-script.js';

const VGA_BIOS = '/usr/share/seabios/vgabios-stdvga.bin';
const skip = !existsSync(VGA_BIOS) ? "Debian's seabios package is not installed" : qemuMissing() ?? false;

/** Every character code in turn, in colours that cycle through all foregrounds and backgrounds (no blink bit). */
function allCharacters(): VgaScript {
  const s = new VgaScript();
  for (let i = 0; i < 80 * 25; i++) {
    const attribute = ((i * 5) & 0x0f) | (((i >> 4) & 7) << 4);
    s.write16(0xb8000 + i * 2, (attribute << 8) | (i & 0xff));
  }
  s.crtc(0x0a, 0x2d); // the cursor blinks on QEMU's own clock, so hide it
  return s;
}

test('the VGA BIOS 8x16 font is found in the ROM image', { skip: !existsSync(VGA_BIOS) && "Debian's seabios package is not installed" }, () => {
  const font = findVgaBiosFont16(readFileSync(VGA_BIOS));
  assert.ok(font);
  assert.equal(font.length, 4096);
  // 'A' and the light shade have ink; a ROM of zeros has no font.
  assert.ok(font.subarray(0x41 * 16, 0x42 * 16).some((b) => b !== 0));
  assert.equal(findVgaBiosFont16(new Uint8Array(65536)), undefined);
});

test("-kernel's text mode with the BIOS font: screendump equals QEMU's after the VGA BIOS set mode 3", { skip }, async () => {
  const script = allCharacters();
  const vga = new Vga();
  setBiosTextMode(vga, findVgaBiosFont16(readFileSync(VGA_BIOS)));
  script.runOn(vga);
  const ours = new VgaDisplay(vga, new TimerQueue()).screendump(false);
  const theirs = await qemuScreendump(script);
  assert.equal(ours.length, theirs.length);
  let differing = 0;
  for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing++;
  assert.equal(differing, 0, `${differing} bytes of the screendumps differ`);
});
