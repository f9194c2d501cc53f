// Unit tests of the x87 unit driven directly (no CPU): exact format round trips, the save
// images, stack faults, masked responses, rounding control and the condition codes. The
// arithmetic itself is checked against the host's real FPU in test/cpu/native/.

import test from 'node:test';
import assert from 'node:assert/strict';
import { X87 } from '../../../src/vm/cpu/fpu/x87.js';
import { FlatMemory } from './flat-memory.js';

const mem = new FlatMemory(0x2000);

function exec(f: X87, op: number, modrm: number, addr = 0): void {
  f.execute(op, modrm, addr, mem, true, false, 0x23, 0x1234, 0x2b);
}
/** Memory form: ModRM with mod = 00 and the given reg field. */
const m = (reg: number): number => reg << 3;

/** A seeded xorshift generator, so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function put80(a: number, se: number, hi: number, lo: number): void {
  mem.write32(a, lo);
  mem.write32(a + 4, hi);
  mem.write16(a + 8, se);
}

function interesting80(r: () => number): [number, number, number] {
  switch (r() % 8) {
    case 0: return [r() & 0x8000, r(), r()]; // denormals / pseudo-denormals
    case 1: return [(r() & 0x8000) | 0x7fff, r() | 0x80000000, r()]; // NaNs (payloads), infinities
    case 2: return [(r() & 0x8000) | 0x7fff, r() & 0x7fffffff, r()]; // pseudo-NaN / pseudo-infinity
    case 3: return [r() & 0xffff, r() & 0x7fffffff, r()]; // unnormals
    default: return [r() & 0xffff, r() | 0x80000000, r()];
  }
}

test('power-on and FNINIT states', () => {
  const f = new X87();
  assert.deepEqual([f.controlWord, f.statusWord, f.tagWord], [0x0040, 0, 0x5555], 'power-on (SDM vol. 3, table 9-1)');
  exec(f, 0xdb, 0xe3);
  assert.deepEqual([f.controlWord, f.statusWord, f.tagWord], [0x037f, 0, 0xffff], 'after FNINIT');
});

test('FLD m80 / FSTP m80 round-trips every encoding bit for bit', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  const r = rng(1);
  for (let n = 0; n < 5000; n++) {
    const [se, hi, lo] = interesting80(r);
    put80(0x100, se, hi, lo);
    exec(f, 0xdb, m(5), 0x100);
    exec(f, 0xdb, m(7), 0x200);
    assert.deepEqual([mem.read16(0x208), mem.read32(0x204) >>> 0, mem.read32(0x200) >>> 0], [se, hi >>> 0, lo >>> 0]);
  }
  assert.equal(f.statusWord & 0x7f, 0, 'no exceptions from exact loads and stores');
});

test('FSAVE/FRSTOR and FXSAVE/FXRSTOR images round-trip exactly in all layouts', () => {
  const r = rng(7);
  for (const [o32, real] of [[true, false], [false, false], [true, true], [false, true]]) {
    const f = new X87();
    exec(f, 0xdb, 0xe3);
    for (let i = 0; i < 6; i++) {
      const [se, hi, lo] = interesting80(r);
      put80(0x100, se, hi, lo);
      exec(f, 0xdb, m(5), 0x100);
    }
    exec(f, 0xd8, 0xc1); // FADD: sets FOP/FIP, maybe flags
    f.execute(0xdd, m(6), 0x400, mem, o32, real, 0x1000, 0x5678, 0x2000); // FNSAVE
    const image = mem.bytes.slice(0x400, 0x400 + 108);
    assert.equal(f.tagWord, 0xffff, 'FNSAVE reinitialises');
    f.execute(0xdd, m(4), 0x400, mem, o32, real, 0, 0, 0); // FRSTOR
    f.execute(0xdd, m(6), 0x600, mem, o32, real, 0, 0, 0);
    assert.deepEqual(mem.bytes.slice(0x600, 0x600 + 108), image);

    f.execute(0xdd, m(4), 0x400, mem, o32, real, 0, 0, 0);
    f.fxsave(0x800, mem);
    const fx = mem.bytes.slice(0x800, 0x800 + 512);
    const g = new X87();
    g.fxrstor(0x800, mem);
    g.fxsave(0xa00, mem);
    assert.deepEqual(mem.bytes.slice(0xa00, 0xa00 + 512), fx);
    assert.equal(g.tagWord, f.tagWord);
    assert.equal(g.statusWord, f.statusWord);
  }
});

test('a faulting FSAVE leaves the FPU untouched', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  exec(f, 0xd9, 0xe8); // FLD1
  const before = JSON.stringify(f.saveState());
  assert.throws(() => exec(f, 0xdd, m(6), 0x2000 - 50));
  assert.equal(JSON.stringify(f.saveState()), before);
});

test('faulting stores and loads of every format leave the FPU untouched, also after a stack underflow', () => {
  const edge = 0x2000 - 1; // the first byte fits, the rest faults
  // FST/FSTP m32 m64 m80, FIST m16, FISTP m32 m64, FBSTP, FNSTENV, FXSAVE.
  const stores: [number, number][] = [[0xd9, m(2)], [0xdd, m(3)], [0xdb, m(7)], [0xdf, m(2)], [0xdb, m(3)], [0xdf, m(7)], [0xdf, m(6)], [0xd9, m(6)],
    // and loads: FLD m80, FIADD m32, FRSTOR, FLDENV, FBLD, FCOM m64
    [0xdb, m(5)], [0xda, m(0)], [0xdd, m(4)], [0xd9, m(4)], [0xdf, m(4)], [0xdc, m(2)]];
  for (const withValue of [true, false]) {
    for (const [op, modrm] of stores) {
      const f = new X87();
      exec(f, 0xdb, 0xe3);
      if (withValue) exec(f, 0xd9, 0xeb); // FLDPI, else the stack is empty
      const before = JSON.stringify(f.saveState());
      assert.throws(() => exec(f, op, modrm, edge), RangeError, `${op.toString(16)} /${modrm >> 3}`);
      assert.equal(JSON.stringify(f.saveState()), before, `${op.toString(16)} /${modrm >> 3} with ${withValue ? 'a value' : 'an empty stack'}`);
    }
  }
  const f = new X87();
  assert.throws(() => f.fxsave(0x2000 - 256, mem), RangeError);
});

test('FILD m64 / FISTP m64 are exact for all 64-bit integers', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  const r = rng(3);
  for (let n = 0; n < 2000; n++) {
    const lo = r();
    const hi = n === 0 ? 0x80000000 : n === 1 ? 0x7fffffff : r();
    mem.write32(0x100, lo);
    mem.write32(0x104, hi);
    exec(f, 0xdf, m(5), 0x100);
    exec(f, 0xdf, m(7), 0x200);
    assert.deepEqual([mem.read32(0x204) >>> 0, mem.read32(0x200) >>> 0], [hi >>> 0, lo >>> 0]);
  }
});

test('FIST honours the rounding control', () => {
  const f = new X87();
  const cases: [number, number[]][] = [
    [2.5, [2, 2, 3, 2]], [-2.5, [-2, -3, -2, -2]], [3.5, [4, 3, 4, 3]], [-0.75, [-1, -1, 0, 0]],
  ];
  for (const [v, expect] of cases) {
    for (let rc = 0; rc < 4; rc++) {
      exec(f, 0xdb, 0xe3);
      mem.write16(0x10, 0x037f | (rc << 10));
      exec(f, 0xd9, m(5), 0x10); // FLDCW
      const dv = new DataView(mem.bytes.buffer);
      dv.setFloat64(0x100, v, true);
      exec(f, 0xdd, m(0), 0x100); // FLD m64
      exec(f, 0xdb, m(3), 0x200); // FISTP m32
      assert.equal(mem.read32(0x200) | 0, expect[rc], `${v} rc=${rc}`);
      assert.equal(f.statusWord & 0x20, 0x20, 'precision exception');
    }
  }
});

test('stack overflow and underflow: masked responses, C1 and SF', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  for (let i = 0; i < 8; i++) exec(f, 0xd9, 0xe8);
  assert.equal(f.statusWord & 0x7f, 0);
  exec(f, 0xd9, 0xe8); // ninth push
  assert.equal(f.statusWord & 0x0241, 0x0241, 'IE, SF and C1 (overflow)');
  assert.ok(Number.isNaN(f.stValue(0)), 'indefinite pushed');
  exec(f, 0xdb, 0xe2); // FNCLEX
  exec(f, 0xdb, 0xe3);
  exec(f, 0xd8, 0xc1); // FADD with empty registers
  assert.equal(f.statusWord & 0x0241, 0x0041, 'IE, SF, C1 clear (underflow)');
  assert.equal(f.errorPending, false, 'masked');
  mem.write16(0x10, 0x037e); // unmask IE
  exec(f, 0xd9, m(5), 0x10);
  assert.equal(f.errorPending, true, 'FLDCW unmasking a pending IE sets ES');
});

test('masked arithmetic exceptions: zero divide, invalid, precision, denormal', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  exec(f, 0xd9, 0xe8); // 1
  exec(f, 0xd9, 0xee); // 0
  exec(f, 0xde, 0xf9); // FDIVP: ST1 = ST1 / ST0 = 1/0
  assert.equal(f.stValue(0), Infinity);
  assert.equal(f.statusWord & 0x3f, 0x04);
  exec(f, 0xd9, 0xee);
  exec(f, 0xde, 0xc9); // inf * 0
  assert.ok(Number.isNaN(f.stValue(0)));
  assert.equal(f.statusWord & 0x01, 0x01);
  exec(f, 0xdb, 0xe3);
  put80(0x100, 0, 0, 1); // the smallest denormal
  exec(f, 0xdb, m(5), 0x100);
  exec(f, 0xd9, 0xe8);
  exec(f, 0xde, 0xc1); // FADDP
  assert.equal(f.statusWord & 0x02, 0x02, 'DE');
});

test('compares: FCOM condition codes, FCOMI flags, FXAM classes', () => {
  const flags = { v: 0x202, getEflags() { return this.v; }, setEflags(v: number) { this.v = v; } };
  const f = new X87(flags);
  exec(f, 0xdb, 0xe3);
  exec(f, 0xd9, 0xe8); // 1
  exec(f, 0xd9, 0xeb); // pi (ST0), 1 (ST1)
  exec(f, 0xd8, 0xd1); // FCOM ST1: pi > 1
  assert.equal(f.statusWord & 0x4500, 0);
  exec(f, 0xdb, 0xf1); // FCOMI
  assert.equal(flags.v & 0x45, 0);
  exec(f, 0xd9, 0xc9); // FXCH
  exec(f, 0xdb, 0xf1);
  assert.equal(flags.v & 0x45, 0x01, 'CF: 1 < pi');
  exec(f, 0xd9, 0xe5); // FXAM on 1.0 -> normal
  assert.equal(f.statusWord & 0x0200, 0);
  exec(f, 0xd9, 0xe0); // FCHS
  exec(f, 0xd9, 0xe5); // FXAM: C1 = sign = 1
  exec(f, 0xdb, 0xf1); // FCOMI: C1 set to 0 (SDM; AMD hosts leave it)
  assert.equal(f.statusWord & 0x0200, 0, 'FCOMI clears C1');
  exec(f, 0xd9, 0xe5);
  exec(f, 0xdb, 0xc1); // FCMOVNB (CF is set: no move): C1 unchanged
  assert.equal(f.statusWord & 0x0200, 0x0200, 'FCMOVcc leaves C1');
  exec(f, 0xd9, 0xe0);
  exec(f, 0xd9, 0xe5); // FXAM on 1.0 -> normal
  assert.equal(f.statusWord & 0x4700, 0x0400);
  exec(f, 0xd9, 0xe0); // FCHS
  exec(f, 0xd9, 0xe5);
  assert.equal(f.statusWord & 0x4700, 0x0600, 'C1 = sign');
});

test('FPREM and FPREM1 return the remainder and the low quotient bits', () => {
  const f = new X87();
  const dv = new DataView(mem.bytes.buffer);
  for (const [a, b] of [[17, 3], [-17, 3], [100, 7], [1e10, 3.25], [5, 2]]) {
    for (const ieee of [false, true]) {
      exec(f, 0xdb, 0xe3);
      dv.setFloat64(0x100, b, true);
      dv.setFloat64(0x108, a, true);
      exec(f, 0xdd, m(0), 0x100);
      exec(f, 0xdd, m(0), 0x108);
      exec(f, 0xd9, ieee ? 0xf5 : 0xf8);
      const q = ieee ? Math.round(a / b) - (Math.abs(a / b % 1) === 0.5 && Math.round(a / b) % 2 ? 1 : 0) : Math.trunc(a / b);
      const r = a - q * b;
      assert.equal(f.stValue(0), r, `${a} rem ${b} ieee=${ieee}`);
      const sw = f.statusWord;
      const bits = ((sw >> 8) & 1) << 2 | ((sw >> 14) & 1) << 1 | ((sw >> 9) & 1);
      assert.equal(bits, Math.abs(q) % 8, `quotient bits of ${a}/${b}`);
    }
  }
});

test('FBLD / FBSTP round-trip packed BCD', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  const bcd = [0x89, 0x67, 0x45, 0x23, 0x01, 0x99, 0x88, 0x77, 0x66, 0x80];
  bcd.forEach((b, i) => mem.write8(0x100 + i, b));
  exec(f, 0xdf, m(4), 0x100);
  assert.equal(f.stValue(0), -667788990123456789);
  exec(f, 0xdf, m(6), 0x200);
  assert.deepEqual(Array.from(mem.bytes.slice(0x200, 0x20a)), bcd);
});

test('MMX aliases the register significands and sets the tags', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  const regs = new Int32Array(8);
  regs[0] = 0x12345678;
  f.executeMmx(0x6e, 0xc0, 0, mem, regs); // MOVD mm0, eax
  assert.equal(f.tagWord, 0x5556, 'MM0 special (exponent all ones), the zeroed others tagged zero');
  assert.equal(f.statusWord & 0x3800, 0, 'TOP = 0');
  for (let p = 0; p < 8; p++) assert.equal(f.empty[p], 0);
  assert.equal(f.se[0], 0xffff);
  assert.equal(f.lo[0], 0x12345678);
  f.executeMmx(0x77, 0, 0, mem, regs); // EMMS
  assert.equal(f.tagWord, 0xffff);
});

test('saveState/loadState through JSON keeps every register bit (NaN payloads included)', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  const r = rng(11);
  for (let i = 0; i < 7; i++) {
    const [se, hi, lo] = interesting80(r);
    put80(0x100, se, hi, lo);
    exec(f, 0xdb, m(5), 0x100);
  }
  exec(f, 0xd9, 0xeb); // FLDPI
  exec(f, 0xd8, 0xc9); // FMUL: a register held only as a double
  f.execute(0xdd, m(6), 0x400, mem, true, false, 0x23, 0x99, 0x2b);
  f.execute(0xdd, m(4), 0x400, mem, true, false, 0, 0, 0);
  const g = new X87();
  g.loadState(JSON.parse(JSON.stringify(f.saveState())));
  f.execute(0xdd, m(6), 0x600, mem, true, false, 0, 0, 0);
  g.execute(0xdd, m(6), 0x800, mem, true, false, 0, 0, 0);
  assert.deepEqual(mem.bytes.slice(0x800, 0x800 + 108), mem.bytes.slice(0x600, 0x600 + 108));
  assert.throws(() => g.loadState({ st: [1] }), /x87 state: bad field/);
});

test('real-mode FSTENV layouts place FIP/FDP as 20-bit linear addresses with FOP (SDM vol. 1, 8.1.10)', () => {
  const f = new X87();
  exec(f, 0xdb, 0xe3);
  const low = new FlatMemory(0x20000);
  low.write32(0x12440, 0);
  low.write32(0x12444, 0x3ff00000); // 1.0 as a double
  // FLD qword at DS:0x0100 with DS = 0x1234 (linear 0x12440), from CS:IP = 0xf000:0x5678.
  f.execute(0xdd, m(0), 0x12440, low, false, true, 0xf000, 0x5678, 0x1234);
  f.execute(0xd9, m(6), 0x200, mem, false, true, 0, 0, 0); // 16-bit real-mode FNSTENV
  const fip = 0xf5678;
  assert.equal(mem.read16(0x206), fip & 0xffff, 'FIP 15:0');
  assert.equal(mem.read16(0x208), ((fip >>> 16) << 12) | 0x500, 'FIP 19:16 and FOP (DD /0 -> 0x500)');
  assert.equal(mem.read16(0x20a), 0x2440, 'FDP 15:0');
  assert.equal(mem.read16(0x20c), 0x1000, 'FDP 19:16');
  f.execute(0xd9, m(6), 0x300, mem, true, true, 0, 0, 0); // 32-bit real-mode FNSTENV
  assert.equal(mem.read32(0x30c) & 0xffff, fip & 0xffff);
  assert.equal(mem.read32(0x310) >>> 0, ((fip >>> 16) << 12) | 0x500);
  assert.equal(mem.read32(0x318) >>> 0, 0x1 << 12);
  // FLDENV of the 16-bit image restores the pointers.
  const g = new X87();
  g.execute(0xd9, m(4), 0x200, mem, false, true, 0, 0, 0);
  assert.equal(g.fip, fip);
  assert.equal(g.fdp, 0x12440);
  assert.equal(g.fop, 0x500);
  assert.equal(g.controlWord, 0x037f | 0x3f);
});
