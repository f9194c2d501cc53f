// Register-level behaviour of the VGA and Bochs VBE that drivers rely on, and the display
// state the front end reads (text cells, cursor, fonts, palette; framebuffer dirty rows).

import test from 'node:test';
import assert from 'node:assert/strict';
import { TimerQueue } from '../../../src/vm/machine/clock.js';
import { IoBus } from '../../../src/vm/machine/io-bus.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';
import { StdVgaPci } from '../../../src/vm/devices/vga/std-vga-pci.js';
import { CURSOR_HALF_PERIOD_MS, VgaDisplay, type VgaTextScreen } from '../../../src/vm/devices/vga/vga-display.js';
import { Vga } from '../../../src/vm/devices/vga/vga.js';
import { MODE13, MODE3, VgaScript } from './vga-script.js';

function machine() {
  const vga = new Vga();
  const io = new IoBus();
  const memory = new PhysicalMemory(16 << 20);
  new StdVgaPci(vga, memory).attach(io);
  return { vga, io, memory };
}

test('input status 1 toggles retrace bits and resets the attribute flip-flop; mono ports are dead in colour mode', () => {
  const { io } = machine();
  io.write(0x3c2, 1, 0x67);
  const a = io.read(0x3da, 1);
  const b = io.read(0x3da, 1);
  assert.equal(a ^ b, 0x09, 'vertical retrace and display-disabled flip on every read');
  io.write(0x3c0, 1, 0x11); // index
  io.read(0x3da, 1); // flip-flop back to index
  io.write(0x3c0, 1, 0x12); // so this is an index again, not data for 0x11
  io.write(0x3c0, 1, 0xff); // data for 0x12 (colour plane enable)
  assert.equal(io.read(0x3c0, 1), 0x12, 'flip-flop at index: reads the index');
  assert.equal(io.read(0x3c1, 1), 0x3f, 'reserved bits cleared');
  assert.equal(io.read(0x3b4, 1), 0xff, '0x3b4 is not decoded with the colour CRTC');
  io.write(0x3c2, 1, 0x66);
  io.write(0x3b4, 1, 0x0e);
  assert.equal(io.read(0x3b4, 1), 0x0e);
  assert.equal(io.read(0x3d4, 1), 0xff);
});

test('DAC auto-increment, CRTC write protection and 16-bit index/data writes', () => {
  const { vga, io } = machine();
  io.write(0x3c2, 1, 0x67);
  io.write(0x3c8, 1, 10);
  for (const v of [1, 2, 3, 4, 5, 6]) io.write(0x3c9, 1, v);
  assert.equal(io.read(0x3c8, 1), 12);
  io.write(0x3c7, 1, 11);
  assert.equal(io.read(0x3c7, 1), 3, 'DAC state: read mode');
  assert.deepEqual([io.read(0x3c9, 1), io.read(0x3c9, 1), io.read(0x3c9, 1)], [4, 5, 6]);

  io.write(0x3d4, 2, 0x8e11); // CR11 with bit 7: protect CR0-CR7
  io.write(0x3d4, 2, 0x5501);
  assert.equal(vga.cr[1], 0, 'CR1 is write-protected');
  io.write(0x3d4, 2, 0xff07);
  assert.equal(vga.cr[7], 0x10, 'only the line compare bit of CR7 gets through');
  io.write(0x3c4, 2, 0x0f02);
  assert.equal(vga.sr[2], 0x0f);
  io.write(0x3ce, 2, 0xff05);
  assert.equal(vga.gr[5], 0x7b, 'reserved graphics mode bits read as zero');
});

test('Bochs VBE: ID negotiation, capabilities, memory size, mode set with clearing, 2560x1600x32 and banks', () => {
  const { vga, io, memory } = machine();
  const vbe = (index: number, value?: number) => {
    io.write(0x1ce, 2, index);
    if (value === undefined) return io.read(0x1cf, 2);
    io.write(0x1cf, 2, value);
    return value;
  };
  assert.equal(vbe(0), 0xb0c5);
  vbe(0, 0xb0c0);
  assert.equal(vbe(0), 0xb0c0);
  vbe(0, 0xb0c6);
  assert.equal(vbe(0), 0xb0c0, 'unknown IDs are ignored');
  assert.equal(vbe(0x0a), 256, '16 MiB in 64 KiB units');
  vbe(4, 0x02);
  assert.deepEqual([vbe(1), vbe(2), vbe(3)], [16000, 12000, 32], 'GETCAPS reports the limits');
  vbe(4, 0);

  vga.vram.fill(0x77, 0, 64);
  vbe(1, 2560);
  vbe(2, 1600);
  vbe(3, 32);
  vbe(4, 0x41);
  assert.equal(vga.vram[0], 0, 'enabling clears the framebuffer');
  assert.deepEqual([vbe(1), vbe(2), vbe(6), vbe(7)], [2560, 1600, 2560, 1638], 'virtual height: what fits in VRAM');
  const display = new VgaDisplay(vga, new TimerQueue());
  io.read(0x3da, 1);
  io.write(0x3c0, 1, 0x20);
  const screen = display.current();
  assert.equal(screen?.kind, 'graphics');
  if (screen?.kind === 'graphics') assert.deepEqual([screen.width, screen.height, screen.stride, screen.format], [2560, 1600, 2560, 'xrgb8888']);

  // Banked access through the 64 KiB window at 0xa0000 (bank 3 = VRAM 0x30000).
  vbe(5, 3);
  memory.write32(0xa0010, 0xcafebabe);
  assert.equal(new DataView(vga.vram.buffer).getUint32(0x30010, true), 0xcafebabe);
  vbe(4, 0xc1); // NOCLEARMEM keeps the picture on a mode change
  assert.equal(new DataView(vga.vram.buffer).getUint32(0x30010, true), 0xcafebabe);
});

test('text display state: cells, cursor, fonts from plane 2, palette and the blink bit', () => {
  const { vga, io, memory } = machine();
  const s = new VgaScript();
  s.setMode(MODE3.misc, MODE3.seq, MODE3.crtc, MODE3.gc, MODE3.attr);
  s.dac(0, 64, (i) => (i * 5) & 0x3f);
  s.seq(2, 0x04).seq(4, 0x07).gc(4, 0x02).gc(5, 0x00).gc(6, 0x04);
  for (let row = 0; row < 16; row++) s.write8(0xa0000 + 0x41 * 32 + row, 0x80 >> (row % 8));
  s.seq(2, 0x03).seq(4, 0x02).gc(4, 0x00).gc(5, 0x10).gc(6, 0x0e);
  s.runOnBus(io, memory);
  memory.write16(0xb8000 + (2 * 80 + 5) * 2, 0x1f41); // 'A', white on blue, row 2 col 5
  io.write(0x3d4, 2, 0x000e);
  io.write(0x3d4, 2, ((2 * 80 + 5) << 8) | 0x0f);
  const clock = new TimerQueue();
  const display = new VgaDisplay(vga, clock);
  const t = display.current();
  assert.equal(t?.kind, 'text');
  if (t?.kind !== 'text' || !('fonts' in t)) return;
  assert.deepEqual([t.columns, t.rows, t.cellWidth, t.cellHeight], [80, 25, 9, 16]);
  assert.equal(t.cells[2 * 80 + 5], 0x1f41);
  assert.deepEqual(t.cursor, { column: 5, row: 2, visible: true, startLine: 13, endLine: 14 });
  assert.equal(t.fonts[0][0x41 * 32 + 3], 0x10);
  assert.equal(t.blinkEnabled, true);
  // Palette entry 1 is attribute 1 → DAC 1 = (15, 20, 25), widened like QEMU (c6_to_8).
  assert.equal(t.palette[1], (63 << 16) | (80 << 8) | 103);
  assert.equal(t.cursorPhaseOn, true);
  assert.ok(t.dirtyRows!.every((d) => d === 1), 'a new screen is all dirty');
  // The front end clears the hints; a write to one cell marks only its row.
  t.dirtyRows!.fill(0);
  memory.write8(0xb8000 + (7 * 80 + 3) * 2, 0x42);
  clock.setTime(CURSOR_HALF_PERIOD_MS * 1e6);
  const later = display.current();
  assert.ok(later?.kind === 'text' && 'cursorPhaseOn' in later);
  assert.equal(later.cursorPhaseOn, false, 'the cursor blinks on the virtual clock');
  assert.deepEqual([...later.dirtyRows!.entries()].filter(([, d]) => d).map(([r]) => r), [7]);
  io.write(0x3d4, 2, 0x200a); // cursor off
  assert.equal((display.current() as VgaTextScreen).cursor.visible, false);
});

test('graphics dirty tracking reports only the rows a write touched', () => {
  const { vga, io, memory } = machine();
  const s = new VgaScript();
  s.setMode(MODE13.misc, MODE13.seq, MODE13.crtc, MODE13.gc, MODE13.attr);
  s.dac(15, 1, () => 63);
  s.runOnBus(io, memory);
  const display = new VgaDisplay(vga, new TimerQueue());
  const frame = display.current();
  assert.ok(frame?.kind === 'graphics');
  assert.deepEqual([frame.width, frame.height], [640, 400]);
  assert.ok(frame.dirtyLines!.every((d) => d === 1), 'the first frame is all dirty');
  frame.dirtyLines!.fill(0);
  display.current();
  assert.ok(frame.dirtyLines!.every((d) => d === 0), 'nothing changed');
  memory.write8(0xa0000 + 320 * 100 + 10, 0x0f);
  const after = display.current();
  assert.ok(after === frame, 'the same framebuffer object, updated in place');
  const dirty = [...frame.dirtyLines!.entries()].filter(([, d]) => d).map(([y]) => y);
  // Row 100 of 200 is doubled; rows sharing the 4 KiB VRAM page are redrawn with it.
  assert.ok(dirty.includes(200) && dirty.includes(201) && dirty.length < 40);
  const pixels = frame.pixels as Uint32Array;
  assert.equal(pixels[200 * 640 + 20], 0xffffff, 'pixel 10 of line 100, doubled: DAC entry 15');
  assert.equal(pixels[200 * 640 + 22], 0x000000);
});

test('saveState/loadState carries registers, palette and VRAM: the restored VGA draws the same screen', () => {
  const { vga, io, memory } = machine();
  const s = new VgaScript();
  s.setMode(MODE13.misc, MODE13.seq, MODE13.crtc, MODE13.gc, MODE13.attr);
  s.dac(0, 256, (i) => (i * 7) & 0x3f);
  s.fill8(0xa0000, 64000, 0x1d);
  s.runOnBus(io, memory);
  const before = new VgaDisplay(vga, new TimerQueue()).screendump(false);
  const copy = new Vga();
  copy.loadState(structuredClone(vga.saveState()));
  assert.ok(new VgaDisplay(copy, new TimerQueue()).screendump(false).equals(before));
  assert.equal(copy.readRegister(0x3c8), vga.readRegister(0x3c8));
});
