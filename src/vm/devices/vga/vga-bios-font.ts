// The VGA BIOS's 8×16 font, for boots without firmware (-kernel). On QEMU the VGA BIOS runs
// even with -kernel and copies this font into plane 2 when it sets mode 3, so Linux's vgacon
// (which keeps the BIOS font) shows its glyphs. termu does not run the ROM; it finds the
// font in the ROM image instead and uploads it the way the BIOS does.

import type { Vga } from './vga.js';

const GLYPH_BYTES = 16;
const FONT_BYTES = 256 * GLYPH_BYTES;
/** Plane 2 holds one glyph every 32 bytes, as the BIOS's font-load functions lay it out. */
const PLANE_GLYPH_STRIDE = 32;

/**
 * Finds the 8×16 font in a VGA BIOS image by its shape: NUL and space blank, the full block
 * (0xDB) solid, and the lower and upper half blocks (0xDC, 0xDF) exact complements. That is
 * true of every IBM-compatible 8×16 font and, in Debian's SeaVGABIOS images, of no other
 * 4 KiB. Returns undefined when no such table (or more than one) is found.
 */
export function findVgaBiosFont16(rom: Uint8Array): Uint8Array | undefined {
  let found = -1;
  for (let at = 0; at + FONT_BYTES <= rom.length; at++) {
    if (!looksLikeFont16(rom, at)) continue;
    if (found >= 0) return undefined;
    found = at;
  }
  return found < 0 ? undefined : rom.slice(found, found + FONT_BYTES);
}

function looksLikeFont16(rom: Uint8Array, at: number): boolean {
  const glyph = (ch: number) => at + ch * GLYPH_BYTES;
  for (let row = 0; row < GLYPH_BYTES; row++) {
    if (rom[glyph(0x00) + row] !== 0 || rom[glyph(0x20) + row] !== 0 || rom[glyph(0xdb) + row] !== 0xff) return false;
  }
  for (let row = 0; row < GLYPH_BYTES; row++) {
    const lower = rom[glyph(0xdc) + row];
    const upper = rom[glyph(0xdf) + row];
    if ((lower | upper) !== 0xff || (lower & upper) !== 0) return false;
  }
  return true;
}

/**
 * Uploads an 8×16 font into plane 2 through the registers, as the BIOS does (plane 2
 * selected, sequential addressing, the A0000 64 KiB map), then restores text-mode access.
 */
export function loadFont16(vga: Vga, font: Uint8Array): void {
  const out = (port: number, value: number) => vga.writeRegister(port, value);
  const seq = (index: number, value: number) => { out(0x3c4, index); out(0x3c5, value); };
  const gc = (index: number, value: number) => { out(0x3ce, index); out(0x3cf, value); };
  const saved = { mapMask: readIndexed(vga, 0x3c4, 2), memoryMode: readIndexed(vga, 0x3c4, 4), readMap: readIndexed(vga, 0x3ce, 4), mode: readIndexed(vga, 0x3ce, 5), misc: readIndexed(vga, 0x3ce, 6) };
  seq(2, 0x04);
  seq(4, 0x07);
  gc(4, 0x02);
  gc(5, 0x00);
  gc(6, 0x04);
  for (let ch = 0; ch < 256; ch++) {
    for (let row = 0; row < GLYPH_BYTES; row++) vga.legacyWindow.write(ch * PLANE_GLYPH_STRIDE + row, 1, font[ch * GLYPH_BYTES + row]);
  }
  seq(2, saved.mapMask);
  seq(4, saved.memoryMode);
  gc(4, saved.readMap);
  gc(5, saved.mode);
  gc(6, saved.misc);
}

function readIndexed(vga: Vga, indexPort: number, index: number): number {
  vga.writeRegister(indexPort, index);
  return vga.readRegister(indexPort + 1);
}
