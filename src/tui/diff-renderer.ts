// Turns a CellGrid into the bytes that bring the terminal from what it shows to the grid:
// only changed cells are written, the cursor is moved only when it is not already in place, and
// SGR attributes are emitted only when they change. A frame is one string (one write()).
import { CELL_BLINK, CELL_BOLD, CELL_INVERSE, CELL_UNDERLINE, CellGrid, DEFAULT_COLOR } from './cell-grid.js';
import { sgrColor, type ColorDepth } from './color-depth.js';

export type CursorShape = 'block' | 'underline' | 'bar';
export interface CursorState {
  column: number;
  row: number;
  visible: boolean;
  shape: CursorShape;
}

const FLAG_SGR: ReadonlyArray<[number, string, string]> = [
  [CELL_BOLD, '1', '22'], [CELL_UNDERLINE, '4', '24'], [CELL_BLINK, '5', '25'], [CELL_INVERSE, '7', '27'],
];
const SHAPE_CODE: Record<CursorShape, number> = { block: 2, underline: 4, bar: 6 };
const UNKNOWN = -1;

export class DiffRenderer {
  /** What the terminal shows now (after the last frame). */
  private readonly front = new CellGrid(0, 0);
  private colorCache = new Map<number, string>();
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
    this.colorCache = new Map();
  }

  /** Returns the bytes for one frame ('' when nothing changed). */
  render(back: CellGrid, cursor: CursorState): string {
    let out = '';
    if (!this.frontValid || this.front.columns !== back.columns || this.front.rows !== back.rows) {
      this.front.resize(back.columns, back.rows);
      this.front.chars.fill(0xffffffff); // matches no real cell
      out += '\x1b[0m\x1b[2J';
      this.curFg = this.curBg = this.curFlags = UNKNOWN;
      this.cursorColumn = this.cursorRow = UNKNOWN;
      this.frontValid = true;
    }
    const cols = back.columns;
    const fChars = this.front.chars, fFg = this.front.fg, fBg = this.front.bg, fFlags = this.front.flags;
    const bChars = back.chars, bFg = back.fg, bBg = back.bg, bFlags = back.flags;
    let hideDone = false;
    for (let y = 0; y < back.rows; y++) {
      const base = y * cols;
      for (let x = 0; x < cols; x++) {
        const i = base + x;
        const ch = bChars[i], fg = bFg[i], bg = bBg[i], flags = bFlags[i];
        if (fChars[i] === ch && fFg[i] === fg && fBg[i] === bg && fFlags[i] === flags) continue;
        if (!hideDone && this.cursorVisible !== false) { out += '\x1b[?25l'; this.cursorVisible = false; }
        hideDone = true;
        out += this.moveTo(x, y);
        if (fg !== this.curFg || bg !== this.curBg || flags !== this.curFlags) out += this.sgr(fg, bg, flags);
        out += ch < 0x20 || ch === 0x7f ? ' ' : String.fromCodePoint(ch);
        fChars[i] = ch; fFg[i] = fg; fBg[i] = bg; fFlags[i] = flags;
        // Writing the last column leaves xterm's pending-wrap state: position unknown.
        this.cursorColumn = x + 1 < cols ? x + 1 : UNKNOWN;
      }
    }
    out += this.cursorUpdate(cursor);
    if (out.length > 0 && this.synchronizedOutput) out = '\x1b[?2026h' + out + '\x1b[?2026l';
    return out;
  }

  private moveTo(x: number, y: number): string {
    if (this.cursorRow === y && this.cursorColumn === x) return '';
    let s: string;
    if (this.cursorRow === y && this.cursorColumn !== UNKNOWN && x > this.cursorColumn) {
      const n = x - this.cursorColumn;
      s = n === 1 ? '\x1b[C' : `\x1b[${n}C`;
    } else {
      s = `\x1b[${y + 1};${x + 1}H`;
    }
    this.cursorRow = y;
    this.cursorColumn = x;
    return s;
  }

  private color(color: number, background: boolean): string {
    const k = background ? color + 0x2000000 : color;
    let s = this.colorCache.get(k);
    if (s === undefined) {
      s = sgrColor(color, this.depth, background);
      this.colorCache.set(k, s);
    }
    return s;
  }

  private sgr(fg: number, bg: number, flags: number): string {
    let params = '';
    if (flags !== this.curFlags) {
      if (this.curFlags === UNKNOWN) {
        params = '0';
        for (const [bit, on] of FLAG_SGR) if (flags & bit) params += ';' + on;
        this.curFg = this.curBg = DEFAULT_COLOR;
      } else {
        for (const [bit, on, off] of FLAG_SGR) {
          if ((flags & bit) !== (this.curFlags & bit)) params += (params ? ';' : '') + (flags & bit ? on : off);
        }
      }
      this.curFlags = flags;
    }
    if (fg !== this.curFg) { params += (params ? ';' : '') + this.color(fg, false); this.curFg = fg; }
    if (bg !== this.curBg) { params += (params ? ';' : '') + this.color(bg, true); this.curBg = bg; }
    return params ? `\x1b[${params}m` : '';
  }

  private cursorUpdate(cursor: CursorState): string {
    let out = '';
    if (cursor.visible) {
      out += this.moveTo(cursor.column, cursor.row);
      if (this.cursorShape !== cursor.shape) { out += `\x1b[${SHAPE_CODE[cursor.shape]} q`; this.cursorShape = cursor.shape; }
      if (this.cursorVisible !== true) { out += '\x1b[?25h'; this.cursorVisible = true; }
    } else if (this.cursorVisible !== false) {
      out += '\x1b[?25l';
      this.cursorVisible = false;
    }
    return out;
  }
}
