// The wasm hub chains regions: a loop that calls across pages runs region after region
// without returning to the run loop, and ends in the interpreter's state. With a budget per
// call to the run loop, the instructions counted are the same as interpreted. A device
// access ends the chain, so an interrupt it raises is taken where JavaScript regions take
// it: at the next region boundary, not at the end of the run loop's budget.

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

test('an interrupt raised by an MMIO store is taken at the next region boundary, as with JavaScript regions', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const MMIO = DATA_BASE + 0x10000;
  const VECTOR = 0x1f;
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    mov ecx, 400
top:
    call far_page
    cmp ecx, 300
    jne skip
    mov [0x${MMIO.toString(16)}], ecx    ; the device raises an interrupt
skip:
    inc dword [0x${DATA_BASE.toString(16)}]
    dec ecx
    jnz top
    hlt
times 0x1000 - ($ - $$) db 0x90
far_page:
    add eax, ecx
    ret
`);
  const run = (wasm: boolean): { m: JitTestMachine; cache: CodeCache } => {
    const m = new JitTestMachine();
    m.host.memory.mapMmio(MMIO, 0x1000, { read: () => 0, write: () => { m.host.pendingVectors.push(VECTOR); } });
    const cache = new CodeCache(m.cpu, { threshold: 0, wasm });
    m.host.memory.ram.set(code, CODE_BASE);
    // IF set: the interrupt is delivered through the IDT stub for VECTOR, which halts.
    m.enter([0, 0, 0, 0, DATA_BASE + 0xf00, 0, 0, 0], CODE_BASE, 0x202);
    m.runToHalt(cache, 1e8, 5000);
    return { m, cache };
  };
  const js = run(false);
  const wasm = run(true);
  assert.equal(wasm.m.stoppedByVector(), VECTOR, 'the interrupt was taken');
  assert.deepEqual(diffStates(js.m.state(), wasm.m.state()), []);
  assert.equal(wasm.m.cpu.instructionCount, js.m.cpu.instructionCount, 'taken after the same instruction');
  assert.ok(wasm.cache.wasm!.chained > 100, `chained entries: ${wasm.cache.wasm!.chained}`);
});

test('an interrupt raised by a port write (an interpreted OUT) is taken right after it, as with JavaScript regions', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const PORT = 0x80;
  const VECTOR = 0x1e;
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    mov ecx, 400
top:
    call far_page
    cmp ecx, 300
    jne skip
    out ${PORT}, al                      ; the device raises an interrupt
skip:
    inc dword [0x${DATA_BASE.toString(16)}]
    dec ecx
    jnz top
    hlt
times 0x1000 - ($ - $$) db 0x90
far_page:
    add eax, ecx
    ret
`);
  const run = (wasm: boolean | null): { m: JitTestMachine; cache: CodeCache } => {
    const m = new JitTestMachine();
    m.host.io.register(PORT, 1, { readPort: () => 0xff, writePort: () => { m.host.pendingVectors.push(VECTOR); } });
    const cache = new CodeCache(m.cpu, { threshold: 0, wasm: wasm ?? undefined });
    m.host.memory.ram.set(code, CODE_BASE);
    m.enter([0, 0, 0, 0, DATA_BASE + 0xf00, 0, 0, 0], CODE_BASE, 0x202);
    m.runToHalt(wasm === null ? null : cache, 1e8, 5000);
    return { m, cache };
  };
  const interp = run(null);
  const js = run(false);
  const wasm = run(true);
  assert.equal(wasm.m.stoppedByVector(), VECTOR, 'the interrupt was taken');
  assert.deepEqual(diffStates(interp.m.state(), js.m.state()), []);
  assert.deepEqual(diffStates(interp.m.state(), wasm.m.state()), []);
  assert.ok(wasm.cache.wasm!.chained > 100, `chained entries: ${wasm.cache.wasm!.chained}`);
});
