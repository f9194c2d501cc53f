// Runs a system-test program (test/cpu/system/programs/*.asm, a Multiboot kernel) on
// termu's CPU and on qemu-system-i386, capturing what each writes to port 0xE9.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cpu, CS, SS, DS, ES, FS, GS, EAX, EBX } from '../../../src/vm/cpu/cpu.js';
import { TestHost } from '../test-host.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/cpu/system → the sources in test/cpu/system/programs. */
export const PROGRAMS_DIR = join(here, '..', '..', '..', '..', 'test', 'cpu', 'system', 'programs');

function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}
export const NASM_AVAILABLE = hasTool('nasm');
export const QEMU_AVAILABLE = hasTool('qemu-system-i386');

/** Assembles programs/<name>.asm into a flat binary. */
export function assemble(name: string): { bin: Buffer; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'termu-cpu-'));
  const path = join(dir, `${name}.bin`);
  execFileSync('nasm', ['-f', 'bin', '-I', `${PROGRAMS_DIR}/`, '-o', path, join(PROGRAMS_DIR, `${name}.asm`)]);
  return { bin: readFileSync(path), path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  output: string;
  /** The value written to the exit port, or undefined if the program never got there. */
  exitCode?: number;
  tripleFaults: number;
  instructions: number;
}

/** Loads a Multiboot (a.out kludge) image the way QEMU's -kernel does and runs it. */
export function runOnTermu(bin: Buffer, budget = 5_000_000, setup?: (cpu: Cpu, host: TestHost) => void): RunResult {
  const host = new TestHost(32 << 20);
  const cpu = new Cpu(host);
  let output = '';
  let exitCode: number | undefined;
  host.io.register(0xe9, 1, {
    readPort: () => 0xe9,
    writePort: (_p, _s, v) => { output += String.fromCharCode(v & 0xff); },
  });
  host.io.register(0xf4, 4, {
    readPort: () => 0xff,
    writePort: (_p, _s, v) => { exitCode = v; cpu.requestExit(); },
  });
  let headerOffset = -1;
  for (let i = 0; i + 32 <= Math.min(bin.length, 8192); i += 4) {
    if (bin.readUInt32LE(i) === 0x1badb002) { headerOffset = i; break; }
  }
  if (headerOffset < 0) throw new Error('no Multiboot header');
  const headerAddr = bin.readUInt32LE(headerOffset + 12);
  const loadAddr = bin.readUInt32LE(headerOffset + 16);
  const loadEnd = bin.readUInt32LE(headerOffset + 20);
  const bssEnd = bin.readUInt32LE(headerOffset + 24);
  const entry = bin.readUInt32LE(headerOffset + 28);
  const fileStart = headerOffset - (headerAddr - loadAddr);
  host.memory.writeBytes(loadAddr, bin.subarray(fileStart, fileStart + (loadEnd - loadAddr)));
  host.memory.ram.fill(0, loadEnd, bssEnd);
  // The Multiboot machine state: flat 32-bit protected mode, paging off, interrupts off.
  cpu.cr0 = 0x11;
  cpu.loadSegmentCache(CS, 0x10, 0, 0xffffffff, 0x00cf9b00);
  for (const s of [SS, DS, ES, FS, GS]) cpu.loadSegmentCache(s, 0x18, 0, 0xffffffff, 0x00cf9300);
  cpu.setEflags(2);
  cpu.eip = entry;
  cpu.reg32[EAX] = 0x2badb002;
  cpu.reg32[EBX] = 0x9500;
  setup?.(cpu, host);
  let done = 0;
  while (done < budget && exitCode === undefined && host.tripleFaults === 0) {
    const n = cpu.run(Math.min(1_000_000, budget - done));
    done += n;
    if (cpu.halted && !(cpu.getEflags() & 0x200)) break;
    if (n === 0 && cpu.halted) break;
  }
  return { output, exitCode, tripleFaults: host.tripleFaults, instructions: cpu.instructionCount };
}

/** Runs the image in qemu-system-i386 (a Pentium II, -no-reboot) and returns its port-0xE9 output. */
export function runOnQemu(binPath: string): RunResult {
  const out = join(dirname(binPath), 'debugcon.txt');
  const r = spawnSync('qemu-system-i386', [
    '-cpu', 'pentium2', '-m', '32', '-kernel', binPath, '-display', 'none', '-nodefaults', '-no-reboot',
    '-debugcon', `file:${out}`, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
  ], { timeout: 30_000 });
  const output = existsSync(out) ? readFileSync(out, 'latin1') : '';
  // isa-debug-exit makes QEMU exit with (value << 1) | 1; a triple fault with -no-reboot exits 0.
  const status = r.status ?? -1;
  return { output, exitCode: status & 1 ? status >> 1 : undefined, tripleFaults: status === 0 ? 1 : 0, instructions: 0 };
}
