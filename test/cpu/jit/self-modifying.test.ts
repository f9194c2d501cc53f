// Self-modifying code through compiled regions: code rewritten on the page it runs on,
// written through one virtual alias and executed through another, patched by another page's
// code between two runs of a compiled loop, and overwritten by a device (DMA) write. Each
// runs on the interpreter and with every block compiled at first sight; states must match
// and show the new code's behaviour.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, hasNasm } from './assemble.js';
import { CodeCache } from '../../../src/vm/cpu/jit/code-cache.js';
import { JitTestMachine, diffStates, CODE_BASE, DATA_BASE, ALIAS, type MachineState } from './jit-machine.js';

const skip = hasNasm ? false : 'nasm is not installed';
const STACK = DATA_BASE + 0xf00;

function both(code: Uint8Array, setup?: (m: JitTestMachine, cache: CodeCache | null) => void): { interp: MachineState; jit: MachineState; cache: CodeCache } {
  const run = (useJit: boolean): [MachineState, CodeCache] => {
    const m = new JitTestMachine();
    // The cache as the CPU uses it: TLB write entries of code pages send interpreted stores to the MMU's slow path.
    const cache = new CodeCache(m.cpu, { threshold: 0 });
    m.host.memory.onExternalWrite = (addr, len) => cache.invalidateRange(addr, len);
    m.host.memory.ram.set(code, CODE_BASE);
    m.enter([0, 0, 0, 0, STACK, 0, 0, 0], CODE_BASE, 2);
    m.runToHalt(useJit ? cache : null);
    setup?.(m, useJit ? cache : null);
    return [m.state(), cache];
  };
  const [interp] = run(false);
  const [jit, cache] = run(true);
  assert.deepEqual(diffStates(interp, jit), []);
  return { interp, jit, cache };
}

test('code rewritten on the page it is running on takes effect at the next instruction', { skip }, () => {
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    xor ecx, ecx
    xor edx, edx
again:
patch:
    mov eax, 1
    add edx, eax
    mov dword [patch + 1], 5     ; the next pass loads 5
    mov byte [next], 0x40        ; rewrite the very next instruction: inc eax instead of nop
next:
    nop
    add edx, eax
    inc ecx
    cmp ecx, 3
    jne again
    hlt
`);
  const { jit, cache } = both(code);
  // Pass 1: 1 + 2 (inc eax); passes 2 and 3: 5 + 6 each.
  assert.equal(jit.regs[2], 1 + 2 + 2 * (5 + 6));
  assert.ok(cache.stats.invalidations >= 2, `invalidations: ${cache.stats.invalidations}`);
});

test('code written through one virtual alias and executed through another', { skip }, () => {
  const off = 0x800;
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    xor edx, edx
    mov ecx, 4
loop:
    call 0x${(CODE_BASE + off).toString(16)}
    add edx, eax
    call 0x${(ALIAS + off).toString(16)}      ; the same routine through the alias
    add edx, eax
    ; through the alias: the routine's immediate becomes ecx * 100
    mov eax, ecx
    imul eax, eax, 100
    mov [0x${(ALIAS + off + 1).toString(16)}], eax
    dec ecx
    jnz loop
    hlt
times 0x${off.toString(16)} - ($ - $$) db 0x90
    mov eax, 7
    ret
`);
  const { jit, cache } = both(code);
  assert.equal(jit.regs[2], 2 * (7 + 400 + 300 + 200));
  assert.ok(cache.stats.invalidations >= 3);
});

test('a compiled loop whose body is changed between two runs, by guest code on another page and by DMA', { skip }, () => {
  // The loop lives on its own page; the driver on the first page runs it, patches its
  // ADD into a SUB from the other page, and runs it again.
  const loopPage = CODE_BASE + 0x1000;
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    xor edx, edx
    call sum
    mov esi, edx
    mov byte [sum.body], 0x29        ; add edx, eax -> sub edx, eax
    xor edx, edx
    call sum
    mov edi, edx
    hlt
times 0x1000 - ($ - $$) db 0x90
sum:
    mov eax, 1000
.top:
.body:
    add edx, eax
    dec eax
    jnz .top
    ret
`);
  assert.equal(loopPage, CODE_BASE + 0x1000);
  const { jit } = both(code);
  assert.equal(jit.regs[6], 500500);
  assert.equal(jit.regs[7], -500500 >>> 0);

  // DMA: after both runs, a device rewrites the body back to ADD and the guest runs it again.
  const again = both(code, (m, cache) => {
    const bodyAt = loopPage + 5;
    m.host.memory.writeBytes(bodyAt, new Uint8Array([0x01]));
    m.cpu.halted = false;
    m.cpu.eip = loopPage;
    m.cpu.reg32[2] = 0;
    m.cpu.reg32[4] -= 4;
    m.host.memory.ram.set([0x00, 0x30, 0x00, 0x00], m.cpu.reg32[4] >>> 0); // return to the STUBS HLT
    m.runToHalt(cache);
  });
  assert.equal(again.jit.regs[2], 500500, 'the DMA-restored ADD ran');
  assert.ok(again.cache.stats.invalidations >= 2);
});

/**
 * Calls a routine directly and through EBX five times, with the stack on the code page: the
 * routine's never-taken branch goes to `never`, which `belowStack` lays out under the stack's top.
 */
function callsWithStackOnCodePage(belowStack: string): Uint8Array {
  return assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    mov esp, stack_top      ; the stack shares the page with the code
    xor edx, edx
    mov ecx, 5
    mov ebx, routine
again:
    call routine
    add edx, eax
    call ebx
    add edx, eax
    dec ecx
    jnz again
    hlt
routine:
    mov eax, 7
    test ecx, ecx
    jz never                ; never taken, but compiled with every region holding the routine
    ret
${belowStack}
stack_top:
`);
}

test('CALL and indirect CALL whose return address lands on the code page beside compiled code leave that code in place', { skip }, () => {
  const { jit, cache } = both(callsWithStackOnCodePage('never:\n    jmp again\n    times 64 db 0'));
  assert.equal(jit.regs[2], 70);
  assert.equal(cache.stats.invalidations, 0, 'the return addresses miss every compiled block');
  assert.ok(cache.stats.compiledInstructions > 40, `${cache.stats.compiledInstructions} compiled instructions`);
});

test('CALL and indirect CALL whose return address overwrites compiled code go on at the target', { skip }, () => {
  // The never-taken block ends at stack_top, so every push lands in it.
  const { jit, cache } = both(callsWithStackOnCodePage('never:\n    mov eax, 1\n    jmp again'));
  assert.equal(jit.regs[2], 70);
  assert.ok(cache.stats.invalidations >= 10, `invalidations: ${cache.stats.invalidations}`);
});

test('an instruction the region runs through the interpreter (XADD, CMPXCHG) rewrites the next instruction', { skip }, () => {
  const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    xor edx, edx
    mov eax, 0x40 - 0x90          ; nop + this = inc eax
    lock xadd [next1], al
next1:
    nop
    add edx, eax
    mov al, 0x90                  ; cmpxchg writes cl where [next2] equals al
    mov cl, 0x42                  ; inc edx
    lock cmpxchg [next2], cl
next2:
    nop
    hlt
`);
  const { jit } = both(code);
  // XADD left 0x90 in AL and turned the nop into inc eax (0xffffff91, added to edx); CMPXCHG
  // turned the second nop into inc edx.
  assert.equal(jit.regs[2] >>> 0, 0xffffff92);
});

for (const wasm of [true, false]) {
  test(`an instruction that crosses onto the next page is compiled behind a check of its bytes there, which another page rewrites (${wasm ? 'WebAssembly' : 'JavaScript'})`, { skip }, () => {
    // MOV EAX, imm32 starts 2 bytes before the end of the routine's page: three bytes of its
    // immediate lie on the next page, which the driver rewrites between calls (invalidating
    // that page's code, not the routine's).
    const crossAt = CODE_BASE + 0x1ffe;
    const code = assemble(`bits 32
org 0x${CODE_BASE.toString(16)}
    xor edx, edx
    mov ecx, 3
again:
    call cross
    add edx, eax
    add dword [0x${(CODE_BASE + 0x2000).toString(16)}], 0x100   ; the immediate's second byte
    dec ecx
    jnz again
    hlt
times 0x${(crossAt - CODE_BASE).toString(16)} - ($ - $$) db 0x90
cross:
    mov eax, 0x11223344
    ret
`);
    const run = (jit: boolean): [MachineState, CodeCache] => {
      const m = new JitTestMachine();
      const cache = new CodeCache(m.cpu, { threshold: 0, wasm });
      m.host.memory.ram.set(code, CODE_BASE);
      m.enter([0, 0, 0, 0, STACK, 0, 0, 0], CODE_BASE, 2);
      m.runToHalt(jit ? cache : null);
      return [m.state(), cache];
    };
    const [interp] = run(false);
    const [jit, cache] = run(true);
    assert.deepEqual(diffStates(interp, jit), []);
    assert.equal(jit.regs[2], (0x11223344 + 0x11233344 + 0x11243344) | 0);
    if (!wasm) {
      // The first call is interpreted (the routine's page is not in the TLB yet); the second
      // compiles it with the bytes as they are then, which the third call no longer finds.
      const key = 8 | 1 | 2 | 16; // flat, 32-bit code and stack, protected mode
      const region = cache.lookup(crossAt, key, crossAt);
      assert.ok(region?.run?.toString().includes(`codeIs(${CODE_BASE + 0x2000}, ${0x112333}, ${0xffffff})`), 'the crossing MOV is compiled behind the check');
    }
  });
}
