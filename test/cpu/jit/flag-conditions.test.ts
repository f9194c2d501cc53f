// The JIT evaluates conditions from what it knows of the flags' producer in the same block
// (`cmp; jb` as one unsigned compare, `test; jle` as a signed compare of the result, INC/DEC
// keeping CF, shifts and rotates by constants, CLC/STC/CMC): every flag-writing ALU form at
// each width, followed by all sixteen SETcc, a CMOVcc, a Jcc and PUSHF, on edge-case
// operands, must leave exactly the interpreter's state.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from './assemble.js';
import { rng } from '../native/integer-snippets.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE, DATA_SIZE } from './jit-machine.js';

const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const EDGES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678, 0xfffffffe];
const REGS = { 8: ['al', 'bl'], 16: ['ax', 'bx'], 32: ['eax', 'ebx'] } as const;
const SIZE = { 8: 'byte', 16: 'word', 32: 'dword' } as const;
const OPERAND = DATA_BASE + 0x800;

/** The flag producers at one width: register, immediate and memory forms. */
function producers(bits: 8 | 16 | 32, r: () => number): string[] {
  const [a, b] = REGS[bits];
  const mem = `${SIZE[bits]} [0x${OPERAND.toString(16)}]`;
  const imm = EDGES[r() % EDGES.length] & (bits === 32 ? -1 : (1 << bits) - 1);
  const forms: string[] = [];
  for (const op of ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp']) {
    forms.push(`${op} ${a}, ${b}`, `${op} ${a}, ${imm}`, `${op} ${mem}, ${b}`, `${op} ${b}, ${mem}`);
  }
  forms.push(`test ${a}, ${b}`, `test ${mem}, ${a}`, `test ${a}, ${imm}`);
  for (const op of ['inc', 'dec', 'neg']) forms.push(`${op} ${a}`, `${op} ${mem}`);
  for (const op of ['shl', 'shr', 'sar', 'rol', 'ror']) forms.push(`${op} ${a}, 1`, `${op} ${a}, ${1 + (r() % 31)}`, `${op} ${mem}, ${1 + (r() % 31)}`);
  if (bits === 32) forms.push('cmp eax, -1', 'cmp eax, 0x80000000', 'sub eax, 1', 'add eax, -1');
  return forms;
}

/** One sequence: operands, CF set or cleared, the producer, then every reader of its flags. */
function body(producer: string, r: () => number): string {
  const x = EDGES[r() % EDGES.length], y = EDGES[r() % EDGES.length], z = EDGES[r() % EDGES.length];
  const cf = pick(r, ['stc', 'clc', 'cmc', '']);
  const jcc = pick(r, CC);
  const lines = [`mov eax, 0x${x.toString(16)}`, `mov ebx, 0x${y.toString(16)}`, `mov dword [0x${OPERAND.toString(16)}], 0x${z.toString(16)}`, cf, producer];
  CC.forEach((cc, i) => lines.push(`set${cc} byte [0x${(DATA_BASE + 0x100 + i).toString(16)}]`));
  lines.push(`cmov${pick(r, CC)} ecx, ebx`, pick(r, ['', 'clc', 'stc', 'cmc', 'inc edx', 'dec edx']), `set${pick(r, CC)} dl`);
  lines.push(`j${jcc} .taken`, 'or esi, 1', '.taken:', 'pushf', 'pop edi', 'hlt');
  return lines.filter((l) => l !== '').join('\n');
}

test('conditions after every flag producer (known at compile time) agree with the interpreter', { skip: hasNasm ? false : 'nasm is not installed' }, () => {
  const r = rng(0xf1a95);
  const bodies: string[] = [];
  for (const bits of [8, 16, 32] as const) {
    for (const p of producers(bits, r)) for (let n = 0; n < 3; n++) bodies.push(body(p, r));
  }
  const lines = ['bits 32', `org 0x${CODE_BASE.toString(16)}`, 'table:'];
  bodies.forEach((_, i) => lines.push(`dd s${i}`));
  bodies.forEach((b, i) => lines.push(`s${i}:`, b));
  const code = assemble(lines.join('\n') + '\n');
  const dv = new DataView(code.buffer, code.byteOffset);
  const interp = new JitTestMachine();
  const jit = new JitTestMachine();
  const cache = new CodeCache(jit.cpu, { threshold: 0 });
  for (let i = 0; i < bodies.length; i++) {
    const eflags = (r() & 0x8d5) | 2;
    const states = [interp, jit].map((m) => {
      m.host.memory.ram.set(code, CODE_BASE);
      m.host.memory.ram.fill(0, DATA_BASE, DATA_BASE + DATA_SIZE);
      m.enter([0, 0, 0, 0, DATA_BASE + 0xf00, 0, 0, 0], dv.getUint32(i * 4, true), eflags);
      m.runToHalt(m === jit ? cache : null, 10000, 97);
      return m.state();
    });
    assert.deepEqual(diffStates(states[0], states[1]), [], `sequence ${i}:\n${bodies[i]}`);
  }
  assert.ok(cache.stats.compiledInstructions > bodies.length * 20, 'the sequences ran compiled');
});

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[r() % list.length];
}
