// The status line at the bottom: machine name, running/paused, guest MIPS, frames per second,
// keymap, and the key hints (or a transient message).
import { CELL_INVERSE, CellGrid, DEFAULT_COLOR } from './cell-grid.js';

export interface StatusInfo {
  name: string;
  running: boolean;
  mips: number;
  fps: number;
  keymap: string;
  /** Shown instead of the key hints while set (e.g. after Ctrl-a with an unknown command). */
  message: string;
  /** The escape key's name as the hints show it, e.g. `C-a`. */
  escapeName: string;
}

export function drawStatusLine(grid: CellGrid, row: number, info: StatusInfo): void {
  const left = ` ${info.name} │ ${info.running ? 'running' : 'paused'} │ ${info.mips.toFixed(1)} MIPS │ ${info.fps} fps │ ${info.keymap} `;
  const hints = info.message ||
    `Ctrl+Alt+Shift+2 or ${info.escapeName} c: monitor · Alt+1/2/3: display/monitor/serial · ${info.escapeName} h: help `;
  grid.fill(0, row, grid.columns, 1, 0x20, DEFAULT_COLOR, DEFAULT_COLOR, CELL_INVERSE);
  const x = grid.text(0, row, left, DEFAULT_COLOR, DEFAULT_COLOR, CELL_INVERSE);
  const start = Math.max(x + 1, grid.columns - hints.length);
  grid.text(start, row, hints, DEFAULT_COLOR, DEFAULT_COLOR, CELL_INVERSE);
}
