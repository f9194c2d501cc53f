// The Cpu's contract with the board: reset state, the run loop (budget, HLT, requestExit),
// interrupts through the IVT with the STI shadow, code in ROM, triple fault, CPUID, RDTSC,
// MSRs and state save/restore.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cpu, CS, SS, DS, EAX, EBX, ECX, EDX } from '../../src/vm/cpu/cpu.js';
import { CPUID_FEATURES } from '../../src/vm/cpu/cpuid.js';
import { TestHost } from './test-host.js';

const nasm = spawnSync('sh', ['-c', 'command -v nasm']).status === 0;
const skipNoNasm = nasm ? false : 'nasm is not installed';

function asm(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'termu-cpu-asm-'));
  try {
    writeFileSync(join(dir, 'a.asm'), source);
    execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'a.bin'), join(dir, 'a.asm')]);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A real-mode CPU with `code` at 0000:7C00, SP = 7000h. */
function realMode(code: Uint8Array): { cpu: Cpu; host: TestHost } {
  const host = new TestHost(1 << 20);
  const cpu = new Cpu(host);
  host.memory.writeBytes(0x7c00, code);
  for (const s of [0, CS, SS, DS, 4, 5]) cpu.loadSegmentCache(s, 0, 0, 0xffff, 0x9300);
  cpu.eip = 0x7c00;
  cpu.reg32[4] = 0x7000;
  return { cpu, host };
}

test('reset gives the power-on state (SDM 9.1.1)', () => {
  const cpu = new Cpu(new TestHost(1 << 20));
  assert.equal(cpu.eip, 0xfff0);
  assert.deepEqual(cpu.getSegment(CS), { selector: 0xf000, base: 0xffff0000, limit: 0xffff, flags: 0x9b00 });
  assert.equal(cpu.reg32[EDX] & 0xfff0, 0x0600, 'EDX holds family 6');
  assert.equal(cpu.getEflags(), 2);
  assert.equal(cpu.cr0, 0x60000010);
  assert.deepEqual(cpu.idtr, { base: 0, limit: 0x3ff });
});

test('the reset vector runs from ROM pages (the slow path) into the BIOS alias below 1 MiB', { skip: skipNoNasm }, () => {
  const host = new TestHost(1 << 20);
  const rom = new Uint8Array(0x10000).fill(0xf4);
  rom.set(asm('BITS 16\nmov ax, 0x1234\nmov bx, [cs:0x100]\nhlt'), 0xe05b);
  rom.set([0x78, 0x56], 0x100);
  rom.set(asm('BITS 16\njmp 0xf000:0xe05b'), 0xfff0);
  host.memory.mapRom(0xffff0000, rom);
  host.memory.mapRom(0xf0000, rom);
  const cpu = new Cpu(host);
  cpu.run(10);
  assert.equal(cpu.halted, true);
  assert.equal(cpu.reg32[EAX] & 0xffff, 0x1234);
  assert.equal(cpu.reg32[EBX] & 0xffff, 0x5678);
  assert.equal(cpu.getSegment(CS).base, 0xf0000);
});

test('run() honours the budget, stops at HLT and at requestExit()', { skip: skipNoNasm }, () => {
  const { cpu, host } = realMode(asm('BITS 16\nORG 0x7c00\nl: inc ax\nout 0x80, al\njmp l'));
  host.io.register(0x80, 1, { readPort: () => 0, writePort: (_p, _s, v) => { if (v === 3) cpu.requestExit(); } });
  assert.equal(cpu.run(4), 4, 'inc, out, jmp, inc');
  const n = cpu.run(1000);
  assert.equal(cpu.reg32[EAX] & 0xff, 3, 'stopped right after the OUT that asked for it');
  assert.equal(n, 4, 'the remaining out, jmp, inc, out');
  const halt = realMode(asm('BITS 16\nnop\nhlt\nnop'));
  assert.equal(halt.cpu.run(100), 2);
  assert.equal(halt.cpu.halted, true);
  assert.equal(halt.cpu.run(100), 0, 'stays halted with no interrupt');
});

test('an external interrupt wakes HLT, goes through the IVT, and waits one instruction after STI', { skip: skipNoNasm }, () => {
  const { cpu, host } = realMode(asm(`BITS 16
ORG 0x7c00
    mov word [0x20 * 4], handler
    mov word [0x20 * 4 + 2], 0
    sti
    mov ax, 1
    mov ax, 2
    hlt
    mov cx, 0x77
    hlt
handler:
    mov [0x600], ax
    inc bx
    iret`));
  host.pendingVectors.push(0x20);
  cpu.run(3); // the two MOVs to the IVT and STI
  cpu.run(1); // MOV AX,1 runs in the STI shadow
  assert.equal(host.memory.ram[0x600], 0, 'the handler has not run before the shadowed instruction');
  cpu.run(100);
  assert.equal(host.memory.ram[0x600], 1, 'the handler saw AX = 1: it ran right after the instruction following STI');
  assert.equal(cpu.halted, true);
  host.pendingVectors.push(0x20);
  cpu.run(100);
  assert.equal(cpu.reg32[EBX] & 0xffff, 2, 'a second interrupt woke the HLT');
  assert.equal(cpu.reg32[ECX] & 0xffff, 0x77, 'execution resumed after the HLT');
});

test('a fault with no usable IDT escalates to #DF and then a triple fault', { skip: skipNoNasm }, () => {
  const { cpu, host } = realMode(asm('BITS 16\nud2'));
  cpu.cr0 = 0x11;
  cpu.idtr = { base: 0, limit: 0 };
  cpu.loadSegmentCache(CS, 8, 0, 0xffff, 0x9b00);
  cpu.run(10);
  assert.equal(host.tripleFaults, 1);
  assert.equal(cpu.run(10), 0, 'nothing runs after shutdown');
  cpu.reset();
  assert.equal(cpu.eip, 0xfff0);
});

test('CPUID reports GenuineIntel family 6 with exactly the implemented features', { skip: skipNoNasm }, () => {
  const { cpu } = realMode(asm('BITS 16\nxor eax, eax\ncpuid\nmov [0x500], ebx\nmov [0x504], edx\nmov [0x508], ecx\nmov eax, 1\ncpuid\nhlt'));
  cpu.run(100);
  const vendor = Buffer.from(cpu.host.memory.ram.subarray(0x500, 0x50c)).toString('latin1');
  assert.equal(vendor, 'GenuineIntel');
  assert.equal((cpu.reg32[EAX] >> 8) & 0xf, 6);
  // FPU TSC CX8 CMOV PSE PGE MMX FXSR SEP MSR APIC PAT MTRR, nothing else.
  const bits = [0, 3, 4, 5, 8, 9, 11, 12, 13, 15, 16, 23, 24];
  assert.equal(cpu.reg32[EDX], CPUID_FEATURES);
  assert.equal(CPUID_FEATURES, bits.reduce((m, b) => m | (1 << b), 0));
  assert.equal(cpu.reg32[ECX], 0);
});

test('CPUID leaves 0x15 and 0x16 give the 1 GHz clock of the TSC and the APIC timer; higher leaves repeat 0x16', { skip: skipNoNasm }, () => {
  const { cpu } = realMode(asm(`BITS 16
    xor eax, eax
    cpuid
    mov [0x500], eax
    mov eax, 0x15
    cpuid
    mov [0x504], eax
    mov [0x508], ebx
    mov [0x50c], ecx
    mov eax, 0x16
    cpuid
    mov [0x510], eax
    mov eax, 7
    cpuid
    mov [0x514], ebx
    mov eax, 0x40
    cpuid
    hlt`));
  cpu.run(100);
  const m = Buffer.from(cpu.host.memory.ram.subarray(0x500, 0x518));
  assert.equal(m.readUInt32LE(0), 0x16, 'highest basic leaf');
  // TSC Hz = ECX (crystal) × EBX / EAX
  assert.equal(m.readUInt32LE(0xc) * m.readUInt32LE(8) / m.readUInt32LE(4), 1e9);
  assert.equal(m.readUInt32LE(0x10), 1000, 'base MHz');
  assert.equal(m.readUInt32LE(0x14), 0, 'leaf 7: no extended features');
  assert.equal(cpu.reg32[EAX], 1000, 'a leaf above the highest returns leaf 0x16');
});

test('RDTSC counts virtual nanoseconds; MSRs read back; unknown MSRs raise #GP', { skip: skipNoNasm }, () => {
  const { cpu, host } = realMode(asm(`BITS 16
ORG 0x7c00
    rdtsc
    mov [0x500], eax
    mov ecx, 0x174
    mov eax, 0x60
    xor edx, edx
    wrmsr
    rdmsr
    mov [0x504], eax
    mov ecx, 0x277
    rdmsr
    mov [0x508], eax
    mov [0x50c], edx
    mov word [13 * 4], gp
    mov word [13 * 4 + 2], 0
    mov ecx, 0x8b
    xor eax, eax
    xor edx, edx
    wrmsr
    cpuid
    mov ecx, 0x8b
    rdmsr
    mov [0x514], edx
    mov word [0x518], 0x600d
    mov ecx, 0x12345
    rdmsr
    hlt
gp: mov word [0x510], 0xdead
    hlt`));
  host.clock.setTime(123456);
  cpu.run(100);
  const m = Buffer.from(host.memory.ram.subarray(0x500, 0x51a));
  assert.equal(m.readUInt32LE(0), 123456, 'TSC = virtual ns since reset');
  assert.equal(m.readUInt32LE(4), 0x60, 'SYSENTER_CS');
  assert.equal(m.readUInt32LE(8), 0x00070406, 'PAT power-on value (low)');
  assert.equal(m.readUInt32LE(12), 0x00070406, 'PAT power-on value (high)');
  assert.equal(m.readUInt16LE(16), 0xdead, 'RDMSR of an absent MSR: #GP');
  assert.equal(m.readUInt16LE(24), 0x600d, 'WRMSR/RDMSR of the microcode signature MSR do not fault');
  assert.equal(m.readUInt32LE(20), 0, 'it reads revision 0');
});

test('saveState/loadState restore the architectural state', { skip: skipNoNasm }, () => {
  const { cpu } = realMode(asm('BITS 16\nl: inc ax\nadd bx, ax\nstc\njmp l'));
  cpu.run(7);
  const saved = JSON.parse(JSON.stringify(cpu.saveState())) as object;
  const before = { ax: cpu.reg32[EAX], bx: cpu.reg32[EBX], eip: cpu.eip, flags: cpu.getEflags() };
  cpu.run(50);
  cpu.loadState(saved);
  assert.deepEqual({ ax: cpu.reg32[EAX], bx: cpu.reg32[EBX], eip: cpu.eip, flags: cpu.getEflags() }, before);
  cpu.run(50);
  const again = { ax: cpu.reg32[EAX], bx: cpu.reg32[EBX] };
  cpu.loadState(saved);
  cpu.run(50);
  assert.deepEqual({ ax: cpu.reg32[EAX], bx: cpu.reg32[EBX] }, again, 'a restored CPU runs the same way');
});

test('NMI: taken with IF clear and out of HLT, held off until the handler IRETs (SDM 6.7.1)', { skip: skipNoNasm }, () => {
  const { cpu } = realMode(asm(`BITS 16
ORG 0x7c00
    mov word [2 * 4], nmi
    mov word [2 * 4 + 2], 0
    cli
    hlt
    mov word [0x602], 0x5a5a
    hlt
nmi:
    inc byte [0x600]
    mov al, [0x600]
    mov [0x601], al
    iret`));
  cpu.run(100);
  assert.equal(cpu.halted, true);
  cpu.raiseNmi();
  cpu.run(2); // the NMI is delivered, then INC in the handler
  cpu.raiseNmi(); // arrives inside the handler: must wait for its IRET
  cpu.run(2); // MOV AL / MOV [0601h]: still the first NMI
  assert.equal(cpu.host.memory.ram[0x601], 1);
  cpu.run(100);
  assert.equal(cpu.host.memory.ram[0x600], 2, 'the second NMI ran after the IRET');
  assert.equal(cpu.host.memory.ram[0x602], 0x5a, 'and returned past the HLT');
});

test('after a PE round trip, real mode writes through CS (a code segment cached in protected mode)', { skip: skipNoNasm }, () => {
  // SeaBIOS and GRUB do this: enter protected mode, far-jump back to 16-bit code, clear PE,
  // and keep using CS (still caching an execute/read descriptor) for stores.
  const { cpu } = realMode(asm('BITS 16\nmov word [cs:0x7d00], 0x55aa\nmov ax, [cs:0x7d00]\nhlt'));
  cpu.cr0 = cpu.cr0 | 1;
  cpu.loadSegmentCache(CS, 0x08, 0, 0xffff, 0x9b00);
  cpu.cr0 = cpu.cr0 & ~1;
  cpu.run(10);
  assert.equal(cpu.halted, true);
  assert.equal(cpu.lastEventVector, -1, 'no fault');
  assert.equal(cpu.reg32[0] & 0xffff, 0x55aa);
});
