// How the x87 snippets are assembled and compared; shared by the FPU-only and the CPU runs.

import { CODE_BASE } from './native-host.js';
import type { CompareOptions } from './compare-states.js';
import type { Snippet } from './x87-snippets.js';

/** nasm source: an entry table (`dd` per snippet) followed by the snippets, each ending in HLT. */
export function x87SnippetSource(snippets: readonly Snippet[]): string {
  const lines = ['bits 32', `org 0x${CODE_BASE.toString(16)}`];
  lines.push(...snippets.map((_, i) => `dd s${i}`));
  snippets.forEach((s, i) => lines.push(`s${i}:`, s.body, 'hlt'));
  return lines.join('\n') + '\n';
}

/** FCOMI writes ZF PF CF and clears OF SF AF: those six EFLAGS bits are compared. */
export function x87CompareOptions(s: Snippet): CompareOptions {
  return { eflagsMask: 0x8d5, fpu: true, tolerance: s.tolerance, approxSlots: s.approxSlots, ignoreData: s.ignoreData };
}
