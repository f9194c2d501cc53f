// User-mode integer test snippets for the differential tests: ALU, shifts and rotates with
// every count, MUL/DIV with their faults, BCD, string instructions with prefixes, bit
// operations, CMOVcc/SETcc and the small stuff around them. Each snippet carries the
// EFLAGS bits the SDM leaves undefined for it, which are the only flags not compared.

import { DATA_BASE, DATA_SIZE } from './native-host.js';

export const CF = 0x001, PF = 0x004, AF = 0x010, ZF = 0x040, SF = 0x080, OF = 0x800;
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;

export interface IntSnippet {
  name: string;
  body: string;
  /** EFLAGS bits the SDM leaves undefined after this snippet. */
  undefinedFlags: number;
  /** Registers whose final value the SDM leaves undefined (e.g. BSF's destination for a zero source). */
  undefinedRegs?: number[];
}

/** Bytes 0-0x7ff of the window hold seeded random operands; 0x800-0xeff is output; the stack starts at 0xf00. */
export const INT_STACK_TOP = DATA_BASE + 0xf00;

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

export function integerData(seed: number): Uint8Array {
  const d = new Uint8Array(DATA_SIZE);
  const r = rng(seed);
  for (let i = 0; i < 0x800; i++) d[i] = r() & 0xff;
  return d;
}

const at = (off: number): string => `0x${(DATA_BASE + off).toString(16)}`;
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'bp', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SIZES = [[8, R8, 'byte'], [16, R16, 'word'], [32, R32, 'dword']] as const;
const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

/** Undefined flags of a shift or rotate by a known count (the masked count decides). */
export function shiftUndefined(op: string, bits: number, count: number): number {
  const c = count & 31;
  if (c === 0) return 0;
  let u = c === 1 ? 0 : OF;
  if (op === 'shl' || op === 'shr' || op === 'sar' || op === 'shld' || op === 'shrd') {
    u |= AF;
    if (c >= bits && (op === 'shl' || op === 'shr')) u |= CF;
  }
  return u;
}

export function integerSnippets(seed: number): IntSnippet[] {
  const r = rng(seed);
  const s: IntSnippet[] = [];
  const imm = (bits: number): string => `0x${((r() & (bits === 32 ? 0xffffffff : bits === 16 ? 0xffff : 0xff)) >>> 0).toString(16)}`;

  // ALU: register, immediate and memory forms at every size.
  for (const op of ['add', 'adc', 'sub', 'sbb', 'and', 'or', 'xor', 'cmp', 'test']) {
    const u = op === 'and' || op === 'or' || op === 'xor' || op === 'test' ? AF : 0;
    for (const [bits, regs, size] of SIZES) {
      const a = regs[r() % regs.length];
      const b = regs[r() % regs.length];
      const off = (r() % 0x200) * 4;
      s.push({ name: `${op}${bits} r,r`, body: `${op} ${a}, ${b}`, undefinedFlags: u });
      s.push({ name: `${op}${bits} r,imm`, body: `${op} ${a}, ${imm(bits)}`, undefinedFlags: u });
      s.push({ name: `${op}${bits} m,r`, body: `${op} ${size} [${at(off)}], ${b}`, undefinedFlags: u });
      if (op !== 'test') s.push({ name: `${op}${bits} r,m`, body: `${op} ${a}, ${size} [${at(off)}]`, undefinedFlags: u });
      if (bits !== 8 && op !== 'test') s.push({ name: `${op}${bits} m,imm8`, body: `${op} ${size} [${at(off)}], byte ${(r() & 0xff) - 128}`, undefinedFlags: u });
    }
  }
  for (const op of ['inc', 'dec', 'neg', 'not']) {
    for (const [bits, regs, size] of SIZES) {
      s.push({ name: `${op}${bits} r`, body: `${op} ${regs[r() % regs.length]}`, undefinedFlags: 0 });
      s.push({ name: `${op}${bits} m`, body: `${op} ${size} [${at((r() % 0x200) * 4)}]`, undefinedFlags: 0 });
    }
  }
  for (const [bits, regs] of SIZES) {
    // Boundary values for the overflow and auxiliary carry logic.
    const max = bits === 32 ? 0x7fffffff : (1 << (bits - 1)) - 1;
    for (const [x, y] of [[max, 1], [max + 1, 1], [0, 1], [-1 >>> (32 - bits), 1], [0x0f, 1]]) {
      for (const op of ['add', 'sub', 'adc', 'sbb', 'cmp']) {
        s.push({ name: `${op}${bits} edge ${x},${y}`, body: `mov ${regs[0]}, ${x}\nmov ${regs[3]}, ${y}\n${op} ${regs[0]}, ${regs[3]}`, undefinedFlags: 0 });
      }
    }
  }

  // Shifts and rotates with every count, by CL, by immediate and by 1, register and memory.
  for (const op of ['shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr']) {
    for (const [bits, regs, size] of SIZES) {
      for (let c = 0; c < 34; c++) {
        const reg = regs[[0, 2, 3][c % 3]];
        s.push({ name: `${op}${bits} cl=${c}`, body: `mov cl, ${c}\n${op} ${reg}, cl`, undefinedFlags: shiftUndefined(op, bits, c) });
        if (c > 0 && c < 32 && c % 3 === 0) {
          s.push({ name: `${op}${bits} imm ${c}`, body: `${op} ${size} [${at((r() % 0x200) * 4)}], ${c}`, undefinedFlags: shiftUndefined(op, bits, c) });
        }
      }
      s.push({ name: `${op}${bits} 1`, body: `${op} ${regs[1]}, 1`, undefinedFlags: shiftUndefined(op, bits, 1) });
    }
  }
  for (const op of ['shld', 'shrd']) {
    for (const [bits, regs] of [[16, R16], [32, R32]] as const) {
      for (let c = 0; c < 33; c++) {
        // A count above the operand size leaves result and flags undefined (16-bit forms).
        if ((c & 31) > bits) continue;
        s.push({ name: `${op}${bits} cl=${c}`, body: `mov cl, ${c}\n${op} ${regs[0]}, ${regs[3]}, cl`, undefinedFlags: shiftUndefined(op, bits, c) });
      }
      s.push({ name: `${op}${bits} imm`, body: `${op} ${regs[2]}, ${regs[5]}, 7`, undefinedFlags: shiftUndefined(op, bits, 7) });
    }
  }

  // Multiplication and division, including #DE.
  const mulU = SF | ZF | AF | PF;
  for (const [bits, regs, size] of SIZES) {
    s.push({ name: `mul${bits} r`, body: `mul ${regs[3]}`, undefinedFlags: mulU });
    s.push({ name: `imul${bits} r`, body: `imul ${regs[3]}`, undefinedFlags: mulU });
    s.push({ name: `mul${bits} m`, body: `mul ${size} [${at((r() % 0x200) * 4)}]`, undefinedFlags: mulU });
    if (bits !== 8) {
      s.push({ name: `imul${bits} r,r`, body: `imul ${regs[1]}, ${regs[6]}`, undefinedFlags: mulU });
      s.push({ name: `imul${bits} r,r,imm`, body: `imul ${regs[1]}, ${regs[5]}, ${(r() & 0xffff) - 0x8000}`, undefinedFlags: mulU });
      s.push({ name: `imul${bits} r,m,imm8`, body: `imul ${regs[2]}, ${size} [${at((r() % 0x200) * 4)}], ${(r() & 0xff) - 128}`, undefinedFlags: mulU });
    }
    const hi = bits === 8 ? 'ah' : regs[2];
    const acc = bits === 8 ? 'ax' : regs[0];
    for (const op of ['div', 'idiv']) {
      s.push({ name: `${op}${bits} small high`, body: `${bits === 8 ? 'and ah, 0x0f' : `and ${hi}, 0x0f`}\nor ${regs[3]}, 0x100\n${op} ${regs[3]}`, undefinedFlags: ARITH_FLAGS });
      s.push({ name: `${op}${bits} random`, body: `${op} ${regs[3]}`, undefinedFlags: ARITH_FLAGS });
      s.push({ name: `${op}${bits} by zero`, body: `xor ${regs[3]}, ${regs[3]}\n${op} ${regs[3]}`, undefinedFlags: ARITH_FLAGS });
      s.push({ name: `${op}${bits} m`, body: `xor ${bits === 8 ? 'ah, ah' : `${hi}, ${hi}`}\n${op} ${size} [${at(0x7f0)}]`, undefinedFlags: ARITH_FLAGS });
    }
    const min = bits === 32 ? '0x80000000' : bits === 16 ? '0x8000' : '0x80';
    const signExtend = bits === 32 ? 'cdq' : bits === 16 ? 'cwd' : 'cbw';
    s.push({ name: `idiv${bits} overflow`, body: `mov ${bits === 8 ? 'al' : acc}, ${min}\n${signExtend}\nmov ${regs[3]}, -1\nidiv ${regs[3]}`, undefinedFlags: ARITH_FLAGS });
    s.push({ name: `idiv${bits} negative`, body: `mov ${bits === 8 ? 'al' : acc}, -100\n${signExtend}\nmov ${regs[3]}, 7\nidiv ${regs[3]}`, undefinedFlags: ARITH_FLAGS });
  }

  // BCD adjustments over many AL/AF/CF inputs (the initial flags vary per case).
  for (let n = 0; n < 24; n++) {
    const al = r() & 0xff;
    s.push({ name: `daa ${al}`, body: `mov al, ${al}\ndaa`, undefinedFlags: OF });
    s.push({ name: `das ${al}`, body: `mov al, ${al}\ndas`, undefinedFlags: OF });
    s.push({ name: `aaa ${al}`, body: `mov ax, ${al | ((r() & 0xff) << 8)}\naaa`, undefinedFlags: OF | SF | ZF | PF });
    s.push({ name: `aas ${al}`, body: `mov ax, ${al | ((r() & 0xff) << 8)}\naas`, undefinedFlags: OF | SF | ZF | PF });
    s.push({ name: `aam ${al}`, body: `mov al, ${al}\naam ${[10, 16, 7, 255][n & 3]}`, undefinedFlags: OF | AF | CF });
    s.push({ name: `aad ${al}`, body: `mov ax, ${al | ((r() & 0xff) << 8)}\naad ${[10, 16, 7, 255][n & 3]}`, undefinedFlags: OF | AF | CF });
  }
  s.push({ name: 'aam 0', body: 'aam 0', undefinedFlags: OF | AF | CF });
  s.push({ name: 'add+daa', body: 'mov al, 0x38\nadd al, 0x45\ndaa\nmov bl, al\nmov al, 0x91\nadd al, 0x19\ndaa', undefinedFlags: OF });
  s.push({ name: 'sub+das', body: 'mov al, 0x38\nsub al, 0x45\ndas', undefinedFlags: OF });

  // String instructions with and without REP prefixes, both directions.
  const src = at(0x100);
  const dst = at(0x900);
  for (const [sfx, w] of [['b', 1], ['w', 2], ['d', 4]] as const) {
    for (const dir of ['cld', 'std']) {
      const count = 1 + (r() % 9);
      const sOff = dir === 'std' ? `${src} + ${count * w}` : src;
      const dOff = dir === 'std' ? `${dst} + ${count * w}` : dst;
      s.push({ name: `rep movs${sfx} ${dir}`, body: `${dir}\nmov esi, ${sOff}\nmov edi, ${dOff}\nmov ecx, ${count}\nrep movs${sfx}\ncld`, undefinedFlags: 0 });
      s.push({ name: `rep stos${sfx} ${dir}`, body: `${dir}\nmov edi, ${dOff}\nmov ecx, ${count}\nrep stos${sfx}\ncld`, undefinedFlags: 0 });
      s.push({ name: `lods${sfx} ${dir}`, body: `${dir}\nmov esi, ${sOff}\nlods${sfx}\nlods${sfx}\ncld`, undefinedFlags: 0 });
      s.push({ name: `movs${sfx} ${dir}`, body: `${dir}\nmov esi, ${sOff}\nmov edi, ${dOff}\nmovs${sfx}\ncld`, undefinedFlags: 0 });
      s.push({ name: `rep movs${sfx} ecx=0`, body: `mov esi, ${src}\nmov edi, ${dst}\nxor ecx, ecx\nrep movs${sfx}`, undefinedFlags: 0 });
      // Compare against a copy with one element changed, so REPE stops at a known place.
      const diffAt = r() % count;
      s.push({
        name: `repe cmps${sfx} ${dir}`,
        body: `mov esi, ${src}\nmov edi, ${dst}\nmov ecx, ${count}\nrep movs${sfx}\nnot byte [${dst} + ${diffAt * w}]\n` +
          `${dir}\nmov esi, ${sOff}\nmov edi, ${dOff}\nmov ecx, ${count + 2}\nrepe cmps${sfx}\ncld`,
        undefinedFlags: 0,
      });
      s.push({ name: `repne scas${sfx} ${dir}`, body: `${dir}\nmov edi, ${sOff}\nmov eax, [${src} + ${diffAt * w}]\nmov ecx, ${count + 3}\nrepne scas${sfx}\ncld`, undefinedFlags: 0 });
      s.push({ name: `repe scas${sfx}`, body: `mov edi, ${dst}\nmov ecx, ${count}\nxor eax, eax\nrep stos${sfx}\nmov edi, ${dst}\nmov ecx, ${count + 2}\nrepe scas${sfx}`, undefinedFlags: 0 });
    }
  }

  // Segment overrides (all flat here, as in a Linux process) and LOCK on read-modify-write forms.
  s.push({ name: 'movs with overrides', body: `mov esi, ${src}\nmov edi, ${dst}\nmov ecx, 5\nrep ss movsd\ncs lodsb\nss cmpsw`, undefinedFlags: 0 });
  s.push({ name: 'lock rmw', body: `lock add dword [${at(0x60)}], ebx\nlock xadd [${at(0x64)}], ecx\nlock bts dword [${at(0x68)}], 5\nlock inc byte [${at(0x6c)}]\nlock xchg [${at(0x70)}], edx\nlock sbb word [${at(0x74)}], si`, undefinedFlags: OF | SF | AF | PF });
  s.push({ name: 'lock cmpxchg', body: `mov eax, [${at(0x78)}]\nlock cmpxchg [${at(0x78)}], edi\nlock cmpxchg8b [${at(0x80)}]`, undefinedFlags: 0 });

  // Bit operations.
  for (const op of ['bt', 'bts', 'btr', 'btc']) {
    for (const [bits, regs, size] of [[16, R16, 'word'], [32, R32, 'dword']] as const) {
      s.push({ name: `${op}${bits} r,r`, body: `${op} ${regs[0]}, ${regs[3]}`, undefinedFlags: OF | SF | AF | PF });
      s.push({ name: `${op}${bits} r,imm`, body: `${op} ${regs[2]}, ${r() & 0xff}`, undefinedFlags: OF | SF | AF | PF });
      s.push({ name: `${op}${bits} m,imm`, body: `${op} ${size} [${at(0x400)}], ${r() & 0xff}`, undefinedFlags: OF | SF | AF | PF });
      // Register bit offsets reach outside the addressed word, both ways.
      s.push({ name: `${op}${bits} m,r`, body: `mov ${regs[1]}, ${(r() % 2048) - 1024}\n${op} ${size} [${at(0x400)}], ${regs[1]}`, undefinedFlags: OF | SF | AF | PF });
    }
  }
  for (const op of ['bsf', 'bsr']) {
    for (const [bits, regs, size] of [[16, R16, 'word'], [32, R32, 'dword']] as const) {
      s.push({ name: `${op}${bits} r,r`, body: `or ${regs[3]}, 0x100\n${op} ${regs[0]}, ${regs[3]}`, undefinedFlags: CF | OF | SF | AF | PF });
      s.push({ name: `${op}${bits} r,m`, body: `${op} ${regs[2]}, ${size} [${at((r() % 0x200) * 4)}]`, undefinedFlags: CF | OF | SF | AF | PF });
      s.push({ name: `${op}${bits} zero`, body: `xor ${regs[3]}, ${regs[3]}\n${op} ${regs[0]}, ${regs[3]}`, undefinedFlags: CF | OF | SF | AF | PF, undefinedRegs: [0] });
    }
  }

  // Conditions: SETcc and CMOVcc for all sixteen, on the case's random flags.
  for (const cc of CONDITIONS) {
    s.push({ name: `set${cc}`, body: `set${cc} al\nset${cc} byte [${at(0x800)}]`, undefinedFlags: 0 });
    s.push({ name: `cmov${cc} r32`, body: `cmov${cc} eax, ebx\ncmov${cc} cx, [${at(0x10)}]`, undefinedFlags: 0 });
  }

  // Moves, exchanges and the rest of the user-mode basics.
  s.push({ name: 'movzx/movsx', body: `movzx eax, bl\nmovsx ecx, bh\nmovzx edx, word [${at(0x20)}]\nmovsx esi, byte [${at(0x21)}]\nmovsx di, dl`, undefinedFlags: 0 });
  s.push({ name: 'xchg/xadd', body: `xchg eax, ebx\nxchg cl, dh\nxadd esi, edi\nxadd [${at(0x30)}], cx\nxchg [${at(0x34)}], edx`, undefinedFlags: 0 });
  s.push({ name: 'cmpxchg equal', body: `mov eax, [${at(0x40)}]\ncmpxchg [${at(0x40)}], ebx`, undefinedFlags: 0 });
  s.push({ name: 'cmpxchg differ', body: `mov eax, ecx\ncmpxchg [${at(0x40)}], ebx\ncmpxchg dl, bh`, undefinedFlags: 0 });
  s.push({ name: 'cmpxchg8b equal', body: `mov eax, [${at(0x48)}]\nmov edx, [${at(0x4c)}]\ncmpxchg8b [${at(0x48)}]`, undefinedFlags: 0 });
  s.push({ name: 'cmpxchg8b differ', body: `cmpxchg8b [${at(0x48)}]`, undefinedFlags: 0 });
  s.push({ name: 'bswap', body: 'bswap eax\nbswap edi', undefinedFlags: 0 });
  s.push({ name: 'cbw/cwde/cwd/cdq', body: 'cbw\nmov ebx, eax\ncwde\nmov ecx, eax\ncwd\nmov esi, edx\ncdq', undefinedFlags: 0 });
  s.push({ name: 'lea', body: `lea eax, [ebx + ecx*4 + 0x1234]\nlea si, [bx + di]\nlea edx, [esi*8]`, undefinedFlags: 0 });
  s.push({ name: 'push/pop', body: `push eax\npush word 0x1234\npush dword [${at(0x50)}]\npop ecx\npop dx\npop dword [${at(0x800)}]\npusha\npopa\npushad\nmov eax, [esp+4]\npopad`, undefinedFlags: 0 });
  s.push({ name: 'pushf/popf', body: 'pushfd\npop eax\nxor eax, 0x8d5\npush eax\npopfd\npushfd\npop ebx', undefinedFlags: 0 });
  s.push({ name: 'lahf/sahf', body: 'lahf\nmov bl, ah\nmov ah, 0xd5\nsahf\nlahf', undefinedFlags: 0 });
  s.push({ name: 'clc/stc/cmc', body: 'stc\nsetc al\ncmc\nsetc bl\nclc\nsetc cl\ncmc', undefinedFlags: 0 });
  s.push({ name: 'enter/leave', body: 'mov ebp, esp\nenter 16, 0\nmov [ebp-4], eax\nleave\nenter 8, 2\nleave', undefinedFlags: 0 });
  s.push({ name: 'call/ret', body: 'call .f\njmp .done\n.f: mov eax, [esp]\nret\n.done:', undefinedFlags: 0 });
  s.push({ name: 'loop', body: 'mov ecx, 5\nxor eax, eax\n.l: add eax, ecx\nloop .l\nmov ecx, 3\n.m: inc ebx\ncmp ebx, 0\nloopne .m', undefinedFlags: 0 });
  s.push({ name: 'jcc', body: CONDITIONS.map((cc, i) => `j${cc} .t${i}\nor eax, ${1 << i}\n.t${i}:`).join('\n'), undefinedFlags: 0 });
  s.push({ name: 'xlat', body: `mov ebx, ${at(0x100)}\nxlatb`, undefinedFlags: 0 });
  s.push({ name: 'ud2', body: 'ud2', undefinedFlags: 0 });
  s.push({ name: 'into', body: 'mov al, 0x7f\nadd al, 1\ninto', undefinedFlags: 0 });
  return s;
}
