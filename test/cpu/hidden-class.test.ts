// The CPU's hot objects keep their V8 hidden class when their fields take 32-bit values
// (machine/double-field.ts): a field changing from small integer to double at run time gives
// the object a new hidden class and deoptimises every function optimised for the old one.

import test from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { Cpu } from '../../src/vm/cpu/cpu.js';
import { TestHost } from './test-host.js';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

test('EIPs, addresses, counters, flag operands and stretch lengths beyond 2^30 leave the hidden classes of Cpu, LazyFlags, Mmu and X87 as they were', () => {
  const untouched = new Cpu(new TestHost(1 << 20));
  const cpu = new Cpu(new TestHost(1 << 20));
  assert.ok(haveSameMap(cpu, untouched) && haveSameMap(cpu.mmu, untouched.mmu));

  // What a Linux boot stores: kernel EIPs and stack addresses, a page fault's CR2, a page
  // directory above 1 GiB, more than 2^30 instructions, an effective address near 4 GiB.
  cpu.eip = 0xc1000000;
  cpu.startEip = 0xc1000000;
  cpu.startEsp = 0xbffff000 | 0;
  cpu.cr2 = 0xbfffeffc;
  cpu.eaOff = 0xfffffffc;
  cpu.instructionCount = 2 ** 31 + 1;
  cpu.cr3 = 0x40000000;
  cpu.lf.setArith(0, 0x7fffffff, 1, 0x80000000 | 0, 31);
  cpu.fpu.fip = 0xc1000000;
  cpu.fpu.fdp = 0xc8000000;
  // A stretch's length from the difference of two kernel EIPs: a double, though an integer
  // (the run loop interprets up to a pending block's end so).
  const blockEnd = 0xc1000025, eip = 0xc1000000;
  cpu.interpretWithin(0, eip | 0, blockEnd - eip);

  assert.ok(haveSameMap(cpu, untouched), 'Cpu');
  assert.ok(haveSameMap(cpu.lf, untouched.lf), 'LazyFlags');
  assert.ok(haveSameMap(cpu.mmu, untouched.mmu), 'Mmu');
  assert.ok(haveSameMap(cpu.fpu, untouched.fpu), 'X87');
});
