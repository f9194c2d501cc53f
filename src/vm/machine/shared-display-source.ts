// The main thread's side of the shared display: a DisplaySource for the terminal UI. When the
// worker has published a frame, current() copies the changed rows or scanlines into private
// buffers (so the UI never reads memory the worker writes), hands the buffer back to the
// worker for the next frame, and returns the private copy. `onUpdate` fires as soon as the
// worker publishes, so the UI can draw without waiting for its polling interval.

import type { DisplaySource, Framebuffer, TextScreen } from '../../tui/front-end-ports.js';
import * as S from './shared-display.js';
import { MutableFramebuffer } from '../devices/vga/vga-display.js';

class SnapshotText implements TextScreen {
  readonly kind = 'text';
  columns = 0;
  rows = 0;
  cells = new Uint16Array(0);
  readonly cursor = { column: 0, row: 0, visible: false, startLine: 0, endLine: 0 };
  cellHeight = 16;
  readonly palette = new Uint32Array(16);
  blinkEnabled = false;
  dirtyRows = new Uint8Array(0);
}

type AsyncWait = (array: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };

export class SharedDisplaySource implements DisplaySource {
  /** Called when a new frame is waiting (set by the front end). */
  onUpdate: () => void = () => {};
  private readonly views: S.SharedDisplayViews;
  private readonly text = new SnapshotText();
  private readonly frame = new MutableFramebuffer();
  private screen: TextScreen | Framebuffer | null = null;
  private generation = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.views = new S.SharedDisplayViews(buffer);
    this.watch();
  }

  /** The guest's instruction counter, low 32 bits (the status line's MIPS). */
  instructions(): number {
    return Atomics.load(this.views.header, S.INSTRUCTIONS) >>> 0;
  }

  /** Frames taken so far (tests and the benchmark). */
  get frames(): number {
    return this.generation;
  }

  current(): TextScreen | Framebuffer | null {
    const h = this.views.header;
    if (Atomics.load(h, S.OWNER) === S.OWNED_BY_MAIN) {
      this.take();
      Atomics.store(h, S.OWNER, S.OWNED_BY_WORKER);
      this.watch();
    }
    return this.screen;
  }

  private watch(): void {
    const wait = (Atomics as unknown as { waitAsync: AsyncWait }).waitAsync(this.views.header, S.OWNER, S.OWNED_BY_WORKER);
    if (wait.async) void (wait.value as Promise<string>).then(() => this.onUpdate());
    else queueMicrotask(() => this.onUpdate());
  }

  private take(): void {
    const { header: h, dirty } = this.views;
    this.generation = h[S.GENERATION];
    const kind = h[S.KIND], width = h[S.WIDTH], height = h[S.HEIGHT];
    if (kind === S.KIND_TEXT) this.takeText(width, height);
    else if (kind === S.KIND_GRAPHICS) this.takeGraphics(width, height);
    else this.screen = null;
    dirty.fill(0, 0, height);
  }

  private takeText(columns: number, rows: number): void {
    const t = this.text, { header: h, dirty, cells } = this.views;
    if (t.columns !== columns || t.rows !== rows) {
      t.columns = columns;
      t.rows = rows;
      t.cells = new Uint16Array(columns * rows);
      t.dirtyRows = new Uint8Array(rows);
    }
    for (let r = 0; r < rows; r++) {
      if (!dirty[r]) continue;
      t.cells.set(cells.subarray(r * columns, (r + 1) * columns), r * columns);
      t.dirtyRows[r] = 1;
    }
    const c = t.cursor;
    c.column = h[S.CURSOR_COLUMN];
    c.row = h[S.CURSOR_ROW];
    c.visible = h[S.CURSOR_VISIBLE] !== 0;
    c.startLine = h[S.CURSOR_START];
    c.endLine = h[S.CURSOR_END];
    t.cellHeight = h[S.CELL_HEIGHT];
    t.blinkEnabled = h[S.BLINK] !== 0;
    for (let i = 0; i < 16; i++) t.palette[i] = h[S.PALETTE + i] >>> 0;
    this.screen = t;
  }

  private takeGraphics(width: number, height: number): void {
    const f = this.frame, { dirty, pixels } = this.views;
    if (f.width !== width || f.height !== height) {
      f.width = f.stride = width;
      f.height = height;
      f.pixels = new Uint32Array(width * height);
      f.dirtyLines = new Uint8Array(height);
    }
    for (let y = 0; y < height; y++) {
      if (!dirty[y]) continue;
      f.pixels.set(pixels.subarray(y * width, (y + 1) * width), y * width);
      f.dirtyLines[y] = 1;
    }
    this.screen = f;
  }
}
