// A serial console pane: a small VT100-style screen (80×24 like QEMU's `vc:80Cx24C`) fed by the
// guest's serial output. It understands what Linux consoles and shells send: CR, LF, BS, TAB,
// and the common CSI sequences (cursor moves, erase, SGR colours).
import { StringDecoder } from 'node:string_decoder';
import { CellGrid, CELL_BOLD, CELL_INVERSE, CELL_UNDERLINE, DEFAULT_COLOR } from './cell-grid.js';
import { VGA_DEFAULT_PALETTE } from './color-depth.js';
import type { CursorState } from './diff-renderer.js';
import type { SerialPort } from './front-end-ports.js';
import type { KeyEvent } from './input-tokenizer.js';
import { drawTitle } from './pane-frame.js';
import type { Rect } from './text-display.js';

// ANSI colour number → VGA palette index.
const ANSI_TO_VGA = [0, 4, 2, 6, 1, 5, 3, 7];

export class SerialPane {
  readonly screen: CellGrid;
  private x = 0;
  private y = 0;
  private fg = DEFAULT_COLOR;
  private bg = DEFAULT_COLOR;
  private flags = 0;
  private readonly decoder = new StringDecoder('utf8');
  private escape = '';

  /** @param changed called when guest output arrives, so the UI can redraw soon */
  constructor(readonly port: SerialPort, private readonly changed: () => void = () => {}, columns = 80, rows = 24) {
    this.screen = new CellGrid(columns, rows);
    port.onOutput((bytes) => this.write(bytes));
  }

  write(bytes: Uint8Array): void {
    for (const ch of this.decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) this.put(ch);
    this.changed();
  }

  private put(ch: string): void {
    if (this.escape) {
      this.escape += ch;
      if (this.escape === '\x1b[' || (this.escape.startsWith('\x1b[') && !/[@-~]/.test(ch))) {
        if (this.escape.length > 32) this.escape = '';
        return;
      }
      if (this.escape.startsWith('\x1b[')) this.csi(this.escape.slice(2, -1), ch);
      this.escape = '';
      return;
    }
    const s = this.screen;
    switch (ch) {
      case '\x1b': this.escape = ch; return;
      case '\r': this.x = 0; return;
      case '\n': case '\x0b': case '\x0c': this.lineFeed(); return;
      case '\b': this.x = Math.max(0, this.x - 1); return;
      case '\t': this.x = Math.min(s.columns - 1, (this.x + 8) & ~7); return;
    }
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || cp === 0x7f) return;
    if (this.x >= s.columns) { this.x = 0; this.lineFeed(); }
    s.set(this.x, this.y, cp, this.fg, this.bg, this.flags);
    this.x++;
  }

  private lineFeed(): void {
    const s = this.screen;
    if (this.y < s.rows - 1) { this.y++; return; }
    const n = s.columns;
    s.chars.copyWithin(0, n); s.fg.copyWithin(0, n); s.bg.copyWithin(0, n); s.flags.copyWithin(0, n);
    s.fill(0, s.rows - 1, n, 1, 0x20, DEFAULT_COLOR, DEFAULT_COLOR, 0);
  }

  private csi(body: string, final: string): void {
    const s = this.screen;
    const params = body.replace(/^\?/, '').split(';').map((p) => parseInt(p, 10));
    const n = (i: number, d: number) => (Number.isFinite(params[i]) && params[i] > 0 ? params[i] : d);
    switch (final) {
      case 'A': this.y = Math.max(0, this.y - n(0, 1)); break;
      case 'B': this.y = Math.min(s.rows - 1, this.y + n(0, 1)); break;
      case 'C': this.x = Math.min(s.columns - 1, this.x + n(0, 1)); break;
      case 'D': this.x = Math.max(0, this.x - n(0, 1)); break;
      case 'G': this.x = Math.min(s.columns - 1, n(0, 1) - 1); break;
      case 'H': case 'f':
        this.y = Math.min(s.rows - 1, n(0, 1) - 1);
        this.x = Math.min(s.columns - 1, n(1, 1) - 1);
        break;
      case 'J': {
        const mode = params[0] || 0;
        if (mode === 0) { this.eraseLine(this.x, s.columns); s.fill(0, this.y + 1, s.columns, s.rows, 0x20, DEFAULT_COLOR, this.bg, 0); }
        else if (mode === 1) { s.fill(0, 0, s.columns, this.y, 0x20, DEFAULT_COLOR, this.bg, 0); this.eraseLine(0, this.x + 1); }
        else s.fill(0, 0, s.columns, s.rows, 0x20, DEFAULT_COLOR, this.bg, 0);
        break;
      }
      case 'K': {
        const mode = params[0] || 0;
        this.eraseLine(mode === 0 ? this.x : 0, mode === 1 ? this.x + 1 : s.columns);
        break;
      }
      case 'm': this.sgr(params); break;
    }
  }

  private eraseLine(from: number, to: number): void {
    this.screen.fill(from, this.y, to - from, 1, 0x20, DEFAULT_COLOR, this.bg, 0);
  }

  private sgr(params: number[]): void {
    for (const p of params.length ? params : [0]) {
      const v = Number.isFinite(p) ? p : 0;
      if (v === 0) { this.fg = this.bg = DEFAULT_COLOR; this.flags = 0; }
      else if (v === 1) this.flags |= CELL_BOLD;
      else if (v === 4) this.flags |= CELL_UNDERLINE;
      else if (v === 7) this.flags |= CELL_INVERSE;
      else if (v === 22) this.flags &= ~CELL_BOLD;
      else if (v === 24) this.flags &= ~CELL_UNDERLINE;
      else if (v === 27) this.flags &= ~CELL_INVERSE;
      else if (v >= 30 && v <= 37) this.fg = VGA_DEFAULT_PALETTE[ANSI_TO_VGA[v - 30]];
      else if (v >= 90 && v <= 97) this.fg = VGA_DEFAULT_PALETTE[ANSI_TO_VGA[v - 90] + 8];
      else if (v === 39) this.fg = DEFAULT_COLOR;
      else if (v >= 40 && v <= 47) this.bg = VGA_DEFAULT_PALETTE[ANSI_TO_VGA[v - 40]];
      else if (v >= 100 && v <= 107) this.bg = VGA_DEFAULT_PALETTE[ANSI_TO_VGA[v - 100] + 8];
      else if (v === 49) this.bg = DEFAULT_COLOR;
    }
  }

  /** Bytes a terminal key means on a serial line (what a VT100 would send). */
  key(e: KeyEvent): void {
    const named: Record<string, string> = {
      Enter: '\r', Tab: '\t', Backspace: '\x7f', Escape: '\x1b', Up: '\x1b[A', Down: '\x1b[B', Right: '\x1b[C',
      Left: '\x1b[D', Home: '\x1b[H', End: '\x1b[F', Delete: '\x1b[3~', Insert: '\x1b[2~', PageUp: '\x1b[5~',
      PageDown: '\x1b[6~',
    };
    let s = named[e.key];
    if (s === undefined) {
      if ([...e.key].length !== 1) return;
      s = e.ctrl ? String.fromCharCode(e.key.toUpperCase().charCodeAt(0) & 0x1f) : e.key;
    }
    if (e.alt) s = '\x1b' + s;
    this.port.write(Buffer.from(s, 'utf8'));
  }

  paste(text: string): void {
    this.port.write(Buffer.from(text, 'utf8'));
  }

  draw(grid: CellGrid, rect: Rect, focused: boolean, cursor: CursorState): void {
    const body = drawTitle(grid, rect, `serial ${this.port.label}`, focused);
    grid.fill(body.x, body.y, body.width, body.height, 0x20, DEFAULT_COLOR, DEFAULT_COLOR, 0);
    const s = this.screen;
    // A pane smaller than the console scrolls to keep the cursor in view.
    const skipY = Math.max(0, Math.min(s.rows - body.height, this.y - body.height + 1));
    const skipX = Math.max(0, Math.min(s.columns - body.width, this.x - body.width + 1));
    const rows = Math.min(body.height, s.rows), cols = Math.min(body.width, s.columns);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = (skipY + r) * s.columns + skipX + c;
        grid.set(body.x + c, body.y + r, s.chars[i], s.fg[i], s.bg[i], s.flags[i]);
      }
    }
    if (focused) {
      cursor.visible = this.x - skipX < cols && this.y - skipY < rows;
      cursor.column = body.x + Math.min(this.x - skipX, cols - 1);
      cursor.row = body.y + this.y - skipY;
      cursor.shape = 'block';
    }
  }
}
