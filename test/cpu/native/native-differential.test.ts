// Host-native differential tests of termu's CPU, the way v86 checks itself: every snippet
// (integer instruction set, seeded random sequences, x87 and MMX) runs natively as a
// 32-bit Linux process and in termu's Cpu; registers, EFLAGS (minus the flags the SDM
// leaves undefined), the exception taken, the data window and the FPU state must match.

import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DATA_BASE, NativeHost, entryTable, nativeUnavailable, type CaseInput, type MachineState } from './native-host.js';
import { EmulatedMachine, FRAME_BYTES, loadCpu } from './emulated-cpu.js';
import { compareStates, type CompareOptions } from './compare-states.js';
import { INT_STACK_TOP, integerData, integerSnippets, rng, type IntSnippet } from './integer-snippets.js';
import { randomSequences } from './random-sequences.js';
import { x87Data, x87Snippets } from './x87-snippets.js';
import { x87CompareOptions, x87SnippetSource } from './x87-cases.js';
import { randomMmxSequences, randomX87Sequences } from './random-x87.js';

const Cpu = await loadCpu();
const skip = nativeUnavailable() ?? (Cpu ? false : 'src/vm/cpu/cpu.ts does not exist yet: the CPU side of the differential tests waits for it');

interface Suite<S> {
  snippets: readonly S[];
  source: string;
  data: Uint8Array;
  cases: (entries: number[]) => { snippet: number; input: CaseInput }[];
  options: (s: S) => CompareOptions;
  describe: (s: S) => string;
}

/** Runs a suite natively and in termu; any difference fails, listing the snippets. */
function runSuite<S>(t: TestContext, label: string, suite: Suite<S>): void {
  const host = new NativeHost();
  const machine = new EmulatedMachine(Cpu!);
  try {
    const code = host.assemble(suite.source);
    machine.loadCode(code);
    const cases = suite.cases(entryTable(code, suite.snippets.length));
    const native = host.run(code, suite.data, cases.map((c) => c.input));
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const s = suite.snippets[cases[i].snippet];
      let emu: MachineState;
      try {
        emu = machine.run(suite.data, cases[i].input);
      } catch (e) {
        failures.push(`${suite.describe(s)}\n  termu threw: ${(e as Error).message}`);
        continue;
      }
      const o = { ...suite.options(s) };
      if (native[i].trapno !== 256) {
        // termu pushed an exception frame on the snippet's stack; the native signal used another stack.
        o.ignoreData = [...(o.ignoreData ?? []), [emu.regs[4] - DATA_BASE - FRAME_BYTES, FRAME_BYTES]];
      }
      const diff = compareStates(native[i], emu, o);
      if (diff.length) {
        const regs = cases[i].input.regs.map((v) => (v >>> 0).toString(16)).join(' ');
        failures.push(`${suite.describe(s)}\n  initial regs ${regs} eflags ${cases[i].input.eflags.toString(16)}\n  ${diff.join('\n  ')}`);
      }
    }
    t.diagnostic(`${label}: ${cases.length - failures.length} of ${cases.length} cases match the host`);
    assert.equal(failures.length, 0, `${label}: ${failures.length} of ${cases.length} cases differ from the host:\n${failures.slice(0, 30).join('\n')}`);
  } finally {
    host.dispose();
  }
}

function integerSource(snippets: readonly IntSnippet[]): string {
  return x87SnippetSource(snippets.map((s) => ({ name: s.name, body: s.body })));
}

/** Random initial states: registers, and the arithmetic flags (with IF as user mode has it). */
function randomInputs(seed: number, perSnippet: number) {
  const r = rng(seed);
  return (entries: number[]) => entries.flatMap((eip, snippet) =>
    Array.from({ length: perSnippet }, () => {
      const regs = Array.from({ length: 8 }, () => r());
      regs[4] = INT_STACK_TOP;
      return { snippet, input: { regs, eflags: 0x202 | (r() & 0x8d5), eip } };
    }));
}

function integerOptions(s: IntSnippet): CompareOptions {
  return { eflagsMask: (0x8d5 & ~s.undefinedFlags) | 0x400, fpu: false, ignoreRegs: s.undefinedRegs };
}

const describeInt = (s: IntSnippet): string => `${s.name}:\n    ${s.body.replace(/\n/g, '\n    ')}`;

test('integer instruction set matches the host', { skip }, (t) => {
  const snippets = integerSnippets(2024);
  runSuite(t, 'integer snippets', {
    snippets, source: integerSource(snippets), data: integerData(5),
    cases: randomInputs(11, 3), options: integerOptions, describe: describeInt,
  });
});

test('seeded random instruction sequences match the host', { skip }, (t) => {
  const snippets = randomSequences(4242, 1500);
  runSuite(t, 'random sequences (seed 4242)', {
    snippets, source: integerSource(snippets), data: integerData(6),
    cases: randomInputs(12, 1), options: integerOptions, describe: describeInt,
  });
});

test('x87 and MMX snippets and random sequences through the CPU match the host', { skip }, (t) => {
  const snippets = [...x87Snippets(1234), ...randomX87Sequences(777, 1500), ...randomMmxSequences(778, 500)];
  runSuite(t, 'x87/MMX snippets and random sequences', {
    snippets, source: x87SnippetSource(snippets), data: x87Data(99),
    cases: (entries) => entries.map((eip, snippet) => ({
      snippet,
      input: { regs: [0x12345678, 0, 0, 0, DATA_BASE + 0xf00, 0, 0, 0], eflags: 0x202 | [0, 0x01, 0x40, 0x04, 0x41, 0x45][snippet % 6], eip },
    })),
    options: (s) => {
      const o = x87CompareOptions(s);
      return { ...o, ignoreData: [...(o.ignoreData ?? []), ...(s.selectorFields ?? [])] };
    },
    describe: (s) => `${s.name}:\n    ${s.body.replace(/\n/g, '\n    ')}`,
  });
});
