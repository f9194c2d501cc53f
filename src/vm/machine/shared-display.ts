// The guest's screen shared between the worker (which owns the VGA) and the main thread
// (which draws it): one SharedArrayBuffer holding a header, per-row dirty flags, the text
// cells and the xRGB framebuffer. Ownership passes back and forth through one word, so
// neither side ever reads what the other is writing: the main thread hands the buffer to
// the worker when it wants a new frame; the worker writes only what changed, hands it back
// and notifies. No frame is ever posted as a message.

/** Header words (Int32). */
export const OWNER = 0;
export const GENERATION = 1;
export const KIND = 2;
export const WIDTH = 3;
export const HEIGHT = 4;
export const CURSOR_COLUMN = 5;
export const CURSOR_ROW = 6;
export const CURSOR_VISIBLE = 7;
export const CURSOR_START = 8;
export const CURSOR_END = 9;
export const CELL_HEIGHT = 10;
export const BLINK = 11;
/** The guest's instruction count (low 32 bits), refreshed whether or not a frame is published: the MIPS figure. */
export const INSTRUCTIONS = 12;
/** 16 words: the text attribute palette as 0xRRGGBB. */
export const PALETTE = 16;
const HEADER_WORDS = 32;

/** OWNER values: who may touch the data now. */
export const OWNED_BY_MAIN = 0;
export const OWNED_BY_WORKER = 1;

/** KIND values. */
export const KIND_NONE = 0;
export const KIND_TEXT = 1;
export const KIND_GRAPHICS = 2;

/** Rows (text) or scanlines (graphics) that can be flagged dirty; also the height limit. */
export const MAX_LINES = 4096;
/** Text cells: more than any VGA text mode (132×60, or what odd CRTC values give). */
export const TEXT_CAPACITY = 1 << 16;
/** Bochs VBE's largest mode, 2560×1600. */
export const PIXEL_CAPACITY = 2560 * 1600;

const DIRTY_OFFSET = HEADER_WORDS * 4;
const CELLS_OFFSET = DIRTY_OFFSET + MAX_LINES;
const PIXELS_OFFSET = CELLS_OFFSET + TEXT_CAPACITY * 2;
const TOTAL_BYTES = PIXELS_OFFSET + PIXEL_CAPACITY * 4;

/** Typed views of one shared display buffer. */
export class SharedDisplayViews {
  readonly header: Int32Array;
  readonly dirty: Uint8Array;
  readonly cells: Uint16Array;
  readonly pixels: Uint32Array;

  /** A new buffer, owned by the worker (the main thread wants a first frame). */
  static create(): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(TOTAL_BYTES);
    new Int32Array(buffer, 0, HEADER_WORDS)[OWNER] = OWNED_BY_WORKER;
    return buffer;
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_WORDS);
    this.dirty = new Uint8Array(buffer, DIRTY_OFFSET, MAX_LINES);
    this.cells = new Uint16Array(buffer, CELLS_OFFSET, TEXT_CAPACITY);
    this.pixels = new Uint32Array(buffer, PIXELS_OFFSET, PIXEL_CAPACITY);
  }
}
