// Stores that the compiled code does not make itself still drop compiled code: the CPU's
// JIT (Cpu.setJit) marks every TLB write entry of a page holding code (TLB_CODE), so
// interpreted stores (string moves, FPU stores) through any virtual alias take the MMU's slow
// path, which invalidates the page when they reach its compiled code; DMA reaches the cache
// through PhysicalMemory.onExternalWrite, which the Cpu wires itself. Each program runs on the
// interpreter and with every block compiled at first sight; the final states must match and
// show the new code's behaviour.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from '../jit/assemble.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE, ALIAS, type MachineState } from '../jit/jit-machine.js';
import { TLB_CODE } from '../../../src/vm/cpu/mmu.js';

const skip = hasNasm ? false : 'nasm is not installed';
const STACK = DATA_BASE + 0xf00;

function machine(code: Uint8Array, jit: boolean): JitTestMachine {
  const m = new JitTestMachine();
  m.host.memory.ram.set(code, CODE_BASE);
  m.enter([0, 0, 0, 0, STACK, 0, 0, 0], CODE_BASE, 2);
  if (jit) m.cpu.setJit({ threshold: 0 });
  return m;
}

/** Runs `code` on the interpreter and through Cpu.run with the JIT; returns both final states. */
function both(code: Uint8Array, after?: (m: JitTestMachine) => void): { interp: MachineState; jit: MachineState; m: JitTestMachine } {
  const run = (jit: boolean): [MachineState, JitTestMachine] => {
    const m = machine(code, jit);
    m.runToHalt(null);
    after?.(m);
    return [m.state(), m];
  };
  const [interp] = run(false);
  const [jit, m] = run(true);
  assert.deepEqual(diffStates(interp, jit), []);
  return { interp, jit, m };
}

const ROUTINE = 0x800;

/** A loop calling a routine (`mov eax, imm32; ret`) through both mappings, patching its immediate with `patch`. */
function patchLoop(patch: string): Uint8Array {
  return assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    xor edx, edx
    mov ecx, 4
again:
    call 0x${(CODE_BASE + ROUTINE).toString(16)}
    add edx, eax
    call 0x${(ALIAS + ROUTINE).toString(16)}
    add edx, eax
    mov eax, ecx
    imul eax, eax, 100
    mov [0x${DATA_BASE.toString(16)}], eax
${patch}
    dec ecx
    jnz again
    hlt
times 0x${ROUTINE.toString(16)} - ($ - $$) db 0x90
    mov eax, 7
    ret
`);
}

test('REP MOVSB (interpreted) through a virtual alias rewrites a compiled routine', { skip }, () => {
  const { jit, m } = both(patchLoop(`    push ecx
    mov esi, 0x${DATA_BASE.toString(16)}
    mov edi, 0x${(ALIAS + ROUTINE + 1).toString(16)}
    mov ecx, 4
    rep movsb
    pop ecx`));
  assert.equal(jit.regs[2], 2 * (7 + 400 + 300 + 200));
  assert.ok(m.cpu.jit!.stats.invalidations >= 3, `invalidations: ${m.cpu.jit!.stats.invalidations}`);
});

test('an x87 store (FISTP) through a virtual alias rewrites a compiled routine', { skip }, () => {
  const { jit } = both(patchLoop(`    fninit
    fild dword [0x${DATA_BASE.toString(16)}]
    fistp dword [0x${(ALIAS + ROUTINE + 1).toString(16)}]`));
  assert.equal(jit.regs[2], 2 * (7 + 400 + 300 + 200));
});

test('DMA over a compiled loop reaches the CPU\'s cache without the test wiring it', { skip }, () => {
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    mov eax, 1000
    xor edx, edx
top:
    add edx, eax
    dec eax
    jnz top
    hlt
`);
  const body = CODE_BASE + 7;
  const { jit, m } = both(code, (mm) => {
    // A device turns ADD into SUB and the guest runs the loop again.
    mm.host.memory.writeBytes(body, new Uint8Array([0x29]));
    mm.cpu.halted = false;
    mm.cpu.eip = CODE_BASE;
    mm.runToHalt(null);
  });
  assert.equal(jit.regs[2], -500500 >>> 0);
  assert.ok(m.cpu.jit!.stats.invalidations >= 1);
});

test('TLB write entries of a code page carry TLB_CODE through every alias, and lose it once the code is gone', { skip }, () => {
  const m = machine(patchLoop(''), true);
  m.runToHalt(null);
  const mmu = m.cpu.mmu;
  const codePage = CODE_BASE >>> 12, aliasPage = ALIAS >>> 12;
  // Fill both write entries, as a store would.
  mmu.translate(CODE_BASE, true, false);
  mmu.translate(ALIAS, true, false);
  assert.ok(m.cpu.jit!.codePages[codePage], 'the code page holds compiled code');
  assert.equal(mmu.tlbWrite[codePage] & TLB_CODE, TLB_CODE);
  assert.equal(mmu.tlbWrite[aliasPage] & TLB_CODE, TLB_CODE);
  assert.equal(mmu.tlbRead[codePage] & TLB_CODE, 0, 'reads stay on the fast path');
  // A store through the alias beside the compiled code leaves it, and the entry keeps its mark.
  mmu.write8(ALIAS + 0xf00, 0x90);
  assert.ok(m.cpu.jit!.codePages[codePage], 'a store that misses the compiled blocks');
  assert.equal(mmu.tlbWrite[aliasPage] & TLB_CODE, TLB_CODE);
  // One onto the routine's compiled code drops the page's code, then the next store heals that entry.
  mmu.write8(ALIAS + ROUTINE, m.host.memory.ram[CODE_BASE + ROUTINE]);
  assert.equal(m.cpu.jit!.codePages[codePage], 0);
  mmu.write8(ALIAS + 0xf00, 0x90);
  assert.equal(mmu.tlbWrite[aliasPage] & TLB_CODE, 0);
  // Turning the JIT off leaves no marks behind.
  m.cpu.setJit(null);
  mmu.translate(CODE_BASE, true, false);
  assert.equal(mmu.tlbWrite[codePage] & TLB_CODE, 0);
});
