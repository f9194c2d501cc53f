// Draws a graphics framebuffer into a rectangle of the cell grid as half-block cells: each cell
// shows two pixels with ▀ (foreground = upper, background = lower). The framebuffer is scaled
// to fit the rectangle (never enlarged) keeping its aspect ratio, with square half-block pixels.
// Target pixel (i, j) of a W'×H' image is the average of the source box
//   columns floor(i·W/W') … floor((i+1)·W/W')−1, rows floor(j·H/H') … floor((j+1)·H/H')−1,
// rounded to nearest per channel. Only boxes whose source scanlines changed are recomputed.
import type { CellGrid } from './cell-grid.js';
import type { Framebuffer } from './front-end-ports.js';
import type { Rect } from './text-display.js';

const UPPER_HALF_BLOCK = 0x2580;
/** The most pixels whose channels can be summed packed (255 × 257 < 2^16). */
const PACKED_RUN = 257;

/** The half-block image size (in pixels: width = cells, height = 2 × cells) for a framebuffer. */
export function halfBlockSize(fbWidth: number, fbHeight: number, area: Rect): { width: number; height: number } {
  const scale = Math.min(1, area.width / fbWidth, (2 * area.height) / fbHeight);
  const width = Math.max(1, Math.min(area.width, Math.floor(fbWidth * scale)));
  let height = Math.max(2, Math.floor(fbHeight * scale));
  height -= height & 1;
  return { width, height: Math.min(height, 2 * area.height) };
}

export class GraphicsDisplay {
  private srcWidth = 0;
  private srcHeight = 0;
  private width = 0;
  private height = 0;
  private colBounds = new Int32Array(0);
  private rowBounds = new Int32Array(0);
  /** The target image, 0xRRGGBB per half-block pixel. */
  private image = new Uint32Array(0);
  private row = new Uint32Array(0);
  private sumR = new Int32Array(0);
  private sumG = new Int32Array(0);
  private sumB = new Int32Array(0);
  private valid = false;

  /** Forces every box to be recomputed on the next draw. */
  invalidate(): void { this.valid = false; }

  /** Draws `fb` into `rect`; returns true if any target pixel was recomputed. */
  draw(grid: CellGrid, rect: Rect, fb: Framebuffer): boolean {
    const size = halfBlockSize(fb.width, fb.height, rect);
    if (size.width !== this.width || size.height !== this.height || fb.width !== this.srcWidth || fb.height !== this.srcHeight) {
      this.layout(fb.width, fb.height, size.width, size.height);
    }
    const dirty = this.valid ? fb.dirtyLines : undefined;
    let changed = false;
    for (let j = 0; j < this.height; j++) {
      const y0 = this.rowBounds[j], y1 = this.rowBounds[j + 1];
      if (this.valid && dirty) {
        let any = false;
        for (let y = y0; y < y1; y++) if (dirty[y]) { any = true; break; }
        if (!any) continue;
      }
      this.averageRow(fb, j, y0, y1);
      changed = true;
    }
    fb.dirtyLines?.fill(0);
    this.valid = true;
    this.paint(grid, rect);
    return changed;
  }

  /** The computed half-block pixel colour (tests). */
  pixel(i: number, j: number): number { return this.image[j * this.width + i]; }
  get imageWidth(): number { return this.width; }
  get imageHeight(): number { return this.height; }

  private layout(srcWidth: number, srcHeight: number, width: number, height: number): void {
    this.srcWidth = srcWidth; this.srcHeight = srcHeight; this.width = width; this.height = height;
    this.colBounds = new Int32Array(width + 1);
    for (let i = 0; i <= width; i++) this.colBounds[i] = Math.floor((i * srcWidth) / width);
    this.rowBounds = new Int32Array(height + 1);
    for (let j = 0; j <= height; j++) this.rowBounds[j] = Math.floor((j * srcHeight) / height);
    this.image = new Uint32Array(width * height);
    this.row = new Uint32Array(srcWidth);
    this.sumR = new Int32Array(width);
    this.sumG = new Int32Array(width);
    this.sumB = new Int32Array(width);
    this.valid = false;
  }

  private loadRow(fb: Framebuffer, y: number): Uint32Array {
    const row = this.row, w = fb.width, base = y * fb.stride;
    if (fb.format === 'xrgb8888') {
      const px = fb.pixels as Uint32Array;
      for (let x = 0; x < w; x++) row[x] = px[base + x] & 0xffffff;
    } else if (fb.format === 'rgb565') {
      const px = fb.pixels as Uint16Array;
      for (let x = 0; x < w; x++) {
        const p = px[base + x];
        const r = (p >> 11) & 31, g = (p >> 5) & 63, b = p & 31;
        row[x] = (((r << 3) | (r >> 2)) << 16) | (((g << 2) | (g >> 4)) << 8) | ((b << 3) | (b >> 2));
      }
    } else {
      const px = fb.pixels as Uint8Array, pal = fb.palette!;
      for (let x = 0; x < w; x++) row[x] = pal[px[base + x]] & 0xffffff;
    }
    return row;
  }

  private averageRow(fb: Framebuffer, j: number, y0: number, y1: number): void {
    const { sumR, sumG, sumB, colBounds, width } = this;
    sumR.fill(0); sumG.fill(0); sumB.fill(0);
    const direct = fb.format === 'xrgb8888';
    for (let y = y0; y < y1; y++) {
      // xRGB rows are read in place; other formats are converted into a row buffer first.
      const row = direct ? (fb.pixels as Uint32Array) : this.loadRow(fb, y);
      let x = direct ? y * fb.stride : 0;
      for (let i = 0; i < width; i++) {
        // Red and blue add up side by side in one integer (16 bits each), green alone: two adds
        // per pixel. Runs of up to 257 pixels cannot carry from blue into red.
        let r = 0, g = 0, b = 0;
        for (let left = colBounds[i + 1] - colBounds[i]; left > 0; left -= PACKED_RUN) {
          const end = x + (left < PACKED_RUN ? left : PACKED_RUN);
          let rb = 0, gg = 0;
          for (; x < end; x++) {
            const p = row[x];
            rb += p & 0xff00ff;
            gg += p & 0xff00;
          }
          r += rb >>> 16; b += rb & 0xffff; g += gg >>> 8;
        }
        sumR[i] += r; sumG[i] += g; sumB[i] += b;
      }
    }
    const image = this.image, base = j * width, rows = y1 - y0;
    for (let i = 0; i < width; i++) {
      const n = (colBounds[i + 1] - colBounds[i]) * rows, half = n >> 1;
      image[base + i] = ((((sumR[i] + half) / n) | 0) << 16) | ((((sumG[i] + half) / n) | 0) << 8) | (((sumB[i] + half) / n) | 0);
    }
  }

  private paint(grid: CellGrid, rect: Rect): void {
    const cellsW = this.width, cellsH = this.height >> 1, image = this.image;
    const ox = rect.x + ((rect.width - cellsW) >> 1), oy = rect.y + ((rect.height - cellsH) >> 1);
    grid.fill(rect.x, rect.y, rect.width, rect.height, 0x20, 0, 0, 0);
    const { chars, fg, bg, columns } = grid;
    const x0 = Math.max(0, ox), x1 = Math.min(columns, ox + cellsW), y1 = Math.min(grid.rows, oy + cellsH);
    for (let cy = Math.max(0, oy); cy < y1; cy++) {
      const top = 2 * (cy - oy) * cellsW - ox, bottom = top + cellsW, line = cy * columns;
      for (let x = x0; x < x1; x++) {
        chars[line + x] = UPPER_HALF_BLOCK;
        fg[line + x] = image[top + x];
        bg[line + x] = image[bottom + x];
      }
    }
  }
}
