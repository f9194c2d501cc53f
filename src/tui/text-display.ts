// Draws a VGA text screen into a rectangle of the cell grid: CP437 glyphs, the 16 attribute
// colours from the guest's palette (so DAC changes show in truecolor), blink or bright
// background per the attribute controller, and the hardware cursor. A screen larger than the
// rectangle is clipped, scrolled so the cursor stays visible; a smaller one is centred.
import { CELL_BLINK, CellGrid } from './cell-grid.js';
import { CP437_TO_UNICODE } from './cp437.js';
import type { CursorState } from './diff-renderer.js';
import type { TextScreen } from './front-end-ports.js';

export interface Rect { x: number; y: number; width: number; height: number }

/** Which part of the screen is visible and where it lands. */
function viewport(size: number, area: number, cursor: number): { offset: number; skip: number; count: number } {
  if (size <= area) return { offset: (area - size) >> 1, skip: 0, count: size };
  const skip = Math.max(0, Math.min(size - area, cursor - area + 1));
  return { offset: 0, skip, count: area };
}

/** Draws `screen` into `rect`; returns where the hardware cursor is, in grid coordinates. */
export function drawTextScreen(grid: CellGrid, rect: Rect, screen: TextScreen, cursorOut: CursorState): void {
  const cur = screen.cursor;
  const vx = viewport(screen.columns, rect.width, cur.column);
  const vy = viewport(screen.rows, rect.height, cur.row);
  if (screen.columns < rect.width || screen.rows < rect.height) grid.fill(rect.x, rect.y, rect.width, rect.height, 0x20, 0, 0, 0);
  const cells = screen.cells, palette = screen.palette;
  const bgMask = screen.blinkEnabled ? 7 : 15;
  const blink = screen.blinkEnabled;
  const gridCols = grid.columns, chars = grid.chars, fgs = grid.fg, bgs = grid.bg, flags = grid.flags;
  for (let r = 0; r < vy.count; r++) {
    const src = (vy.skip + r) * screen.columns + vx.skip;
    let dst = (rect.y + vy.offset + r) * gridCols + rect.x + vx.offset;
    for (let c = 0; c < vx.count; c++, dst++) {
      const cell = cells[src + c];
      const attr = cell >> 8;
      chars[dst] = CP437_TO_UNICODE[cell & 0xff];
      fgs[dst] = palette[attr & 15];
      bgs[dst] = palette[(attr >> 4) & bgMask];
      flags[dst] = blink && attr & 0x80 ? CELL_BLINK : 0;
    }
  }
  const cx = cur.column - vx.skip, cy = cur.row - vy.skip;
  cursorOut.visible = cur.visible && cur.startLine <= cur.endLine && cx >= 0 && cy >= 0 && cx < vx.count && cy < vy.count;
  cursorOut.column = rect.x + vx.offset + cx;
  cursorOut.row = rect.y + vy.offset + cy;
  // A cursor starting in the upper half of the cell is a block (as in insert mode), else an underline.
  cursorOut.shape = cur.startLine < (screen.cellHeight >> 1) ? 'block' : 'underline';
}
