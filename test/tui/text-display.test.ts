import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CELL_BLINK, CellGrid } from '../../src/tui/cell-grid.js';
import { VGA_DEFAULT_PALETTE } from '../../src/tui/color-depth.js';
import { CP437_TO_UNICODE } from '../../src/tui/cp437.js';
import type { CursorState } from '../../src/tui/diff-renderer.js';
import type { TextScreen } from '../../src/tui/front-end-ports.js';
import { drawTextScreen } from '../../src/tui/text-display.js';

type MutableScreen = { -readonly [K in keyof TextScreen]: TextScreen[K] };

function screen(columns: number, rows: number, blinkEnabled = true): MutableScreen {
  return {
    kind: 'text', columns, rows, cells: new Uint16Array(columns * rows).fill(0x0720),
    cursor: { column: 3, row: 1, visible: true, startLine: 14, endLine: 15 }, cellHeight: 16,
    palette: Uint32Array.from(VGA_DEFAULT_PALETTE), blinkEnabled,
  };
}
const cursor = (): CursorState => ({ column: 0, row: 0, visible: false, shape: 'block' });

test('CP437 0x80–0xFF match glibc iconv, and the low glyphs follow QEMU', () => {
  const bytes = Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i));
  const expected = [...execFileSync('iconv', ['-f', 'CP437', '-t', 'UTF-8'], { input: bytes }).toString('utf8')];
  assert.deepEqual([...CP437_TO_UNICODE.slice(128)].map((c) => String.fromCodePoint(c)), expected);
  assert.equal(CP437_TO_UNICODE[0x00], 0x20);
  assert.equal(CP437_TO_UNICODE[0x01], 0x263a);
  assert.equal(CP437_TO_UNICODE[0x1f], 0x25bc);
  assert.equal(CP437_TO_UNICODE[0x41], 0x41);
  assert.equal(CP437_TO_UNICODE[0x7f], 0x2302);
});

test('cells take glyphs and palette colours; bit 7 blinks or brightens the background', () => {
  const s = screen(80, 25);
  s.cells[0] = 0x1f41; // 'A' bright white on blue
  s.cells[1] = 0xcedb; // █ yellow on red, blinking
  s.palette[1] = 0x102030; // a DAC change shows in truecolor
  const grid = new CellGrid(80, 26);
  drawTextScreen(grid, { x: 0, y: 0, width: 80, height: 25 }, s, cursor());
  assert.equal(grid.chars[0], 0x41);
  assert.equal(grid.fg[0], 0xffffff);
  assert.equal(grid.bg[0], 0x102030);
  assert.equal(grid.chars[1], 0x2588);
  assert.equal(grid.fg[1], 0xffff55);
  assert.equal(grid.bg[1], 0xaa0000);
  assert.equal(grid.flags[1], CELL_BLINK);
  const bright = screen(80, 25, false);
  bright.cells[1] = 0xcedb;
  drawTextScreen(grid, { x: 0, y: 0, width: 80, height: 25 }, bright, cursor());
  assert.equal(grid.bg[1], 0xff5555);
  assert.equal(grid.flags[1], 0);
});

test('the hardware cursor: position, shape from its scanlines, and hidden when disabled', () => {
  const s = screen(80, 25);
  const c = cursor();
  drawTextScreen(new CellGrid(100, 30), { x: 0, y: 0, width: 100, height: 29 }, s, c);
  assert.deepEqual(c, { column: 13, row: 3, visible: true, shape: 'underline' }); // centred: +10, +2
  s.cursor = { column: 3, row: 1, visible: true, startLine: 0, endLine: 15 };
  drawTextScreen(new CellGrid(80, 26), { x: 0, y: 0, width: 80, height: 25 }, s, c);
  assert.deepEqual(c, { column: 3, row: 1, visible: true, shape: 'block' });
  s.cursor = { column: 3, row: 1, visible: true, startLine: 0x20, endLine: 15 };
  drawTextScreen(new CellGrid(80, 26), { x: 0, y: 0, width: 80, height: 25 }, s, c);
  assert.equal(c.visible, false);
});

test('a screen taller than the pane scrolls to keep the cursor row visible', () => {
  const s = screen(80, 25);
  for (let r = 0; r < 25; r++) s.cells[r * 80] = 0x0700 | (0x41 + r);
  s.cursor = { column: 0, row: 24, visible: true, startLine: 14, endLine: 15 };
  const grid = new CellGrid(60, 11);
  const c = cursor();
  drawTextScreen(grid, { x: 0, y: 0, width: 60, height: 10 }, s, c);
  assert.equal(grid.rowText(0)[0], String.fromCharCode(0x41 + 15));
  assert.equal(grid.rowText(9)[0], 'Y');
  assert.deepEqual([c.column, c.row, c.visible], [0, 9, true]);
});
