// What the front end and the monitor see of the VGA: a text screen (cells, cursor, font,
// palette) or a rendered framebuffer, and `screendump` as QEMU writes it (binary PPM).

import type { Clock } from '../../machine/clock.js';
import type { Vga } from './vga.js';
import * as R from './vga-registers.js';
import { VgaRenderer, attributePalette, fontOffsets, textGeometry } from './vga-renderer.js';

/** QEMU toggles the text cursor every VGA_TEXT_CURSOR_PERIOD_MS / 2 (16 fields at 60 Hz, halved). */
export const CURSOR_HALF_PERIOD_MS = Math.trunc((1000 * 2 * 16) / 60 / 2);

export interface TextScreen {
  mode: 'text';
  cols: number;
  rows: number;
  charWidth: number;
  charHeight: number;
  /** cols*rows cells, char | attr << 8, as they sit in VGA memory. Reused by the next snapshot. */
  cells: Uint16Array;
  /** Cursor cell, or -1/-1 when it is off or outside the screen. */
  cursorCol: number;
  cursorRow: number;
  cursorStartLine: number;
  cursorEndLine: number;
  /** The cursor's blink phase now (it is drawn when true). */
  cursorPhaseOn: boolean;
  /** Attribute bit 7 means blink (true) or bright background (false). QEMU draws it as background. */
  blinkEnabled: boolean;
  /** 16 attribute colours as 0xRRGGBB. */
  palette: Uint32Array;
  /** The two fonts selected by the character map register: 256 glyphs of 32 rows each. */
  fonts: [Uint8Array, Uint8Array];
}

export interface GraphicsScreen {
  mode: 'graphics';
  width: number;
  height: number;
  /** width*height pixels, 0x00RRGGBB. */
  pixels: Uint32Array;
  /** Rows changed since the previous snapshot (inclusive); top > bottom when none changed. */
  dirtyTop: number;
  dirtyBottom: number;
}

export interface BlankScreen {
  mode: 'blank';
}

export type VgaScreen = TextScreen | GraphicsScreen | BlankScreen;

export class VgaDisplay {
  readonly renderer: VgaRenderer;
  // Reused by every text snapshot so a front end polling at frame rate allocates nothing.
  private cells = new Uint16Array(80 * 25);
  private readonly palette = new Uint32Array(16);
  private readonly fonts: [Uint8Array, Uint8Array] = [new Uint8Array(256 * 32), new Uint8Array(256 * 32)];

  constructor(private readonly vga: Vga, private readonly clock: Clock) {
    this.renderer = new VgaRenderer(vga);
  }

  cursorPhaseOn(): boolean {
    return Math.floor(this.clock.now() / 1e6 / CURSOR_HALF_PERIOD_MS) % 2 === 0;
  }

  snapshot(): VgaScreen {
    const vga = this.vga;
    if (!(vga.arIndex & R.ATC_PALETTE_ENABLED)) return { mode: 'blank' };
    if (!(vga.gr[R.GFX_MISC] & R.GR06_GRAPHICS_MODE)) return this.textScreen();
    const r = this.renderer;
    r.render(false);
    return { mode: 'graphics', width: r.width, height: r.height, pixels: r.pixels, dirtyTop: r.dirtyTop, dirtyBottom: r.dirtyBottom };
  }

  private textScreen(): TextScreen {
    const vga = this.vga;
    const { vram, cr, ar } = vga;
    const g = textGeometry(vga);
    const count = Math.max(0, g.cols * g.rows);
    if (this.cells.length !== count) this.cells = new Uint16Array(count);
    const cells = this.cells;
    const start = vga.vbeEnabled ? vga.vbeStartAddr : cr[R.CRTC_START_LO] | (cr[R.CRTC_START_HI] << 8);
    const lineOffset = cr[R.CRTC_OFFSET] << 3;
    const lineCompare = cr[R.CRTC_LINE_COMPARE] | ((cr[R.CRTC_OVERFLOW] & 0x10) << 4) | ((cr[R.CRTC_MAX_SCAN] & 0x40) << 3);
    const cursorAddr = ((cr[R.CRTC_CURSOR_HI] << 8) | cr[R.CRTC_CURSOR_LO]) * 4;
    let cursorCol = -1;
    let cursorRow = -1;
    let offset = start * 4;
    let line = 0;
    for (let row = 0; row < g.rows; row++) {
      for (let col = 0, src = offset; col < g.cols; col++, src += 4) {
        cells[row * g.cols + col] = src + 1 < vram.length ? vram[src] | (vram[src + 1] << 8) : 0;
        if (src === cursorAddr) {
          cursorCol = col;
          cursorRow = row;
        }
      }
      offset += lineOffset;
      if (line < lineCompare && line + g.charHeight >= lineCompare) offset = 0;
      line += g.charHeight;
    }
    if (cr[R.CRTC_CURSOR_START] & 0x20) cursorCol = cursorRow = -1;

    const palette = this.palette;
    attributePalette(vga, palette);
    const fonts = this.fonts;
    const bases = fontOffsets(vga.srVbe[R.SEQ_CHARACTER_MAP]);
    for (let f = 0; f < 2; f++) for (let i = 0; i < 256 * 32; i++) fonts[f][i] = vram[bases[f] + i * 4];
    return {
      mode: 'text',
      ...g,
      cells,
      cursorCol,
      cursorRow,
      cursorStartLine: cr[R.CRTC_CURSOR_START] & 0x1f,
      cursorEndLine: cr[R.CRTC_CURSOR_END] & 0x1f,
      cursorPhaseOn: this.cursorPhaseOn(),
      blinkEnabled: (ar[R.ATC_MODE] & 0x08) !== 0,
      palette,
      fonts,
    };
  }

  /**
   * The monitor's `screendump`: the screen as QEMU draws it, as a binary PPM with QEMU's
   * header ("P6\n<w> <h>\n255\n"). `cursorVisible` overrides the blink phase (tests compare
   * with QEMU, whose phase depends on its own timing).
   */
  screendump(cursorVisible = this.cursorPhaseOn()): Buffer {
    const r = this.renderer;
    r.render(cursorVisible);
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
