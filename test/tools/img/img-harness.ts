// Shared helpers for termu-img tests: running termu-img and the real qemu-img side by side
// in scratch directories, and masking what legitimately differs (host disk usage, dates).
import { spawnSync } from 'node:child_process';
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

/** Copies a fixture directory so both tools can mutate their own copy. */
export function cloneDir(src: string, prefix: string): string {
  const dst = scratch(prefix);
  for (const f of fs.readdirSync(src)) {
    const p = path.join(src, f);
    if (fs.statSync(p).isFile()) fs.copyFileSync(p, path.join(dst, f));
    else if (fs.statSync(p).isDirectory()) {
      fs.mkdirSync(path.join(dst, f));
      for (const g of fs.readdirSync(p)) fs.copyFileSync(path.join(p, g), path.join(dst, f, g));
    }
  }
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
