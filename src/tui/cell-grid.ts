// A grid of terminal cells: what the renderer draws. Panes write into one shared grid (the whole
// terminal); the renderer diffs it against what the terminal already shows.
// Colours are 0xRRGGBB, or DEFAULT_COLOR for the terminal's own default.

export const DEFAULT_COLOR = 0x1000000;
export const CELL_BOLD = 1;
export const CELL_UNDERLINE = 2;
export const CELL_BLINK = 4;
export const CELL_INVERSE = 8;

export class CellGrid {
  columns = 0;
  rows = 0;
  /** Unicode code point per cell. */
  chars = new Uint32Array(0);
  fg = new Uint32Array(0);
  bg = new Uint32Array(0);
  flags = new Uint8Array(0);

  constructor(columns: number, rows: number) {
    this.resize(columns, rows);
  }

  resize(columns: number, rows: number): void {
    this.columns = Math.max(0, columns | 0);
    this.rows = Math.max(0, rows | 0);
    const n = this.columns * this.rows;
    this.chars = new Uint32Array(n);
    this.fg = new Uint32Array(n);
    this.bg = new Uint32Array(n);
    this.flags = new Uint8Array(n);
    this.fill(0, 0, this.columns, this.rows, 0x20, DEFAULT_COLOR, DEFAULT_COLOR, 0);
  }

  set(x: number, y: number, char: number, fg: number, bg: number, flags: number): void {
    if (x < 0 || y < 0 || x >= this.columns || y >= this.rows) return;
    const i = y * this.columns + x;
    this.chars[i] = char;
    this.fg[i] = fg;
    this.bg[i] = bg;
    this.flags[i] = flags;
  }

  fill(x: number, y: number, width: number, height: number, char: number, fg: number, bg: number, flags: number): void {
    const x1 = Math.min(this.columns, x + width);
    const y1 = Math.min(this.rows, y + height);
    for (let row = Math.max(0, y); row < y1; row++) {
      const base = row * this.columns;
      for (let col = Math.max(0, x); col < x1; col++) {
        const i = base + col;
        this.chars[i] = char;
        this.fg[i] = fg;
        this.bg[i] = bg;
        this.flags[i] = flags;
      }
    }
  }

  /** Writes text on one row, clipped to `width` columns; returns the column after the text. */
  text(x: number, y: number, s: string, fg: number, bg: number, flags: number, width = this.columns - x): number {
    const end = Math.min(this.columns, x + width);
    for (const ch of s) {
      if (x >= end) break;
      this.set(x, y, ch.codePointAt(0)!, fg, bg, flags);
      x++;
    }
    return x;
  }

  /** The characters of one row as a string (tests and screendumps). */
  rowText(y: number): string {
    let s = '';
    for (let x = 0; x < this.columns; x++) s += String.fromCodePoint(this.chars[y * this.columns + x]);
    return s;
  }
}
