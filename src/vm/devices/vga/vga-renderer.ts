// Turns the VGA's state into pixels (0x00RRGGBB words), following the rules of QEMU's
// vga.c so that screendump matches QEMU pixel for pixel: 8/9/16-dot text cells with the
// font from plane 2, the hardware cursor, planar 16-colour, CGA 4-colour, chain-4 256-colour
// and VBE 8/15/16/24/32 bpp lines, double scan, line compare and CGA/Hercules addressing.

import type { Vga } from './vga.js';
import { VGA_VRAM_SIZE } from './vga.js';
import * as R from './vga-registers.js';

export type RenderedMode = 'text' | 'graphics' | 'blank';

const VRAM_MASK = VGA_VRAM_SIZE - 1;
const DIRTY_PAGE_SHIFT = 12;
/** QEMU's limit on text cells (CH_ATTR_SIZE); larger transient geometries are not drawn. */
const MAX_TEXT_CELLS = 160 * 100;
/** VRAM pages text mode can reach (start address 0xffff plus a screen, 4 bytes a cell). */
const TEXT_PAGES = 72;

/** 6-bit DAC value to 8 bits the way QEMU widens it (c6_to_8). */
export function dac6to8(v: number): number {
  v &= 0x3f;
  const b = v & 1;
  return (v << 2) | (b << 1) | b;
}

/** The 16 attribute colours as 0xRRGGBB: palette registers, colour select, then the DAC. */
export function attributePalette(vga: Vga, out: Uint32Array): void {
  const { ar, palette } = vga;
  for (let i = 0; i < 16; i++) {
    let v = ar[i];
    v = ar[R.ATC_MODE] & 0x80 ? ((ar[R.ATC_COLOR_PAGE] & 0xf) << 4) | (v & 0xf) : ((ar[R.ATC_COLOR_PAGE] & 0xc) << 4) | (v & 0x3f);
    v *= 3;
    out[i] = (dac6to8(palette[v]) << 16) | (dac6to8(palette[v + 1]) << 8) | dac6to8(palette[v + 2]);
  }
}

/** Each bit j of a plane byte moved to bit 4*j: one nibble per pixel (QEMU's expand4). */
const EXPAND4 = new Uint32Array(256);
/** Each bit pair j of a byte moved to bits 4*j..4*j+1 (QEMU's expand2, for CGA modes). */
const EXPAND2 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let v4 = 0;
  for (let j = 0; j < 8; j++) v4 |= ((i >>> j) & 1) << (j * 4);
  EXPAND4[i] = v4 >>> 0;
  let v2 = 0;
  for (let j = 0; j < 4; j++) v2 |= ((i >>> (2 * j)) & 3) << (j * 4);
  EXPAND2[i] = v2;
}
const PLANE_MASK = new Uint32Array(16);
for (let i = 0; i < 16; i++) {
  PLANE_MASK[i] = (i & 1 ? 0xff : 0) | (i & 2 ? 0xff00 : 0) | (i & 4 ? 0xff0000 : 0) | (i & 8 ? 0xff000000 : 0);
}

const enum LineKind {
  Cga2,
  Cga2Double,
  Planar4,
  Planar4Double,
  Chain4Double,
  Indexed8,
  Rgb15,
  Rgb16,
  Rgb24,
  Rgb32,
}

export class VgaRenderer {
  width = 0;
  height = 0;
  /** width*height pixels, 0x00RRGGBB. Replaced when the size changes. */
  pixels = new Uint32Array(0);
  /** Rows changed by the last render (inclusive); dirtyTop > dirtyBottom when nothing changed. */
  dirtyTop = 0;
  dirtyBottom = -1;
  mode: RenderedMode = 'blank';

  private readonly palette16 = new Uint32Array(16);
  private readonly palette256 = new Uint32Array(256);
  private lastGeneration = -1;
  private lastMode: RenderedMode | undefined;
  private lastCursorVisible = false;

  constructor(private readonly vga: Vga) {}

  /**
   * Brings `pixels` up to date. `cursorVisible` is the blink phase of the text cursor
   * (QEMU flips it every 266 ms of virtual time). Returns the mode drawn.
   */
  render(cursorVisible: boolean): RenderedMode {
    const vga = this.vga;
    const mode: RenderedMode = !(vga.arIndex & R.ATC_PALETTE_ENABLED)
      ? 'blank'
      : vga.gr[R.GFX_MISC] & R.GR06_GRAPHICS_MODE
        ? 'graphics'
        : 'text';
    const full = mode !== this.lastMode || vga.registerGeneration !== this.lastGeneration || cursorVisible !== this.lastCursorVisible;
    this.lastMode = mode;
    this.lastGeneration = vga.registerGeneration;
    this.lastCursorVisible = cursorVisible;
    this.mode = mode;
    this.dirtyTop = 0;
    this.dirtyBottom = -1;
    if (mode === 'text') this.drawText(full || this.planesTouched(), cursorVisible);
    else if (mode === 'graphics') this.drawGraphics(full);
    else if (full) this.drawBlank();
    return mode;
  }

  private planesTouched(): boolean {
    const d = this.vga.dirtyPages;
    for (let p = 0; p < TEXT_PAGES; p++) if (d[p]) return true;
    return false;
  }

  private resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.pixels = new Uint32Array(width * height);
  }

  private markAllDirty(): void {
    this.dirtyTop = 0;
    this.dirtyBottom = this.height - 1;
  }

  private drawBlank(): void {
    this.pixels.fill(0);
    this.markAllDirty();
  }

  private updatePalette16(): void {
    attributePalette(this.vga, this.palette16);
  }

  private updatePalette256(): void {
    const { palette, dac8bit } = this.vga;
    for (let i = 0, v = 0; i < 256; i++, v += 3) {
      this.palette256[i] = dac8bit
        ? (palette[v] << 16) | (palette[v + 1] << 8) | palette[v + 2]
        : (dac6to8(palette[v]) << 16) | (dac6to8(palette[v + 1]) << 8) | dac6to8(palette[v + 2]);
    }
  }

  private startAddress(): number {
    const vga = this.vga;
    return vga.vbeEnabled ? vga.vbeStartAddr : vga.cr[R.CRTC_START_LO] | (vga.cr[R.CRTC_START_HI] << 8);
  }

  private lineOffset(): number {
    const vga = this.vga;
    return vga.vbeEnabled ? vga.vbeLineOffset : vga.cr[R.CRTC_OFFSET] << 3;
  }

  private lineCompare(): number {
    const cr = this.vga.cr;
    if (this.vga.vbeEnabled) return 65535;
    return cr[R.CRTC_LINE_COMPARE] | ((cr[R.CRTC_OVERFLOW] & 0x10) << 4) | ((cr[R.CRTC_MAX_SCAN] & 0x40) << 3);
  }

  // ---- text ------------------------------------------------------------------------------

  private drawText(full: boolean, cursorVisible: boolean): void {
    const vga = this.vga;
    const g = textGeometry(vga);
    if (g.cols * g.rows <= 1 || g.cols * g.rows > MAX_TEXT_CELLS) return;
    if (!full && this.width === g.cols * g.charWidth && this.height === g.rows * g.charHeight) return;
    this.resize(g.cols * g.charWidth, g.rows * g.charHeight);
    this.updatePalette16();
    this.vga.dirtyPages.fill(0, 0, TEXT_PAGES);
    const { vram, cr } = vga;
    const startAddr = this.startAddress();
    const lineOffset = this.lineOffset();
    const lineCompare = this.lineCompare();
    const fontBase = fontOffsets(vga.srVbe[R.SEQ_CHARACTER_MAP]);
    const cursorAddr = ((cr[R.CRTC_CURSOR_HI] << 8) | cr[R.CRTC_CURSOR_LO]) * 4;
    const showCursor = cursorVisible && !(cr[R.CRTC_CURSOR_START] & 0x20);
    const lineGraphics = (vga.ar[R.ATC_MODE] & 0x04) !== 0;
    const cw = g.charWidth;
    const ch = g.charHeight;
    const pal = this.palette16;
    const out = this.pixels;
    const stride = this.width;
    let offset = startAddr * 4;
    let line = 0;
    for (let cy = 0; cy < g.rows; cy++) {
      let src = offset;
      for (let cx = 0; cx < g.cols; cx++, src += 4) {
        if (src + 2 > VGA_VRAM_SIZE) break;
        const code = vram[src];
        const attr = vram[src + 1];
        const font = fontBase[(attr >>> 3) & 1] + code * 128;
        const fg = pal[attr & 0x0f];
        const bg = pal[attr >>> 4];
        const dup9 = cw === 9 && code >= 0xb0 && code <= 0xdf && lineGraphics;
        const dst = cy * ch * stride + cx * cw;
        for (let y = 0; y < ch; y++) drawGlyphRow(out, dst + y * stride, vram[font + y * 4], cw, dup9, fg, bg);
        if (showCursor && src === cursorAddr) {
          const first = cr[R.CRTC_CURSOR_START] & 0x1f;
          const last = Math.min(cr[R.CRTC_CURSOR_END] & 0x1f, ch - 1);
          if (last >= first && first < ch) {
            for (let y = first; y <= last; y++) drawGlyphRow(out, dst + y * stride, 0xff, cw, true, fg, bg);
          }
        }
      }
      const next = line + ch;
      offset += lineOffset;
      if (line < lineCompare && next >= lineCompare) offset = 0;
      line = next;
    }
    this.markAllDirty();
  }

  // ---- graphics --------------------------------------------------------------------------

  private drawGraphics(full: boolean): void {
    const vga = this.vga;
    const { cr, vram, vram32 } = vga;
    const sr01 = vga.srVbe[R.SEQ_CLOCK_MODE];
    const [width, height] = graphicsResolution(vga);
    const shiftControl = (vga.gr[R.GFX_MODE] >>> 5) & 3;
    const doubleScan = cr[R.CRTC_MAX_SCAN] >>> 7;
    const multiScan = shiftControl !== 1 ? (((cr[R.CRTC_MAX_SCAN] & 0x1f) + 1) << doubleScan) - 1 : doubleScan;
    let dispWidth = width;
    if (shiftControl <= 1 && sr01 & R.SR01_DOUBLE_WIDTH) dispWidth <<= 1;

    let kind: LineKind;
    let bits: number;
    if (shiftControl === 0) {
      this.updatePalette16();
      kind = sr01 & R.SR01_DOUBLE_WIDTH ? LineKind.Planar4Double : LineKind.Planar4;
      bits = 4;
    } else if (shiftControl === 1) {
      this.updatePalette16();
      kind = sr01 & R.SR01_DOUBLE_WIDTH ? LineKind.Cga2Double : LineKind.Cga2;
      bits = 4;
    } else {
      const bpp = vga.vbeEnabled ? vga.vbeRegs[R.VBE_INDEX_BPP] : 0;
      this.updatePalette256();
      switch (bpp) {
        case 8:
          kind = LineKind.Indexed8;
          bits = 8;
          break;
        case 15:
          kind = LineKind.Rgb15;
          bits = 16;
          break;
        case 16:
          kind = LineKind.Rgb16;
          bits = 16;
          break;
        case 24:
          kind = LineKind.Rgb24;
          bits = 24;
          break;
        case 32:
          kind = LineKind.Rgb32;
          bits = 32;
          break;
        default:
          kind = LineKind.Chain4Double;
          bits = 4;
      }
    }
    if (dispWidth <= 0 || height <= 0) return;
    if (dispWidth !== this.width || height !== this.height) full = true;
    this.resize(dispWidth, height);

    const lineOffset = this.lineOffset();
    const lineCompare = this.lineCompare();
    const byteWidth = (width * bits + 7) >> 3;
    const dirty = vga.dirtyPages;
    const planeMask = PLANE_MASK[vga.ar[R.ATC_PLANE_ENABLE] & 0xf];
    const crMode = cr[R.CRTC_MODE];
    let addr1 = this.startAddress() * 4;
    let multiRun = multiScan;
    let y1 = 0;
    for (let y = 0; y < height; y++) {
      let addr = addr1;
      if (!(crMode & 1)) {
        // CGA compatibility: scan line bit 0 replaces address bit 13 (or 14).
        const shift = 14 + ((crMode >>> 6) & 1);
        addr = (addr & ~(1 << shift)) | ((y1 & 1) << shift);
      }
      if (!(crMode & 2)) addr = (addr & ~0x8000) | ((y1 & 2) << 14);
      let update = full;
      if (!update) {
        const last = (addr + byteWidth - 1) & VRAM_MASK;
        for (let p = (addr & VRAM_MASK) >>> DIRTY_PAGE_SHIFT; p <= last >>> DIRTY_PAGE_SHIFT; p++) {
          if (dirty[p]) {
            update = true;
            break;
          }
        }
      }
      if (update) {
        this.drawLine(kind, y * dispWidth, addr, width, vram, vram32, planeMask);
        if (y < this.dirtyTop || this.dirtyTop > this.dirtyBottom) this.dirtyTop = y;
        this.dirtyBottom = y;
      }
      if (!multiRun) {
        const mask = (crMode & 3) ^ 3;
        if ((y1 & mask) === mask) addr1 += lineOffset;
        y1++;
        multiRun = multiScan;
      } else {
        multiRun--;
      }
      if (y === lineCompare) addr1 = 0;
    }
    dirty.fill(0);
  }

  private drawLine(kind: LineKind, d: number, addr: number, width: number, vram: Uint8Array, vram32: Uint32Array, planeMask: number): void {
    const out = this.pixels;
    switch (kind) {
      case LineKind.Planar4:
      case LineKind.Planar4Double: {
        const pal = this.palette16;
        const dbl = kind === LineKind.Planar4Double;
        for (let x = 0; x < width >> 3; x++, addr += 4) {
          const data = vram32[(addr & VRAM_MASK) >>> 2] & planeMask;
          const v =
            (EXPAND4[data & 0xff] | (EXPAND4[(data >>> 8) & 0xff] << 1) | (EXPAND4[(data >>> 16) & 0xff] << 2) | (EXPAND4[data >>> 24] << 3)) >>> 0;
          for (let k = 0; k < 8; k++) {
            const c = pal[(v >>> (28 - 4 * k)) & 0xf];
            if (dbl) {
              out[d++] = c;
              out[d++] = c;
            } else out[d++] = c;
          }
        }
        break;
      }
      case LineKind.Cga2:
      case LineKind.Cga2Double: {
        const pal = this.palette16;
        const dbl = kind === LineKind.Cga2Double;
        for (let x = 0; x < width >> 3; x++, addr += 4) {
          const data = vram32[(addr & VRAM_MASK) >>> 2] & planeMask;
          const even = EXPAND2[data & 0xff] | (EXPAND2[(data >>> 16) & 0xff] << 2);
          const odd = EXPAND2[(data >>> 8) & 0xff] | (EXPAND2[data >>> 24] << 2);
          for (let k = 0; k < 8; k++) {
            const v = k < 4 ? even : odd;
            const c = pal[(v >>> (12 - 4 * (k & 3))) & 0xf];
            if (dbl) {
              out[d++] = c;
              out[d++] = c;
            } else out[d++] = c;
          }
        }
        break;
      }
      case LineKind.Chain4Double: {
        const pal = this.palette256;
        for (let x = 0; x < width >> 3; x++, addr += 4) {
          for (let k = 0; k < 4; k++) {
            const c = pal[vram[(addr + k) & VRAM_MASK]];
            out[d++] = c;
            out[d++] = c;
          }
        }
        break;
      }
      case LineKind.Indexed8: {
        const pal = this.palette256;
        for (let x = 0; x < width; x++) out[d++] = pal[vram[(addr + x) & VRAM_MASK]];
        break;
      }
      case LineKind.Rgb15:
        for (let x = 0; x < width; x++, addr += 2) {
          const v = vram[addr & VRAM_MASK] | (vram[(addr + 1) & VRAM_MASK] << 8);
          out[d++] = (((v >>> 7) & 0xf8) << 16) | (((v >>> 2) & 0xf8) << 8) | ((v << 3) & 0xf8);
        }
        break;
      case LineKind.Rgb16:
        for (let x = 0; x < width; x++, addr += 2) {
          const v = vram[addr & VRAM_MASK] | (vram[(addr + 1) & VRAM_MASK] << 8);
          // QEMU shows 16 bpp through pixman, which widens 5/6-bit fields by bit replication.
          const r = v >>> 11;
          const g = (v >>> 5) & 0x3f;
          const b = v & 0x1f;
          out[d++] = (((r << 3) | (r >>> 2)) << 16) | (((g << 2) | (g >>> 4)) << 8) | ((b << 3) | (b >>> 2));
        }
        break;
      case LineKind.Rgb24:
        for (let x = 0; x < width; x++, addr += 3) {
          out[d++] = (vram[(addr + 2) & VRAM_MASK] << 16) | (vram[(addr + 1) & VRAM_MASK] << 8) | vram[addr & VRAM_MASK];
        }
        break;
      case LineKind.Rgb32:
        if ((addr & 3) === 0 && addr + width * 4 <= VGA_VRAM_SIZE) {
          // The usual case: an aligned line of little-endian x8r8g8b8 words.
          for (let x = 0, w = addr >>> 2; x < width; x++) out[d++] = vram32[w + x] & 0xffffff;
          break;
        }
        for (let x = 0; x < width; x++, addr += 4) {
          out[d++] = (vram[(addr + 2) & VRAM_MASK] << 16) | (vram[(addr + 1) & VRAM_MASK] << 8) | vram[addr & VRAM_MASK];
        }
        break;
    }
  }
}

/** One scan line of a glyph: 8 dots, a 9th (a copy of the 8th for line graphics, else background), or 16 doubled dots. */
function drawGlyphRow(out: Uint32Array, d: number, bits: number, cw: number, dup9: boolean, fg: number, bg: number): void {
  if (cw === 16) {
    for (let b = 7; b >= 0; b--) {
      const c = (bits >>> b) & 1 ? fg : bg;
      out[d++] = c;
      out[d++] = c;
    }
    return;
  }
  for (let b = 7; b >= 0; b--) out[d++] = (bits >>> b) & 1 ? fg : bg;
  if (cw === 9) out[d] = dup9 && bits & 1 ? fg : bg;
}

export interface TextGeometry {
  cols: number;
  rows: number;
  charWidth: number;
  charHeight: number;
}

export function textGeometry(vga: Vga): TextGeometry {
  const { cr } = vga;
  const sr01 = vga.srVbe[R.SEQ_CLOCK_MODE];
  const charHeight = (cr[R.CRTC_MAX_SCAN] & 0x1f) + 1;
  let charWidth = sr01 & R.SR01_CHAR_CLK_8DOTS ? 8 : 9;
  if (sr01 & R.SR01_DOUBLE_WIDTH) charWidth = 16;
  const cols = cr[R.CRTC_H_DISP] + 1;
  let rows: number;
  if (cr[0x06] === 100) {
    rows = 100; // QEMU's special case for the CGA 160x100x16 trick (vertical total 100)
  } else {
    const lines = cr[R.CRTC_V_DISP_END] | ((cr[R.CRTC_OVERFLOW] & 0x02) << 7) | ((cr[R.CRTC_OVERFLOW] & 0x40) << 3);
    rows = Math.floor((lines + 1) / charHeight);
  }
  return { cols, rows, charWidth, charHeight };
}

export function graphicsResolution(vga: Vga): [number, number] {
  if (vga.vbeEnabled) return [vga.vbeRegs[R.VBE_INDEX_XRES], vga.vbeRegs[R.VBE_INDEX_YRES]];
  const cr = vga.cr;
  const lines = cr[R.CRTC_V_DISP_END] | ((cr[R.CRTC_OVERFLOW] & 0x02) << 7) | ((cr[R.CRTC_OVERFLOW] & 0x40) << 3);
  return [(cr[R.CRTC_H_DISP] + 1) * 8, lines + 1];
}

/** Byte offsets in VRAM of the two fonts the character map select register chooses (plane 2). */
export function fontOffsets(charMap: number): [number, number] {
  const a = ((charMap >>> 4) & 1) | ((charMap << 1) & 6);
  const b = ((charMap >>> 5) & 1) | ((charMap >>> 1) & 6);
  return [a * 8192 * 4 + 2, b * 8192 * 4 + 2];
}
