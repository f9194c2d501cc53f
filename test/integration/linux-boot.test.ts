// Boots the Debian i386 guest (test/guests) with -nographic in a pseudo-terminal, runs
// uname, /proc/cpuinfo, /proc/interrupts and dmesg at the shell, checks what the kernel
// found, and powers off. Booting Linux takes a few billion instructions; with the JIT (on by
// default) it takes about two minutes on a busy 2-core machine, so the budget is generous.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { CPUID_FEATURES } from '../../src/vm/cpu/cpuid.js';
import { REPO, TERMU } from './test-kernels.js';

type Pty = { onData(cb: (d: string) => void): void; write(d: string): void; onExit(cb: (e: { exitCode: number }) => void): void; kill(): void };
let spawnPty: ((file: string, args: string[], opts: object) => Pty) | undefined;
try {
  spawnPty = ((await import('node-pty')) as unknown as { spawn: typeof spawnPty }).spawn;
} catch {
  spawnPty = undefined;
}

const BOOT_TIMEOUT_MS = 600_000;

const FEATURE_NAMES: [number, string][] = [[0, 'fpu'], [3, 'pse'], [4, 'tsc'], [5, 'msr'], [8, 'cx8'], [9, 'apic'], [11, 'sep'], [12, 'mtrr'], [13, 'pge'], [15, 'cmov'], [16, 'pat'], [23, 'mmx'], [24, 'fxsr'], [25, 'sse'], [26, 'sse2']];

function whySkip(): string | false {
  if (!spawnPty) return 'node-pty is not available';
  if (!existsSync(join(REPO, 'dist', 'test', 'guests', 'linux.js'))) return 'the Linux test guest builder (test/guests) is missing';
  return false;
}

test('Debian i386 Linux boots to a shell with -nographic, sees the pc machine, and powers off with status 0', { skip: whySkip(), timeout: BOOT_TIMEOUT_MS + 60_000 }, async () => {
  const { ensureLinuxGuest } = (await import('../guests/linux.js')) as typeof import('../guests/linux.js');
  const guest = await ensureLinuxGuest();
  const pty = spawnPty!(TERMU, ['-nographic', '-m', '256', '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', guest.append], { name: 'xterm', cols: 200, rows: 50, env: process.env });
  let out = '';
  pty.onData((d) => (out += d));
  const exited = new Promise<number>((res) => pty.onExit((e) => res(e.exitCode)));
  const waitFor = async (re: RegExp, from: number, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const m = re.exec(out.slice(from));
      if (m) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting for ${re}; last output: ${JSON.stringify(out.slice(-2000))}`);
  };
  /** Runs a shell command and returns its output, delimited by markers. */
  let n = 0;
  const sh = async (command: string) => {
    const tag = `@@${++n}@@`;
    const from = out.length;
    pty.write(`echo ${tag}B; ${command}; echo ${tag}E\r`);
    const m = await waitFor(new RegExp(`\\n${tag}B\\r*\\n([\\s\\S]*?)${tag}E`), from, 60_000);
    return m[1].replace(/\r/g, '');
  };
  try {
    // busybox's line editor asks for the cursor position (ESC [6n) right after the prompt.
    await waitFor(/# (?:\x1b\[6n)?$/m, 0, BOOT_TIMEOUT_MS);
    const uname = await sh('uname -a');
    assert.match(uname, new RegExp(`Linux .* ${guest.kernelRelease.replace(/\./g, '\\.')} .* i686`));
    const cpuinfo = await sh('cat /proc/cpuinfo');
    const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/) ?? [];
    // Linux clears PAT on family 6 models below 15 (early-P6 errata, arch/x86/kernel/cpu/intel.c), as on a real Pentium II.
    for (const [bit, name] of FEATURE_NAMES) if (CPUID_FEATURES & (1 << bit) && name !== 'pat') assert.ok(flags.includes(name), `cpuinfo lacks ${name}: ${flags.join(' ')}`);
    const interrupts = await sh('cat /proc/interrupts');
    assert.match(interrupts, /IO-APIC/);
    assert.match(interrupts, /\bi8042\b/);
    assert.match(interrupts, /\bttyS0\b|\bserial\b/);
    assert.match(interrupts, /\brtc0\b/);
    assert.match(interrupts, /\bacpi\b/);
    assert.match(interrupts, /^\s*LOC:/m);
    const dmesg = await sh('dmesg');
    assert.match(dmesg, /ttyS0 at I\/O 0x3f8 \(irq = 4, base_baud = 115200\) is a 16550A/);
    assert.match(dmesg, /serio: i8042 KBD port at 0x60,0x64 irq 1/);
    assert.match(dmesg, /rtc_cmos/);
    assert.match(dmesg, /IOAPIC\[0\]: apic_id \d+, version \d+, address 0xfec00000, GSI 0-23/);
    assert.match(dmesg, /ACPI: PM-Timer IO Port: 0x608/);
    // CPUID leaf 0x15 gives the TSC's frequency: no calibration against the PIT.
    assert.match(dmesg, /tsc: Detected 1000\.000 MHz processor/);
    assert.doesNotMatch(dmesg, /calibrat\w* (?:failed|against PIT)/i);
    assert.match(dmesg, /pci 0000:00:00\.0: \[8086:1237\]/);
    assert.match(dmesg, /pci 0000:00:01\.0: \[8086:7000\]/);
    assert.match(dmesg, /pci 0000:00:01\.1: \[8086:7010\]/);
    assert.match(dmesg, /pci 0000:00:01\.3: \[8086:7113\]/);
    for (const bad of ['BUG', 'Oops', 'WARNING', 'panic', 'cut here']) assert.ok(!dmesg.includes(bad), `dmesg contains ${bad}`);
    pty.write('poweroff -f\r');
    assert.equal(await exited, 0);
  } finally {
    pty.kill();
  }
});
