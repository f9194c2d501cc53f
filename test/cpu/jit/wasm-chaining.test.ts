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

/**
 * Runs a loop calling across pages whose 100th pass does `trigger`, after which the device
 * `attach` sets up raises an interrupt (IF is set; its IDT stub halts), with JavaScript and
 * with wasm regions: both must take it after the same instruction, and so must the
 * interpreter when `likeInterpreter` (compiled code takes an MMIO store's interrupt at the
 * next region boundary, the interpreter at the next instruction).
 */
function interruptFromDevice(trigger: string, likeInterpreter: boolean, attach: (m: JitTestMachine, raise: () => void) => void): void {
  const VECTOR = 0x1f;
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    mov ecx, 400
top:
    call far_page
    cmp ecx, 300
    jne skip
    ${trigger}
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
    attach(m, () => m.host.pendingVectors.push(VECTOR));
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
  // The states include the instruction count: taken after the same instruction.
  assert.deepEqual(diffStates(js.m.state(), wasm.m.state()), []);
  if (likeInterpreter) assert.deepEqual(diffStates(interp.m.state(), wasm.m.state()), []);
  assert.ok(wasm.cache.wasm!.chained > 100, `chained entries: ${wasm.cache.wasm!.chained}`);
}

test('an interrupt raised by an MMIO store is taken at the next region boundary, as with JavaScript regions', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const MMIO = DATA_BASE + 0x10000;
  interruptFromDevice(`mov [0x${MMIO.toString(16)}], ecx`, false, (m, raise) => m.host.memory.mapMmio(MMIO, 0x1000, { read: () => 0, write: raise }));
});

test('an interrupt raised by a port write (an interpreted OUT) is taken right after it, as with JavaScript regions', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const PORT = 0x80;
  interruptFromDevice(`out ${PORT}, al`, true, (m, raise) => m.host.io.register(PORT, 1, { readPort: () => 0xff, writePort: raise }));
});
