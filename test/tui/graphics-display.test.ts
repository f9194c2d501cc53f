import test from 'node:test';
import assert from 'node:assert/strict';
import { CellGrid } from '../../src/tui/cell-grid.js';
import type { Framebuffer } from '../../src/tui/front-end-ports.js';
import { GraphicsDisplay, halfBlockSize } from '../../src/tui/graphics-display.js';

function gradient(width: number, height: number): Framebuffer & { pixels: Uint32Array; dirtyLines: Uint8Array } {
  const pixels = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = ((x * 7) & 255) << 16 | ((y * 5) & 255) << 8 | ((x ^ y) & 255);
  return { kind: 'graphics', width, height, stride: width, format: 'xrgb8888', pixels, dirtyLines: new Uint8Array(height) };
}

/** The box average written out directly from the definition. */
function boxAverage(fb: Framebuffer & { pixels: Uint32Array }, w: number, h: number, i: number, j: number): number {
  const x0 = Math.floor((i * fb.width) / w), x1 = Math.floor(((i + 1) * fb.width) / w);
  const y0 = Math.floor((j * fb.height) / h), y1 = Math.floor(((j + 1) * fb.height) / h);
  let r = 0, g = 0, b = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const p = fb.pixels[y * fb.stride + x];
    r += (p >> 16) & 255; g += (p >> 8) & 255; b += p & 255;
  }
  const n = (x1 - x0) * (y1 - y0);
  return (Math.round(r / n) << 16) | (Math.round(g / n) << 8) | Math.round(b / n);
}

test('the half-block image fits the pane, keeps the aspect ratio and never enlarges', () => {
  assert.deepEqual(halfBlockSize(640, 480, { x: 0, y: 0, width: 80, height: 24 }), { width: 64, height: 48 });
  assert.deepEqual(halfBlockSize(640, 480, { x: 0, y: 0, width: 200, height: 50 }), { width: 133, height: 100 });
  assert.deepEqual(halfBlockSize(40, 30, { x: 0, y: 0, width: 200, height: 50 }), { width: 40, height: 30 });
});

test('each cell is ▀ with the area averages of its upper and lower boxes', () => {
  const fb = gradient(640, 480);
  const grid = new CellGrid(80, 25);
  const g = new GraphicsDisplay();
  g.draw(grid, { x: 0, y: 0, width: 80, height: 24 }, fb);
  const w = g.imageWidth, h = g.imageHeight, ox = (80 - w) >> 1;
  for (let cy = 0; cy < h / 2; cy++) {
    for (let cx = 0; cx < w; cx++) {
      const k = cy * 80 + ox + cx;
      assert.equal(grid.chars[k], 0x2580);
      assert.equal(grid.fg[k], boxAverage(fb, w, h, cx, 2 * cy), `fg ${cx},${cy}`);
      assert.equal(grid.bg[k], boxAverage(fb, w, h, cx, 2 * cy + 1), `bg ${cx},${cy}`);
    }
  }
});

test('only boxes over dirty scanlines are recomputed', () => {
  const fb = gradient(320, 200);
  const grid = new CellGrid(80, 25);
  const g = new GraphicsDisplay();
  const rect = { x: 0, y: 0, width: 80, height: 24 };
  g.draw(grid, rect, fb);
  fb.pixels.fill(0xffffff); // changed, but no line marked dirty: the image stays
  assert.equal(g.draw(grid, rect, fb), false);
  assert.notEqual(g.pixel(0, 0), 0xffffff);
  fb.dirtyLines[0] = 1;
  assert.equal(g.draw(grid, rect, fb), true);
  assert.equal(g.pixel(0, 0), 0xffffff);
  assert.notEqual(g.pixel(0, g.imageHeight - 1), 0xffffff);
  assert.equal(fb.dirtyLines[0], 0);
});

test('indexed and rgb565 framebuffers convert through their palette / bit fields', () => {
  const palette = new Uint32Array(256);
  palette[1] = 0x123456;
  const indexed: Framebuffer = { kind: 'graphics', width: 4, height: 2, stride: 4, format: 'indexed8', pixels: new Uint8Array(8).fill(1), palette };
  const g = new GraphicsDisplay();
  g.draw(new CellGrid(10, 5), { x: 0, y: 0, width: 10, height: 4 }, indexed);
  assert.equal(g.pixel(0, 0), 0x123456);
  const rgb565: Framebuffer = { kind: 'graphics', width: 4, height: 2, stride: 4, format: 'rgb565', pixels: new Uint16Array(8).fill(0xf81f) };
  const g2 = new GraphicsDisplay();
  g2.draw(new CellGrid(10, 5), { x: 0, y: 0, width: 10, height: 4 }, rgb565);
  assert.equal(g2.pixel(1, 1), 0xff00ff);
});
