// Builds the integration tests' Multiboot kernels from the assembly sources next to this
// file (nasm, and ld for the ELF variant), once per test process.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const TERMU = join(REPO, 'bin', 'termu');
const SOURCES = join(REPO, 'test', 'integration', 'multiboot');

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
export const HAVE_NASM = has('nasm') && has('ld');
export const HAVE_QEMU = has('qemu-system-i386');

let dir: string | undefined;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/** Paths of the built kernels: the a.out-kludge and ELF info kernels, and the echo, halting and triple-faulting guests. */
export function buildTestKernels(): { aout: string; elf: string; echo: string; halt: string; tripleFault: string; dir: string } {
  dir ??= mkdtempSync(join(tmpdir(), 'termu-mb-'));
  const out = { aout: join(dir, 'mbtest.bin'), elf: join(dir, 'mbtest.elf'), echo: join(dir, 'echo.bin'), halt: join(dir, 'halt.bin'), tripleFault: join(dir, 'triple-fault.bin'), dir };
  run('nasm', ['-w-zeroing', '-f', 'bin', '-o', out.aout, join(SOURCES, 'mbtest.asm')]);
  run('nasm', ['-f', 'elf32', '-DELF', '-o', join(dir, 'mbtest.o'), join(SOURCES, 'mbtest.asm')]);
  run('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '-o', out.elf, join(dir, 'mbtest.o')]);
  run('nasm', ['-f', 'bin', '-o', out.echo, join(SOURCES, 'echo.asm')]);
  run('nasm', ['-f', 'bin', '-o', out.halt, join(SOURCES, 'halt.asm')]);
  run('nasm', ['-f', 'bin', '-o', out.tripleFault, join(SOURCES, 'triple-fault.asm')]);
  return out;
}
