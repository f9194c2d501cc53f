// A compact i386 disassembler for the monitor's `x /i` and `xp /i`: the general-purpose and
// system instructions of the one- and two-byte opcode maps, printed in AT&T syntax the way
// QEMU's monitor prints them through Capstone (size suffixes on the mnemonic, explicit string
// operands, `$imm` in decimal up to 9 and hex above, `disp(%base, %index, scale)`). Bytes it
// does not know (x87, MMX/SSE, invalid encodings) come out as Capstone's skip-data `.byte 0xNN`.

export type CodeSize = 16 | 32;

export interface Instruction {
  /** Bytes the instruction occupies. */
  readonly length: number;
  readonly mnemonic: string;
  readonly operands: string;
}

// Operand kinds, in Intel order (destination first); printed reversed.
// E/G: ModRM r/m and reg; b/w/v: byte, word, operand size; I: immediate (Ibs: byte sign-extended
// to the operand size; Es: a segment register's partner, a word in memory but operand-sized in a
// register; base: aam/aad's number base, shown only when not 10); J: relative target; O: absolute offset; Z: register in the opcode's low
// bits; S: segment register from reg; M: memory only; A: far pointer; C/D: control/debug register.
type Operand =
  | 'Eb' | 'Ev' | 'Ew' | 'Gb' | 'Gv' | 'Gw' | 'Rd' | 'M' | 'Sw' | 'Cd' | 'Dd'
  | 'Ib' | 'Iw' | 'Iv' | 'Ibs' | 'Jb' | 'Jv' | 'Ob' | 'Ov' | 'Ap' | 'Zb' | 'Zv' | 'one' | 'CL' | 'DX' | 'AL' | 'eAX'
  | 'Xb' | 'Xv' | 'Yb' | 'Yv' | 'ES' | 'CS' | 'SS' | 'DS' | 'FS' | 'GS' | 'Iws' | 'Es' | 'base' | 'STi' | 'ST0' | 'AX';

/**
 * One opcode: the mnemonic (`~` marks where the size suffix goes, b/w/l from the operand size),
 * its operands, and flags: `logical` prints sign-extended immediates unsigned (and/or/xor, as
 * Capstone does), `indirect` puts `*` before the target.
 */
interface Op { name: string; operands: readonly Operand[]; logical?: boolean; indirect?: boolean; intelOrder?: boolean }
/** An opcode, or a group of eight chosen by ModRM's reg field. */
type Entry = Op | readonly (Op | null)[] | null;

const op = (name: string, ...operands: Operand[]): Op => ({ name, operands });
const logical = (name: string, ...operands: Operand[]): Op => ({ name, operands, logical: true });
const indirect = (name: string, ...operands: Operand[]): Op => ({ name, operands, indirect: true });

const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const isLogical = (name: string) => name === 'and' || name === 'or' || name === 'xor';

const ONE_BYTE: Entry[] = new Array(256).fill(null);
const TWO_BYTE: Entry[] = new Array(256).fill(null);

ALU.forEach((name, k) => {
  const make = isLogical(name) ? logical : op;
  ONE_BYTE[k * 8] = make(`${name}~`, 'Eb', 'Gb');
  ONE_BYTE[k * 8 + 1] = make(`${name}~`, 'Ev', 'Gv');
  ONE_BYTE[k * 8 + 2] = make(`${name}~`, 'Gb', 'Eb');
  ONE_BYTE[k * 8 + 3] = make(`${name}~`, 'Gv', 'Ev');
  ONE_BYTE[k * 8 + 4] = make(`${name}~`, 'AL', 'Ib');
  ONE_BYTE[k * 8 + 5] = make(`${name}~`, 'eAX', 'Iv');
});
ONE_BYTE[0x06] = op('push~', 'ES'); ONE_BYTE[0x07] = op('pop~', 'ES');
ONE_BYTE[0x0e] = op('push~', 'CS');
ONE_BYTE[0x16] = op('push~', 'SS'); ONE_BYTE[0x17] = op('pop~', 'SS');
ONE_BYTE[0x1e] = op('push~', 'DS'); ONE_BYTE[0x1f] = op('pop~', 'DS');
ONE_BYTE[0x27] = op('daa'); ONE_BYTE[0x2f] = op('das'); ONE_BYTE[0x37] = op('aaa'); ONE_BYTE[0x3f] = op('aas');
for (let r = 0; r < 8; r++) {
  ONE_BYTE[0x40 + r] = op('inc~', 'Zv');
  ONE_BYTE[0x48 + r] = op('dec~', 'Zv');
  ONE_BYTE[0x50 + r] = op('push~', 'Zv');
  ONE_BYTE[0x58 + r] = op('pop~', 'Zv');
  ONE_BYTE[0xb0 + r] = op('mov~', 'Zb', 'Ib');
  ONE_BYTE[0xb8 + r] = op('mov~', 'Zv', 'Iv');
  if (r) ONE_BYTE[0x90 + r] = op('xchg~', 'eAX', 'Zv');
  TWO_BYTE[0xc8 + r] = op('bswapl', 'Zv');
}
ONE_BYTE[0x60] = op('pusha~'); ONE_BYTE[0x61] = op('popa~');
ONE_BYTE[0x62] = op('bound', 'Gv', 'M'); ONE_BYTE[0x63] = op('arpl', 'Ew', 'Gw');
ONE_BYTE[0x68] = op('push~', 'Iv'); ONE_BYTE[0x69] = op('imul~', 'Gv', 'Ev', 'Iv');
ONE_BYTE[0x6a] = op('push~', 'Ibs'); ONE_BYTE[0x6b] = op('imul~', 'Gv', 'Ev', 'Ibs');
ONE_BYTE[0x6c] = op('insb', 'Yb', 'DX'); ONE_BYTE[0x6d] = op('ins~', 'Yv', 'DX');
ONE_BYTE[0x6e] = op('outsb', 'DX', 'Xb'); ONE_BYTE[0x6f] = op('outs~', 'DX', 'Xv');
CONDITIONS.forEach((cc, k) => {
  ONE_BYTE[0x70 + k] = op(`j${cc}`, 'Jb');
  TWO_BYTE[0x80 + k] = op(`j${cc}`, 'Jv');
  TWO_BYTE[0x90 + k] = op(`set${cc}`, 'Eb');
  TWO_BYTE[0x40 + k] = op(`cmov${cc}~`, 'Gv', 'Ev');
});
ONE_BYTE[0x80] = ALU.map((n) => (isLogical(n) ? logical : op)(`${n}~`, 'Eb', 'Ib'));
ONE_BYTE[0x81] = ALU.map((n) => (isLogical(n) ? logical : op)(`${n}~`, 'Ev', 'Iv'));
ONE_BYTE[0x82] = ONE_BYTE[0x80];
ONE_BYTE[0x83] = ALU.map((n) => (isLogical(n) ? logical : op)(`${n}~`, 'Ev', 'Ibs'));
ONE_BYTE[0x84] = op('test~', 'Eb', 'Gb'); ONE_BYTE[0x85] = op('test~', 'Ev', 'Gv');
ONE_BYTE[0x86] = op('xchg~', 'Eb', 'Gb'); ONE_BYTE[0x87] = op('xchg~', 'Ev', 'Gv');
ONE_BYTE[0x88] = op('mov~', 'Eb', 'Gb'); ONE_BYTE[0x89] = op('mov~', 'Ev', 'Gv');
ONE_BYTE[0x8a] = op('mov~', 'Gb', 'Eb'); ONE_BYTE[0x8b] = op('mov~', 'Gv', 'Ev');
ONE_BYTE[0x8c] = op('mov~', 'Es', 'Sw'); ONE_BYTE[0x8d] = op('lea~', 'Gv', 'M');
ONE_BYTE[0x8e] = op('mov~', 'Sw', 'Es'); ONE_BYTE[0x8f] = [op('pop~', 'Ev'), null, null, null, null, null, null, null];
ONE_BYTE[0x90] = op('nop');
ONE_BYTE[0x98] = op('cbtw'); ONE_BYTE[0x99] = op('cwtd'); // renamed per operand size in `sizedName`
ONE_BYTE[0x9a] = op('lcall~', 'Ap'); ONE_BYTE[0x9b] = op('wait');
ONE_BYTE[0x9c] = op('pushf~'); ONE_BYTE[0x9d] = op('popf~'); ONE_BYTE[0x9e] = op('sahf'); ONE_BYTE[0x9f] = op('lahf');
ONE_BYTE[0xa0] = op('mov~', 'AL', 'Ob'); ONE_BYTE[0xa1] = op('mov~', 'eAX', 'Ov');
ONE_BYTE[0xa2] = op('mov~', 'Ob', 'AL'); ONE_BYTE[0xa3] = op('mov~', 'Ov', 'eAX');
ONE_BYTE[0xa4] = op('movsb', 'Yb', 'Xb'); ONE_BYTE[0xa5] = op('movs~', 'Yv', 'Xv');
ONE_BYTE[0xa6] = op('cmpsb', 'Xb', 'Yb'); ONE_BYTE[0xa7] = op('cmps~', 'Xv', 'Yv');
ONE_BYTE[0xa8] = op('test~', 'AL', 'Ib'); ONE_BYTE[0xa9] = op('test~', 'eAX', 'Iv');
ONE_BYTE[0xaa] = op('stosb', 'Yb', 'AL'); ONE_BYTE[0xab] = op('stos~', 'Yv', 'eAX');
ONE_BYTE[0xac] = op('lodsb', 'AL', 'Xb'); ONE_BYTE[0xad] = op('lods~', 'eAX', 'Xv');
ONE_BYTE[0xae] = op('scasb', 'AL', 'Yb'); ONE_BYTE[0xaf] = op('scas~', 'eAX', 'Yv');
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
ONE_BYTE[0xc0] = SHIFTS.map((n) => op(`${n}~`, 'Eb', 'Ib'));
ONE_BYTE[0xc1] = SHIFTS.map((n) => op(`${n}~`, 'Ev', 'Ib'));
ONE_BYTE[0xc2] = op('ret~', 'Iw'); ONE_BYTE[0xc3] = op('ret~');
ONE_BYTE[0xc4] = op('les~', 'Gv', 'M'); ONE_BYTE[0xc5] = op('lds~', 'Gv', 'M');
ONE_BYTE[0xc6] = [op('mov~', 'Eb', 'Ib'), null, null, null, null, null, null, null];
ONE_BYTE[0xc7] = [op('mov~', 'Ev', 'Iv'), null, null, null, null, null, null, null];
ONE_BYTE[0xc8] = { name: 'enter', operands: ['Iws', 'Ibs'], intelOrder: true }; ONE_BYTE[0xc9] = op('leave');
ONE_BYTE[0xca] = op('lret~', 'Iw'); ONE_BYTE[0xcb] = op('lret~');
ONE_BYTE[0xcc] = op('int3'); ONE_BYTE[0xcd] = op('int', 'Ib'); ONE_BYTE[0xce] = op('into'); ONE_BYTE[0xcf] = op('iret~');
ONE_BYTE[0xd0] = SHIFTS.map((n) => op(`${n}~`, 'Eb', 'one'));
ONE_BYTE[0xd1] = SHIFTS.map((n) => op(`${n}~`, 'Ev', 'one'));
ONE_BYTE[0xd2] = SHIFTS.map((n) => op(`${n}~`, 'Eb', 'CL'));
ONE_BYTE[0xd3] = SHIFTS.map((n) => op(`${n}~`, 'Ev', 'CL'));
ONE_BYTE[0xd4] = op('aam', 'base'); ONE_BYTE[0xd5] = op('aad', 'base'); ONE_BYTE[0xd6] = op('salc'); ONE_BYTE[0xd7] = op('xlatb');
ONE_BYTE[0xe0] = op('loopne', 'Jb'); ONE_BYTE[0xe1] = op('loope', 'Jb'); ONE_BYTE[0xe2] = op('loop', 'Jb'); ONE_BYTE[0xe3] = op('j?cxz', 'Jb');
ONE_BYTE[0xe4] = op('in~', 'AL', 'Ib'); ONE_BYTE[0xe5] = op('in~', 'eAX', 'Ib');
ONE_BYTE[0xe6] = op('out~', 'Ib', 'AL'); ONE_BYTE[0xe7] = op('out~', 'Ib', 'eAX');
ONE_BYTE[0xe8] = op('call~', 'Jv'); ONE_BYTE[0xe9] = op('jmp', 'Jv'); ONE_BYTE[0xea] = op('ljmp~', 'Ap'); ONE_BYTE[0xeb] = op('jmp', 'Jb');
ONE_BYTE[0xec] = op('in~', 'AL', 'DX'); ONE_BYTE[0xed] = op('in~', 'eAX', 'DX');
ONE_BYTE[0xee] = op('out~', 'DX', 'AL'); ONE_BYTE[0xef] = op('out~', 'DX', 'eAX');
ONE_BYTE[0xf1] = op('int1'); ONE_BYTE[0xf4] = op('hlt'); ONE_BYTE[0xf5] = op('cmc');
ONE_BYTE[0xf6] = [op('test~', 'Eb', 'Ib'), op('test~', 'Eb', 'Ib'), op('not~', 'Eb'), op('neg~', 'Eb'), op('mul~', 'Eb'), op('imul~', 'Eb'), op('div~', 'Eb'), op('idiv~', 'Eb')];
ONE_BYTE[0xf7] = [op('test~', 'Ev', 'Iv'), op('test~', 'Ev', 'Iv'), op('not~', 'Ev'), op('neg~', 'Ev'), op('mul~', 'Ev'), op('imul~', 'Ev'), op('div~', 'Ev'), op('idiv~', 'Ev')];
['clc', 'stc', 'cli', 'sti', 'cld', 'std'].forEach((n, k) => { ONE_BYTE[0xf8 + k] = op(n); });
ONE_BYTE[0xfe] = [op('inc~', 'Eb'), op('dec~', 'Eb'), null, null, null, null, null, null];
ONE_BYTE[0xff] = [op('inc~', 'Ev'), op('dec~', 'Ev'), indirect('call~', 'Ev'), indirect('lcall~', 'M'), indirect('jmp~', 'Ev'), indirect('ljmp~', 'M'), op('push~', 'Ev'), null];

TWO_BYTE[0x00] = [op('sldt~', 'Es'), op('str~', 'Es'), op('lldtw', 'Ew'), op('ltrw', 'Ew'), op('verr', 'Ew'), op('verw', 'Ew'), null, null];
TWO_BYTE[0x01] = [op('sgdt~', 'M'), op('sidt~', 'M'), op('lgdt~', 'M'), op('lidt~', 'M'), op('smsw~', 'Es'), null, op('lmsww', 'Ew'), op('invlpg', 'M')];
TWO_BYTE[0x02] = op('lar~', 'Gv', 'Ev'); TWO_BYTE[0x03] = op('lsl~', 'Gv', 'Ev');
TWO_BYTE[0x06] = op('clts'); TWO_BYTE[0x08] = op('invd'); TWO_BYTE[0x09] = op('wbinvd'); TWO_BYTE[0x0b] = op('ud2');
TWO_BYTE[0x1f] = [op('nop~', 'Ev'), op('nop~', 'Ev'), op('nop~', 'Ev'), op('nop~', 'Ev'), op('nop~', 'Ev'), op('nop~', 'Ev'), op('nop~', 'Ev'), op('nop~', 'Ev')];
TWO_BYTE[0x20] = op('movl', 'Rd', 'Cd'); TWO_BYTE[0x21] = op('movl', 'Rd', 'Dd');
TWO_BYTE[0x22] = op('movl', 'Cd', 'Rd'); TWO_BYTE[0x23] = op('movl', 'Dd', 'Rd');
TWO_BYTE[0x30] = op('wrmsr'); TWO_BYTE[0x31] = op('rdtsc'); TWO_BYTE[0x32] = op('rdmsr'); TWO_BYTE[0x33] = op('rdpmc');
TWO_BYTE[0x34] = op('sysenter'); TWO_BYTE[0x35] = op('sysexit');
TWO_BYTE[0x05] = op('syscall'); TWO_BYTE[0x07] = op('sysretl'); TWO_BYTE[0x77] = op('emms');
TWO_BYTE[0x18] = [op('prefetchnta', 'M'), op('prefetcht0', 'M'), op('prefetcht1', 'M'), op('prefetcht2', 'M'), null, null, null, null];
TWO_BYTE[0xa0] = op('push~', 'FS'); TWO_BYTE[0xa1] = op('pop~', 'FS'); TWO_BYTE[0xa2] = op('cpuid');
TWO_BYTE[0xa3] = op('bt~', 'Ev', 'Gv'); TWO_BYTE[0xa4] = op('shld~', 'Ev', 'Gv', 'Ib'); TWO_BYTE[0xa5] = op('shld~', 'Ev', 'Gv', 'CL');
TWO_BYTE[0xa8] = op('push~', 'GS'); TWO_BYTE[0xa9] = op('pop~', 'GS');
TWO_BYTE[0xab] = op('bts~', 'Ev', 'Gv'); TWO_BYTE[0xac] = op('shrd~', 'Ev', 'Gv', 'Ib'); TWO_BYTE[0xad] = op('shrd~', 'Ev', 'Gv', 'CL');
TWO_BYTE[0xaf] = op('imul~', 'Gv', 'Ev');
TWO_BYTE[0xb0] = op('cmpxchg~', 'Eb', 'Gb'); TWO_BYTE[0xb1] = op('cmpxchg~', 'Ev', 'Gv');
TWO_BYTE[0xb2] = op('lss~', 'Gv', 'M'); TWO_BYTE[0xb3] = op('btr~', 'Ev', 'Gv');
TWO_BYTE[0xb4] = op('lfs~', 'Gv', 'M'); TWO_BYTE[0xb5] = op('lgs~', 'Gv', 'M');
TWO_BYTE[0xb6] = op('movzb~', 'Gv', 'Eb'); TWO_BYTE[0xb7] = op('movzw~', 'Gv', 'Ew');
TWO_BYTE[0xba] = [null, null, null, null, op('bt~', 'Ev', 'Ib'), op('bts~', 'Ev', 'Ib'), op('btr~', 'Ev', 'Ib'), op('btc~', 'Ev', 'Ib')];
TWO_BYTE[0xbb] = op('btc~', 'Ev', 'Gv'); TWO_BYTE[0xbc] = op('bsf~', 'Gv', 'Ev'); TWO_BYTE[0xbd] = op('bsr~', 'Gv', 'Ev');
TWO_BYTE[0xbe] = op('movsb~', 'Gv', 'Eb'); TWO_BYTE[0xbf] = op('movsw~', 'Gv', 'Ew');
TWO_BYTE[0xc0] = op('xadd~', 'Eb', 'Gb'); TWO_BYTE[0xc1] = op('xadd~', 'Ev', 'Gv');
TWO_BYTE[0xc7] = [null, op('cmpxchg8b', 'M'), null, null, null, null, null, null];

// x87: memory forms by opcode and ModRM reg (names carry the operand size as Capstone prints
// them), and the register forms whose printing is regular; other register forms are skipped.
const X87_MEMORY: readonly (readonly (string | null)[])[] = [
  ['fadds', 'fmuls', 'fcoms', 'fcomps', 'fsubs', 'fsubrs', 'fdivs', 'fdivrs'],
  ['flds', null, 'fsts', 'fstps', 'fldenv', 'fldcw', 'fnstenv', 'fnstcw'],
  ['fiaddl', 'fimull', 'ficoml', 'ficompl', 'fisubl', 'fisubrl', 'fidivl', 'fidivrl'],
  ['fildl', 'fisttpl', 'fistl', 'fistpl', null, 'fldt', null, 'fstpt'],
  ['faddl', 'fmull', 'fcoml', 'fcompl', 'fsubl', 'fsubrl', 'fdivl', 'fdivrl'],
  ['fldl', 'fisttpll', 'fstl', 'fstpl', 'frstor', null, 'fnsave', 'fnstsw'],
  ['fiadds', 'fimuls', 'ficoms', 'ficomps', 'fisubs', 'fisubrs', 'fidivs', 'fidivrs'],
  ['filds', 'fisttps', 'fists', 'fistps', 'fbld', 'fildll', 'fbstp', 'fistpll'],
];
const D9_CONSTANT_OPS: Record<number, string> = {
  0xd0: 'fnop', 0xe0: 'fchs', 0xe1: 'fabs', 0xe4: 'ftst', 0xe5: 'fxam', 0xe8: 'fld1', 0xe9: 'fldl2t', 0xea: 'fldl2e',
  0xeb: 'fldpi', 0xec: 'fldlg2', 0xed: 'fldln2', 0xee: 'fldz', 0xf0: 'f2xm1', 0xf1: 'fyl2x', 0xf2: 'fptan', 0xf3: 'fpatan',
  0xf4: 'fxtract', 0xf5: 'fprem1', 0xf6: 'fdecstp', 0xf7: 'fincstp', 0xf8: 'fprem', 0xf9: 'fyl2xp1', 0xfa: 'fsqrt',
  0xfb: 'fsincos', 0xfc: 'frndint', 0xfd: 'fscale', 0xfe: 'fsin', 0xff: 'fcos',
};

/** The x87 instruction for escape opcode `opcode` (0xd8…0xdf) and its ModRM byte, if this decoder prints it. */
function x87(opcode: number, modrm: number): Op | null {
  const reg = (modrm >> 3) & 7;
  if (modrm < 0xc0) {
    const name = X87_MEMORY[opcode - 0xd8][reg];
    return name ? op(name, 'M') : null;
  }
  if (opcode === 0xd8) return op(['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'][reg], 'STi');
  if (opcode === 0xd9) return reg === 0 ? op('fld', 'STi') : reg === 1 ? op('fxch', 'STi') : D9_CONSTANT_OPS[modrm] ? op(D9_CONSTANT_OPS[modrm]) : null;
  if (opcode === 0xda) return reg < 4 ? op(['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'][reg], 'ST0', 'STi') : modrm === 0xe9 ? op('fucompp') : null;
  if (opcode === 0xdb) {
    if (reg < 4) return op(['fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'][reg], 'ST0', 'STi');
    return modrm === 0xe2 ? op('fnclex') : modrm === 0xe3 ? op('fninit') : reg === 5 ? op('fucomi', 'STi') : reg === 6 ? op('fcomi', 'STi') : null;
  }
  if (opcode === 0xdc) {
    // Capstone prints the compares as `%st(i), %st(0)` and the arithmetic as `%st(0), %st(i)`.
    const name = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'][reg];
    return reg === 2 || reg === 3 ? op(name, 'ST0', 'STi') : op(name, 'STi', 'ST0');
  }
  if (opcode === 0xdd) {
    if (reg === 1) return op('fxch', 'ST0', 'STi');
    const name = ['ffree', null, 'fst', 'fstp', 'fucom', 'fucomp', null, null][reg];
    return name ? op(name, 'STi') : null;
  }
  if (opcode === 0xde) {
    if (reg === 2) return op('fcomp', 'ST0', 'STi');
    if (reg === 3) return modrm === 0xd9 ? op('fcompp') : null;
    return op(['faddp', 'fmulp', '', '', 'fsubp', 'fsubrp', 'fdivp', 'fdivrp'][reg], 'STi');
  }
  if (opcode === 0xdf) {
    if (reg === 0) return op('ffreep', 'STi');
    if (reg === 1) return op('fxch', 'ST0', 'STi');
    return modrm === 0xe0 ? op('fnstsw', 'AX') : reg === 5 ? op('fucomip', 'STi') : reg === 6 ? op('fcomip', 'STi') : null;
  }
  return null;
}

const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEGMENTS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const ADDR16 = ['%bx, %si', '%bx, %di', '%bp, %si', '%bp, %di', '%si', '%di', '%bp', '%bx'];
const MODRM_OPERANDS = new Set<Operand>(['Eb', 'Ev', 'Ew', 'Es', 'Gb', 'Gv', 'Gw', 'Rd', 'M', 'Sw', 'Cd', 'Dd', 'STi']);
const LOCKABLE = new Set(['add~', 'or~', 'adc~', 'sbb~', 'and~', 'sub~', 'xor~', 'inc~', 'dec~', 'not~', 'neg~', 'xchg~', 'bts~', 'btr~', 'btc~', 'xadd~', 'cmpxchg~', 'cmpxchg8b']);
const SEGMENT_PREFIX: Record<number, string> = { 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x64: 'fs', 0x65: 'gs' };
/** Operand kinds that fix the size suffix of the mnemonic. */
const SIZE_OF: Partial<Record<Operand, 'b' | 'w' | 'v'>> = {
  Eb: 'b', Gb: 'b', Zb: 'b', AL: 'b', Ob: 'b', Xb: 'b', Yb: 'b', Ew: 'w', Gw: 'w', Ev: 'v', Gv: 'v', Zv: 'v', eAX: 'v', Ov: 'v', Xv: 'v', Yv: 'v',
};

/** Capstone's numbers: decimal from -9 to 9, hex beyond, with a minus sign when negative. */
export function capstoneNumber(v: number): string {
  if (v < 0) return v >= -9 ? `${v}` : `-0x${(-v).toString(16)}`;
  return v <= 9 ? `${v}` : `0x${v.toString(16)}`;
}

class Reader {
  at: number;
  constructor(private readonly code: Uint8Array, start: number) { this.at = start; }
  u8(): number {
    if (this.at >= this.code.length) throw SHORT;
    return this.code[this.at++];
  }
  u16(): number { const lo = this.u8(); return lo | (this.u8() << 8); }
  u32(): number { const lo = this.u16(); return (lo | (this.u16() << 16)) >>> 0; }
}
const SHORT = new Error('instruction runs past the bytes read');

/** Decodes one instruction at `code[at]`, which sits at `address` in a `mode`-bit code segment. */
export function disassembleOne(code: Uint8Array, at: number, address: number, mode: CodeSize): Instruction {
  try {
    return decode(new Reader(code, at), at, address, mode);
  } catch (e) {
    if (e !== SHORT) throw e;
  }
  return skipData(code[at]);
}

function skipData(byte: number): Instruction {
  return { length: 1, mnemonic: '.byte', operands: `0x${byte.toString(16).padStart(2, '0')}` };
}

function decode(r: Reader, start: number, address: number, mode: CodeSize): Instruction {
  let segment = '', opSize: number = mode, addrSize: number = mode, rep = '', lock = false;
  let byte = r.u8();
  for (let prefixes = 0; ; prefixes++) {
    if (prefixes > 14) return skipData(byte);
    if (SEGMENT_PREFIX[byte]) segment = SEGMENT_PREFIX[byte];
    else if (byte === 0x66) opSize = mode === 32 ? 16 : 32;
    else if (byte === 0x67) addrSize = mode === 32 ? 16 : 32;
    else if (byte === 0xf2) rep = 'repne';
    else if (byte === 0xf3) rep = 'rep';
    else if (byte === 0xf0) lock = true;
    else break;
    byte = r.u8();
  }
  if (byte === 0x90 && rep === 'rep' && mode === 32) return { length: r.at - start, mnemonic: 'pause', operands: '' };
  let entry: Entry = ONE_BYTE[byte];
  let twoByte = false;
  if (byte === 0x0f) {
    byte = r.u8();
    entry = TWO_BYTE[byte];
    twoByte = true;
  }
  const escape = !twoByte && byte >= 0xd8 && byte <= 0xdf;
  if (escape) entry = x87(byte, peekModrm(r));
  if (!entry) return skipData(codeByte(r, start));
  let modrm = -1;
  const needsModrm = escape || Array.isArray(entry) || (entry as Op).operands.some((o) => MODRM_OPERANDS.has(o));
  if (needsModrm) modrm = r.u8();
  const chosen: Op | null = Array.isArray(entry) ? (entry as readonly (Op | null)[])[(modrm >> 3) & 7] : (entry as Op);
  if (!chosen) return skipData(codeByte(r, start));
  const mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
  if (chosen.operands.includes('M') && mod === 3) return skipData(codeByte(r, start));
  if ((chosen.operands.includes('Sw') && reg > 5) || (chosen.operands.includes('Cd') && (reg === 1 || reg > 4))) return skipData(codeByte(r, start));
  if (twoByte && byte >= 0x20 && byte <= 0x23) opSize = 32;

  // Memory operand text, read in encoding order (displacement before immediates).
  let memory = '';
  if (needsModrm && mod !== 3) memory = readMemory(r, mod, rm, addrSize, segment, mode);
  const vSize = opSize === 32 ? 32 : 16;
  const sizeOf = (o: Operand) => (SIZE_OF[o] === 'b' ? 8 : SIZE_OF[o] === 'w' ? 16 : vSize);
  const regName = (size: number, n: number) => `%${(size === 8 ? REG8 : size === 16 ? REG16 : REG32)[n]}`;
  const texts: string[] = [];
  let suffixSize = 0;
  for (const o of chosen.operands) {
    if (!suffixSize && SIZE_OF[o]) suffixSize = sizeOf(o);
    texts.push(operandText(o));
  }
  function operandText(o: Operand): string {
    switch (o) {
      case 'Eb': case 'Ev': case 'Ew':
        return mod === 3 ? regName(sizeOf(o), rm) : memory;
      case 'Es':
        if (!suffixSize) suffixSize = mod === 3 ? vSize : 16;
        return mod === 3 ? regName(vSize, rm) : memory;
      case 'base': {
        const base = r.u8();
        return base === 10 ? '' : `$${capstoneNumber(base)}`;
      }
      case 'M': return memory;
      case 'Gb': case 'Gv': case 'Gw': return regName(sizeOf(o), reg);
      case 'Rd': return regName(32, rm);
      case 'Sw': return `%${SEGMENTS[reg]}`;
      case 'Cd': return `%cr${reg}`;
      case 'Dd': return `%dr${reg}`;
      case 'Zb': return regName(8, byte & 7);
      case 'Zv': return regName(vSize, byte & 7);
      case 'AL': return '%al';
      case 'eAX': return regName(vSize, 0);
      case 'CL': return '%cl';
      case 'DX': return '%dx';
      case 'one': return '$1';
      case 'ES': case 'CS': case 'SS': case 'DS': case 'FS': case 'GS': return `%${o.toLowerCase()}`;
      case 'Ib': return `$${capstoneNumber(r.u8())}`;
      case 'Iw': return `$${capstoneNumber(r.u16())}`;
      case 'Iws': return `$${capstoneNumber((r.u16() << 16) >> 16)}`;
      case 'STi': return `%st(${rm})`;
      case 'ST0': return '%st(0)';
      case 'AX': return '%ax';
      case 'Iv': return `$${capstoneNumber(vSize === 32 ? r.u32() : r.u16())}`;
      case 'Ibs': {
        const v = (r.u8() << 24) >> 24;
        return `$${capstoneNumber(chosen!.logical ? (vSize === 32 ? v >>> 0 : v & 0xffff) : v)}`;
      }
      case 'Jb': case 'Jv': {
        const rel = o === 'Jb' ? (r.u8() << 24) >> 24 : vSize === 32 ? r.u32() | 0 : (r.u16() << 16) >> 16;
        const next = address + (r.at - start);
        // Capstone wraps targets at 64 KiB in 16-bit code, and for 16-bit displacements.
        const wraps = o === 'Jb' ? mode === 16 : vSize === 16;
        const target = wraps ? (next + rel) & 0xffff : (next + rel) >>> 0;
        return capstoneNumber(target);
      }
      case 'Ob': case 'Ov': {
        const offset = addrSize === 32 ? r.u32() : r.u16();
        return `${segment ? `%${segment}:` : ''}${capstoneNumber(offset)}`;
      }
      case 'Ap': {
        const offset = vSize === 32 ? r.u32() : r.u16();
        return `$0x${r.u16().toString(16)}:$0x${offset.toString(16)}`;
      }
      case 'Xb': case 'Xv': return `${segment ? `%${segment}` : ''}${segment ? ':' : ''}(%${addrSize === 32 ? 'esi' : 'si'})`;
      case 'Yb': case 'Yv': return `%es:(%${addrSize === 32 ? 'edi' : 'di'})`;
    }
  }
  let name = sizedName(chosen.name, suffixSize || vSize, vSize, addrSize, mode);
  name = withRepeatPrefix(name, rep, twoByte ? -1 : byte, chosen);
  if (lock) {
    // Capstone skips a lock prefix byte it does not accept: on read-modify-write instructions
    // with a memory operand (either direction, except sbb's register-destination forms).
    const accepted = mod !== 3 && needsModrm && LOCKABLE.has(chosen.name) && (chosen.name !== 'sbb~' || chosen.operands[0][0] === 'E');
    if (!accepted) return skipData(codeByte(r, start));
    name = `lock ${name}`;
  }
  const ordered = (chosen.intelOrder ? texts : texts.reverse()).filter((t) => t !== '');
  if (chosen.indirect) ordered[0] = `*${ordered[0]}`;
  return { length: r.at - start, mnemonic: name, operands: ordered.join(', ') };
}

/**
 * Capstone's F2/F3 prefixes: `rep`/`repe` (F3 on compares) and `repne` on string operations,
 * except F2 on movs, which it drops; MPX's `bnd` (F2) on near branches; elsewhere nothing.
 */
function withRepeatPrefix(name: string, rep: string, opcode: number, chosen: Op): string {
  if (!rep) return name;
  const string = (opcode >= 0xa4 && opcode <= 0xaf) || (opcode >= 0x6c && opcode <= 0x6f);
  if (string) {
    if (rep === 'rep') return `${opcode === 0xa6 || opcode === 0xa7 || opcode === 0xae || opcode === 0xaf ? 'repe' : 'rep'} ${name}`;
    return opcode === 0xa4 || opcode === 0xa5 ? name : `repne ${name}`;
  }
  const branch = /^(j|call|ret)/.test(chosen.name) && !chosen.name.startsWith('j?');
  return rep === 'repne' && branch && (opcode < 0 || opcode >= 0x70) ? `bnd ${name}` : name;
}

/** The next byte without consuming it (x87 picks its table by the whole ModRM byte). */
function peekModrm(r: Reader): number {
  const b = r.u8();
  r.at--;
  return b;
}

/** The first opcode byte, for skip data: Capstone skips one byte of what it cannot decode. */
function codeByte(r: Reader, start: number): number {
  r.at = start;
  return r.u8();
}

/** Fills in the size suffix and the names Capstone gives by operand size. */
function sizedName(name: string, size: number, vSize: number, addrSize: number, mode: CodeSize): string {
  const suffix = size === 8 ? 'b' : size === 16 ? 'w' : 'l';
  // Capstone names 0x98/0x99 by the operand size in 32-bit code but always as 32-bit ones in 16-bit code.
  if (name === 'cbtw') return vSize === 32 || mode === 16 ? 'cwtl' : 'cbtw';
  if (name === 'cwtd') return vSize === 32 || mode === 16 ? 'cltd' : 'cwtd';
  if (name === 'movzw~' || name === 'movsw~') return `${name.slice(0, -1)}l`; // as Capstone prints them even with a 16-bit destination
  if (name === 'j?cxz') return addrSize === 32 ? 'jecxz' : 'jcxz';
  return name.replace('~', suffix);
}

function readMemory(r: Reader, mod: number, rm: number, addrSize: number, segment: string, mode: CodeSize): string {
  const prefix = segment ? `%${segment}:` : '';
  if (addrSize === 16) {
    // An absolute 16-bit offset; Capstone sign-extends it in 32-bit code (a 0x67 prefix).
    if (mod === 0 && rm === 6) return `${prefix}${capstoneNumber(mode === 32 ? ((r.u16() << 16) >> 16) >>> 0 : r.u16())}`;
    const disp = mod === 1 ? (r.u8() << 24) >> 24 : mod === 2 ? (r.u16() << 16) >> 16 : 0;
    return `${prefix}${disp ? capstoneNumber(disp) : ''}(${ADDR16[rm]})`;
  }
  let base = rm, index = -1, scale = 1;
  if (rm === 4) {
    const sib = r.u8();
    base = sib & 7;
    index = (sib >> 3) & 7;
    scale = 1 << (sib >> 6);
    if (index === 4) index = -1;
  }
  const noBase = base === 5 && mod === 0;
  const disp = mod === 1 ? (r.u8() << 24) >> 24 : mod === 2 || noBase ? r.u32() | 0 : 0;
  if (noBase && index < 0) return `${prefix}${capstoneNumber(disp >>> 0)}`;
  const inner = [noBase ? '' : `%${REG32[base]}`, ...(index >= 0 ? [`%${REG32[index]}`, ...(scale > 1 ? [String(scale)] : [])] : [])].join(', ');
  return `${prefix}${disp ? capstoneNumber(disp) : ''}(${inner})`;
}
