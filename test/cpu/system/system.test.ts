// System-level CPU tests: small Multiboot programs (programs/*.asm) exercise gates, faults,
// paging, task switches, V86 and SYSENTER. Each runs on termu's CPU; its report on port
// 0xE9 must equal what the same program prints under qemu-system-i386, and the key lines
// are also checked against what the Intel SDM specifies.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assemble, runOnTermu, runOnQemu, NASM_AVAILABLE, QEMU_AVAILABLE } from './harness.js';

const skipNoNasm = NASM_AVAILABLE ? false : 'nasm is not installed';
const skipNoQemu = !NASM_AVAILABLE ? 'nasm is not installed' : QEMU_AVAILABLE ? false : 'qemu-system-i386 is not installed';

/** Runs `name` on termu and QEMU, asserts equal reports, and returns termu's. */
function runBoth(name: string): string {
  const prog = assemble(name);
  try {
    const ours = runOnTermu(prog.bin);
    const qemu = runOnQemu(prog.path);
    assert.equal(ours.output, qemu.output, `${name}: termu and QEMU reports differ`);
    assert.equal(ours.exitCode, 0, `${name}: did not reach the exit port`);
    return ours.output;
  } finally {
    prog.cleanup();
  }
}

test('faults with error codes and ring transitions through gates match QEMU and the SDM', { skip: skipNoQemu }, () => {
  const out = runBoth('gates');
  const lines = out.split('\n');
  // DIV by zero → #DE, UD2 → #UD, both faults without error codes.
  assert.match(lines[0], /^#00 err=0000 /);
  assert.match(lines[1], /^#06 err=0000 /);
  // MOV DS, 0x1234 beyond the GDT limit → #GP(1234h & FFFCh with TI/RPL kept as the selector's).
  assert.match(lines[2], /^#0d err=1234 /);
  // MOV SS, code selector → #GP(selector); a not-present data segment → #NP(selector).
  assert.match(lines[3], /^#0d err=0008 /);
  assert.match(lines[4], /^#0b err=0030 /);
  assert.equal(lines[5], 'in ring 3');
  assert.equal(lines[6], '0000001b');
  // The call gate copied both parameters to the ring-0 stack and pushed the caller's SS.
  assert.equal(lines[7], 'gate: 001b 22222222 11111111 0023');
  // CLI at CPL 3 with IOPL 0 → #GP(0); INT 21h through a DPL-0 gate → #GP(21h*8+2);
  // loading a DPL-0 data selector at CPL 3 → #GP(selector); HLT at CPL 3 → #GP(0).
  assert.match(lines[10], /^#0d err=0000 .* cs=001b$/);
  assert.match(lines[11], /^#0d err=010a .* cs=001b$/);
  assert.match(lines[12], /^#0d err=0010 .* cs=001b$/);
  assert.match(lines[13], /^#0d err=0000 .* cs=001b$/);
  assert.equal(lines[14], 'back in ring 0');
});

test('segment limits: #GP(0) and #SS(0) past the limit, read-only and expand-down segments (SDM)', { skip: skipNoNasm }, () => {
  const prog = assemble('limits');
  try {
    const { output } = runOnTermu(prog.bin);
    const lines = output.split('\n');
    assert.match(lines[0], /^#0d err=0000 /, 'dword at 0xffd crosses a 0xfff limit');
    assert.match(lines[1], /^#0d err=0000 /, 'write to a read-only data segment');
    assert.match(lines[2], /^#0d err=0000 /, 'below an expand-down segment\'s limit');
    assert.match(lines[3], /^#0c err=0000 /, 'SS-relative access past SS\'s limit');
    assert.equal(lines[4], 'limits checked');
    assert.equal(lines[5], 'done');
  } finally {
    prog.cleanup();
  }
});

test('paging: A/D bits, #PF error codes and CR2, CR0.WP, 4 MiB pages, INVLPG (also of 4 MiB pages) match QEMU and the SDM', { skip: skipNoQemu }, () => {
  const lines = runBoth('paging').split('\n');
  assert.equal(lines[0], 'A/D=20', 'a read sets A only');
  assert.equal(lines[1], 'A/D=60', 'a write sets D');
  assert.match(lines[2], /^#0e err=0000 .* cr2=00300010$/, 'read of a not-present page');
  assert.match(lines[3], /^#0e err=0002 .* cr2=00300024$/, 'write to a not-present page');
  assert.match(lines[4], /^#0e err=0003 .* cr2=0030100c$/, 'supervisor write to a read-only page with WP=1');
  assert.equal(lines[5], '0000abcd', 'the 4 MiB page aliases physical memory');
  assert.equal(lines[6], 'A/D=60', 'the 4 MiB PDE gets A and D');
  assert.match(lines[7], /^#0e err=0000 .* cr2=00800000$/, 'not-present PDE');
  assert.equal(lines[8], '77777777', 'INVLPG makes the new PTE visible');
  assert.equal(lines[9], '11111111', 'the 4 MiB page maps physical 0-4 MiB');
  assert.equal(lines[10], '00000000', 'INVLPG elsewhere in the 4 MiB page dropped the old translation');
  assert.match(lines[11], /^#0e err=0004 .* cs=001b cr2=00300000$/, 'user read, not present');
  assert.match(lines[12], /^#0e err=0005 .* cs=001b cr2=00304000$/, 'user read of a supervisor page');
  assert.match(lines[13], /^#0e err=0007 .* cs=001b cr2=00301000$/, 'user write to a read-only page');
});

test('task switches: CALL/IRET through a TSS and a task gate, busy bits, #DF through a task gate (QEMU, SDM)', { skip: skipNoQemu }, () => {
  const lines = runBoth('tasks').split('\n');
  assert.equal(lines[0], 'task A: link=0028 00004000', 'CALL stores the back link and sets NT in the new task');
  assert.equal(lines[1], 'returned NT=00000000', 'IRET with NT returns to the caller, whose NT is clear');
  assert.equal(lines[2], '0b 09', 'the caller is busy again, task A available');
  assert.equal(lines[3], 'task A again: counter=01', 'task A resumes after its IRET');
  assert.match(lines[5], /^#DF task: err=00000000 0028 /, '#DF arrives through the task gate with error code 0');
});

test('virtual-8086 mode: IRET into V86, #GP on CLI with IOPL 0, INT through a gate and IRET back (QEMU, SDM)', { skip: skipNoQemu }, () => {
  const lines = runBoth('v86').split('\n');
  // #GP(0) at the CLI (IP 6), frame: IP CS EFLAGS(VM) SP SS ES DS FS GS.
  assert.equal(lines[0], 'v86 #GP err=0000 0006 0800 00020002 1000 0700 0a00 0900 0c00 0b00');
  assert.equal(lines[1], 'marker=1234', 'DS:0010 with DS = 0900h is linear 9010h');
  // The handler sees null ES/FS; the frame holds the V86 segment registers and VM.
  assert.equal(lines[3], 'v86 int ax=4321 0000 0000 000e 0800 00023002 1000 0700 0a00 0900 0c00 0b00');
  assert.equal(lines[4], 'v86 exit bx=4322', 'IRET returned to V86 mode');
});

test('SYSENTER/SYSEXIT through the SYSENTER MSRs, #GP on SYSEXIT at CPL 3, CPUID vendor (QEMU, SDM)', { skip: skipNoQemu }, () => {
  const lines = runBoth('sysenter').split('\n');
  assert.equal(lines[0], 'GenuineIntel06');
  // Flat ring-0 CS/SS from SYSENTER_CS, ESP from SYSENTER_ESP, IF cleared, registers kept.
  assert.match(lines[2], /^sysenter: 0008 0010 ffffff00 [0-9a-f]{8} 5a5a$/);
  assert.equal(parseInt(lines[2].split(' ')[4], 16) & 0x200, 0, 'IF is clear after SYSENTER');
  assert.deepEqual(lines.slice(3, 6), ['0000001b', '00000023', '00000000'], 'SYSEXIT: CS = SYSENTER_CS+16|3, SS = +24|3, ESP = ECX');
  assert.match(lines[6], /^#0d err=0000 .* cs=001b$/);
});

test('x87 traps owned by the CPU: #NM for TS/EM, WAIT with MP, #MF for a pending unmasked exception (QEMU, SDM)', { skip: skipNoQemu }, () => {
  const lines = runBoth('fpu-traps').split('\n');
  assert.match(lines[0], /^#07 /, 'FLD1 with CR0.TS');
  assert.match(lines[1], /^#07 /, 'FWAIT with CR0.TS and CR0.MP');
  assert.match(lines[2], /^#07 /, 'FLD1 with CR0.EM');
  assert.match(lines[3], /^#10 /, 'FWAIT after an unmasked divide by zero, CR0.NE = 1');
  assert.equal(lines[4], '0084', 'ES and ZE are set');
});

test('REP string instructions: page crossings, pattern-replicating overlap, where REPE/REPNE stop, #PF part-way with restartable registers (QEMU, SDM)', { skip: skipNoQemu }, () => {
  const lines = runBoth('strings').split('\n');
  assert.equal(lines[2], '00000000 0000d388 0000d38b', 'the overlapping copy ran to the end');
  // REPNE SCASB stops just past the zero, the first byte of the next page, with ZF set.
  assert.deepEqual(lines.slice(7, 9), ['00000f00 0000d388 00001001', '00000044']);
  // REPE SCASB stops just past the first byte that differs, on the page after it started.
  assert.deepEqual(lines.slice(9, 11), ['000003f7 0000d388 00016389', '00000084']);
  // The fault leaves ECX/ESI/EDI at the first element not copied (SDM: REP is interruptible per element).
  assert.match(lines[17], /^#0e err=0002 .* cr2=00220000$/);
  assert.equal(lines[18], '000003d4 00000ff0 00020000');
});
