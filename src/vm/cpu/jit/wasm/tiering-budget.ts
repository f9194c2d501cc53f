// V8 runs a wasm function in its baseline code (Liftoff) and optimises it with TurboFan once
// it has run about `--wasm-tiering-budget` bytes' worth of code (default 1.8 MB). A function's
// budget is the flag's value when its module is compiled (`new WebAssembly.Module`), not when
// it is instantiated, so each region's module is compiled under its own budget. Flags are
// process-wide: one thread at a time compiles region modules (the translate worker, or the VM
// thread without it).

import { setFlagsFromString } from 'node:v8';
import { KEY_CPL3 } from '../mode-key.js';

/**
 * Kernel (CPL 0-2) regions. At V8's default nearly every region of a Linux boot was optimised
 * (~40 s of background compiling on the 2 cores the VM thread shares); at 100 M ~770 regions
 * in ~10.4 s, which kept the second core full in kernel init and the VM thread waiting ~2 s
 * for it. At 1,000 M: ~270 regions in ~3.9 s, the VM thread waiting ~0.4–0.7 s (alternated
 * boots, four pairs each: 500 M 17.9 s against 19.8 s at 100 M; 1,000 M faster than 500 M
 * in all four; 2,000 M no better).
 */
export const KERNEL_TIERING_BUDGET = 1_000_000_000;

/**
 * User (CPL 3) regions and the hub: a process's hot loops run long and pay back TurboFan's
 * time; at the kernel's budget the benchmark's workload stage (a shell loop, SHA-256) fell
 * behind. Seven alternated pairs against 1,000 M for every region: workload stage 4.92 s
 * mean against 5.31 s (faster in five), boot+workload 19.5 s against 19.9 s.
 */
export const USER_TIERING_BUDGET = 100_000_000;

/** The budget for a region compiled under mode key `key`. */
export function tieringBudget(key: number): number {
  return key & KEY_CPL3 ? USER_TIERING_BUDGET : KERNEL_TIERING_BUDGET;
}

/** Makes `budget` the tier-up budget of the modules compiled next. */
export function useTieringBudget(budget: number): void {
  setFlagsFromString(`--wasm-tiering-budget=${budget}`);
}
