// zstd cluster codec against the reference zstd tool: frames zstd makes (with checksum,
// several blocks, bytes of the next cluster after them) decode, and frames termu makes
// decode with zstd -d.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compressZstdCluster, decompressZstdCluster, zstdFrameLength } from '../../src/vm/block/qcow2/zstd-cluster.js';

const skip = spawnSync('zstd', ['--version']).status === 0 ? false : 'the zstd tool (Debian package zstd) is not installed';

function zstd(args: string[], input: Uint8Array): Buffer {
  const r = spawnSync('zstd', [...args, '-c'], { input, maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

function sample(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    // Runs, text-like bytes and noise in turn.
    b[i] = (i >> 12) % 3 === 0 ? 0x5a : (i >> 12) % 3 === 1 ? 97 + ((seed >>> 16) % 8) : seed >>> 24;
  }
  return b;
}

test('frames made by zstd decode, with trailing bytes of the next cluster ignored', { skip }, () => {
  for (const [size, args] of [[65536, ['-3']], [2 << 20, ['-19', '--check']], [4096, ['-1', '--no-check']]] as const) {
    const data = sample(size, size);
    const frame = zstd([...args], data);
    assert.equal(zstdFrameLength(frame), frame.length);
    const withTail = Buffer.concat([frame, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3])]);
    const out = new Uint8Array(size);
    assert.ok(decompressZstdCluster(withTail, out));
    assert.deepEqual(out, data);
  }
});

test('frames made by termu decode with zstd -d and shrink runs', { skip }, () => {
  for (const size of [512, 65536, 2 << 20]) {
    const data = sample(size, 7 * size);
    const frame = compressZstdCluster(data);
    assert.deepEqual(new Uint8Array(zstd(['-d'], frame)), data);
    assert.equal(zstdFrameLength(frame), frame.length);
    assert.ok(frame.length < size, `${size}-byte cluster with runs compressed to ${frame.length}`);
  }
  assert.deepEqual(new Uint8Array(zstd(['-d'], compressZstdCluster(new Uint8Array(0)))), new Uint8Array(0));
});

test('corrupt frames are refused, not misread', () => {
  const out = new Uint8Array(65536);
  assert.equal(decompressZstdCluster(new Uint8Array(100), out), false);
  const frame = compressZstdCluster(new Uint8Array(65536).fill(3));
  assert.equal(decompressZstdCluster(frame.subarray(0, frame.length - 1), out), false);
  const short = compressZstdCluster(new Uint8Array(4096).fill(3));
  assert.equal(decompressZstdCluster(short, out), false, 'a frame decoding to less than a cluster');
});

test('frames that would make the decoder allocate beyond a cluster are refused', () => {
  const out = new Uint8Array(65536);
  // A declared content size of 4 GiB - 1 and a 2 GiB window, each on an otherwise valid frame.
  const fcs = compressZstdCluster(new Uint8Array(65536).fill(1));
  fcs.set([0xff, 0xff, 0xff, 0xff], 5);
  assert.equal(decompressZstdCluster(fcs, out), false);
  const window = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0x00, 0x00]);
  assert.equal(decompressZstdCluster(window, out), false);
  // No content size, RLE blocks adding up to 1 GiB: decoding stops after the first cluster.
  const blocks = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58];
  for (let i = 0; i < 8192; i++) blocks.push(...[(1 << 1) | ((131072 << 3) & 0xff), (131072 << 3) >> 8 & 0xff, (131072 << 3) >> 16, 7]);
  blocks[blocks.length - 4] |= 1;
  const t0 = Date.now();
  assert.equal(decompressZstdCluster(Uint8Array.from(blocks), out), false);
  assert.ok(Date.now() - t0 < 2000);
});
