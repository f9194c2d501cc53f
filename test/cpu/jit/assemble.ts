// nasm for the JIT tests: flat binaries at a given origin.

import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasNasm = spawnSync('sh', ['-c', 'command -v nasm']).status === 0;

export function assemble(src: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'termu-jit-'));
  try {
    writeFileSync(join(dir, 'a.asm'), src);
    execFileSync('nasm', ['-w-number-overflow', '-f', 'bin', '-o', join(dir, 'a.bin'), join(dir, 'a.asm')]);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
