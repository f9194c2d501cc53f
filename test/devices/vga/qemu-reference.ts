// Runs a VgaScript on real qemu-system-i386 inside script-kernel.asm and returns what the
// script printed on COM1 and, if asked, QEMU's screendump, for byte-for-byte comparison
// with termu's models.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VgaScript } from './vga-script.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The .asm stays in test/ (tsc copies nothing), so find it from dist/test/... too. */
const KERNEL_SOURCE = [join(here, 'script-kernel.asm'), join(here, '../../../../test/devices/vga/script-kernel.asm')].find((p) => existsSync(p));

export function qemuMissing(): string | undefined {
  if (spawnSync('qemu-system-i386', ['--version']).status !== 0) return 'qemu-system-i386 is not installed';
  if (spawnSync('nasm', ['-v']).status !== 0) return 'nasm is not installed';
  if (!KERNEL_SOURCE) return 'script-kernel.asm not found';
  return undefined;
}

/** Assembles script-kernel.asm with `script` into `dir`/kernel.bin (a Multiboot kernel); returns its path. */
export function buildScriptKernel(script: VgaScript, dir: string): string {
  writeFileSync(join(dir, 'script.bin'), script.encode());
  const asm = spawnSync('nasm', ['-f', 'bin', '-o', 'kernel.bin', KERNEL_SOURCE!], { cwd: dir, encoding: 'utf8' });
  if (asm.status !== 0) throw new Error(`nasm failed: ${asm.stderr}`);
  return join(dir, 'kernel.bin');
}

export async function qemuScreendump(script: VgaScript): Promise<Buffer> {
  return (await qemuRun(script, ['-vga', 'std'], true)).screendump!;
}

export interface QemuRunResult {
  /** The script's printed output (without the end marker). */
  serial: string;
  screendump?: Buffer;
}

export async function qemuRun(script: VgaScript, machineArgs: string[], screendump: boolean): Promise<QemuRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'termu-vga-'));
  try {
    buildScriptKernel(script, dir);
    const serial = join(dir, 'serial.txt');
    const dump = join(dir, 'dump.ppm');
    const qemu = spawn(
      'qemu-system-i386',
      ['-display', 'none', ...machineArgs, '-m', '64', '-kernel', 'kernel.bin', '-serial', `file:${serial}`, '-monitor', 'stdio', '-net', 'none'],
      { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    qemu.stderr.on('data', (d) => (stderr += d));
    qemu.stdout.resume();
    const exited = new Promise<void>((resolve) => qemu.on('exit', () => resolve()));
    try {
      await waitFor(() => existsSync(serial) && readFileSync(serial, 'latin1').includes('D'), 20000, () => `kernel never finished; qemu said: ${stderr}`);
      const printed = readFileSync(serial, 'latin1');
      if (!screendump) {
        qemu.stdin.write('quit\n');
        await exited;
        return { serial: printed.slice(0, printed.indexOf('D')) };
      }
      qemu.stdin.write(`screendump ${dump}\n`);
      let lastSize = -1;
      await waitFor(
        () => {
          if (!existsSync(dump)) return false;
          const size = statSync(dump).size;
          const stable = size > 0 && size === lastSize;
          lastSize = size;
          return stable;
        },
        10000,
        () => 'screendump never appeared',
      );
      qemu.stdin.write('quit\n');
      await exited;
      return { serial: printed.slice(0, printed.indexOf('D')), screendump: readFileSync(dump) };
    } finally {
      qemu.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitFor(cond: () => boolean, ms: number, why: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(why());
    await new Promise((r) => setTimeout(r, 50));
  }
}
