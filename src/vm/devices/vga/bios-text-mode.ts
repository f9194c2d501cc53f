// What the VGA BIOS leaves behind when it sets mode 3 (80×25 colour text) at power-on, for
// boots without firmware (-kernel): Linux's vgacon takes over the screen as it finds it,
// with screen_info saying "VGA, mode 3, 80×25". The register values are the standard VGA
// mode 3 parameter table; the DAC holds the EGA-compatible 64-colour palette; plane 2 holds
// the VGA BIOS's 8×16 font when the caller found one (vga-bios-font.ts).

import { loadFont16 } from './vga-bios-font.js';
import type { Vga } from './vga.js';

const MISC = 0x67;
const SEQUENCER = [0x03, 0x00, 0x03, 0x00, 0x02];
const CRTC = [
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00,
  0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
];
const GRAPHICS = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff];
const ATTRIBUTE = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00];
/** Offset of 0xb8000 in the 128 KiB window at 0xa0000. */
const TEXT_WINDOW_OFFSET = 0x18000;
const BLANK_CELL = 0x0720;

/** 6-bit DAC value of EGA colour `i` (bits: 0 b, 1 g, 2 r at 2/3 intensity; 3 b', 4 g', 5 r' at 1/3). */
function egaChannel(i: number, primaryBit: number, secondaryBit: number): number {
  return ((i >> primaryBit) & 1) * 42 + ((i >> secondaryBit) & 1) * 21;
}

export function setBiosTextMode(vga: Vga, font16?: Uint8Array): void {
  const out = (port: number, value: number) => vga.writeRegister(port, value);
  out(0x3c2, MISC);
  SEQUENCER.forEach((v, i) => { out(0x3c4, i); out(0x3c5, v); });
  out(0x3d4, 0x11);
  out(0x3d5, CRTC[0x11] & 0x7f); // unlock CR0-CR7 first
  CRTC.forEach((v, i) => { out(0x3d4, i); out(0x3d5, v); });
  GRAPHICS.forEach((v, i) => { out(0x3ce, i); out(0x3cf, v); });
  vga.readRegister(0x3da); // attribute flip-flop to "index"
  ATTRIBUTE.forEach((v, i) => { out(0x3c0, i); out(0x3c0, v); });
  out(0x3c0, 0x20); // palette address source: the display runs
  out(0x3c8, 0);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = i < 64 ? [egaChannel(i, 2, 5), egaChannel(i, 1, 4), egaChannel(i, 0, 3)] : [0, 0, 0];
    out(0x3c9, r);
    out(0x3c9, g);
    out(0x3c9, b);
  }
  if (font16) loadFont16(vga, font16);
  for (let i = 0; i < 80 * 25; i++) vga.legacyWindow.write(TEXT_WINDOW_OFFSET + i * 2, 2, BLANK_CELL);
}
