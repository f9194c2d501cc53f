// Shared helpers for termu-img tests: running termu-img and the real qemu-img side by side
// in scratch directories, and masking what legitimately differs (host disk usage, dates).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TERMU_IMG = path.resolve(here, '../../../../bin/termu-img');

export interface RunResult { stdout: string; stderr: string; status: number }

export function haveQemuImg(): boolean {
  return spawnSync('qemu-img', ['--version']).status === 0;
}

export function run(cmd: string, args: string[], cwd: string): RunResult {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** Runs a command without blocking, so independent cases can overlap. */
export function runAsync(cmd: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.on('close', (status) => resolve({ stdout, stderr, status: status ?? -1 }));
  });
}

export function qemuImgAsync(args: string[], cwd: string): Promise<RunResult> {
  return runAsync('qemu-img', args, cwd);
}

export function termuImgAsync(args: string[], cwd: string): Promise<RunResult> {
  return runAsync(process.execPath, [TERMU_IMG, ...args], cwd);
}

export function qemuImg(args: string[], cwd: string): RunResult {
  return run('qemu-img', args, cwd);
}

export function termuImg(args: string[], cwd: string): RunResult {
  return run(process.execPath, [TERMU_IMG, ...args], cwd);
}

export function qemuIo(args: string[], cwd: string): RunResult {
  return run('qemu-io', args, cwd);
}

export function scratch(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `termu-${prefix}-`));
}

/** Copies a fixture directory (keeping sparse files sparse) so each tool mutates its own copy. */
export function cloneDir(src: string, prefix: string): string {
  const dst = scratch(prefix);
  const r = spawnSync('cp', ['-a', '--sparse=always', `${src}/.`, dst]);
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
  return dst;
}

/** Masks host-dependent values and qemu-img's name so outputs compare byte for byte. */
export function mask(s: string): string {
  return s
    .replace(/qemu-img/g, 'termu-img')
    .replace(/^disk size: .*$/gm, 'disk size: <masked>')
    .replace(/"actual-size": \d+/g, '"actual-size": <masked>')
    .replace(/"date-(sec|nsec)": \d+/g, '"date-$1": <masked>')
    .replace(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d /g, ' <date> ');
}

export function rmrf(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
