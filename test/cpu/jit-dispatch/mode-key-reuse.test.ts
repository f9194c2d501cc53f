// The run loop keeps the mode key from one region to the next and recomputes it only
// after a region returned EXIT_EVENT, a fault or an interpreted step. This test changes
// the key from inside compiled code (an interpreted MOV DS) and then enters code already
// compiled under the old key: running the old variant would skip the segment limit check
// that the new key's code makes, so the JIT's state would differ from the interpreter's.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from '../jit/assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE, SEL_DATA, SEL_SHORT } from '../jit/jit-machine.js';

const skip = hasNasm ? false : 'nasm is not installed';
const STACK = DATA_BASE + 0xf00;
const GP = 13;

function run(code: Uint8Array, jit: boolean): { m: JitTestMachine; cache: CodeCache | null } {
  const m = new JitTestMachine();
  const cache = jit ? new CodeCache(m.cpu, { threshold: 0 }) : null;
  m.host.memory.ram.set(code, CODE_BASE);
  m.enter([0, 0, 0, 0, STACK, 0, 0, 0], CODE_BASE, 2);
  m.runToHalt(cache);
  return { m, cache };
}

test('a key changed by an interpreted MOV DS selects the variant compiled for the new key', { skip }, () => {
  // Pass 1 runs the loop body with flat DS (compiled under KEY_FLAT); pass 2 loads the short
  // DS, whose limit ends at DATA_BASE + 0xfff, so the same load raises #GP.
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}
    mov ebx, ${SEL_DATA}
    mov ecx, 2
  top:
    mov ds, bx
    mov eax, [0x${(DATA_BASE + 0x1008).toString(16)}]
    add edx, eax
    mov ebx, ${SEL_SHORT}
    dec ecx
    jnz top
    hlt
  `);
  const interp = run(code, false);
  const jit = run(code, true);
  assert.equal(interp.m.stoppedByVector(), GP, 'the interpreter raises #GP on pass 2');
  assert.deepEqual(diffStates(interp.m.state(), jit.m.state()), []);
  assert.ok(jit.cache!.stats.compiled >= 2, 'a variant per key was compiled');
});
