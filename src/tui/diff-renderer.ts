// Turns a CellGrid into the bytes that bring the terminal from what it shows to the grid:
// only changed cells are written, the cursor is moved only when it is not already in place, and
// SGR attributes are emitted only when they change. A frame is one buffer (one write()).
import { CELL_BLINK, CELL_BOLD, CELL_INVERSE, CELL_UNDERLINE, CellGrid, DEFAULT_COLOR } from './cell-grid.js';
import { ByteWriter, putUint8Decimal } from './byte-writer.js';
import { rgbTo16, rgbTo256, type ColorDepth } from './color-depth.js';

export type CursorShape = 'block' | 'underline' | 'bar';
export interface CursorState {
  column: number;
  row: number;
  visible: boolean;
  shape: CursorShape;
}

// SGR parameters for turning each cell flag on and off.
const FLAG_SGR: ReadonlyArray<readonly [number, string, string]> = [
  [CELL_BOLD, '1', '22'], [CELL_UNDERLINE, '4', '24'], [CELL_BLINK, '5', '25'], [CELL_INVERSE, '7', '27'],
];
/** Parameters that change the flags from one set (index from << 4 | to) to another. */
const FLAG_CHANGE: readonly string[] = Array.from({ length: 256 }, (_, k) =>
  FLAG_SGR.filter(([bit]) => ((k >> 4) & bit) !== (k & bit)).map(([bit, on, off]) => (k & bit ? on : off)).join(';'));
/** Parameters that reset everything and set the given flags. */
const FLAG_RESET: readonly string[] = Array.from({ length: 16 }, (_, f) =>
  ['0', ...FLAG_SGR.filter(([bit]) => f & bit).map(([, on]) => on)].join(';'));
const SHAPE_CODE: Record<CursorShape, number> = { block: 2, underline: 4, bar: 6 };
const UNKNOWN = -1;
/** RGB → palette index lookups live in a direct-mapped cache: graphics bring thousands of colours. */
const COLOR_CACHE_BITS = 16;
const COLOR_CACHE_SLOTS = 1 << COLOR_CACHE_BITS;
const FG_256 = Array.from({ length: 256 }, (_, i) => `38;5;${i}`);
const BG_256 = Array.from({ length: 256 }, (_, i) => `48;5;${i}`);
const FG_16 = Array.from({ length: 16 }, (_, i) => String(i < 8 ? 30 + i : 82 + i));
const BG_16 = Array.from({ length: 16 }, (_, i) => String(i < 8 ? 40 + i : 92 + i));

export class DiffRenderer {
  /** What the terminal shows now (after the last frame). */
  private readonly front = new CellGrid(0, 0);
  /**
   * The colours the terminal shows for `front` (palette indexes below truecolor): a cell whose
   * colours changed only within one palette entry is not sent again.
   */
  private shownFg = new Uint32Array(0);
  private shownBg = new Uint32Array(0);
  private readonly out = new ByteWriter();
  private readonly colorKeys = new Int32Array(COLOR_CACHE_SLOTS).fill(-1);
  private readonly colorIndexes = new Uint8Array(COLOR_CACHE_SLOTS);
  private frontValid = false;
  private cursorColumn = UNKNOWN;
  private cursorRow = UNKNOWN;
  private curFg = UNKNOWN;
  private curBg = UNKNOWN;
  private curFlags = UNKNOWN;
  private cursorVisible: boolean | null = null;
  private cursorShape: CursorShape | null = null;

  constructor(public depth: ColorDepth, public synchronizedOutput = true) {}

  /** Forgets what the terminal shows, so the next frame repaints every cell. */
  invalidate(): void {
    this.frontValid = false;
    this.cursorVisible = null;
    this.cursorShape = null;
    this.colorKeys.fill(-1); // the depth may have changed
  }

  /** Returns the bytes for one frame (empty when nothing changed). */
  render(back: CellGrid, cursor: CursorState): Buffer {
    const out = this.out;
    out.reset();
    if (this.synchronizedOutput) out.ascii('\x1b[?2026h');
    const start = out.length;
    if (!this.frontValid || this.front.columns !== back.columns || this.front.rows !== back.rows) {
      this.front.resize(back.columns, back.rows);
      this.front.chars.fill(0xffffffff); // matches no real cell
      this.shownFg = new Uint32Array(back.columns * back.rows);
      this.shownBg = new Uint32Array(back.columns * back.rows);
      out.ascii('\x1b[0m\x1b[2J');
      this.curFg = this.curBg = this.curFlags = UNKNOWN;
      this.cursorColumn = this.cursorRow = UNKNOWN;
      this.frontValid = true;
    }
    const cols = back.columns;
    const fChars = this.front.chars, fFg = this.front.fg, fBg = this.front.bg, fFlags = this.front.flags;
    const bChars = back.chars, bFg = back.fg, bBg = back.bg, bFlags = back.flags;
    const sFg = this.shownFg, sBg = this.shownBg;
    const truecolor = this.depth === 'truecolor';
    let hidden = false;
    for (let y = 0; y < back.rows; y++) {
      const base = y * cols;
      for (let x = 0; x < cols; x++) {
        const i = base + x;
        const ch = bChars[i], flags = bFlags[i];
        if (fChars[i] === ch && fFg[i] === bFg[i] && fBg[i] === bBg[i] && fFlags[i] === flags) continue;
        fFg[i] = bFg[i]; fBg[i] = bBg[i];
        const fg = truecolor ? bFg[i] : this.paletteColor(bFg[i]), bg = truecolor ? bBg[i] : this.paletteColor(bBg[i]);
        if (fChars[i] === ch && sFg[i] === fg && sBg[i] === bg && fFlags[i] === flags) continue;
        if (!hidden && this.cursorVisible !== false) { out.ascii('\x1b[?25l'); this.cursorVisible = false; }
        hidden = true;
        if (this.cursorRow !== y || this.cursorColumn !== x) this.moveTo(x, y);
        if (fg !== this.curFg || bg !== this.curBg || flags !== this.curFlags) {
          if (truecolor && flags === this.curFlags && fg !== DEFAULT_COLOR && bg !== DEFAULT_COLOR) this.sgrRgb(fg, bg);
          else this.sgr(fg, bg, flags);
        }
        out.codePoint(ch < 0x20 || ch === 0x7f ? 0x20 : ch);
        fChars[i] = ch; sFg[i] = fg; sBg[i] = bg; fFlags[i] = flags;
        // Writing the last column leaves xterm's pending-wrap state: position unknown.
        this.cursorColumn = x + 1 < cols ? x + 1 : UNKNOWN;
      }
    }
    this.cursorUpdate(cursor);
    if (out.length === start) return Buffer.alloc(0);
    if (this.synchronizedOutput) out.ascii('\x1b[?2026l');
    return out.take();
  }

  private moveTo(x: number, y: number): void {
    const out = this.out;
    if (this.cursorRow === y && this.cursorColumn !== UNKNOWN && x > this.cursorColumn) {
      const n = x - this.cursorColumn;
      out.ascii('\x1b[');
      if (n > 1) out.decimal(n);
      out.byte(0x43); // C
    } else {
      out.ascii('\x1b[');
      out.decimal(y + 1);
      out.byte(0x3b);
      out.decimal(x + 1);
      out.byte(0x48); // H
    }
    this.cursorRow = y;
    this.cursorColumn = x;
  }

  /** The palette index the terminal shows for an RGB colour (below truecolor), cached. */
  private paletteColor(color: number): number {
    if (color === DEFAULT_COLOR) return color;
    const slot = Math.imul(color, 0x9e3779b1) >>> (32 - COLOR_CACHE_BITS);
    if (this.colorKeys[slot] !== color) {
      this.colorKeys[slot] = color;
      this.colorIndexes[slot] = this.depth === '256' ? rgbTo256(color) : rgbTo16(color);
    }
    return this.colorIndexes[slot];
  }

  /** Writes the SGR parameters for `color`: RGB in truecolor, else a palette index. */
  private color(color: number, background: boolean): void {
    const out = this.out;
    if (color === DEFAULT_COLOR) { out.ascii(background ? '49' : '39'); return; }
    if (this.depth === 'truecolor') {
      out.length = putRgbParameter(out.room(RGB_PARAMETER_MAX), out.length, background ? 0x34 : 0x33, color);
      return;
    }
    if (this.depth === '256') out.ascii(background ? BG_256[color] : FG_256[color]);
    else out.ascii(background ? BG_16[color] : FG_16[color]);
  }

  private sgr(fg: number, bg: number, flags: number): void {
    const out = this.out;
    out.ascii('\x1b[');
    let first = true;
    if (flags !== this.curFlags) {
      if (this.curFlags === UNKNOWN) {
        out.ascii(FLAG_RESET[flags]);
        this.curFg = this.curBg = DEFAULT_COLOR;
      } else {
        out.ascii(FLAG_CHANGE[(this.curFlags << 4) | flags]);
      }
      this.curFlags = flags;
      first = false;
    }
    if (fg !== this.curFg) {
      if (!first) out.byte(0x3b);
      this.color(fg, false);
      this.curFg = fg;
      first = false;
    }
    if (bg !== this.curBg) {
      if (!first) out.byte(0x3b);
      this.color(bg, true);
      this.curBg = bg;
    }
    out.byte(0x6d); // m
  }

  /** The truecolor SGR for a colour change alone (graphics: every cell brings new colours). */
  private sgrRgb(fg: number, bg: number): void {
    const out = this.out, buf = out.room(40);
    let at = out.length;
    buf[at++] = 0x1b; buf[at++] = 0x5b; // ESC [
    if (fg !== this.curFg) {
      at = putRgbParameter(buf, at, 0x33, fg); // 38;2;r;g;b
      this.curFg = fg;
      if (bg !== this.curBg) buf[at++] = 0x3b;
    }
    if (bg !== this.curBg) {
      at = putRgbParameter(buf, at, 0x34, bg); // 48;2;r;g;b
      this.curBg = bg;
    }
    buf[at++] = 0x6d; // m
    out.length = at;
  }

  private cursorUpdate(cursor: CursorState): void {
    const out = this.out;
    if (cursor.visible) {
      if (this.cursorRow !== cursor.row || this.cursorColumn !== cursor.column) this.moveTo(cursor.column, cursor.row);
      if (this.cursorShape !== cursor.shape) {
        out.ascii('\x1b[');
        out.decimal(SHAPE_CODE[cursor.shape]);
        out.ascii(' q');
        this.cursorShape = cursor.shape;
      }
      if (this.cursorVisible !== true) { out.ascii('\x1b[?25h'); this.cursorVisible = true; }
    } else if (this.cursorVisible !== false) {
      out.ascii('\x1b[?25l');
      this.cursorVisible = false;
    }
  }
}

/** The longest `<digit>8;2;r;g;b`: 38;2;255;255;255. */
const RGB_PARAMETER_MAX = 16;

/** Writes the SGR parameter `<digit>8;2;r;g;b` (digit '3' foreground, '4' background) at `at`; returns the end. */
function putRgbParameter(buf: Buffer, at: number, digit: number, rgb: number): number {
  buf[at++] = digit; buf[at++] = 0x38; buf[at++] = 0x3b; buf[at++] = 0x32; buf[at++] = 0x3b;
  at = putUint8Decimal(buf, at, (rgb >> 16) & 255); buf[at++] = 0x3b;
  at = putUint8Decimal(buf, at, (rgb >> 8) & 255); buf[at++] = 0x3b;
  return putUint8Decimal(buf, at, rgb & 255);
}
