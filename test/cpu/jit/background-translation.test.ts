// The background translator: a region requested at a hot entry runs interpreted until its
// module is back, then compiled; a store or DMA to its page while the module is on its way
// drops it, so code built from the old bytes never runs.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from './assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { runWithJit } from '../../../src/vm/cpu/jit/jit-runner.js';
import { JitTestMachine, CODE_BASE, DATA_BASE } from './jit-machine.js';
import { DS } from '../../../src/vm/cpu/constants.js';

const skip = hasNasm ? false : 'nasm is not installed';
const STACK = DATA_BASE + 0xf00;

// EBX = 7 * 1000, unless the ADD's immediate (at `patch + 2`) is changed.
const LOOP = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    xor ecx, ecx
    xor ebx, ebx
again:
patch:
    add ebx, byte 7
    inc ecx
    cmp ecx, 1000
    jne again
    hlt
`);
const IMMEDIATE = CODE_BASE + 4 + 2;

/** A machine with the loop at CODE_BASE, stepped until its region is requested (not yet back). */
function requested(): { m: JitTestMachine; cache: CodeCache } {
  const m = new JitTestMachine();
  const cache = new CodeCache(m.cpu, { threshold: 0, background: true });
  m.host.memory.onExternalWrite = (addr, len) => cache.invalidateRange(addr, len);
  m.host.memory.ram.set(LOOP, CODE_BASE);
  m.enter([0, 0, 0, 0, STACK, 0, 0, 0], CODE_BASE, 2);
  // A store fills the code page's TLB write entry before the request, which must mark it.
  m.cpu.write8(DS, IMMEDIATE, 7);
  // The first step fills the TLB entry of the code page; the second finds it and requests.
  for (let i = 0; i < 2; i++) assert.equal(runWithJit(m.cpu, cache, 1), 1);
  assert.equal(cache.pendingCount, 1);
  assert.equal(cache.regionCount, 0, 'nothing is installed before the module is back');
  assert.match(cache.infoText(), /\ntranslating +1 \(/);
  return { m, cache };
}

test('a region translated in the background is installed when its module is back, and runs', { skip }, (t) => {
  const { m, cache } = requested();
  t.after(() => cache.detach());
  cache.settle();
  assert.equal(cache.pendingCount, 0);
  assert.equal(cache.regionCount, 1);
  assert.equal(cache.wasm!.compiled, 1);
  m.runToHalt(cache);
  assert.equal(m.cpu.reg32[3], 7 * 1000);
  assert.ok(cache.stats.compiledInstructions > 3000, `compiled instructions: ${cache.stats.compiledInstructions}`);
});

test('a store to the page while its region is being translated drops the region', { skip }, (t) => {
  const { m, cache } = requested();
  t.after(() => cache.detach());
  m.cpu.write8(DS, IMMEDIATE, 9);
  cache.settle();
  assert.equal(cache.regionCount, 0, 'the module built from the old bytes is not installed');
  m.runToHalt(cache);
  assert.equal(m.cpu.reg32[3], 9 * 1000);
});

test('DMA to the page while its region is being translated drops the region', { skip }, (t) => {
  const { m, cache } = requested();
  t.after(() => cache.detach());
  m.host.memory.writeBytes(IMMEDIATE, new Uint8Array([11]));
  cache.settle();
  assert.equal(cache.regionCount, 0);
  m.runToHalt(cache);
  assert.equal(m.cpu.reg32[3], 11 * 1000);
});

test('when the translate thread is gone, pending regions are forgotten and code compiles on the VM thread', { skip }, async (t) => {
  const { m, cache } = requested();
  t.after(() => cache.detach());
  const translator = (cache as unknown as { background: { alive: boolean; close(): void } }).background;
  translator.close();
  for (let i = 0; i < 500 && translator.alive; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(translator.alive, false, 'the worker ended');
  m.runToHalt(cache);
  assert.equal(cache.pendingCount, 0);
  assert.ok(cache.regionCount >= 1, 'the loop was compiled on the VM thread');
  assert.equal(m.cpu.reg32[3], 7 * 1000);
  assert.ok(cache.stats.compiledInstructions > 3000, `compiled instructions: ${cache.stats.compiledInstructions}`);
  assert.doesNotMatch(cache.infoText(), /translating/);
});

// A loop on one page calling a function on each of the next two: three regions on three
// pages, requested one after the other.
const CALLS = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    xor ecx, ecx
    xor ebx, ebx
again:
    call f1
    call f2
    inc ecx
    cmp ecx, 1000
    jne again
    hlt
times 0x1000 - ($ - $$) db 0x90
f1: add ebx, 1
    ret
times 0x2000 - ($ - $$) db 0x90
f2: add ebx, 2
    ret
`);

test('regions are laid out by the translator while it has little waiting, and by the VM thread beyond', { skip }, (t) => {
  const m = new JitTestMachine();
  const cache = new CodeCache(m.cpu, { threshold: 0, background: true });
  t.after(() => cache.detach());
  const translator = (cache as unknown as { background: { request(r: object): void } }).background;
  const sent: string[] = [];
  const request = translator.request.bind(translator);
  translator.request = (r) => {
    sent.push('input' in r ? 'page' : 'blocks');
    request(r);
  };
  m.host.memory.ram.set(CALLS, CODE_BASE);
  m.enter([0, 0, 0, 0, STACK, 0, 0, 0], CODE_BASE, 2);
  // Nothing is collected until settle(), so none comes back early: single steps request a
  // region on each page as its code is first found in the TLB.
  cache.collect = () => {};
  for (let i = 0; i < 40 && sent.length < 3; i++) runWithJit(m.cpu, cache, 1);
  assert.deepEqual(sent, ['page', 'page', 'blocks'], 'the third, with two waiting, was laid out here');
  assert.equal(cache.regionCount, 0);
  delete (cache as { collect?: unknown }).collect;
  cache.settle();
  m.runToHalt(cache);
  assert.equal(m.cpu.reg32[3], 3 * 1000);
  assert.ok(cache.regionCount >= 3, `regions: ${cache.regionCount}`);
});
