// Why a region returned: the value of RegionFunction (region-compiler.ts). Its own module, so
// the translate worker's translator can name them without loading the CPU.

/** Why a region returned (cpu.eip always holds the next instruction to run). */
export const EXIT_BRANCH = 0;
export const EXIT_BUDGET = 1;
/** After an interpreted instruction: halt, interrupt window, mode or mapping change, exit request. */
export const EXIT_EVENT = 2;
/** A store in the region hit a page with compiled code, this region's own included. */
export const EXIT_INVALIDATED = 3;
/**
 * A wasm region's instruction faulted (an import caught FAULT; CELL_FAULTED): its state is
 * written back as a JavaScript region's catch would, and the back end throws FAULT on.
 */
export const EXIT_FAULT = 4;
