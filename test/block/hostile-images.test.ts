// Hostile images: valid images (made by qemu-img) are mutated (header fields, L1/L2 and
// refcount entries, snapshot table, truncation, absurd sizes and offsets, self-referencing
// backing files) and fed to info, check, check -r all, map and reads in a child process
// with a fixed heap limit and a deadline. Every case must end in a clean error or data:
// no uncaught exception, no hang, no memory beyond the bound.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveQemuImg, qemuImg, qemuIo, rmrf, scratch } from '../tools/img/img-harness.js';
import { rng } from './random-ops.js';

const skip = haveQemuImg() ? false : 'qemu-img (qemu-utils) is not installed';
const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hostile-runner.js');

/** Field offsets and widths of the qcow2 header. */
const HEADER_FIELDS: Array<[number, number]> = [
  [4, 4], [8, 8], [16, 4], [20, 4], [24, 8], [32, 4], [36, 4], [40, 8], [48, 8], [56, 4], [60, 4], [64, 8],
  [72, 8], [80, 8], [88, 8], [96, 4], [100, 4], [104, 1],
];

function put(buf: Buffer, at: number, width: number, value: bigint): void {
  if (at + width > buf.length) return;
  if (width === 8) buf.writeBigUInt64BE(BigInt.asUintN(64, value), at);
  else if (width === 4) buf.writeUInt32BE(Number(BigInt.asUintN(32, value)), at);
  else if (width === 2) buf.writeUInt16BE(Number(BigInt.asUintN(16, value)), at);
  else buf[at] = Number(BigInt.asUintN(8, value));
}

function absurd(next: () => number, width: number): bigint {
  const picks = [0n, 1n, 7n, 512n, 65535n, 0x7fffffffn, 0xffffffffn, 1n << 40n, 1n << 62n, (1n << 64n) - 1n,
    BigInt(Math.floor(next() * 2 ** 32)) << 16n];
  const v = picks[Math.floor(next() * picks.length)];
  return width === 8 ? v : v & ((1n << BigInt(width * 8)) - 1n);
}

function buildSources(dir: string): string[] {
  const ok = (r: { status: number; stderr: string }) => assert.equal(r.status, 0, r.stderr);
  ok(qemuImg(['create', '-q', '-f', 'qcow2', 'base.qcow2', '4M'], dir));
  ok(qemuIo(['-c', 'write -P 0x11 0 1M', 'base.qcow2'], dir));
  ok(qemuImg(['create', '-q', '-f', 'qcow2', 'src.qcow2', '4M'], dir));
  ok(qemuIo(['-c', 'write -P 0x22 0 512k', '-c', 'write -z 1M 64k', 'src.qcow2'], dir));
  ok(qemuImg(['convert', '-c', '-O', 'qcow2', 'src.qcow2', 'comp.qcow2'], dir));
  ok(qemuIo(['-c', 'write -P 0x23 2M 64k', 'comp.qcow2'], dir));
  ok(qemuImg(['snapshot', '-c', 'snap', 'comp.qcow2'], dir));
  ok(qemuImg(['create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', 'over.qcow2'], dir));
  ok(qemuIo(['-c', 'write -P 0x33 3M 64k', 'over.qcow2'], dir));
  ok(qemuImg(['create', '-q', '-f', 'qcow2', '-o', 'compat=0.10,cluster_size=4k', 'v2.qcow2', '4M'], dir));
  ok(qemuIo(['-c', 'write -P 0x44 0 100k', 'v2.qcow2'], dir));
  ok(qemuImg(['convert', '-c', '-O', 'qcow2', '-o', 'compression_type=zstd', 'src.qcow2', 'zstd.qcow2'], dir));
  return ['comp.qcow2', 'over.qcow2', 'v2.qcow2', 'zstd.qcow2'];
}

/** Writes mutated copies into `out`; returns how many. */
function mutate(dir: string, out: string, sources: string[]): number {
  const next = rng(2024);
  let n = 0;
  const save = (buf: Buffer, kind: string) => fs.writeFileSync(path.join(out, `m${String(n++).padStart(3, '0')}-${kind}.qcow2`), buf);
  fs.copyFileSync(path.join(dir, 'base.qcow2'), path.join(out, 'base.qcow2'));
  for (const src of sources) {
    const orig = fs.readFileSync(path.join(dir, src));
    const cs = 1 << orig.readUInt32BE(20);
    const l1 = Number(orig.readBigUInt64BE(40));
    const rt = Number(orig.readBigUInt64BE(48));
    const rb = Number(orig.readBigUInt64BE(rt) & ~511n);
    const l2 = Number(orig.readBigUInt64BE(l1) & 0x00fffffffffffe00n);
    const snaps = Number(orig.readBigUInt64BE(64));
    for (let i = 0; i < 30; i++) {
      const b = Buffer.from(orig);
      const [at, width] = HEADER_FIELDS[Math.floor(next() * HEADER_FIELDS.length)];
      put(b, at, width, absurd(next, width));
      save(b, 'header');
    }
    const tables: Array<[string, number, number]> = [['l1', l1, 8], ['l2', l2, 8], ['reftable', rt, 8], ['refblock', rb, 2]];
    if (snaps) tables.push(['snaptable', snaps, 4]);
    for (const [kind, base, width] of tables) {
      for (let i = 0; i < 10; i++) {
        const b = Buffer.from(orig);
        const slot = Math.floor(next() * (kind === 'l2' || kind === 'refblock' ? 16 : 4));
        put(b, base + slot * width, width, i % 2 ? absurd(next, width) : BigInt(Math.floor(next() * 2 ** 32)) * 0x10001n);
        save(b, kind);
      }
    }
    for (let i = 0; i < 4; i++) save(orig.subarray(0, Math.floor(next() * Math.min(orig.length, 6 * cs))), 'truncated');
    for (let i = 0; i < 15; i++) {
      const b = Buffer.from(orig);
      for (let k = 0; k < 20; k++) b[Math.floor(next() * Math.min(b.length, 5 * cs))] ^= 1 << Math.floor(next() * 8);
      save(b, 'bitflips');
    }
    // Compressed zstd data (after the metadata clusters) with flipped bits: the decoder's input.
    for (let i = 0; src.startsWith('zstd') && i < 20; i++) {
      const b = Buffer.from(orig);
      for (let k = 0; k < 1 + i; k++) b[5 * cs + Math.floor(next() * (b.length - 5 * cs))] ^= 1 << Math.floor(next() * 8);
      save(b, 'zstd-data');
    }
  }
  // Backing files that point at themselves, directly and through a second image.
  const over = fs.readFileSync(path.join(dir, 'over.qcow2'));
  const withBacking = (buf: Buffer, name: string) => {
    const b = Buffer.from(buf);
    const off = Number(b.readBigUInt64BE(8));
    b.write(name, off, 'latin1');
    b.writeUInt32BE(name.length, 16);
    return b;
  };
  fs.writeFileSync(path.join(out, 'selfref.qcow2'), withBacking(over, 'selfref.qcow2'));
  fs.writeFileSync(path.join(out, 'cyc-a.qcow2'), withBacking(over, 'cyc-b.qcow2'));
  fs.writeFileSync(path.join(out, 'cyc-b.qcow2'), withBacking(over, 'cyc-a.qcow2'));
  return n + 3;
}

test('hostile images end in clean errors or data, never crashes, hangs or unbounded memory', { skip, timeout: 150_000 }, (t) => {
  const dir = scratch('hostile');
  try {
    const out = path.join(dir, 'cases');
    fs.mkdirSync(out);
    const count = mutate(dir, out, buildSources(dir));
    const report = path.join(dir, 'report.json');
    const r = spawnSync(process.execPath, ['--max-old-space-size=256', RUNNER, out, report], {
      stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000, encoding: 'utf8',
    });
    assert.equal(r.signal, null, `runner was killed (${r.signal}): hang or runaway`);
    assert.equal(r.status, 0, `runner failed: ${r.stderr.split('\n').filter((l) => !/^(termu-img|Leaked|ERROR|Repairing|Rebuilding)/.test(l)).slice(-20).join('\n')}`);
    const result = JSON.parse(fs.readFileSync(report, 'utf8')) as { problems: string[]; cleanErrors: number; successes: number };
    assert.deepEqual(result.problems, []);
    // The mutations must actually provoke errors, and leave some images usable.
    assert.ok(result.cleanErrors > count / 2 && result.successes > count, JSON.stringify(result));
    t.diagnostic(`${count} mutated images: ${result.successes} operations succeeded, ${result.cleanErrors} ended in clean errors`);
  } finally {
    rmrf(dir);
  }
});
