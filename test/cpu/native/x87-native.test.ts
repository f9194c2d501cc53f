// termu's x87/MMX unit against the host's real FPU: every snippet of x87-snippets.ts runs
// natively (32-bit process) and on the X87 alone (x87-direct.ts); final FPU state, EFLAGS
// (FCOMI), registers (FNSTSW AX, MOVD) and the data window must match.

import test from 'node:test';
import assert from 'node:assert/strict';
import { DATA_BASE, NativeHost, entryTable, nativeUnavailable, type CaseInput } from './native-host.js';
import { x87Data, x87Snippets, OUT, type Snippet } from './x87-snippets.js';
import { runDirect } from './x87-direct.js';
import { compareStates } from './compare-states.js';
import { x87SnippetSource, x87CompareOptions } from './x87-cases.js';
import { randomMmxSequences, randomX87Sequences } from './random-x87.js';

const why = nativeUnavailable();

test('x87 and MMX snippets and seeded random sequences match the host FPU (FPU driven directly)', { skip: why ?? false }, () => {
  const host = new NativeHost();
  try {
    const snippets: Snippet[] = [...x87Snippets(1234), ...randomX87Sequences(777, 1500), ...randomMmxSequences(778, 500)];
    const code = host.assemble(x87SnippetSource(snippets));
    const data = x87Data(99);
    const entries = entryTable(code, snippets.length);
    const cases: CaseInput[] = snippets.map((_, i) => ({
      regs: [0x12345678, 0, 0, 0, DATA_BASE + 0xf00, 0, 0, 0],
      eflags: 0x202 | [0, 0x01, 0x40, 0x04, 0x41, 0x45][i % 6],
      eip: entries[i],
    }));
    const native = host.run(code, data, cases);
    const failures: string[] = [];
    for (let i = 0; i < snippets.length; i++) {
      const emu = runDirect(code, data, cases[i]);
      const diff = compareStates(native[i], emu, x87CompareOptions(snippets[i]));
      if (diff.length) failures.push(`${snippets[i].name}:\n  ${snippets[i].body.replace(/\n/g, '; ')}\n  ${diff.join('\n  ')}`);
    }
    assert.equal(failures.length, 0, `${failures.length} of ${snippets.length} snippets differ (output area at ${(DATA_BASE + OUT).toString(16)}):\n${failures.slice(0, 25).join('\n')}`);
  } finally {
    host.dispose();
  }
});
