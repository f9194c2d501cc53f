// The part of the CPU (src/vm/cpu/cpu.ts) the board, run loop and loaders use. Tests may
// put a stand-in behind it; the real machine always uses Cpu.

export interface BoardSegment {
  selector: number;
  base: number;
  limit: number;
  flags: number;
}

export interface BoardCpu {
  reset(): void;
  run(budget: number): number;
  halted: boolean;
  requestExit(): void;
  setA20(enabled: boolean): void;
  instructionCount: number;
  readonly reg32: Int32Array;
  eip: number;
  getEflags(): number;
  setEflags(v: number): void;
  getSegment(i: number): BoardSegment;
  loadSegmentCache(i: number, selector: number, base: number, limit: number, flags: number): void;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  gdtr: { base: number; limit: number };
  idtr: { base: number; limit: number };
}

/** Segment register indexes (x86 encoding, then LDTR and TR). */
export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;

/** Flat 4 GiB descriptors' flags (bits 40-55 in place): 32-bit code (execute/read, accessed) and data (read/write, accessed). */
export const FLAT_CODE32_FLAGS = 0x00cf9b00;
export const FLAT_DATA32_FLAGS = 0x00cf9300;

/** Puts the CPU in 32-bit protected mode with flat segments (what Linux's and Multiboot's entry conventions ask for). */
export function enterFlatProtectedMode(cpu: BoardCpu, codeSelector: number, dataSelector: number, gdtBase: number, gdtLimit: number): void {
  cpu.gdtr = { base: gdtBase, limit: gdtLimit };
  cpu.cr0 = (cpu.cr0 | 1) & ~0x80000000;
  cpu.loadSegmentCache(SEG_CS, codeSelector, 0, 0xffffffff, FLAT_CODE32_FLAGS);
  for (const s of [SEG_ES, SEG_SS, SEG_DS, SEG_FS, SEG_GS]) cpu.loadSegmentCache(s, dataSelector, 0, 0xffffffff, FLAT_DATA32_FLAGS);
  cpu.setEflags(0x2);
}
