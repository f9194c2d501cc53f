// What the front end and the monitor see of the VGA: the front end's DisplaySource (a text
// screen with cells, cursor, palette and fonts, or a rendered xRGB framebuffer, each with
// dirty hints) and `screendump` as QEMU writes it (binary PPM).

import type { DisplaySource, Framebuffer, TextScreen } from '../../../tui/front-end-ports.js';
import type { Clock } from '../../machine/clock.js';
import type { Vga } from './vga.js';
import * as R from './vga-registers.js';
import { VgaRenderer, attributePalette, fontOffsets, textGeometry } from './vga-renderer.js';

/** QEMU toggles the text cursor every VGA_TEXT_CURSOR_PERIOD_MS / 2 (16 fields at 60 Hz, halved). */
export const CURSOR_HALF_PERIOD_MS = Math.trunc((1000 * 2 * 16) / 60 / 2);

/** The text screen as the front end's TextScreen port describes it, plus font and cell width. */
export interface VgaTextScreen extends TextScreen {
  /** 8, 9 or 16 pixels (the 9th column and dot-clock halving, as QEMU draws them). */
  readonly cellWidth: number;
  /** The two fonts the character map register selects (attribute bit 3): 256 glyphs × 32 rows. */
  readonly fonts: readonly [Uint8Array, Uint8Array];
  /** The cursor's blink phase on the virtual clock (QEMU draws the cursor when true). */
  readonly cursorPhaseOn: boolean;
}

class MutableText implements VgaTextScreen {
  readonly kind = 'text';
  columns = 0;
  rows = 0;
  cells = new Uint16Array(0);
  cursor = { column: 0, row: 0, visible: false, startLine: 0, endLine: 0 };
  cellHeight = 16;
  cellWidth = 9;
  readonly palette = new Uint32Array(16);
  blinkEnabled = false;
  dirtyRows = new Uint8Array(0);
  private readonly fontData: [Uint8Array, Uint8Array] = [new Uint8Array(256 * 32), new Uint8Array(256 * 32)];
  /** Read from plane 2 only when asked: the front end draws Unicode, not glyphs. */
  get fonts(): readonly [Uint8Array, Uint8Array] {
    const vga = this.vga;
    const bases = fontOffsets(vga.srVbe[R.SEQ_CHARACTER_MAP]);
    for (let f = 0; f < 2; f++) for (let i = 0; i < 256 * 32; i++) this.fontData[f][i] = vga.vram[bases[f] + i * 4];
    return this.fontData;
  }

  constructor(private readonly vga: Vga) {}
  cursorPhaseOn = true;
}

/** A framebuffer whose size and pixels the owner replaces as the mode changes. */
export class MutableFramebuffer implements Framebuffer {
  readonly kind = 'graphics';
  readonly format = 'xrgb8888';
  width = 0;
  height = 0;
  stride = 0;
  pixels = new Uint32Array(0);
  dirtyLines = new Uint8Array(0);
}

/**
 * The VGA as the front end's DisplaySource: `current()` returns a text screen or an xRGB
 * framebuffer (null while the attribute controller blanks the display). The objects and
 * their arrays are reused from call to call; the dirty hints accumulate until the front end
 * clears them, as front-end-ports.ts specifies.
 */
export class VgaDisplay implements DisplaySource {
  readonly renderer: VgaRenderer;
  private readonly text: MutableText;
  private readonly frame = new MutableFramebuffer();

  constructor(private readonly vga: Vga, private readonly clock: Clock) {
    this.renderer = new VgaRenderer(vga);
    this.text = new MutableText(vga);
  }

  cursorPhaseOn(): boolean {
    return Math.floor(this.clock.now() / 1e6 / CURSOR_HALF_PERIOD_MS) % 2 === 0;
  }

  current(): VgaTextScreen | Framebuffer | null {
    const vga = this.vga;
    if (!(vga.arIndex & R.ATC_PALETTE_ENABLED)) return null;
    if (!(vga.gr[R.GFX_MISC] & R.GR06_GRAPHICS_MODE)) return this.updateText();
    return this.updateFrame();
  }

  private updateFrame(): Framebuffer {
    this.render(false);
    return this.frame;
  }

  /**
   * Every render (the front end's and screendump's) goes through here, so the rows a render
   * redrew stay marked for the front end even when screendump rendered them first.
   */
  private render(cursorVisible: boolean): void {
    const r = this.renderer;
    const f = this.frame;
    r.render(cursorVisible);
    if (f.pixels !== r.pixels || f.height !== r.height) {
      f.width = f.stride = r.width;
      f.height = r.height;
      f.pixels = r.pixels;
      f.dirtyLines = new Uint8Array(r.height).fill(1);
    } else if (r.dirtyTop <= r.dirtyBottom) {
      f.dirtyLines.fill(1, r.dirtyTop, r.dirtyBottom + 1);
    }
  }

  private updateText(): VgaTextScreen {
    const vga = this.vga;
    const t = this.text;
    const { vram, cr, ar } = vga;
    const g = textGeometry(vga);
    const count = Math.max(0, g.cols * g.rows);
    if (t.cells.length !== count || t.columns !== g.cols) {
      t.cells = new Uint16Array(count);
      t.dirtyRows = new Uint8Array(g.rows).fill(1);
    }
    t.columns = g.cols;
    t.rows = g.rows;
    t.cellHeight = g.charHeight;
    t.cellWidth = g.charWidth;
    const cells = t.cells;
    const start = vga.vbeEnabled ? vga.vbeStartAddr : cr[R.CRTC_START_LO] | (cr[R.CRTC_START_HI] << 8);
    const lineOffset = cr[R.CRTC_OFFSET] << 3;
    const lineCompare = cr[R.CRTC_LINE_COMPARE] | ((cr[R.CRTC_OVERFLOW] & 0x10) << 4) | ((cr[R.CRTC_MAX_SCAN] & 0x40) << 3);
    const cursorAddr = ((cr[R.CRTC_CURSOR_HI] << 8) | cr[R.CRTC_CURSOR_LO]) * 4;
    let cursorCol = -1;
    let cursorRow = -1;
    let offset = start * 4;
    let line = 0;
    for (let row = 0; row < g.rows; row++) {
      let changed = false;
      for (let col = 0, src = offset; col < g.cols; col++, src += 4) {
        const cell = src + 1 < vram.length ? vram[src] | (vram[src + 1] << 8) : 0;
        const i = row * g.cols + col;
        if (cells[i] !== cell) {
          cells[i] = cell;
          changed = true;
        }
        if (src === cursorAddr) {
          cursorCol = col;
          cursorRow = row;
        }
      }
      if (changed) t.dirtyRows[row] = 1;
      offset += lineOffset;
      if (line < lineCompare && line + g.charHeight >= lineCompare) offset = 0;
      line += g.charHeight;
    }
    const c = t.cursor;
    const [oldColumn, oldRow] = [c.column, c.row];
    c.visible = cursorCol >= 0 && !(cr[R.CRTC_CURSOR_START] & 0x20);
    c.column = Math.max(0, cursorCol);
    c.row = Math.max(0, cursorRow);
    c.startLine = cr[R.CRTC_CURSOR_START] & 0x1f;
    c.endLine = cr[R.CRTC_CURSOR_END] & 0x1f;
    if ((oldColumn !== c.column || oldRow !== c.row) && t.dirtyRows.length > 0) {
      t.dirtyRows[Math.min(oldRow, t.dirtyRows.length - 1)] = 1;
      t.dirtyRows[c.row] = 1;
    }
    t.cursorPhaseOn = this.cursorPhaseOn();
    t.blinkEnabled = (ar[R.ATC_MODE] & 0x08) !== 0;
    attributePalette(vga, t.palette);
    return t;
  }

  /**
   * The monitor's `screendump`: the screen as QEMU draws it, as a binary PPM with QEMU's
   * header ("P6\n<w> <h>\n255\n"). `cursorVisible` overrides the blink phase (tests compare
   * with QEMU, whose phase depends on its own timing).
   */
  screendump(cursorVisible = this.cursorPhaseOn()): Buffer {
    const r = this.renderer;
    this.render(cursorVisible);
    return encodePpm(r.width, r.height, r.pixels);
  }
}

export function encodePpm(width: number, height: number, pixels: Uint32Array): Buffer {
  const header = `P6\n${width} ${height}\n255\n`;
  const out = Buffer.allocUnsafe(header.length + width * height * 3);
  out.write(header, 'latin1');
  const body = new Uint8Array(out.buffer, out.byteOffset + header.length, width * height * 3);
  for (let i = 0, o = 0, n = width * height; i < n; i++, o += 3) {
    const p = pixels[i];
    body[o] = p >>> 16;
    body[o + 1] = p >>> 8;
    body[o + 2] = p;
  }
  return out;
}
