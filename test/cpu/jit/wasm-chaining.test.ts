// The wasm hub chains regions: a loop that calls across pages runs region after region
// without returning to the run loop, and ends in the interpreter's state. With a budget per
// call to the run loop, the instructions counted are the same as interpreted.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from './assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE } from './jit-machine.js';

test('a loop calling across pages runs as chained wasm regions and ends as interpreted', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    mov ecx, 3000
    xor eax, eax
top:
    call far_page
    add eax, ecx
    mov [0x${DATA_BASE.toString(16)}], eax
    dec ecx
    jnz top
    hlt
times 0x1000 - ($ - $$) db 0x90
far_page:
    rol eax, 3
    xor eax, 0x5a5a
    ret
`);
  const run = (jit: boolean): { m: JitTestMachine; cache: CodeCache } => {
    const m = new JitTestMachine();
    const cache = new CodeCache(m.cpu, { threshold: 0 });
    m.host.memory.ram.set(code, CODE_BASE);
    m.enter([0, 0, 0, 0, DATA_BASE + 0xf00, 0, 0, 0], CODE_BASE, 2);
    m.runToHalt(jit ? cache : null, 1e8, 1000);
    return { m, cache };
  };
  const interp = run(false);
  const jit = run(true);
  assert.deepEqual(diffStates(interp.m.state(), jit.m.state()), []);
  assert.equal(jit.m.cpu.instructionCount, interp.m.cpu.instructionCount);
  assert.ok(jit.cache.wasm, 'the WebAssembly back end is on');
  // Each iteration leaves the loop's page for the called page and back: two region changes.
  assert.ok(jit.cache.wasm.chained > 3000, `chained entries: ${jit.cache.wasm.chained}`);
  assert.ok(jit.cache.stats.hits + jit.cache.stats.misses < 1000, `run loop lookups: ${jit.cache.stats.hits + jit.cache.stats.misses}`);
});
