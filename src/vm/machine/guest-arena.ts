// One block of host memory for everything compiled guest code touches: the eight
// registers, the lazy flags while a region runs, a few cells a region shares with the run
// loop, the parity table, the software TLB's two tables, the code-page table and guest RAM.
// It is a WebAssembly.Memory, so WebAssembly regions (jit/wasm/) read and write the same
// bytes the interpreter sees through its typed-array views, at fixed offsets; where wasm is
// unavailable or RAM does not fit in its 4 GiB, it is a plain ArrayBuffer with the same layout.

/** Byte offsets in the arena. */
export const ARENA_REGS = 0;
/** LazyFlags' seven fields (flags, lazyMask, lazyKind, lazyA, lazyB, lazyR, lazyTop) while a wasm region runs. */
export const ARENA_FLAGS = 32;
/** Cells shared with the run loop (int32 each); see CELL_*. */
export const ARENA_CELLS = 64;
/** Cpu.segBase, and which accesses through each segment need no limit check (SEG_OPEN_*): wasm regions read both for FS and GS. */
export const ARENA_SEG_BASE = 128;
export const ARENA_SEG_OPEN = 160;
/** A segment's reads (writes) are valid at every offset: no limit to check, only the 4 GiB wrap. */
export const SEG_OPEN_READ = 1, SEG_OPEN_WRITE = 2;
export const ARENA_PARITY = 256;
export const ARENA_TLB_READ = 0x10000;
export const ARENA_TLB_WRITE = ARENA_TLB_READ + (4 << 20);
export const ARENA_CODE_PAGES = ARENA_TLB_WRITE + (4 << 20);
/**
 * The run loop's lookup memo, read by the wasm hub to chain regions: MEMO_SLOTS entries of
 * MEMO_FIELDS words (phys, EIP, mode key, table slot), one entry in one cache line.
 */
export const ARENA_MEMO = ARENA_CODE_PAGES + (1 << 20);
export const MEMO_BITS = 14;
export const MEMO_SLOTS = 1 << MEMO_BITS;
export const MEMO_FIELDS = 4;
export const MEMO_PHYS = 0, MEMO_EIP = 1, MEMO_KEY = 2, MEMO_SLOT = 3;
/**
 * The MEMO_SLOT word: a wasm region's table slot in its low MEMO_CASE_SHIFT bits and the
 * index of the region's case for that EIP above them (the region starts there without
 * searching its block starts); -1 for a JavaScript region.
 */
export const MEMO_CASE_SHIFT = 24;
export const ARENA_RAM = ARENA_MEMO + 4 * MEMO_FIELDS * MEMO_SLOTS;

/** The cells, as int32 indices from ARENA_CELLS. */
export const CELL_EIP = 0;
export const CELL_START_EIP = 1;
export const CELL_START_ESP = 2;
export const CELL_CODE32 = 3;
/** 1 while an interpreted instruction runs with the region's state written back. */
export const CELL_SYNCED = 4;
export const CELL_CUR = 5;
export const CELL_K = 6;
export const CELL_DONE = 7;
/** Instructions of the regions a wasm chain has finished so far. */
export const CELL_TOTAL = 8;
/** Set by MMIO accesses: a device may have raised an interrupt, so the chain stops. */
export const CELL_NO_CHAIN = 9;
/** Region entries the hub made without returning to JavaScript. */
export const CELL_CHAINED = 10;
/** Set by an import that caught a fault (FAULT): the wasm region leaves with EXIT_FAULT. */
export const CELL_FAULTED = 11;

const WASM_PAGE = 0x10000;
const MAX_WASM_PAGES = 65536;

export class GuestArena {
  /** Null when the arena is a plain ArrayBuffer (no wasm regions then). */
  readonly memory: WebAssembly.Memory | null;
  readonly buffer: ArrayBuffer;
  readonly regs: Int32Array;
  readonly flags: Int32Array;
  readonly cells: Int32Array;
  readonly segBase: Int32Array;
  readonly segOpen: Int32Array;
  readonly parity: Uint8Array;
  readonly tlbRead: Int32Array;
  readonly tlbWrite: Int32Array;
  readonly codePages: Uint8Array;
  readonly memo: Int32Array;
  readonly ram: Uint8Array;

  constructor(ramSize: number) {
    const pages = Math.ceil((ARENA_RAM + ramSize) / WASM_PAGE);
    this.memory = pages <= MAX_WASM_PAGES ? tryWasmMemory(pages) : null;
    this.buffer = this.memory ? this.memory.buffer : new ArrayBuffer(pages * WASM_PAGE);
    this.regs = new Int32Array(this.buffer, ARENA_REGS, 8);
    this.flags = new Int32Array(this.buffer, ARENA_FLAGS, 7);
    this.cells = new Int32Array(this.buffer, ARENA_CELLS, 16);
    this.segBase = new Int32Array(this.buffer, ARENA_SEG_BASE, 8);
    this.segOpen = new Int32Array(this.buffer, ARENA_SEG_OPEN, 8);
    this.parity = new Uint8Array(this.buffer, ARENA_PARITY, 256);
    this.tlbRead = new Int32Array(this.buffer, ARENA_TLB_READ, 1 << 20);
    this.tlbWrite = new Int32Array(this.buffer, ARENA_TLB_WRITE, 1 << 20);
    this.codePages = new Uint8Array(this.buffer, ARENA_CODE_PAGES, 1 << 20);
    this.memo = new Int32Array(this.buffer, ARENA_MEMO, MEMO_FIELDS * MEMO_SLOTS);
    this.ram = new Uint8Array(this.buffer, ARENA_RAM, ramSize);
  }
}

/** A memory of `pages`, or null when the host refuses one (address space exhausted, no wasm). */
function tryWasmMemory(pages: number): WebAssembly.Memory | null {
  try {
    return typeof WebAssembly === 'object' ? new WebAssembly.Memory({ initial: pages, maximum: pages }) : null;
  } catch {
    return null;
  }
}
