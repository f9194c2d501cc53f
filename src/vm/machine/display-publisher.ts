// The worker's side of the shared display: 500 times a virtual second, if the main
// thread has handed the buffer over (it wants a frame), copies what changed on the VGA
// since the last frame (dirty text rows or scanlines, cursor, palette, mode) into the
// shared buffer and hands it back. Nothing is copied while the main thread still owns the
// buffer or when nothing changed; the VGA's own dirty hints keep accumulating meanwhile.

import type { DisplaySource, Framebuffer, TextScreen } from '../../tui/front-end-ports.js';
import type { Clock } from './clock.js';
import * as S from './shared-display.js';

/**
 * Checked at 500 Hz: a key's echo reaches the front end within 2 ms of the guest drawing it, in
 * the same stretch of CPU time the host gives this thread (at 125 Hz a loaded host often
 * descheduled it before the next check: echo p95 30-45 ms against 14-23 ms at 500 Hz). A halted
 * guest pays for it with about 1% more of a core (3.6-4.0% against 2.4-2.6%).
 */
export const PUBLISH_PERIOD_NS = 2e6;

export class DisplayPublisher {
  private readonly views: S.SharedDisplayViews;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly source: DisplaySource,
    clock?: Clock,
    /** The CPU's instruction counter, for the status line's MIPS. */
    instructions: () => number = () => 0,
  ) {
    this.views = new S.SharedDisplayViews(buffer);
    if (!clock) return;
    const timer = clock.newTimer((now) => {
      Atomics.store(this.views.header, S.INSTRUCTIONS, instructions() % 2 ** 32);
      this.publish();
      timer.arm(now + PUBLISH_PERIOD_NS);
    });
    timer.arm(clock.now() + PUBLISH_PERIOD_NS);
  }

  /** Publishes a frame if the main thread asked for one and something changed; returns whether it did. */
  publish(): boolean {
    const h = this.views.header;
    if (Atomics.load(h, S.OWNER) !== S.OWNED_BY_WORKER) return false;
    const screen = this.source.current();
    const changed = screen === null ? this.setShape(S.KIND_NONE, 0, 0) : screen.kind === 'text' ? this.publishText(screen) : this.publishGraphics(screen);
    if (!changed) return false;
    Atomics.add(h, S.GENERATION, 1);
    Atomics.store(h, S.OWNER, S.OWNED_BY_MAIN);
    Atomics.notify(h, S.OWNER);
    return true;
  }

  /** Records the mode and size; returns true (everything must be copied) when they changed. */
  private setShape(kind: number, width: number, height: number): boolean {
    const h = this.views.header;
    if (h[S.KIND] === kind && h[S.WIDTH] === width && h[S.HEIGHT] === height) return false;
    h[S.KIND] = kind;
    h[S.WIDTH] = width;
    h[S.HEIGHT] = height;
    return true;
  }

  private setWord(index: number, value: number): boolean {
    const h = this.views.header;
    if (h[index] === (value | 0)) return false;
    h[index] = value;
    return true;
  }

  private publishText(t: TextScreen): boolean {
    const columns = t.columns;
    const rows = Math.min(t.rows, S.MAX_LINES, columns > 0 ? Math.floor(S.TEXT_CAPACITY / columns) : 0);
    const all = this.setShape(S.KIND_TEXT, columns, rows);
    let changed = all;
    const { cells, dirty } = this.views;
    const rowDirty = t.dirtyRows;
    for (let r = 0; r < rows; r++) {
      if (!all && rowDirty && !rowDirty[r]) continue;
      cells.set(t.cells.subarray(r * columns, (r + 1) * columns), r * columns);
      dirty[r] = 1;
      changed = true;
    }
    rowDirty?.fill(0);
    const c = t.cursor;
    // Bitwise | so every field is compared and stored, not just up to the first change.
    changed = (
      +this.setWord(S.CURSOR_COLUMN, c.column) | +this.setWord(S.CURSOR_ROW, c.row) | +this.setWord(S.CURSOR_VISIBLE, +c.visible) |
      +this.setWord(S.CURSOR_START, c.startLine) | +this.setWord(S.CURSOR_END, c.endLine) | +this.setWord(S.CELL_HEIGHT, t.cellHeight) |
      +this.setWord(S.BLINK, +t.blinkEnabled) | +changed
    ) !== 0;
    for (let i = 0; i < 16; i++) if (this.setWord(S.PALETTE + i, t.palette[i])) changed = true;
    return changed;
  }

  private publishGraphics(fb: Framebuffer): boolean {
    if (fb.format !== 'xrgb8888') throw new Error(`shared display: unsupported pixel format ${fb.format}`);
    const width = fb.width;
    const height = Math.min(fb.height, S.MAX_LINES, width > 0 ? Math.floor(S.PIXEL_CAPACITY / width) : 0);
    const all = this.setShape(S.KIND_GRAPHICS, width, height);
    let changed = all;
    const { pixels, dirty } = this.views;
    const src = fb.pixels as Uint32Array, lineDirty = fb.dirtyLines;
    for (let y = 0; y < height; y++) {
      if (!all && lineDirty && !lineDirty[y]) continue;
      pixels.set(src.subarray(y * fb.stride, y * fb.stride + width), y * width);
      dirty[y] = 1;
      changed = true;
    }
    lineDirty?.fill(0);
    return changed;
  }
}
