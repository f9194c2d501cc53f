// The code cache's table of block starts: one physical block reached through two virtual
// aliases (two EIPs) has a region per EIP and the lookup finds each; a newer region with the
// same address, key and EIP replaces the older one; invalidating the page drops them all.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from '../jit/assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { modeKey } from '../../../src/vm/cpu/jit/mode-key.js';
import { JitTestMachine, ALIAS, CODE_BASE, DATA_BASE } from '../jit/jit-machine.js';

const skip = hasNasm ? false : 'nasm is not installed';
const STACK = DATA_BASE + 0xf00;

test('each virtual alias of a block has its own region, a newer one replaces its twin, invalidation drops all', { skip }, () => {
  // Position-independent: the same bytes run at CODE_BASE and at its alias ALIAS.
  const code = assemble('bits 32\nmov ecx, 50\ntop: add eax, ecx\ndec ecx\njnz top\nhlt\n');
  const m = new JitTestMachine();
  const cache = new CodeCache(m.cpu, { threshold: 0 });
  m.host.memory.ram.set(code, CODE_BASE);
  const top = 5; // offset of the loop's block
  for (const base of [CODE_BASE, ALIAS]) {
    m.enter([0, 0, 0, 0, STACK, 0, 0, 0], base, 2);
    m.runToHalt(cache);
    assert.equal(m.cpu.reg32[0], 1275, `the loop ran at 0x${base.toString(16)}`);
  }
  const key = modeKey(m.cpu);
  const atBase = cache.lookup(CODE_BASE + top, key, CODE_BASE + top);
  const atAlias = cache.lookup(CODE_BASE + top, key, ALIAS + top);
  assert.ok(atBase && atAlias, 'both variants are found');
  assert.notEqual(atBase, atAlias);
  assert.equal(cache.lookup(CODE_BASE + top, key, ALIAS + top + 1), undefined, 'no region for an EIP that is not a block start');
  assert.equal(cache.lookup(CODE_BASE + top, key ^ 1, CODE_BASE + top), undefined, 'nor under another key');

  // Compiling again at the block through CODE_BASE replaces that variant only.
  m.cpu.eip = CODE_BASE + top;
  const newer = cache.compile(CODE_BASE + top, key);
  assert.equal(cache.lookup(CODE_BASE + top, key, CODE_BASE + top), newer);
  assert.equal(cache.lookup(CODE_BASE + top, key, ALIAS + top), atAlias);

  cache.invalidatePage(CODE_BASE >>> 12);
  assert.equal(cache.lookup(CODE_BASE + top, key, CODE_BASE + top), undefined);
  assert.equal(cache.lookup(CODE_BASE + top, key, ALIAS + top), undefined);
  assert.equal(newer!.valid && atAlias.valid, false);
});
