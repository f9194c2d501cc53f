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
