// End to end: a real guest (a Multiboot kernel replaying a VGA script) sets a Bochs VBE mode and
// draws through the banked window; bin/termu shows it in the terminal UI as half-blocks. Every
// cell's colours must be the area averages of the framebuffer, taken from qemu-system-i386's
// screendump of the same kernel.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { halfBlockSize } from '../../src/tui/graphics-display.js';
import { buildScriptKernel, qemuMissing, qemuScreendump } from '../devices/vga/qemu-reference.js';
import { VgaScript } from '../devices/vga/vga-script.js';
import { cellRgb } from './headless-terminal.js';
import { parsed, spawnTermu, waitFor } from './termu-pty.js';

const COLS = 132, ROWS = 30;
const WIDTH = 640, HEIGHT = 480;

function parsePpm(ppm: Buffer): { width: number; height: number; pixel: (x: number, y: number) => number } {
  const m = /^P6\n(\d+) (\d+)\n255\n/.exec(ppm.toString('latin1', 0, 32))!;
  const width = Number(m[1]), height = Number(m[2]), body = m[0].length;
  return { width, height, pixel: (x, y) => ppm.readUIntBE(body + (y * width + x) * 3, 3) };
}

test('a VBE mode set by the guest appears as half-blocks of the framebuffer\'s area averages', { skip: qemuMissing(), timeout: 180_000 }, async () => {
  const s = new VgaScript();
  s.inb(0x3da).outb(0x3c0, 0x20);
  s.vbe(4, 0).vbe(1, WIDTH).vbe(2, HEIGHT).vbe(3, 32).vbe(4, 0x01);
  // 640×480×4 bytes = 18.75 banks of 64 KiB; each bank gets its own pattern.
  for (let bank = 0; bank < 19; bank++) s.vbe(5, bank).fill32(0xa0000, 0x4000, bank * 0x010203);
  const dir = mkdtempSync(join(tmpdir(), 'termu-tui-vbe-'));
  try {
    const reference = parsePpm(await qemuScreendump(s));
    assert.deepEqual([reference.width, reference.height], [WIDTH, HEIGHT]);
    const size = halfBlockSize(WIDTH, HEIGHT, { x: 0, y: 0, width: COLS, height: ROWS - 1 });
    const ox = (COLS - size.width) >> 1, oy = (ROWS - 1 - size.height / 2) >> 1;
    const average = (i: number, j: number) => {
      const x0 = Math.floor((i * WIDTH) / size.width), x1 = Math.floor(((i + 1) * WIDTH) / size.width);
      const y0 = Math.floor((j * HEIGHT) / size.height), y1 = Math.floor(((j + 1) * HEIGHT) / size.height);
      let r = 0, g = 0, b = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
        const p = reference.pixel(x, y);
        r += p >> 16; g += (p >> 8) & 255; b += p & 255;
      }
      const n = (x1 - x0) * (y1 - y0);
      return (Math.round(r / n) << 16) | (Math.round(g / n) << 8) | Math.round(b / n);
    };
    const expected = Array.from({ length: size.height }, (_, j) => Array.from({ length: size.width }, (_, i) => average(i, j)));
    const firstMismatch = (): string | undefined => {
      for (let cy = 0; cy < size.height / 2; cy++) {
        for (let cx = 0; cx < size.width; cx++) {
          const c = cellRgb(t.term, ox + cx, oy + cy);
          if (c.ch !== '▀' || c.fg !== expected[2 * cy][cx] || c.bg !== expected[2 * cy + 1][cx]) {
            return `cell ${cx},${cy}: ${JSON.stringify(c)} expected fg ${expected[2 * cy][cx].toString(16)} bg ${expected[2 * cy + 1][cx].toString(16)}`;
          }
        }
      }
      return undefined;
    };

    const t = spawnTermu(['-m', '64', '-kernel', buildScriptKernel(s, dir)], COLS, ROWS);
    try {
      let last: string | undefined = 'nothing drawn yet';
      await waitFor('every cell to show the framebuffer', () => (last = firstMismatch()) === undefined, 120_000).catch((e: Error) => {
        throw new Error(`${e.message}; first difference: ${last}`);
      });
      assert.equal(firstMismatch(), undefined, `${size.width}×${size.height / 2} cells checked`);
      t.proc.write('\x01x');
      assert.equal(await t.exited, 0);
      await parsed(t);
    } finally {
      t.proc.kill('SIGKILL');
      t.term.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
