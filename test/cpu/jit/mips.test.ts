// Guest MIPS of a compute loop (loads, stores, ALU, rotate, call/ret, push/pop), interpreted
// and compiled, printed for the record. Both runs must end in the same state; the speeds
// are reported, not asserted (CI machines vary).

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from './assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE } from './jit-machine.js';
import { COMPUTE_LOOP } from './compute-loop.js';

test('compute loop: guest MIPS interpreted and compiled', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const code = assemble(COMPUTE_LOOP);
  const measure = (jit: boolean): { mips: number; m: JitTestMachine; cache: CodeCache } => {
    const m = new JitTestMachine();
    const cache = new CodeCache(m.cpu, { threshold: 1000 });
    m.host.memory.ram.set(code, CODE_BASE);
    m.enter([0, 0, 0, 0, DATA_BASE + 0xf00, 0, 0, 0], CODE_BASE, 2);
    const before = m.cpu.instructionCount;
    const t0 = process.hrtime.bigint();
    m.runToHalt(jit ? cache : null);
    const ns = Number(process.hrtime.bigint() - t0);
    return { mips: ((m.cpu.instructionCount - before) * 1e3) / ns, m, cache };
  };
  const interp = measure(false);
  const jit = measure(true);
  assert.deepEqual(diffStates(interp.m.state(), jit.m.state()), []);
  assert.ok(jit.cache.stats.compiledInstructions > 0.99 * (jit.m.cpu.instructionCount), 'the loop ran compiled');
  console.log(`# compute loop (${jit.m.cpu.instructionCount} instructions): interpreter ${interp.mips.toFixed(1)} MIPS, ` +
    `JIT ${jit.mips.toFixed(1)} MIPS (x${(jit.mips / interp.mips).toFixed(2)}), ${jit.cache.stats.compiled} regions`);
});
