// The cache every guest builder writes into: `.cache/guests/` in the repository (git-ignored).
// A product lives in a directory named by a key derived from everything it was built from, is
// built under a lock (test files run in parallel processes) into a temporary directory and
// renamed into place when complete, so a half-built product is never seen.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

// This file runs from dist/test/guests/, three levels below the repository root.
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const GUEST_CACHE = process.env.TERMU_GUEST_CACHE ?? join(REPO_ROOT, '.cache', 'guests');

const LOCK_WAIT_MS = 15 * 60 * 1000;

/** A short stable digest of the inputs a product was built from. */
export function cacheKey(...inputs: string[]): string {
  const hash = createHash('sha256');
  for (const input of inputs) hash.update(input).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Runs `fn` while holding the named cache lock (a directory holding the owner's pid). */
export async function withCacheLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(GUEST_CACHE, { recursive: true });
  const lock = join(GUEST_CACHE, `${name}.lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!lockOwnerAlive(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`guest cache: timed out waiting for lock ${lock}`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockOwnerAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return true; // the owner is between mkdir and writing its pid
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Returns `.cache/guests/<name>`, building it first with `build(tmpDir)` unless a complete
 * build is already there.
 */
export async function buildOnce(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(GUEST_CACHE, name);
  if (existsSync(join(dir, '.complete'))) return dir;
  return withCacheLock(name, async () => {
    if (existsSync(join(dir, '.complete'))) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await build(tmp);
      writeFileSync(join(tmp, '.complete'), '');
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return dir;
  });
}
