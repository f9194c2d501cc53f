// termu's VGA and QEMU's, fed the same register and memory writes, must produce the same
// screendump byte for byte (header included).

import test from 'node:test';
import assert from 'node:assert/strict';
import { Vga } from '../../../src/vm/devices/vga/vga.js';
import { VgaDisplay } from '../../../src/vm/devices/vga/vga-display.js';
import { TimerQueue } from '../../../src/vm/machine/clock.js';
import { LFB_BASE, MODE04, MODE0D, MODE12, MODE13, MODE3, VgaScript, prng } from './vga-script.js';
import { qemuMissing, qemuScreendump } from './qemu-reference.js';

const skip = qemuMissing();

function termuScreendump(script: VgaScript): Buffer {
  const vga = new Vga();
  script.runOn(vga);
  return new VgaDisplay(vga, new TimerQueue()).screendump(false);
}

function firstDifference(a: Buffer, b: Buffer): string {
  const header = (x: Buffer) => x.subarray(0, 20).toString('latin1').split('\n').slice(0, 3).join(' ');
  if (a.length !== b.length) return `sizes differ: termu ${a.length} (${header(a)}), qemu ${b.length} (${header(b)})`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `first difference at byte ${i}: termu ${a[i]} qemu ${b[i]}`;
  return 'identical';
}

async function compare(script: VgaScript): Promise<void> {
  const [ours, theirs] = [termuScreendump(script), await qemuScreendump(script)];
  assert.ok(ours.equals(theirs), firstDifference(ours, theirs));
}

/** Text mode with a font of our own in plane 2, every cell written, cursor hidden or shown. */
function textScript(opts: { nineDot: boolean; rows50: boolean; lineGraphics: boolean }): VgaScript {
  const s = new VgaScript();
  const seq = [...MODE3.seq];
  if (!opts.nineDot) seq[1] |= 0x01;
  const crtc = [...MODE3.crtc];
  const attr = [...MODE3.attr];
  if (!opts.lineGraphics) attr[0x10] &= ~0x04;
  if (opts.rows50) {
    crtc[0x09] = (crtc[0x09] & ~0x1f) | 7; // 8-line characters: 400/8 = 50 rows
    crtc[0x0a] = 0x06;
    crtc[0x0b] = 0x07;
  }
  crtc[0x0a] |= 0x20; // the cursor blinks on QEMU's own clock, so hide it here
  s.setMode(MODE3.misc, seq, crtc, MODE3.gc, attr);
  const rnd = prng(7);
  s.dac(0, 64, () => rnd() & 0x3f);
  // Font upload the way the VGA BIOS does it: plane 2, sequential addressing, A0000 map.
  s.seq(2, 0x04).seq(4, 0x07).gc(4, 0x02).gc(5, 0x00).gc(6, 0x04);
  for (let ch = 0; ch < 256; ch++) for (let row = 0; row < 16; row++) s.write8(0xa0000 + ch * 32 + row, rnd());
  s.seq(2, 0x03).seq(4, 0x02).gc(4, 0x00).gc(5, 0x10).gc(6, 0x0e);
  s.fill8(0xb8000, 80 * 50 * 2, 0x9d);
  return s;
}

test('text mode 80x25, 9-dot cells with line-graphics duplication', { skip }, async () => {
  await compare(textScript({ nineDot: true, rows50: false, lineGraphics: true }));
});

test('text mode 80x50, 8-dot cells', { skip }, async () => {
  await compare(textScript({ nineDot: false, rows50: true, lineGraphics: false }));
});

test('text mode 40x25 (mode 01h: the halved dot clock draws 16-pixel cells)', { skip }, async () => {
  const s = textScript({ nineDot: true, rows50: false, lineGraphics: true });
  s.seq(0, 0x01).seq(1, 0x08).seq(0, 0x03);
  s.crtc(0x11, 0x0e).crtc(0x00, 0x2d).crtc(0x01, 0x27).crtc(0x02, 0x28).crtc(0x03, 0x90).crtc(0x04, 0x2b).crtc(0x05, 0xa0).crtc(0x13, 0x14);
  await compare(s);
});

test('text mode with a visible cursor, scrolled start address and a second font', { skip }, async () => {
  const s = textScript({ nineDot: true, rows50: false, lineGraphics: false });
  s.seq(3, 0x05); // font A = map 1, font B = map 2 (attribute bit 3 selects)
  s.seq(2, 0x04).seq(4, 0x07).gc(4, 0x02).gc(5, 0x00).gc(6, 0x04);
  s.fill8(0xa0000 + 0x4000, 0x4000, 0x35).fill8(0xa0000 + 0x8000, 0x4000, 0x5b);
  s.seq(2, 0x03).seq(4, 0x02).gc(4, 0x00).gc(5, 0x10).gc(6, 0x0e);
  s.crtc(0x0c, 0x00).crtc(0x0d, 80 * 3);
  await compare(s);
});

test("text mode cursor: QEMU's dump shows it in one of the two blink phases we draw", { skip }, async () => {
  const s = textScript({ nineDot: true, rows50: false, lineGraphics: true });
  s.crtc(0x0a, 0x0b).crtc(0x0b, 0x0e).crtc(0x0e, 0x03).crtc(0x0f, 0x21);
  const vga = new Vga();
  s.runOn(vga);
  const display = new VgaDisplay(vga, new TimerQueue());
  const [on, off] = [display.screendump(true), display.screendump(false)];
  assert.ok(!on.equals(off), 'the cursor is visible in the on phase');
  const theirs = await qemuScreendump(s);
  assert.ok(theirs.equals(on) || theirs.equals(off), `${firstDifference(on, theirs)} / ${firstDifference(off, theirs)}`);
});

test('mode 13h (chain-4, 256 colours, double scan)', { skip }, async () => {
  const s = new VgaScript();
  s.setMode(MODE13.misc, MODE13.seq, MODE13.crtc, MODE13.gc, MODE13.attr);
  const rnd = prng(13);
  s.dac(0, 256, () => rnd());
  s.fill8(0xa0000, 320 * 200, 0x3b);
  s.write16(0xa0000 + 320 * 100 + 7, 0xabcd).write32(0xa0000 + 320 * 150 + 9, 0x12345678);
  await compare(s);
});

test('mode 12h (planar 16 colours) drawn with every write mode, logic op and read mode', { skip }, async () => {
  const s = new VgaScript();
  s.setMode(MODE12.misc, MODE12.seq, MODE12.crtc, MODE12.gc, MODE12.attr);
  const rnd = prng(12);
  s.dac(0, 64, () => rnd() & 0x3f);
  // Clear all planes (QEMU's still hold the BIOS's text and font) with set/reset.
  s.gc(1, 0x0f).fill8(0xa0000, 0x10000, 1).gc(1, 0x00);
  // Write mode 0, plain data to selected planes.
  for (let plane = 0; plane < 4; plane++) {
    s.seq(2, 1 << plane);
    s.fill8(0xa0000 + plane * 9000, 20000, 0x11 + plane * 0x22);
  }
  s.seq(2, 0x0f);
  // Write mode 0 with set/reset, rotation, bit mask and each logic op, latches loaded by reads.
  for (let op = 0; op < 4; op++) {
    s.gc(0, 0x05 + op).gc(1, 0x03 << op % 3).gc(3, (op << 3) | (op + 1)).gc(8, 0x5a ^ (op * 0x33));
    for (let i = 0; i < 400; i++) {
      const a = 0xa0000 + 24000 + op * 1600 + i * 3;
      s.read8(a).write8(a, rnd());
    }
  }
  s.gc(0, 0).gc(1, 0).gc(3, 0).gc(8, 0xff);
  // Write mode 1 (latch copy) moves a band of lines.
  s.gc(5, 0x01);
  for (let i = 0; i < 800; i++) s.read8(0xa0000 + i).write8(0xa0000 + 30000 + i, 0);
  // Write mode 2 (colour from data) and 3 (set/reset masked by rotated data).
  s.gc(5, 0x02).gc(8, 0x3c);
  for (let i = 0; i < 800; i++) s.read8(0xa0000 + 32000 + i).write8(0xa0000 + 32000 + i, rnd());
  s.gc(5, 0x03).gc(0, 0x0c).gc(3, 0x02).gc(8, 0xff);
  for (let i = 0; i < 800; i++) s.read8(0xa0000 + 34000 + i).write8(0xa0000 + 34000 + i, rnd());
  // Read mode 1 (colour compare) feeding the latches before a write-mode-1 copy.
  s.gc(5, 0x09).gc(2, 0x05).gc(7, 0x0f);
  for (let i = 0; i < 200; i++) s.read8(0xa0000 + 36000 + i).write8(0xa0000 + 36000 + i, 0);
  s.gc(5, 0x00).gc(3, 0x00);
  // Plane enable in the attribute controller masks plane 3.
  s.inb(0x3da).outb(0x3c0, 0x12).outb(0x3c0, 0x07).outb(0x3c0, 0x20);
  await compare(s);
});

test('mode 0Dh (planar, 320 pixels doubled to 640 by the dot clock)', { skip }, async () => {
  const s = new VgaScript();
  s.setMode(MODE0D.misc, MODE0D.seq, MODE0D.crtc, MODE0D.gc, MODE0D.attr);
  const rnd = prng(0x0d);
  s.dac(0, 64, () => rnd() & 0x3f);
  for (let plane = 0; plane < 4; plane++) s.seq(2, 1 << plane).fill8(0xa0000, 8000, 0x21 + plane * 0x1e);
  await compare(s);
});

test('mode 04h (CGA 4-colour: odd/even at 0xb8000, interleaved scan lines)', { skip }, async () => {
  const s = new VgaScript();
  s.setMode(MODE04.misc, MODE04.seq, MODE04.crtc, MODE04.gc, MODE04.attr);
  const rnd = prng(4);
  s.dac(0, 64, () => rnd() & 0x3f);
  s.fill8(0xb8000, 0x4000, 0x4b);
  await compare(s);
});

test('mode 12h split screen: line compare restarts the display at address 0', { skip }, async () => {
  const s = new VgaScript();
  s.setMode(MODE12.misc, MODE12.seq, MODE12.crtc, MODE12.gc, MODE12.attr);
  const rnd = prng(18);
  s.dac(0, 64, () => rnd() & 0x3f);
  s.fill8(0xa0000, 0x10000, 0x77);
  s.crtc(0x0c, 0x10).crtc(0x0d, 0x00); // start further down
  s.crtc(0x18, 200).crtc(0x07, MODE12.crtc[7] & ~0x10).crtc(0x09, MODE12.crtc[9] & ~0x40);
  await compare(s);
});

for (const bpp of [4, 8, 15, 16, 24, 32]) {
  test(`Bochs VBE 640x480x${bpp} on the linear framebuffer`, { skip }, async () => {
    const s = new VgaScript();
    // An identity attribute palette with all planes on (4 bpp goes through it; QEMU's BIOS left mode 3's).
    s.inb(0x3da);
    for (let i = 0; i < 16; i++) s.outb(0x3c0, i).outb(0x3c0, i);
    s.outb(0x3c0, 0x10).outb(0x3c0, 0x01).outb(0x3c0, 0x12).outb(0x3c0, 0x0f).outb(0x3c0, 0x14).outb(0x3c0, 0x00);
    s.outb(0x3c0, 0x20);
    const rnd = prng(bpp);
    s.dac(0, 256, () => rnd() & 0x3f);
    s.vbe(4, 0).vbe(1, 640).vbe(2, 480).vbe(3, bpp).vbe(4, 0x41);
    s.fill32(LFB_BASE, (640 * 480 * Math.ceil(bpp / 8)) / 4, 0x01010101 * (bpp + 3) + 0x1234567);
    await compare(s);
  });
}

test('Bochs VBE with virtual width, panning offsets and the 8-bit DAC', { skip }, async () => {
  const s = new VgaScript();
  s.inb(0x3da).outb(0x3c0, 0x20);
  const rnd = prng(99);
  s.vbe(4, 0).vbe(1, 800).vbe(2, 600).vbe(3, 8).vbe(4, 0x61);
  s.dac(0, 256, () => rnd());
  s.vbe(6, 1024).vbe(8, 16).vbe(9, 40);
  s.fill32(LFB_BASE, (1024 * 700) / 4, 0x3c6ef35f);
  await compare(s);
});

test('Bochs VBE banked access through the legacy window', { skip }, async () => {
  const s = new VgaScript();
  s.inb(0x3da).outb(0x3c0, 0x20);
  s.vbe(4, 0).vbe(1, 320).vbe(2, 240).vbe(3, 32).vbe(4, 0x01);
  for (let bank = 0; bank < 5; bank++) {
    s.vbe(5, bank);
    s.fill8(0xa0000, 0x10000, 0x45 + bank * 2);
  }
  await compare(s);
});
