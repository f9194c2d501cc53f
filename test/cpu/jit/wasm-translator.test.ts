// The JavaScript-subset-to-WebAssembly translator on its own: a block's statements run as
// wasm against a memory laid out as the guest arena, with JavaScript's number semantics
// (signed and unsigned compares, truncating stores), and a comparison whose meaning depends
// on a type the translator cannot know is refused rather than guessed — but not where the
// region compiler's code says the type.

import test from 'node:test';
import assert from 'node:assert/strict';
import { GuestArena, CELL_DONE, CELL_EIP } from '../../../src/vm/machine/guest-arena.js';
import { IMPORTS, translateRegion } from '../../../src/vm/cpu/jit/wasm/region-translator.js';
import { Unsupported } from '../../../src/vm/cpu/jit/wasm/js-subset.js';
import { divResult, divU, divWideSrc, imulOverflows } from '../../../src/vm/cpu/alu.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { assemble, hasNasm } from './assemble.js';
import { JitTestMachine, CODE_BASE, DATA_BASE } from './jit-machine.js';

const EXIT = 'pc = 0x1000; break L;';

function run(cases: { start: number; code: string }[], regs: number[], eip: number, budget = 100): { arena: GuestArena; reason: number } {
  const arena = new GuestArena(1 << 20);
  const bytes = translateRegion({ cases, key: 8, physPage: 1 });
  const imports: Record<string, unknown> = { m: arena.memory };
  for (const f of IMPORTS) imports[f.name] = () => { throw new Error(`${f.name} called`); };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: imports });
  arena.regs.set(regs);
  arena.cells[CELL_EIP] = eip;
  const reason = (instance.exports.run as (b: number, entry: number) => number)(budget, -1);
  return { arena, reason };
}

test('a block runs as wasm: registers in and out, signed and unsigned compares, fall-through, pc and done', () => {
  const { arena, reason } = run([
    { start: 0x100, code: 'r0 = (r0 + r1) | 0; if ((r0 >>> 0) > (r2 >>> 0)) r3 = 1; if (r0 > r2) r4 = 1; done += 2;' },
    { start: 0x200, code: `r5 = r0 >>> 28; r6 = (r7 % 7) | 0; done += 1; ${EXIT}` },
  ], [0x7fffffff, 1, 5, 0, 0, 0, 0, 23], 0x100);
  assert.equal(reason, 0);
  // 0x7fffffff + 1 = 0x80000000: unsigned above 5, signed below it.
  assert.deepEqual([...arena.regs], [-0x80000000, 1, 5, 1, 0, 8, 2, 23]);
  assert.equal(arena.cells[CELL_EIP], 0x1000);
  assert.equal(arena.cells[CELL_DONE], 3);
});

test('the budget is checked before each dispatch, and continue goes back to it', () => {
  const { arena, reason } = run([{ start: 0x100, code: 'r0 = (r0 + 1) | 0; done += 1; continue;' }], [0, 0, 0, 0, 0, 0, 0, 0], 0x100, 50);
  assert.equal(reason, 1);
  assert.equal(arena.regs[0], 50);
  assert.equal(arena.cells[CELL_EIP], 0x100);
});

test('an EIP that is no block start leaves the region at once', () => {
  const { arena, reason } = run([{ start: 0x100, code: `r0 = 7; ${EXIT}` }], [1, 0, 0, 0, 0, 0, 0, 0], 0x104);
  assert.equal(reason, 0);
  assert.equal(arena.regs[0], 1);
  assert.equal(arena.cells[CELL_EIP], 0x104);
});

test('comparisons whose JavaScript meaning depends on an unknown type are refused, not guessed', () => {
  const translate = (code: string): Uint8Array => translateRegion({ cases: [{ start: 0, code }], key: 8, physPage: 1 });
  // r0 holds a signed value in one place and an unsigned one in another: `r0 < r1` has no one meaning.
  assert.throws(() => translate(`r0 = r2 >>> 1; r0 = r2 | 0; if (r0 < r1) r3 = 1; ${EXIT}`), Unsupported);
  assert.throws(() => translate(`if ((r0 >>> 0) < r1) r3 = 1; ${EXIT}`), Unsupported);
  assert.throws(() => translate(`foo(r0); ${EXIT}`), Unsupported);
  // Against a small non-negative constant the meaning is the same either way.
  assert.ok(translate(`r0 = r2 >>> 1; r0 = r2 | 0; if (r0 === 3) r3 = 1; ${EXIT}`).length > 0);
});

test('Math.imul and imulOverflows give what JavaScript gives, and a plain * is refused', () => {
  const values = [0, 1, -1, 2, 3, 0x7fff, -0x8000, 0xffff, 0x10000, 46341, -46341, 0x7fffffff, -0x80000000, 123456789, -987654321];
  for (const x of values) {
    for (const y of values) {
      const { arena } = run([{ start: 0, code: `r2 = Math.imul(r0, r1); r3 = imulOverflows(r0, r1); ${EXIT}` }], [x, y, 0, 0, 0, 0, 0, 0], 0);
      assert.equal(arena.regs[2], Math.imul(x, y), `${x} * ${y}`);
      assert.equal(arena.regs[3], imulOverflows(x, y), `${x} * ${y} overflows`);
    }
  }
  assert.equal(imulOverflows(46341, 46341), 1);
  assert.equal(imulOverflows(-0x8000, 0x10000), 0);
  assert.throws(() => translateRegion({ cases: [{ start: 0, code: `r0 = (r0 * r1) | 0; ${EXIT}` }], key: 8, physPage: 1 }), Unsupported);
});

test('DIV r/m32 (divWideSrc) gives what JavaScript gives: a 64-bit unsigned dividend, a 32-bit quotient', () => {
  const cases = [[0, 100, 7], [0, -1, 1], [6, 5, 7], [0x1fffff, -1, 0x200000], [0x200000, 0, 0x200001], [-2, -1, -1], [0x12345678, 0x9abcdef0 | 0, 0x87654321 | 0]];
  for (const [hi, lo, d] of cases) {
    // `cur = …; k = …;` as the region compiler puts before every instruction that may fault.
    const { arena } = run([{ start: 0, code: `cur = 0; k = 0; ${divWideSrc('r0', 'r1', 'r2', 'r3', 'r4', 'cpu.raise(0);')} ${EXIT}` }], [hi, lo, d, 0, 0, 0, 0, 0], 0);
    const n = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), bd = BigInt(d >>> 0);
    assert.equal(arena.regs[3], Number(BigInt.asIntN(32, n / bd)), `${hi}:${lo} / ${d}`);
    assert.equal(arena.regs[4], Number(BigInt.asIntN(32, n % bd)), `${hi}:${lo} % ${d}`);
    assert.equal(divU(hi, lo, d, 31), true);
    assert.deepEqual([divResult.q, divResult.r], [arena.regs[3], arena.regs[4]]);
  }
});

test('a call that may fault is refused unless the block has said which instruction it is in (cur and k, constants)', () => {
  const translate = (code: string) => translateRegion({ cases: [{ start: 0, code: `${code} ${EXIT}` }], key: 8, physPage: 1 });
  assert.throws(() => translate('cpu.raise(0);'), Unsupported);
  assert.throws(() => translate('cur = 5; cpu.raise(0);'), Unsupported);
  assert.throws(() => translate('cur = r0; k = 0; cpu.raise(0);'), Unsupported);
  // An interpreted instruction restarts from the state it synced: it needs `k` alone.
  assert.ok(translate('k = 0; executeOne(cpu);') instanceof Uint8Array);
  assert.ok(translate('cur = 5; k = 0; cpu.raise(0);') instanceof Uint8Array);
  // After an `if`, only what both ways leave alike is known.
  assert.throws(() => translate('if (r0) { cur = 5; k = 0; } cpu.raise(0);'), Unsupported);
  assert.throws(() => translate('cur = 5; k = 0; if (r0) { cur = 6; } cpu.raise(0);'), Unsupported);
  assert.ok(translate('cur = 5; k = 0; if (r0) { r1 = 1; } else { cur = 5; } cpu.raise(0);') instanceof Uint8Array);
  // Each case starts knowing neither: the fault could come from any block that jumps there.
  assert.throws(() => translateRegion({ cases: [{ start: 0, code: 'cur = 5; k = 0;' }, { start: 4, code: `cpu.raise(0); ${EXIT}` }], key: 8, physPage: 1 }), Unsupported);
});

test('a block with SHR by CL and an unsigned byte compare compiles to wasm (its result type is known)', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  // SHR's result once made the shared temporary `v`, and every register it reached, of unknown
  // sign for the translator, which then refused the 8-bit JBE compare: the region stayed JavaScript.
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    mov ecx, 3
    mov edx, 200
top:
    mov eax, 0xf0000000
    shr eax, cl
    add ebx, eax
    mov al, dl
    cmp al, 253
    jbe next
    inc esi
next:
    inc edx
    cmp edx, 300
    jne top
    hlt
`);
  const m = new JitTestMachine();
  const cache = new CodeCache(m.cpu, { threshold: 0 });
  m.host.memory.ram.set(code, CODE_BASE);
  m.enter([0, 0, 0, 0, DATA_BASE + 0xf00, 0, 0, 0], CODE_BASE, 2);
  m.runToHalt(cache);
  assert.equal(m.cpu.reg32[3] >>> 0, (100 * (0xf0000000 >>> 3)) >>> 0);
  assert.equal(m.cpu.reg32[6], 256 - 254);
  assert.equal(cache.wasm!.refused, 0, 'no region stayed JavaScript');
  assert.ok(cache.wasm!.compiled > 0);
});
