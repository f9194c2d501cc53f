import test from 'node:test';
import assert from 'node:assert/strict';
import { CellGrid, CELL_BOLD, DEFAULT_COLOR } from '../../src/tui/cell-grid.js';
import { DiffRenderer } from '../../src/tui/diff-renderer.js';
import { detectColorDepth, rgbTo16, rgbTo256 } from '../../src/tui/color-depth.js';
import { cellRgb, createTerminal, screenLine, writeAsync } from './headless-terminal.js';

function randomGrid(grid: CellGrid, seed: number): void {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8);
  for (let y = 0; y < grid.rows; y++) {
    for (let x = 0; x < grid.columns; x++) {
      grid.set(x, y, 0x21 + (rnd() % 90), rnd() & 0xffffff, rnd() & 0xffffff, rnd() & CELL_BOLD);
    }
  }
}

test('truecolor frames replayed into a terminal reproduce the grid exactly', async () => {
  const grid = new CellGrid(40, 10);
  const r = new DiffRenderer('truecolor');
  const term = createTerminal(40, 10);
  for (let frame = 0; frame < 4; frame++) {
    randomGrid(grid, frame + 1);
    if (frame === 3) grid.text(3, 9, 'last row', DEFAULT_COLOR, DEFAULT_COLOR, 0);
    await writeAsync(term, r.render(grid, { column: 5, row: 2, visible: true, shape: 'block' }));
    for (let y = 0; y < 10; y++) assert.equal(screenLine(term, y), grid.rowText(y));
    for (let i = 0; i < 40 * 10; i++) {
      const x = i % 40, y = (i / 40) | 0;
      const c = cellRgb(term, x, y);
      const fg = grid.fg[i] === DEFAULT_COLOR ? -1 : grid.fg[i];
      const bg = grid.bg[i] === DEFAULT_COLOR ? -1 : grid.bg[i];
      assert.deepEqual([c.fg, c.bg], [fg, bg], `cell ${x},${y} in frame ${frame}`);
    }
    assert.equal(term.buffer.active.cursorX, 5);
    assert.equal(term.buffer.active.cursorY, 2);
  }
  term.dispose();
});

test('only changed cells are written, with the shortest cursor moves', () => {
  const grid = new CellGrid(80, 25);
  const r = new DiffRenderer('16', false);
  const cursor = { column: 0, row: 0, visible: false, shape: 'block' as const };
  r.render(grid, cursor);
  assert.equal(r.render(grid, cursor).length, 0);
  grid.text(10, 3, 'ab', 0xaaaaaa, 0x0000aa, 0);
  grid.text(14, 3, 'c', 0xaaaaaa, 0x0000aa, 0);
  const frame = r.render(grid, cursor).toString('utf8');
  assert.equal(frame, '\x1b[4;11H\x1b[37;44mab\x1b[2Cc');
});

test('truecolor half-block runs send only the colour that changed, and no SGR when none did', () => {
  const grid = new CellGrid(8, 2);
  const r = new DiffRenderer('truecolor', false);
  const cursor = { column: 0, row: 0, visible: false, shape: 'block' as const };
  r.render(grid, cursor);
  grid.set(2, 1, 0x2580, 0x0a0b0c, 0xff0001, 0);
  grid.set(3, 1, 0x2580, 0x0a0b0c, 0x102030, 0);
  grid.set(4, 1, 0x2580, 0x0a0b0c, 0x102030, 0);
  grid.set(5, 1, 0x2580, 0xfffefd, 0x102030, 0);
  assert.equal(r.render(grid, cursor).toString('utf8'),
    '\x1b[2;3H\x1b[38;2;10;11;12;48;2;255;0;1m▀\x1b[48;2;16;32;48m▀▀\x1b[38;2;255;254;253m▀');
});

test('colour depth follows COLORTERM, TERM and tmux', () => {
  assert.equal(detectColorDepth({ COLORTERM: 'truecolor', TERM: 'xterm-256color' }), 'truecolor');
  assert.equal(detectColorDepth({ TERM: 'xterm-256color' }), '256');
  assert.equal(detectColorDepth({ TERM: 'screen', TMUX: '/tmp/tmux-0/default,1,0' }), '256');
  assert.equal(detectColorDepth({ TERM: 'linux' }), '16');
  assert.equal(rgbTo256(0xff0000), 196);
  assert.equal(rgbTo256(0x808080), 244);
  assert.equal(rgbTo16(0x0000aa), 4);
  assert.equal(rgbTo16(0xffff55), 11);
});

test('256- and 16-colour frames use indexed SGR that a terminal decodes to the nearest colour', async () => {
  const grid = new CellGrid(4, 1);
  grid.text(0, 0, 'x', 0xff0000, 0x0000aa, 0);
  const term = createTerminal(4, 1);
  await writeAsync(term, new DiffRenderer('256').render(grid, { column: 0, row: 0, visible: false, shape: 'block' }));
  const cell = term.buffer.active.getLine(0)!.getCell(0)!;
  assert.ok(cell.isFgPalette());
  assert.equal(cell.getFgColor(), 196);
  assert.equal(cell.getBgColor(), rgbTo256(0x0000aa));
  term.dispose();
});

test('below truecolor, a cell whose colours move within the same palette entries is not sent again', async () => {
  const grid = new CellGrid(6, 2);
  const cursor = { column: 0, row: 0, visible: false, shape: 'block' as const };
  for (const depth of ['256', '16'] as const) {
    const r = new DiffRenderer(depth, false);
    const term = createTerminal(6, 2);
    grid.set(1, 0, 0x2580, 0xff0000, 0x0000aa, 0);
    grid.set(2, 0, 0x2580, 0x00ff00, 0x202020, 0);
    await writeAsync(term, r.render(grid, cursor));
    // Nearly the same colours: the same palette entries at this depth.
    grid.set(1, 0, 0x2580, 0xfe0101, 0x0101ab, 0);
    assert.equal(rgbTo256(0xfe0101), rgbTo256(0xff0000));
    assert.equal(r.render(grid, cursor).length, 0, depth);
    // A real change is still sent, and the terminal shows the nearest entry.
    grid.set(2, 0, 0x2580, 0x0000ff, 0x202020, 0);
    const frame = r.render(grid, cursor);
    assert.ok(frame.length > 0, depth);
    await writeAsync(term, frame);
    const cell = term.buffer.active.getLine(0)!.getCell(2)!;
    assert.equal(cell.getFgColor(), depth === '256' ? rgbTo256(0x0000ff) : rgbTo16(0x0000ff), depth);
    term.dispose();
  }
});
