// A seeded generator of random instruction sequences over the tested integer set: random
// instructions, operand forms and (through the case's initial state) register values.
// It tracks which EFLAGS bits are undefined at each point, never emits an instruction
// that reads an undefined flag, and reports what is still undefined at the end.

import { AF, ARITH_FLAGS, CF, OF, PF, SF, ZF, rng, shiftUndefined, type IntSnippet } from './integer-snippets.js';
import { DATA_BASE } from './native-host.js';

interface Form {
  /** Division may fault (#DE) and end the sequence with the flags as they were before it. */
  mayFault?: boolean;
  /** Builds the instruction text and returns [text, flags left undefined], or -1 when this instance writes no flags. */
  make(r: () => number): [string, number];
  /** Flags the instruction reads. */
  reads: number;
  /** Flags it writes (defined or undefined). */
  writes: number;
}

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'bp', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const CC_READS = [OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[r() % list.length];
}

/**
 * Instructions that load address registers for the next memory operand. operand() adds
 * to it and randomSequences() emits it before the instruction that uses the operand.
 */
const addressSetup: string[] = [];
const BASES = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'];

/**
 * A register, or a memory operand in the random-data part of the window of `bits` size,
 * addressed by disp32, base+disp8, base+disp32 or base+index*scale+disp (EBP-based forms
 * default to SS), so the ModRM/SIB decoding is exercised too.
 */
function operand(r: () => number, bits: number, allowMem = true): string {
  if (allowMem && r() % 4 === 0) {
    const size = bits === 8 ? 'byte' : bits === 16 ? 'word' : 'dword';
    const target = DATA_BASE + (r() % 0x7f0);
    const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
    switch (r() % 4) {
      case 0: return `${size} [${hex(target)}]`;
      case 1: {
        const base = pick(r, BASES);
        const disp = (r() % 256) - 128;
        addressSetup.push(`mov ${base}, ${hex(target - disp)}`);
        return `${size} [${base} + ${disp}]`;
      }
      case 2: {
        const base = pick(r, BASES);
        const disp = r() % 0x10000;
        addressSetup.push(`mov ${base}, ${hex(target - disp)}`);
        return `${size} [${base} + ${hex(disp)}]`;
      }
      default: {
        const base = pick(r, BASES);
        const index = pick(r, BASES.filter((x) => x !== base));
        const scale = pick(r, [1, 2, 4, 8]);
        const k = (r() % 64) - 32;
        const disp = (r() % 256) - 128;
        addressSetup.push(`mov ${base}, ${hex(target - k * scale - disp)}`, `mov ${index}, ${k}`);
        return `${size} [${base} + ${index}*${scale} + ${disp}]`;
      }
    }
  }
  return pick(r, bits === 8 ? R8 : bits === 16 ? R16 : R32);
}

function reg(r: () => number, bits: number): string {
  return operand(r, bits, false);
}

const sizeOf = (r: () => number): number => pick(r, [8, 16, 32, 32]);

const FORMS: Form[] = [
  ...['add', 'sub', 'and', 'or', 'xor', 'cmp'].map((op): Form => ({
    reads: 0, writes: ARITH_FLAGS,
    make: (r) => {
      const bits = sizeOf(r);
      const dst = operand(r, bits);
      const src = dst.includes('[') || r() & 1 ? (r() & 1 ? reg(r, bits) : `${r() & (bits === 8 ? 0xff : 0x7fff)}`) : operand(r, bits);
      return [`${op} ${dst}, ${src}`, op === 'and' || op === 'or' || op === 'xor' ? AF : 0];
    },
  })),
  ...['adc', 'sbb'].map((op): Form => ({
    reads: CF, writes: ARITH_FLAGS,
    make: (r) => {
      const bits = sizeOf(r);
      return [`${op} ${operand(r, bits)}, ${reg(r, bits)}`, 0];
    },
  })),
  ...['inc', 'dec', 'neg', 'not'].map((op): Form => ({
    reads: 0, writes: op === 'not' ? 0 : op === 'neg' ? ARITH_FLAGS : ARITH_FLAGS & ~CF,
    make: (r) => [`${op} ${operand(r, sizeOf(r))}`, 0],
  })),
  ...['shl', 'shr', 'sar', 'rol', 'ror'].map((op): Form => ({
    // Rotates write only CF and OF; shifts write them all.
    reads: 0, writes: op.startsWith('ro') ? CF | OF : ARITH_FLAGS,
    make: (r) => {
      const bits = sizeOf(r);
      const c = 1 + (r() % 31); // a zero count would leave the flags as they were
      return [`${op} ${operand(r, bits)}, ${c}`, shiftUndefined(op, bits, c)];
    },
  })),
  ...['rcl', 'rcr'].map((op): Form => ({
    reads: CF, writes: CF | OF,
    make: (r) => {
      const bits = sizeOf(r);
      const c = 1 + (r() % 31);
      return [`${op} ${operand(r, bits)}, ${c}`, shiftUndefined(op, bits, c)];
    },
  })),
  {
    reads: 0, writes: ARITH_FLAGS,
    make: (r) => {
      const c = 1 + (r() % 31);
      return [`${pick(r, ['shld', 'shrd'])} ${operand(r, 32)}, ${reg(r, 32)}, ${c}`, shiftUndefined('shld', 32, c)];
    },
  },
  {
    reads: 0, writes: ARITH_FLAGS,
    make: (r) => [`${pick(r, ['mul', 'imul'])} ${operand(r, sizeOf(r))}`, SF | ZF | AF | PF],
  },
  {
    reads: 0, writes: ARITH_FLAGS,
    make: (r) => {
      const bits = pick(r, [16, 32]);
      return [`imul ${reg(r, bits)}, ${operand(r, bits)}${r() & 1 ? `, ${(r() & 0xff) - 128}` : ''}`, SF | ZF | AF | PF];
    },
  },
  {
    // Division: usually with a cleared high half so most complete; some fault with #DE.
    reads: 0, writes: ARITH_FLAGS, mayFault: true,
    make: (r) => {
      const bits = pick(r, [8, 16, 32]);
      const high = bits === 8 ? 'ah' : bits === 16 ? 'dx' : 'edx';
      const divisor = pick(r, bits === 8 ? ['bl', 'cl', 'bh'] : bits === 16 ? ['bx', 'cx', 'si'] : ['ebx', 'ecx', 'esi']);
      const prep = r() % 4 ? `xor ${high}, ${high}\n` : '';
      return [`${prep}${pick(r, ['div', 'idiv'])} ${divisor}`, ARITH_FLAGS];
    },
  },
  ...['bt', 'bts', 'btr', 'btc'].map((op): Form => ({
    reads: 0, writes: ARITH_FLAGS & ~ZF,
    make: (r) => [`${op} ${reg(r, 32)}, ${r() & 31}`, OF | SF | AF | PF],
  })),
  {
    reads: AF | CF, writes: ARITH_FLAGS,
    make: (r) => [pick(r, ['daa', 'das']), OF],
  },
  {
    reads: AF, writes: ARITH_FLAGS,
    make: (r) => [pick(r, ['aaa', 'aas']), OF | SF | ZF | PF],
  },
  {
    reads: 0, writes: ARITH_FLAGS,
    make: (r) => [`${pick(r, ['aam', 'aad'])} ${1 + (r() % 255)}`, OF | AF | CF],
  },
  ...CC.map((cc, i): Form => ({
    reads: CC_READS[i], writes: 0,
    make: (r) => [r() & 1 ? `set${cc} ${operand(r, 8)}` : `cmov${cc} ${reg(r, 32)}, ${operand(r, 32)}`, 0],
  })),
  {
    reads: 0, writes: 0,
    // Built lazily: only the chosen form may add address setup.
    make: (r) => [pick(r, [
      () => 'bswap eax', () => 'bswap esi', () => 'cdq', () => 'cwde', () => 'cbw',
      () => `xchg ${reg(r, 32)}, ${reg(r, 32)}`,
      () => `movzx ${reg(r, 32)}, ${operand(r, 8)}`,
      () => `movsx ${reg(r, 32)}, ${operand(r, 16)}`,
      () => `lea ${reg(r, 32)}, [${reg(r, 32)} + ${reg(r, 32)}*4 + ${r() & 0xffff}]`,
    ])(), 0],
  },
  {
    reads: 0, writes: CF,
    make: (r) => [pick(r, ['stc', 'clc']), 0],
  },
  {
    // String instructions over the window, forwards or backwards, with REP/REPE/REPNE and a count of at least 1.
    reads: 0, writes: ARITH_FLAGS,
    make: (r) => {
      const back = (r() & 1) === 1;
      const [sfx, w] = pick(r, [['b', 1], ['w', 2], ['d', 4]] as const);
      const n = 1 + (r() % 12);
      const src = DATA_BASE + 0x100 + (r() % 0x200) + (back ? n * w : 0);
      const dst = DATA_BASE + 0x900 + (r() % 0x200) + (back ? n * w : 0);
      const op = pick(r, [`rep movs${sfx}`, `rep stos${sfx}`, `lods${sfx}`, `repe cmps${sfx}`, `repne scas${sfx}`, `repe scas${sfx}`]);
      const compares = op.includes('cmps') || op.includes('scas');
      const text = `${back ? 'std' : 'cld'}\nmov esi, 0x${src.toString(16)}\nmov edi, 0x${(op.includes('scas') ? src : dst).toString(16)}\nmov ecx, ${n}\n${op}\ncld`;
      // Moves, stores and loads leave the flags as they were: only compares define them.
      return [text, compares ? 0 : -1];
    },
  },
  {
    reads: 0, writes: 0,
    make: (r) => [pick(r, [
      () => `push ${operand(r, 32)}\npop ${reg(r, 32)}`,
      () => `push ${reg(r, 32)}\npush word ${r() & 0xffff}\npop ${reg(r, 16)}\npop ${reg(r, 32)}`,
      () => `xchg ${operand(r, 32)}, ${reg(r, 32)}`,
    ])(), 0],
  },
  {
    reads: 0, writes: ARITH_FLAGS,
    make: (r) => {
      const bits = pick(r, [8, 16, 32]);
      return [`cmpxchg ${operand(r, bits)}, ${reg(r, bits)}`, 0];
    },
  },
  {
    reads: CF, writes: CF,
    make: () => ['cmc', 0],
  },
  {
    reads: 0, writes: ARITH_FLAGS,
    make: (r) => [`xadd ${operand(r, 32)}, ${reg(r, 32)}`, 0],
  },
];

/** `count` random sequences of 3-10 instructions, each a snippet with its undefined flags. */
export function randomSequences(seed: number, count: number): IntSnippet[] {
  const r = rng(seed);
  const out: IntSnippet[] = [];
  for (let n = 0; n < count; n++) {
    let undefinedNow = 0;
    let undefinedAtFaults = 0;
    const lines: string[] = [];
    const length = 3 + (r() % 8);
    while (lines.length < length) {
      const f = pick(r, FORMS);
      if (f.reads & undefinedNow) continue;
      addressSetup.length = 0;
      const [text, u] = f.make(r);
      if (f.mayFault) undefinedAtFaults |= undefinedNow;
      lines.push(...addressSetup, text);
      // u = -1: this instance turned out not to write the flags at all.
      if (u !== -1) undefinedNow = (undefinedNow & ~f.writes) | u;
    }
    out.push({ name: `random #${n} (seed ${seed})`, body: lines.join('\n'), undefinedFlags: undefinedNow | undefinedAtFaults });
  }
  return out;
}
