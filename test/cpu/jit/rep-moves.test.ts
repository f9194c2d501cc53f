// REP MOVS and STOS in one step (region-compiler.ts, repInOneStep): a move whose elements all
// lie within one page on each side is one ramCopy or ramFill (memory-helpers.ts), which wasm
// regions do with memory.copy and memory.fill. Every case must end as on the interpreter:
// those taken in one step, and those left to it — a pattern-replicating overlap, a page
// crossing, DF set, a STOSD whose bytes differ, ECX = 0, a store onto compiled code, a page
// that is not present or is supervisor-only.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from './assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { layOutRegion } from '../../../src/vm/cpu/jit/region-compiler.js';
import { translateRegion } from '../../../src/vm/cpu/jit/wasm/region-translator.js';
import { KEY_CODE32, KEY_FLAT, KEY_PE, KEY_STACK32 } from '../../../src/vm/cpu/jit/mode-key.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE, HOLE, SUPERVISOR_PAGE } from './jit-machine.js';

const D = DATA_BASE;
const hex = (v: number): string => `0x${v.toString(16)}`;
/**
 * Loads and stores that put the data page and the next one in the TLB, as a running guest's
 * memcpy finds them: a move through a page missing from the TLB is left to the interpreter.
 */
const WARM = `cmp byte [${hex(D)}], 0\nor byte [${hex(D)}], 0\ncmp byte [${hex(D + 0x1000)}], 0\nor byte [${hex(D + 0x1000)}], 0`;
/** Reads back the first bytes of the page after the data page (the state compares only the data page). */
const NEXT_PAGE = `mov eax, [${hex(D + 0x1000)}]\nmov edx, [${hex(D + 0x1004)}]`;

const CASES: [name: string, body: string][] = [
  ['movsb within a page', `mov esi, ${hex(D + 0x10)}\nmov edi, ${hex(D + 0x200)}\nmov ecx, 37\nrep movsb`],
  ['movsd to an unaligned destination', `mov esi, ${hex(D + 0x20)}\nmov edi, ${hex(D + 0x301)}\nmov ecx, 100\nrep movsd`],
  ['movsw with a DS override', `mov esi, ${hex(D + 0x40)}\nmov edi, ${hex(D + 0x700)}\nmov ecx, 5\nrep ds movsw`],
  ['movsb onto itself one byte ahead (replicates a pattern)', `mov esi, ${hex(D + 0x400)}\nmov edi, ${hex(D + 0x401)}\nmov ecx, 40\nrep movsb`],
  ['movsd two bytes ahead of its source', `mov esi, ${hex(D + 0x600)}\nmov edi, ${hex(D + 0x602)}\nmov ecx, 9\nrep movsd`],
  ['movsb three bytes behind its source', `mov esi, ${hex(D + 0x503)}\nmov edi, ${hex(D + 0x500)}\nmov ecx, 40\nrep movsb`],
  ['movsd ending at the page end', `mov esi, ${hex(D + 0x10)}\nmov edi, ${hex(D + 0xff0)}\nmov ecx, 4\nrep movsd\n${NEXT_PAGE}`],
  ['movsd crossing the page end', `mov esi, ${hex(D + 0x10)}\nmov edi, ${hex(D + 0xff2)}\nmov ecx, 4\nrep movsd\n${NEXT_PAGE}`],
  ['movsb from across the page end', `mov esi, ${hex(D + 0xffc)}\nmov edi, ${hex(D + 0x800)}\nmov ecx, 9\nrep movsb`],
  ['stosb crossing the page end', `mov al, 0x5a\nmov edi, ${hex(D + 0xff8)}\nmov ecx, 16\nrep stosb\n${NEXT_PAGE}`],
  ['stosd of equal bytes, a whole page', `mov eax, 0x01010101\nmov edi, ${hex(D)}\nmov ecx, 1024\nrep stosd`],
  ['stosd of unequal bytes', `mov eax, 0x12345678\nmov edi, ${hex(D + 0x100)}\nmov ecx, 20\nrep stosd`],
  ['stosw of equal and unequal bytes', `mov eax, 0x4242\nmov edi, ${hex(D + 0x100)}\nmov ecx, 7\nrep stosw\nmov ax, 0x1234\nmov ecx, 3\nrep stosw`],
  ['movsb and stosb with DF set', `std\nmov esi, ${hex(D + 0x80)}\nmov edi, ${hex(D + 0x900)}\nmov ecx, 30\nrep movsb\nmov ecx, 5\nrep stosb\ncld`],
  ['ECX = 0', `mov esi, ${hex(D + 0x10)}\nmov edi, ${hex(D + 0x200)}\nxor ecx, ecx\nrep movsb\nrep stosd`],
  ['movsb onto the code that runs next', `mov esi, .patch\nmov edi, .site\nmov ecx, 5\nrep movsb\n.site: mov ebx, 2\njmp .over\n.patch: mov ebx, 7\n.over:`],
  ['stosd into a page that is not present (#PF part-way)', `mov eax, 7\nmov edi, ${hex(HOLE - 8)}\nmov ecx, 6\nrep stosd`],
  ['movsb from a page that is not present', `mov esi, ${hex(HOLE + 0x10)}\nmov edi, ${hex(D + 0x200)}\nmov ecx, 6\nrep movsb`],
  ['stosb onto a supervisor page', `mov edi, ${hex(SUPERVISOR_PAGE + 0x800)}\nmov ecx, 6\nrep stosb`],
];

function program(): Uint8Array {
  const lines = ['bits 32', `org ${hex(CODE_BASE)}`, 'table:'];
  CASES.forEach((_, i) => lines.push(`dd c${i}`));
  CASES.forEach(([, body], i) => lines.push(`c${i}:`, WARM, body, 'hlt'));
  return assemble(lines.join('\n') + '\n');
}

for (const wasm of [true, false]) {
  for (const user of [false, true]) {
    test(`REP MOVS/STOS at CPL ${user ? 3 : 0} through ${wasm ? 'WebAssembly' : 'JavaScript'} regions end as on the interpreter`, { skip: hasNasm ? false : 'nasm is not installed' }, () => {
      const code = program();
      const interp = new JitTestMachine();
      const jit = new JitTestMachine();
      const cache = new CodeCache(jit.cpu, { threshold: 0, wasm });
      const dv = new DataView(code.buffer, code.byteOffset);
      CASES.forEach(([name], i) => {
        const states = [interp, jit].map((m) => {
          const ram = m.host.memory.ram;
          ram.set(code, CODE_BASE);
          for (let j = 0; j < 0x2000; j++) ram[D + j] = (j * 7 + 3) & 0xff;
          const regs = [0x11111111, 0, 0x33333333, 0, D + 0xf00, 0x66666666, 0, 0];
          if (user) m.enterUser(regs, dv.getUint32(i * 4, true), 2);
          else m.enter(regs, dv.getUint32(i * 4, true), 2);
          m.runToHalt(m === jit ? cache : null, 100000);
          return { state: m.state(), next: [...ram.subarray(D + 0x1000, D + 0x1010)] };
        });
        assert.deepEqual(diffStates(states[0].state, states[1].state), [], name);
        assert.deepEqual(states[1].next, states[0].next, `${name}: the next page`);
      });
      assert.ok(cache.stats.compiled > 0);
      if (wasm) assert.equal(cache.wasm!.refused, 0, 'every region was WebAssembly');
    });
  }
}

test('flat REP MOVS/STOS with 32-bit addresses become ramCopy/ramFill, and memory.copy/memory.fill in wasm; other forms do not', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const code = assemble(`bits 32\norg ${hex(CODE_BASE)}\nrep movsb\nrep movsd\nrep stosb\nrep stosd\nhlt\n`);
  const page = new Uint8Array(4096);
  page.set(code);
  const flat = KEY_CODE32 | KEY_STACK32 | KEY_PE | KEY_FLAT;
  const layOut = (key: number, forWasm: boolean) =>
    layOutRegion({ phys: CODE_BASE, eip: CODE_BASE, key, csBase: 0, csLimit: -1, page, nextPage: null, forWasm }).cases.map((c) => c.code).join('\n');
  const js = layOut(flat, true);
  assert.equal(js.match(/ramCopy\(/g)?.length, 2);
  assert.equal(js.match(/ramFill\(/g)?.length, 2);
  const bytes = translateRegion({ cases: layOutRegion({ phys: CODE_BASE, eip: CODE_BASE, key: flat, csBase: 0, csLimit: -1, page, nextPage: null, forWasm: true }).cases, key: flat, physPage: CODE_BASE >>> 12 });
  const has = (seq: number[]) => bytes.some((_, i) => seq.every((b, j) => bytes[i + j] === b));
  assert.ok(has([0xfc, 0x0a, 0, 0]), 'memory.copy');
  assert.ok(has([0xfc, 0x0b, 0]), 'memory.fill');
  // Segments with bases or limits, 16-bit addresses and an FS source are left to the interpreter.
  assert.doesNotMatch(layOut(KEY_CODE32 | KEY_STACK32 | KEY_PE, false), /ramCopy|ramFill/);
  const other = assemble(`bits 32\norg ${hex(CODE_BASE)}\na16 rep movsb\nrep fs movsd\na16 rep stosd\nhlt\n`);
  page.fill(0).set(other);
  assert.doesNotMatch(layOut(flat, true), /ramCopy|ramFill/);
});
