// Differential fuzz: seeded random instruction sequences (the native tests' generator, plus
// faulting accesses: #PF on a not-present page, #GP past a segment limit, #DE, #UD) run on
// the interpreter and through compiled regions (every block compiled at first sight), from
// identical states; the full architectural state must match after each sequence.

import test from 'node:test';
import assert from 'node:assert/strict';
import { randomSequences } from '../native/random-sequences.js';
import { integerSnippets, rng } from '../native/integer-snippets.js';
import { assemble, hasNasm } from './assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE, DATA_SIZE, GS_BASE, HOLE, SUPERVISOR_PAGE } from './jit-machine.js';


const FAULTING = [
  `mov eax, [0x${HOLE.toString(16)}]`,
  `mov [0x${(HOLE + 0xffe).toString(16)}], ebx`,
  `add dword [0x${(HOLE - 2).toString(16)}], ecx`,
  'mov ecx, [fs:0x1000]',
  'push dword [fs:0x10]\npop edx',
  // GS: a base and no limit. Past 4 GiB less the size raises #GP; below it the offset wraps.
  `mov eax, [gs:0x${(HOLE - GS_BASE + 0x20).toString(16)}]`,
  `add [gs:0x${(HOLE - GS_BASE - 2).toString(16)}], bx`,
  'mov eax, [gs:0xfffffffe]',
  'mov [gs:0xffffffff], bx',
  'mov edx, [gs:0xffffffe0]\nmov [gs:0xfffffffc], edx',
  'ud2',
  `mov esi, 0x${(HOLE - 8).toString(16)}\nmov edi, [esi + 8]`,
  'call .sub\njmp .after\n.sub:\nadd eax, ebx\nret\n.after:',
  `mov esi, 0x${(HOLE - 2).toString(16)}\nlodsd`,
  `mov esi, 0x${DATA_BASE.toString(16)}\nmov edi, 0x${(HOLE + 0x10).toString(16)}\nmovsd`,
  `std\nmov edi, 0x${(HOLE + 4).toString(16)}\nscasw`,
  `mov esi, 0x${(HOLE - 1).toString(16)}\nmov edi, 0x${DATA_BASE.toString(16)}\ncmpsb\ncmpsb`,
];

/** Instructions the native generator does not produce; at most one per sequence (labels). */
const EXTRAS = [
  // (Not ECX: a count the sequence set for a REP or LOOP after it would become random.)
  'mov eax, [gs:0x100]\nadd [gs:0x104], eax\nmov [gs:0xfee], ebx\nmov bx, [gs:0x108]\nmov [gs:0x10a], bl\nadc edx, [gs:0x10c]',
  'push ebp\nmov ebp, esp\npush eax\npush ebx\nleave',
  'o16 push bp\nmov bp, sp\npush eax\no16 leave',
  'mov ecx, 5\n.l1:\nadd eax, ecx\nloop .l1',
  'xor ecx, ecx\njecxz .l2\ninc eax\n.l2:',
  'mov cx, 1\njcxz .l3\nadd ebx, 9\n.l3:',
  'std\nmov eax, 1\ncld',
  'cmc\nsetc al\nstc\nadc ebx, 0\nclc',
  'pushf\ncli\npop ebx\nmov eax, 1\ncpuid\npushf\npop edi',
  `lock add dword [0x${(DATA_BASE + 0x40).toString(16)}], eax\nlock xchg [0x${(DATA_BASE + 0x44).toString(16)}], bx\nlock inc byte [0x${(DATA_BASE + 0x48).toString(16)}]\nlock neg word [0x${(DATA_BASE + 0x4a).toString(16)}]\nlock sbb [0x${(DATA_BASE + 0x4c).toString(16)}], cl`,
  'lock or dword [esp - 8], 3\ndb 0xf0, 0x01, 0xd8 ; LOCK ADD EAX, EBX: #UD',
  `db 0xf0, 0x39, 0x05\ndd 0x${(DATA_BASE + 0x40).toString(16)} ; LOCK CMP: #UD`,
  'push 5\npush -3\npush 0x12345\no16 push -7\no16 push 0x1234\npop eax\npop ebx\npop ecx\npop edx',
  `mov cl, 13\nshrd dword [0x${(DATA_BASE + 0x100).toString(16)}], edx, cl\nshld bx, si, cl\nshld si, di, 3`,
  // DIV r/m32 from memory: a random EDX:EAX usually overflows (#DE); a cleared EDX does not.
  `div dword [0x${(DATA_BASE + 0x80).toString(16)}]\nxor edx, edx\ndiv dword [0x${(DATA_BASE + 0x84).toString(16)}]`,
  `bts dword [0x${(DATA_BASE + 0x90).toString(16)}], 5\nsetc al\nbtr word [0x${(DATA_BASE + 0x94).toString(16)}], 17\nadc ebx, ebx\n` +
    `bt dword [0x${(DATA_BASE + 0x98).toString(16)}], 31\nlock btc dword [0x${(DATA_BASE + 0x9c).toString(16)}], 2\nrcl ecx, 1`,
  `xor edx, edx\ndiv dword [0x${(DATA_BASE + 0x88).toString(16)}]\nmov edx, eax\nshr edx, 3\ndiv dword [0x${(DATA_BASE + 0x8c).toString(16)}]`,
];

const COUNTER = DATA_BASE + 0xff8;

/** nasm source: an entry table, then each body inside a 3-pass loop ending in HLT. */
function source(bodies: string[], bits: 16 | 32): string {
  const lines = [`bits ${bits}`, `org 0x${(bits === 32 ? CODE_BASE : 0).toString(16)}`, 'table:'];
  bodies.forEach((_, i) => lines.push(`dd s${i}`));
  bodies.forEach((body, i) => {
    lines.push(`s${i}:`, `mov dword [0x${COUNTER.toString(16)}], 3`, '.top:', body,
      `dec dword [0x${COUNTER.toString(16)}]`, 'jnz .top', 'hlt');
  });
  return lines.join('\n') + '\n';
}

for (const wasm of [true, false]) {
  for (const user of [false, true]) {
    test(`random sequences at CPL ${user ? 3 : 0}: interpreter and ${wasm ? 'WebAssembly' : 'JavaScript'} regions agree, faults included`, { skip: hasNasm ? false : 'nasm is not installed' }, () => {
      protectedModeSequences(user, wasm);
    });
  }
}

function protectedModeSequences(user: boolean, wasm: boolean): void {
  const seed = user ? 0x5eed3 : 0x5eed1;
  const r = rng(seed);
  const faulting = user ? [...FAULTING, `mov eax, [0x${SUPERVISOR_PAGE.toString(16)}]`, 'cli'] : FAULTING;
  const bodies = [...randomSequences(seed, 240), ...(user ? [] : integerSnippets(seed))].map((s) => {
    const lines = s.body.split('\n');
    if (r() % 3 === 0) lines.splice(r() % (lines.length + 1), 0, EXTRAS[r() % EXTRAS.length]);
    if (r() % 4 !== 0) return lines.join('\n');
    lines.splice(r() % (lines.length + 1), 0, faulting[r() % faulting.length]);
    return lines.join('\n');
  });
  const code = assemble(source(bodies, 32));
  const interp = new JitTestMachine();
  const jit = new JitTestMachine();
  const cache = new CodeCache(jit.cpu, { threshold: 0, wasm });
  const dv = new DataView(code.buffer, code.byteOffset);
  let faults = 0;
  let total = 0;
  const vectors = new Map<number, number>();
  for (let i = 0; i < bodies.length; i++) {
    const data = new Uint8Array(DATA_SIZE);
    for (let j = 0; j < 0x800; j++) data[j] = r() & 0xff;
    const regs = Array.from({ length: 8 }, () => r() | 0);
    regs[4] = DATA_BASE + 0xf00;
    const eflags = (r() & 0x8d5) | 2;
    const shortDs = !user && (i & 1) === 1;
    const states = [interp, jit].map((m) => {
      m.host.memory.ram.set(code, CODE_BASE);
      m.host.memory.ram.set(data, DATA_BASE);
      if (user) m.enterUser(regs, dv.getUint32(i * 4, true), eflags);
      else m.enter(regs, dv.getUint32(i * 4, true), eflags, shortDs);
      const before = m.cpu.instructionCount;
      m.runToHalt(m === jit ? cache : null, 200000, 97);
      const st = m.state();
      if (m === jit) total += m.cpu.instructionCount - before;
      return st;
    });
    const diff = diffStates(states[0], states[1]);
    assert.deepEqual(diff, [], `sequence ${i}${shortDs ? ' (limited DS)' : ''}${user ? ' (CPL 3)' : ''}:\n${bodies[i]}\n${diff.join('\n')}`);
    const vector = interp.stoppedByVector();
    if (vector >= 0) {
      faults++;
      vectors.set(vector, (vectors.get(vector) ?? 0) + 1);
    }
  }
  const backEnd = cache.wasm ? `, ${cache.wasm.compiled} of them to WebAssembly (${cache.wasm.refused} refused by the translator)` : '';
  console.log(`# CPL ${user ? 3 : 0}: ${bodies.length} sequences, ${faults} ended by an exception (${[...vectors].sort((a, b) => a[0] - b[0]).map(([v, n]) => `${n}× #${v}`).join(', ')}); ` +
    `${cache.stats.compiled} regions compiled${backEnd}, ${cache.stats.compiledInstructions} of ${total} instructions run compiled`);
  // At CPL 0 every other sequence runs with a limited DS, which stays JavaScript.
  if (wasm) {
    assert.ok(cache.wasm && cache.wasm.compiled > (user ? 0.9 : 0.4) * cache.stats.compiled, 'flat regions were WebAssembly');
    assert.equal(cache.wasm.invalid, 0, 'V8 accepted every module the translator produced');
  }
  else assert.equal(cache.wasm, null);
  assert.ok(faults > 20, 'the faulting forms were exercised');
  for (const v of [0, 6, 13, 14]) assert.ok(vectors.has(v), `vector ${v} was raised`);
  assert.ok(cache.stats.compiled > 10, 'regions were compiled');
  assert.ok(cache.stats.compiledInstructions > total / 2, 'most instructions ran compiled');
}

test('random sequences in real mode (16-bit code and stack, segment-checked accesses) agree', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const seed = 0x16b17;
  const r = rng(seed);
  const bodies = randomSequences(seed, 300).map((s) => {
    const lines = s.body.split('\n');
    if (r() % 3 === 0) lines.splice(r() % (lines.length + 1), 0, EXTRAS[r() % EXTRAS.length]);
    if (r() % 4 !== 0) return lines.join('\n');
    lines.splice(r() % (lines.length + 1), 0, pick(r, ['ud2', 'mov ax, [ebp + 0x10000]', 'push dword [esp + 0x20000]', 'xor bx, bx\ndiv bl', 'mov eax, [cs:0x1fffe]']));
    return lines.join('\n');
  });
  const code = assemble(source(bodies, 16));
  const interp = new JitTestMachine();
  const jit = new JitTestMachine();
  const cache = new CodeCache(jit.cpu, { threshold: 0 });
  const dv = new DataView(code.buffer, code.byteOffset);
  const vectors = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < bodies.length; i++) {
    const data = new Uint8Array(DATA_SIZE);
    for (let j = 0; j < 0x800; j++) data[j] = r() & 0xff;
    const regs = Array.from({ length: 8 }, () => r() | 0);
    regs[4] = 0xf00;
    const eflags = (r() & 0x8d5) | 2;
    const states = [interp, jit].map((m) => {
      m.host.memory.ram.set(code, CODE_BASE);
      m.host.memory.ram.set(data, DATA_BASE);
      m.enterReal(regs, dv.getUint32(i * 4, true), eflags);
      const before = m.cpu.instructionCount;
      m.runToHalt(m === jit ? cache : null, 200000, 97);
      if (m === jit) total += m.cpu.instructionCount - before;
      return m.state();
    });
    const diff = diffStates(states[0], states[1]);
    assert.deepEqual(diff, [], `real-mode sequence ${i}:\n${bodies[i]}\n${diff.join('\n')}`);
    const v = interp.stoppedByVector();
    if (v >= 0) vectors.set(v, (vectors.get(v) ?? 0) + 1);
  }
  console.log(`# ${bodies.length} real-mode sequences (${[...vectors].map(([v, n]) => `${n}× #${v}`).join(', ')}); ` +
    `${cache.stats.compiledInstructions} of ${total} instructions run compiled`);
  assert.ok(cache.stats.compiledInstructions > total / 2, 'most instructions ran compiled');
  for (const v of [0, 6, 12, 13]) assert.ok(vectors.has(v), `vector ${v} was raised`);
});

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[r() % list.length];
}
