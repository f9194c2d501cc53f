// Seeded random x87 and MMX sequences for the differential tests. x87 sequences (loads,
// arithmetic in every operand form, compares, FCMOV, stores, FIST, FPREM/FPREM1, FXTRACT,
// FSCALE, FRNDINT, FSQRT, rounding-mode changes, stack faults) run at double precision
// (PC = 53) in all four rounding modes and draw operands from values within 2^±60, so
// every result stays in the double range and must match bit for bit;
// they never load extended-precision constants (FLDPI, m80), whose extra bits termu's
// double arithmetic rounds differently.

import { OUT, F32, F64, I16, I32, M80, MMX, ODD_CW, a, cw, rng, type Snippet } from './x87-snippets.js';

const F64_OPERANDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, ...Array.from({ length: 48 }, (_, i) => 16 + i)];
const ARITH = ['fadd', 'fmul', 'fsub', 'fsubr', 'fdiv', 'fdivr'];

export function randomX87Sequences(seed: number, count: number): Snippet[] {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[r() % list.length];
  const out: Snippet[] = [];
  for (let n = 0; n < count; n++) {
    // Precision 53 in all rounding modes, or 64 (nearest, or chop through the odd control word 0xffff).
    const control = (): string => (r() % 3 === 0 ? pick([cw(4), `fldcw word ${a(ODD_CW)}`]) : cw(r() % 4));
    const lines = [control()];
    let slot = 0;
    const nextOut = (): string => a(OUT + 8 * (slot++ % 32));
    const length = 4 + (r() % 7);
    for (let k = 0; k < length; k++) {
      const i = 1 + (r() % 3);
      switch (r() % 14) {
        case 0: lines.push(`fld qword ${a(F64 + 8 * pick(F64_OPERANDS))}`); break;
        case 1: lines.push(pick([`fld dword ${a(F32 + 4 * (r() % 16))}`, `fild dword ${a(I32 + 4 * (r() % 8))}`, `fild word ${a(I16 + 2 * (r() % 8))}`, 'fld1', 'fldz', 'fldpi', 'fldl2e', `fld tword ${a(M80 + 10 * pick([0, 1, 2, 10, 11, 14, 15]))}`])); break;
        case 2: lines.push(`${pick(ARITH)} qword ${a(F64 + 8 * pick(F64_OPERANDS))}`); break;
        case 3: lines.push(pick([`${pick(ARITH)} st0, st${i}`, `${pick(ARITH)} st${i}, st0`, `${pick(ARITH)}p st${i}, st0`])); break;
        case 4: lines.push(`${pick(ARITH)} dword ${a(F32 + 4 * (r() % 16))}`); break;
        case 5: lines.push(pick([`fxch st${i}`, 'fchs', 'fabs', 'fabs\nfsqrt', 'fsqrt', 'frndint', `fst st${i}`, `fstp st${i}`])); break;
        case 6: {
          const op = pick([`fcom st${i}`, `fucomp st${i}`, `fcomi st0, st${i}`, `fucomip st0, st${i}`, 'ftst', 'fxam']);
          // FCOMI clears C1 per the SDM, AMD hosts leave it: a push and pop redefines C1 before it is looked at.
          lines.push(op.includes('comi') ? `${op}\nfld1\nfstp st0` : op, `fnstsw ${nextOut()}`);
          break;
        }
        case 7: lines.push(pick(['fst qword', 'fstp qword', 'fst dword', 'fstp dword']) + ` ${nextOut()}`); break;
        case 8: lines.push(pick(['fist dword', 'fistp dword', 'fist word', 'fistp qword']) + ` ${nextOut()}`); break;
        case 9: lines.push(control()); break;
        case 10: lines.push(`fi${pick(ARITH).slice(1)} dword ${a(I32 + 4 * (r() % 8))}`); break;
        case 11: lines.push(pick([`fcmovb st0, st${i}`, `fcmovne st0, st${i}`, `fcmovnbe st0, st${i}`, `fcmovu st0, st${i}`])); break;
        case 12: lines.push(pick(['fprem', 'fprem1']), `fnstsw ${nextOut()}`); break;
        default:
          // FSCALE by a small factor only: larger ones leave the double range termu computes in.
          lines.push(pick(['fxtract', `fld qword ${a(F64 + 8 * pick([2, 3, 8, 12, 13]))}\nfxch st1\nfscale\nfstp st1`]));
          break;
      }
    }
    out.push({ name: `random x87 #${n} (seed ${seed})`, body: lines.join('\n') });
  }
  return out;
}

const MMX_BINARY = ['paddb', 'paddw', 'paddd', 'paddsb', 'paddsw', 'paddusb', 'paddusw', 'psubb', 'psubw', 'psubd',
  'psubsb', 'psubsw', 'psubusb', 'psubusw', 'pmullw', 'pmulhw', 'pmaddwd', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd',
  'pcmpgtb', 'pcmpgtw', 'pcmpgtd', 'packsswb', 'packssdw', 'packuswb', 'punpcklbw', 'punpcklwd', 'punpckldq',
  'punpckhbw', 'punpckhwd', 'punpckhdq', 'pand', 'pandn', 'por', 'pxor'];

export function randomMmxSequences(seed: number, count: number): Snippet[] {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[r() % list.length];
  const out: Snippet[] = [];
  for (let n = 0; n < count; n++) {
    const lines: string[] = [];
    for (let m = 0; m < 4; m++) lines.push(`movq mm${m}, qword ${a(MMX + 8 * (r() % 16))}`);
    const length = 3 + (r() % 8);
    for (let k = 0; k < length; k++) {
      const d = r() % 4;
      const src = r() % 3 ? `mm${r() % 4}` : `qword ${a(MMX + 8 * (r() % 16))}`;
      switch (r() % 4) {
        case 0: case 1: lines.push(`${pick(MMX_BINARY)} mm${d}, ${src}`); break;
        case 2: lines.push(`${pick(['psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad'])} mm${d}, ${r() % 70}`); break;
        default: lines.push(pick([`movq mm${d}, ${src}`, `movd mm${d}, eax`, `movd eax, mm${d}`, `movq qword ${a(OUT + 8 * (r() % 16))}, mm${d}`])); break;
      }
    }
    out.push({ name: `random MMX #${n} (seed ${seed})`, body: lines.join('\n') });
  }
  return out;
}
