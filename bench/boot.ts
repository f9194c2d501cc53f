// `npm run bench -- boot [--runs N] [--timeout SECONDS]`: boots the Linux test guest with the
// benchmark init variant (`termu.bench`: a fixed CPU workload, then a result line, then
// poweroff) in qemu-system-i386 (TCG), in v86 (npm, with Debian's SeaBIOS) and in termu,
// timing each from process start to the guest's result line, and prints the termu/QEMU and
// termu/v86 ratios and termu's peak memory. Each emulator runs in its own process so start-up
// and memory are measured the same way for all three. With --runs N each emulator's best of
// N runs counts, the runs taken in rounds of one per emulator. It ends with guest MIPS on
// bench/cpu.ts's compute loop, interpreted and with the JIT.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/guests/guest-cache.js';
import { ensureLinuxGuest, type LinuxGuest } from '../test/guests/linux.js';
import { BENCH_DONE_MARKER, BENCH_FLAG, GUEST_READY_MARKER } from '../test/guests/linux-init.js';
import { measureMips, mipsLine } from './cpu.js';

const SEABIOS = '/usr/share/seabios/bios.bin';
const VGABIOS = '/usr/share/seabios/vgabios-stdvga.bin';
const V86_CHILD_FLAG = '--v86-child';
const RESULT_LINE = new RegExp(`${BENCH_DONE_MARKER} (loop=\\d+ sha256=[0-9a-f]{64})`);

/**
 * Where the time goes: the lines that end each stage of the run, in order. Each stage's
 * time is the gap between its line and the previous one (the first from process start).
 */
const STAGES: { name: string; line: string }[] = [
  { name: 'firmware + decompressor', line: 'Linux version' },
  { name: 'kernel init', line: 'Run /init as init process' },
  { name: 'init (modules)', line: GUEST_READY_MARKER },
  { name: 'workload', line: BENCH_DONE_MARKER },
];
/** The stage whose line ends the boot alone (init ready, before the workload). */
const READY_STAGE = STAGES.findIndex((s) => s.line === GUEST_READY_MARKER);

interface Measurement {
  name: string;
  /** Seconds from spawn to each STAGES line, where it was seen. */
  stageEnds?: (number | undefined)[];
  /** Seconds from spawn to the result line, or undefined when the guest never got there. */
  seconds?: number;
  /** Seconds from spawn to the line init prints before the workload (the boot alone). */
  bootSeconds?: number;
  /** Peak resident set size in bytes (VmHWM), sampled while the process ran. */
  peakBytes?: number;
  result?: string;
  failure?: string;
}

export async function run(args: string[]): Promise<void> {
  if (args[0] === V86_CHILD_FLAG) return runV86Child(args.slice(1));
  const runs = numberOption(args, '--runs', 1);
  const explicitTimeout = args.includes('--timeout') ? numberOption(args, '--timeout', 0) * 1000 : undefined;

  const guest = await ensureLinuxGuest();
  const append = `${guest.append} ${BENCH_FLAG}`;
  console.log(`boot benchmark: Debian ${guest.kernelRelease} + busybox initramfs, -m 256, -append "${append}"`);
  console.log(`times from process start to the guest's "${GUEST_READY_MARKER}" and "${BENCH_DONE_MARKER}" lines; best of ${runs} run(s)${runs > 1 ? ', in rounds of one run each' : ''}\n`);

  const contenders: { name: string; command: string[] }[] = [
    { name: 'qemu-system-i386 (TCG)', command: ['qemu-system-i386', ...qemuStyleArgs(guest, append)] },
    { name: `v86 ${v86Version()}`, command: [process.execPath, join(REPO_ROOT, 'dist/bench/main.js'), 'boot', V86_CHILD_FLAG, guest.kernel, guest.initrd, append] },
    { name: 'termu', command: [join(REPO_ROOT, 'bin/termu'), ...qemuStyleArgs(guest, append)] },
  ];

  // Best of `runs`, in rounds that run each emulator once: a slow spell of the host then falls
  // on every emulator's runs alike, not on all of one emulator's.
  const best: (Measurement | undefined)[] = contenders.map(() => undefined);
  for (let round = 0; round < runs; round++) {
    for (const [i, c] of contenders.entries()) {
      // An emulator that did not finish once is not run again: its failure is the result.
      if (best[i] !== undefined && best[i]!.seconds === undefined) continue;
      if (c.name === 'termu' && !existsSync(join(REPO_ROOT, 'bin/termu'))) {
        best[i] = { name: c.name, failure: 'bin/termu does not exist yet' };
        continue;
      }
      // termu gets three times v86's time (at least five minutes) unless told otherwise, so a
      // termu that is badly slowed down still gives a figure, and a hung one does not hold the
      // benchmark forever.
      const v86Seconds = best[1]?.seconds;
      const timeoutMs = explicitTimeout ??
        (c.name === 'termu' && v86Seconds !== undefined ? Math.max(300_000, v86Seconds * 3_000) : 300_000);
      const m = await measure(c.name, c.command, timeoutMs);
      const b = best[i];
      if (b === undefined || m.seconds === undefined || m.seconds < b.seconds!) best[i] = m;
    }
  }
  const results = best.map((m) => m!);
  report(results);
  const dir = mkdtempSync(join(tmpdir(), 'termu-bench-boot-'));
  try {
    console.log(mipsLine(measureMips(dir, 20000)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function qemuStyleArgs(guest: LinuxGuest, append: string): string[] {
  return ['-nographic', '-m', '256', '-no-reboot', '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', append];
}

/** Runs one emulator to the guest's result line, sampling its peak memory meanwhile. */
function measure(name: string, command: string[], timeoutMs: number): Promise<Measurement> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let peakBytes: number | undefined;
    const stageEnds: (number | undefined)[] = STAGES.map(() => undefined);
    let settled = false;
    const sample = (): void => {
      try {
        const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        if (kb) peakBytes = Number(kb) * 1024;
      } catch {
        // The process has just exited; keep the last sample.
      }
    };
    const sampler = setInterval(sample, 100);
    const lastLine = (): string => output.trim().split('\n').slice(-1)[0]?.trim().slice(0, 160) || '(no output)';
    const timer = setTimeout(() => {
      finish({ failure: `no result line within ${Math.round(timeoutMs / 1000)} s; last output: ${lastLine()}` });
    }, timeoutMs);
    const finish = (outcome: Partial<Measurement>): void => {
      if (settled) return;
      settled = true;
      clearInterval(sampler);
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve({ name, peakBytes, bootSeconds: stageEnds[READY_STAGE], stageEnds, ...outcome });
    };
    const onData = (b: Buffer): void => {
      output += b.toString('latin1');
      const now = Number(process.hrtime.bigint() - start) / 1e9;
      STAGES.forEach((stage, i) => {
        if (stageEnds[i] === undefined && output.includes(stage.line)) stageEnds[i] = now;
      });
      const m = RESULT_LINE.exec(output);
      if (m) {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        sample();
        finish({ seconds, result: m[1] });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => finish({ failure: e.message }));
    child.on('exit', (code, signal) => {
      finish({ failure: `exited (${signal ?? `status ${code}`}) before the result line; last output: ${lastLine()}` });
    });
  });
}

function report(results: Measurement[]): void {
  const rows = results.map((m) => [
    m.name,
    m.bootSeconds !== undefined ? `${m.bootSeconds.toFixed(2)} s` : '-',
    m.seconds !== undefined ? `${m.seconds.toFixed(2)} s` : m.name === 'termu' ? 'not yet bootable' : 'failed',
    m.peakBytes !== undefined ? `${(m.peakBytes / 2 ** 20).toFixed(0)} MiB` : '-',
  ]);
  printTable(['emulator', 'boot (init ready)', 'boot + workload', 'peak RSS'], rows);
  for (const m of results) if (m.failure) console.log(`  ${m.name}: ${m.failure}`);

  const ran = results.filter((m) => m.result !== undefined);
  const distinct = new Set(ran.map((m) => m.result));
  if (distinct.size > 1) {
    console.log('\nWARNING: the guests computed different workload results:');
    for (const m of ran) console.log(`  ${m.name}: ${m.result}`);
  } else if (ran.length) {
    console.log(`\nworkload result (identical in every emulator that finished): ${ran[0].result}`);
  }

  const [qemu, v86, termu] = results;
  const ratio = (a: Measurement, b: Measurement): string =>
    a.seconds !== undefined && b.seconds !== undefined ? `${(a.seconds / b.seconds).toFixed(2)}x` : 'n/a';
  console.log(`termu/QEMU: ${ratio(termu, qemu)}   termu/v86: ${ratio(termu, v86)}   v86/QEMU: ${ratio(v86, qemu)}`);
  reportStages(results);
  const termuPeak = termu.peakBytes === undefined ? 'n/a' : `${(termu.peakBytes / 2 ** 20).toFixed(0)} MiB`;
  console.log(`termu peak memory: ${termuPeak}${termu.seconds === undefined ? ' (not yet bootable: peak before it was stopped)' : ''}`);
}

/** Each stage's seconds per emulator, and termu's ratio to v86 per stage. */
function reportStages(results: Measurement[]): void {
  const [, v86, termu] = results;
  const stageSeconds = (m: Measurement, i: number): number | undefined => {
    const end = m.stageEnds?.[i];
    const begin = i === 0 ? 0 : m.stageEnds?.[i - 1];
    return end !== undefined && begin !== undefined ? end - begin : undefined;
  };
  const seconds = (s: number | undefined): string => (s === undefined ? '-' : `${s.toFixed(2)} s`);
  const header = ['stage', ...results.map((m) => m.name.split(' ')[0]), 'termu/v86'];
  const rows = STAGES.map((stage, i) => {
    const t = stageSeconds(termu, i), v = stageSeconds(v86, i);
    return [stage.name, ...results.map((m) => seconds(stageSeconds(m, i))), t !== undefined && v ? `${(t / v).toFixed(2)}x` : 'n/a'];
  });
  console.log('\nby stage (the time between the lines that end them):');
  printTable(header, rows);
}

/** Prints `rows` under `header` in left-aligned columns. */
function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd();
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

function numberOption(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`bench boot: ${name} needs a positive number, got '${args[i + 1] ?? ''}'`);
    process.exit(1);
  }
  return value;
}

function v86Version(): string {
  const require = createRequire(import.meta.url);
  return (require('v86/package.json') as { version: string }).version.replace(/\+.*/, '');
}

/** The v86 side, run in its own process: boot, copy COM1 to stdout, stop on the result line. */
async function runV86Child([kernel, initrd, append]: string[]): Promise<void> {
  const require = createRequire(import.meta.url);
  const { V86 } = (await import('v86')) as unknown as { V86: new (options: Record<string, unknown>) => V86Emulator };
  const buffer = (file: string): ArrayBuffer => {
    const b = readFileSync(file);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  };
  const emulator = new V86({
    wasm_path: require.resolve('v86/build/v86.wasm'),
    memory_size: 256 * 1024 * 1024,
    vga_memory_size: 8 * 1024 * 1024,
    bios: { buffer: buffer(SEABIOS) },
    vga_bios: { buffer: buffer(VGABIOS) },
    bzimage: { buffer: buffer(kernel) },
    initrd: { buffer: buffer(initrd) },
    cmdline: append,
    acpi: true,
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  });
  let line = '';
  emulator.add_listener('serial0-output-byte', (byte: number) => {
    process.stdout.write(String.fromCharCode(byte));
    line = byte === 10 ? '' : line + String.fromCharCode(byte);
    if (RESULT_LINE.test(line)) {
      process.stdout.write('\n', () => process.exit(0));
    }
  });
}

interface V86Emulator {
  add_listener(event: string, fn: (value: number) => void): void;
}
