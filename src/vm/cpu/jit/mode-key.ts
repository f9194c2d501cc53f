// The CPU-state bits that change how code at one address decodes or may be compiled
// (QEMU's TB flags, v86's state_flags). Compiled code is valid only under the key it was
// compiled for; a different key means another variant, never "run it anyway".

import type { Cpu } from '../cpu.js';
import { ES, CS, SS, DS } from '../constants.js';
import { TF } from '../flags.js';

export const KEY_CODE32 = 1;
export const KEY_STACK32 = 2;
export const KEY_CPL3 = 4;
/** ES, CS, SS and DS have base 0 and 4 GiB limits: memory operands skip segment arithmetic. */
export const KEY_FLAT = 8;
export const KEY_PE = 16;
export const KEY_VM86 = 32;
/** Single-stepping: never compiled (the interpreter traps after each instruction). */
export const KEY_TF = 64;

const FULL = 0xffffffff;

function flatData(c: Cpu, s: number): boolean {
  return c.segBase[s] === 0 && c.segLo[s] === 0 && c.segRHi[s] === FULL && c.segWHi[s] === FULL;
}

export function isFlat(c: Cpu): boolean {
  return flatData(c, ES) && flatData(c, SS) && flatData(c, DS) && c.segBase[CS] === 0 && c.segLimit[CS] === FULL;
}

export function modeKey(c: Cpu): number {
  return (c.code32 ? KEY_CODE32 : 0) | (c.stack32 ? KEY_STACK32 : 0) | (c.cpl === 3 ? KEY_CPL3 : 0) |
    (isFlat(c) ? KEY_FLAT : 0) | (c.protectedMode ? KEY_PE : 0) | (c.v86 ? KEY_VM86 : 0) |
    ((c.lf.flags & TF) !== 0 ? KEY_TF : 0);
}
