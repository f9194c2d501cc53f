// The code cache and the run loop around compiled code: hotness threshold, the cap with a
// whole flush, range invalidation, and the budget that always brings control back so an
// interrupt gets delivered even from a compiled infinite loop.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from './assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { runWithJit } from '../../../src/vm/cpu/jit/jit-runner.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE, STUBS, type MachineState } from './jit-machine.js';

const skip = hasNasm ? false : 'nasm is not installed';
const STACK = DATA_BASE + 0xf00;

function machine(code: Uint8Array, options: ConstructorParameters<typeof CodeCache>[1]): { m: JitTestMachine; cache: CodeCache } {
  const m = new JitTestMachine();
  const cache = new CodeCache(m.cpu, options);
  m.host.memory.ram.set(code, CODE_BASE);
  m.enter([0, 0, 0, 0, STACK, 0, 0, 0], CODE_BASE, 2);
  return { m, cache };
}

/** The state the interpreter alone leaves when `code` has run to HLT. */
function interpretedState(code: Uint8Array): MachineState {
  const interp = machine(code, {});
  interp.m.runToHalt(null);
  return interp.m.state();
}

test('nothing is compiled before a page has run `threshold` instructions', { skip }, () => {
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}\nmov ecx, 100\ntop: dec ecx\njnz top\nhlt\n`);
  const cold = machine(code, { threshold: 1000 });
  cold.m.runToHalt(cold.cache);
  assert.equal(cold.cache.stats.compiled, 0, '201 instructions stay under a threshold of 1000');
  assert.equal(cold.cache.stats.interpretedInstructions, cold.m.cpu.instructionCount);
  const warm = machine(code, { threshold: 50 });
  warm.m.runToHalt(warm.cache);
  assert.ok(warm.cache.stats.compiled >= 1);
  assert.ok(warm.cache.stats.compiledInstructions > 100);
  const { compiledInstructions, interpretedInstructions } = warm.cache.stats;
  assert.equal(compiledInstructions + interpretedInstructions, warm.m.cpu.instructionCount);
  assert.deepEqual(diffStates(cold.m.state(), warm.m.state()), []);
});

test('code entered `entryThreshold` times is compiled however cold its page; the rest of its page is still interpreted', { skip }, () => {
  // A loop on one page calling two routines on the next, 300 times: ~2,700 instructions,
  // far below the page threshold, but each routine and each return address is entered 300 times.
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}\nmov ecx, 300\ntop: call routine\ncall other\ndec ecx\njnz top\nhlt\n` +
    'times 0x1000 - ($ - $$) db 0x90\nroutine: add eax, ecx\nrol eax, 3\nret\nother: xor ebx, eax\ninc edx\nret\n');
  const never = machine(code, { threshold: 1_000_000, entryThreshold: 0xffff });
  never.m.runToHalt(never.cache);
  assert.equal(never.cache.stats.compiled, 0);
  const entries = machine(code, { threshold: 1_000_000, entryThreshold: 16 });
  entries.m.runToHalt(entries.cache);
  assert.ok(entries.cache.stats.compiled >= 2, `${entries.cache.stats.compiled} regions`);
  const { compiledInstructions, interpretedInstructions } = entries.cache.stats;
  assert.ok(interpretedInstructions < compiledInstructions / 4, `${interpretedInstructions} interpreted, ${compiledInstructions} compiled`);
  assert.equal(compiledInstructions + interpretedInstructions, entries.m.cpu.instructionCount);
  assert.deepEqual(diffStates(never.m.state(), entries.m.state()), []);
});

test('REP string instructions run through the interpreter inside a compiled block; one stopped part-way resumes', { skip }, () => {
  // REP STOSB of 13 bytes, then a REP MOVSD of 0x4064 dwords: past the interpreter's slice
  // of 0x4000 iterations, after which EIP stays on it and the block is left.
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}\nmov ebx, 20\ntop: mov edi, 0x200000\nmov ecx, 13\nmov al, bl\nrep stosb\n` +
    'add edx, [0x200000]\nmov esi, 0x200000\nmov edi, 0x240000\nmov ecx, 0x4064\nrep movsd\nadd edx, [0x250004]\nadd edx, ecx\nadd edx, esi\n' +
    'dec ebx\njnz top\nhlt\n');
  for (const wasm of [true, false]) {
    const run = machine(code, { threshold: 0, wasm });
    run.m.runToHalt(run.cache);
    assert.deepEqual(diffStates(interpretedState(code), run.m.state()), [], wasm ? 'WebAssembly' : 'JavaScript');
    assert.equal(run.m.cpu.reg32[2], [...Array(20)].reduce((sum: number, _, i) => (sum + 0x01010101 * (20 - i) + 0x200000 + 4 * 0x4064) | 0, 0));
    const { compiledInstructions, interpretedInstructions } = run.cache.stats;
    assert.ok(interpretedInstructions < compiledInstructions / 4, `${interpretedInstructions} interpreted, ${compiledInstructions} compiled`);
  }
});

test('code whose page keeps being written stops compiling by entries after its code was dropped twice', { skip }, () => {
  // The routine stores next to itself, missing its compiled block: each time it is compiled,
  // its page's code is dropped at the 65th such store (CodeCache's STRAY_WRITES_MAX), 300 calls
  // in all.
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}\nmov ecx, 300\ntop: call routine\ndec ecx\njnz top\nhlt\n` +
    'times 0x1000 - ($ - $$) db 0x90\nroutine: add eax, ecx\nmov [counter], eax\nret\ncounter: dd 0\n');
  const run = machine(code, { threshold: 1_000_000, entryThreshold: 16 });
  run.m.runToHalt(run.cache);
  assert.equal(run.cache.stats.invalidations, 2);
  assert.deepEqual(diffStates(interpretedState(code), run.m.state()), []);
});

test('reaching the cap flushes everything, and execution stays correct', { skip }, () => {
  // A loop on one page calling a routine on the next: at least two regions are needed.
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}\nmov ecx, 1000\ntop: call routine\ndec ecx\njnz top\nhlt\n` +
    'times 0x1000 - ($ - $$) db 0x90\nroutine: add eax, ecx\nrol eax, 3\nret\n');
  const capped = machine(code, { threshold: 0, maxRegions: 1 });
  capped.m.runToHalt(capped.cache);
  assert.ok(capped.cache.stats.flushes > 0, 'flushed');
  assert.ok(capped.cache.regionCount <= 1);
  assert.deepEqual(diffStates(interpretedState(code), capped.m.state()), []);
});

test('invalidateRange drops only pages holding code', { skip }, () => {
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}\nmov ecx, 10\ntop: dec ecx\njnz top\nhlt\n`);
  const { m, cache } = machine(code, { threshold: 0 });
  m.runToHalt(cache);
  const compiled = cache.regionCount;
  assert.ok(compiled > 0);
  cache.invalidateRange(DATA_BASE, 0x2000);
  assert.equal(cache.regionCount, compiled, 'data pages hold no code');
  assert.equal(cache.stats.invalidations, 0);
  cache.invalidateRange(CODE_BASE - 0x10, 0x20);
  assert.equal(cache.regionCount, 0);
  assert.equal(cache.stats.invalidations, 1);
  assert.equal(cache.codePages[CODE_BASE >>> 12], 0);
  const info = cache.infoText();
  assert.match(info, /^regions +0 on 0 pages$/m);
  assert.match(info, new RegExp(`^compiled +${cache.stats.compiled}$`, 'm'));
  assert.match(info, /^invalidations +1$/m);
  assert.match(info, /^hit rate +\d+\.\d% \(\d+ of \d+ lookups\)$/m);
});

test('a compiled infinite loop returns within its budget and the pending interrupt is taken', { skip }, () => {
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}\nsti\ntop: inc eax\njmp top\n`);
  const { m, cache } = machine(code, { threshold: 0 });
  const n = runWithJit(m.cpu, cache, 5000);
  assert.ok(n >= 5000 && n < 5000 + 64, `ran ${n}`);
  assert.ok(cache.stats.compiledInstructions > 4900);
  m.host.pendingVectors.push(31);
  runWithJit(m.cpu, cache, 5000);
  assert.ok(m.cpu.halted);
  assert.equal((m.cpu.eip >>> 0) - 1, STUBS + 31, 'vector 31 delivered from the loop');
});

test('setting TF inside a compiled region leaves it: the next instruction traps as on the interpreter', { skip }, () => {
  const code = assemble(`bits 32\norg 0x${CODE_BASE.toString(16)}\nmov ecx, 10\ntop: dec ecx\njnz top\n` +
    'pushf\nor dword [esp], 0x100\npopf\ninc eax\ninc eax\nhlt\n');
  const interp = machine(code, {});
  interp.m.runToHalt(null);
  const jit = machine(code, { threshold: 0 });
  jit.m.runToHalt(jit.cache);
  assert.equal((interp.m.cpu.eip >>> 0) - 1, STUBS + 1, 'the interpreter took #DB');
  assert.equal(interp.m.cpu.reg32[0], 1, 'after exactly one traced instruction');
  assert.ok(jit.cache.stats.compiledInstructions > 10);
  assert.deepEqual(diffStates(interp.m.state(), jit.m.state()), []);
});
