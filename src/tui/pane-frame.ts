// The title bar drawn at the top of a side pane, and the colours panes share.
import { CELL_INVERSE, CellGrid, DEFAULT_COLOR } from './cell-grid.js';
import type { Rect } from './text-display.js';

export const PANE_FG = DEFAULT_COLOR;
export const PANE_BG = DEFAULT_COLOR;

/** Draws ` title ` across the top row of `rect`; returns the rectangle below it. */
export function drawTitle(grid: CellGrid, rect: Rect, title: string, focused: boolean): Rect {
  const flags = focused ? CELL_INVERSE : 0;
  grid.fill(rect.x, rect.y, rect.width, 1, 0x2500, DEFAULT_COLOR, DEFAULT_COLOR, flags);
  grid.text(rect.x + 1, rect.y, ` ${title} `, DEFAULT_COLOR, DEFAULT_COLOR, flags, rect.width - 1);
  return { x: rect.x, y: rect.y + 1, width: rect.width, height: Math.max(0, rect.height - 1) };
}
