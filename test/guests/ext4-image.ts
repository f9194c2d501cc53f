// A raw ext4 disk image made by Debian's mke2fs from a small directory tree (`mke2fs -d`),
// reproducible: fixed UUID, hash seed and time. The Linux guest mounts it from IDE or virtio.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce, cacheKey } from './guest-cache.js';
import { runCommand } from './run-command.js';

export const EXT4_LABEL = 'TERMU_EXT4';
export const EXT4_HELLO = 'termu ext4 test image\n';
const UUID = '5e1f2a3b-0c4d-4e5f-8a9b-7c6d5e4f3a2b';
const FAKE_TIME = '1686355200';

/** 200 KiB of a fixed pseudo-random pattern, large enough to span extents of several blocks. */
export function ext4Payload(): Buffer {
  const out = Buffer.alloc(200 * 1024);
  let x = 0x12345678;
  for (let i = 0; i < out.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function ext4PayloadSha256(): string {
  return createHash('sha256').update(ext4Payload()).digest('hex');
}

export async function ensureExt4Image(): Promise<string> {
  const version = (await runCommand('mke2fs', ['-V'], { allowFailure: true })).stderr.split('\n')[0];
  const dir = await buildOnce(`ext4-${cacheKey(version, readFileSync(new URL(import.meta.url), 'utf8'))}`, async (out) => {
    const tree = join(out, 'tree');
    mkdirSync(join(tree, 'data'), { recursive: true });
    writeFileSync(join(tree, 'hello.txt'), EXT4_HELLO);
    writeFileSync(join(tree, 'data', 'payload.bin'), ext4Payload());
    symlinkSync('data/payload.bin', join(tree, 'payload-link'));
    await runCommand('mke2fs', [
      '-q', '-F', '-t', 'ext4', '-L', EXT4_LABEL, '-U', UUID,
      '-E', `root_owner=0:0,hash_seed=${UUID}`, '-d', tree, join(out, 'ext4.img'), '32M',
    ], { env: { ...process.env, E2FSPROGS_FAKE_TIME: FAKE_TIME } });
    rmSync(tree, { recursive: true, force: true });
  });
  return join(dir, 'ext4.img');
}
