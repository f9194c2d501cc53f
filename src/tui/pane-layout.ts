// Where the panes go: the display on the left (or top), the open side pane (monitor or a
// serial console) beside it when the terminal is wide enough, else under it, and the status
// line on the last row.
import type { Rect } from './text-display.js';

export type SidePlacement = 'auto' | 'beside' | 'below';

export interface PaneLayout {
  display: Rect;
  side: Rect | null;
  /** Column of the vertical separator when the side pane is beside the display. */
  separatorColumn: number | null;
  statusRow: number;
}

/** The narrowest a side pane beside the display may be. */
export const MIN_SIDE_WIDTH = 40;

export function computeLayout(
  columns: number, rows: number, sideOpen: boolean, placement: SidePlacement, displayWidth: number,
): PaneLayout {
  const statusRow = Math.max(0, rows - 1);
  const height = Math.max(0, rows - 1);
  if (!sideOpen) return { display: { x: 0, y: 0, width: columns, height }, side: null, separatorColumn: null, statusRow };
  const beside = placement === 'beside' || (placement === 'auto' && columns >= displayWidth + 1 + MIN_SIDE_WIDTH);
  if (beside) {
    const sideWidth = Math.max(Math.min(MIN_SIDE_WIDTH, columns >> 1), columns - 1 - displayWidth);
    const left = Math.max(0, columns - 1 - sideWidth);
    return {
      display: { x: 0, y: 0, width: left, height },
      side: { x: left + 1, y: 0, width: columns - left - 1, height },
      separatorColumn: left,
      statusRow,
    };
  }
  const sideHeight = Math.max(Math.min(8, height >> 1), Math.floor(height / 3));
  return {
    display: { x: 0, y: 0, width: columns, height: height - sideHeight },
    side: { x: 0, y: height - sideHeight, width: columns, height: sideHeight },
    separatorColumn: null,
    statusRow,
  };
}
