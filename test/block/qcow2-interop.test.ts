// Interop with real QEMU, both ways: images qemu-img/qemu-io make read identically through
// termu's block layer and stay clean under `qemu-img check` after termu writes to them;
// images termu creates and writes pass `qemu-img check` and `qemu-img compare`.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openImage } from '../../src/vm/block/open-image.js';
import { createQcow2, type Qcow2CreateOptions } from '../../src/vm/block/qcow2/qcow2-create.js';
import { Qcow2Driver } from '../../src/vm/block/qcow2/qcow2-driver.js';
import { haveQemuImg, qemuImg, qemuIo, rmrf, scratch } from '../tools/img/img-harness.js';
import { randomOp, rng } from './random-ops.js';

const skip = haveQemuImg() ? false : 'qemu-img (qemu-utils) is not installed';

function sh(dir: string, ...args: string[]): void {
  const r = qemuImg(args, dir);
  assert.equal(r.status, 0, `qemu-img ${args.join(' ')}: ${r.stderr}`);
}

function io(dir: string, file: string, ...cmds: string[]): void {
  const r = qemuIo([...cmds.flatMap((c) => ['-c', c]), file], dir);
  assert.equal(r.status, 0, `qemu-io ${cmds.join('; ')}: ${r.stderr}`);
}

/** What qemu-img reads from `file` (qemu-img convert to raw). */
function qemuView(dir: string, file: string, extra: string[] = []): Buffer {
  sh(dir, 'convert', ...extra, '-O', 'raw', file, 'view.raw');
  const b = fs.readFileSync(path.join(dir, 'view.raw'));
  fs.rmSync(path.join(dir, 'view.raw'));
  return b;
}

function termuView(file: string): Buffer {
  const d = openImage(file, { readOnly: true });
  try {
    const b = Buffer.alloc(d.length);
    d.read(0, b);
    return b;
  } finally {
    d.close();
  }
}

function assertClean(dir: string, file: string): void {
  const r = qemuImg(['check', file], dir);
  assert.equal(r.status, 0, `qemu-img check ${file}: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^No errors were found on the image\./);
}

/** Writes randomly through termu, then checks qemu sees exactly the expected content. */
function writeAndVerify(dir: string, file: string, seed: number, ops: number): void {
  const full = path.join(dir, file);
  const ref = new Uint8Array(termuView(full));
  const d = openImage(full, { readOnly: false });
  const cs = d instanceof Qcow2Driver ? d.clusterSize : 512;
  const next = rng(seed);
  for (let i = 0; i < ops; i++) randomOp(d, ref, next, { maxLength: Math.max(3 * cs, 70_000), clusterSize: cs }, i);
  d.close();
  assertClean(dir, file);
  fs.writeFileSync(path.join(dir, 'expected.raw'), ref);
  const cmp = qemuImg(['compare', '-F', 'raw', file, 'expected.raw'], dir);
  assert.equal(cmp.stdout, 'Images are identical.\n', `${file}: ${cmp.stdout}${cmp.stderr}`);
}

interface QemuImage { name: string; build(dir: string): string }

const QEMU_IMAGES: QemuImage[] = [
  { name: 'compat 1.1 with data and zero clusters', build: (dir) => {
    sh(dir, 'create', '-q', '-f', 'qcow2', 'a.qcow2', '8M');
    io(dir, 'a.qcow2', 'write -P 0xab 0 200k', 'write -z 1M 192k', 'write -P 0x5 3M 1M', 'write -z 3200k 64k', 'discard 3328k 64k');
    return 'a.qcow2';
  } },
  { name: 'compat 0.10', build: (dir) => {
    sh(dir, 'create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', 'a.qcow2', '8M');
    io(dir, 'a.qcow2', 'write -P 0x21 100k 300k', 'write -P 0x22 5M 64k');
    return 'a.qcow2';
  } },
  { name: 'compressed clusters', build: (dir) => {
    sh(dir, 'create', '-q', '-f', 'qcow2', 'src.qcow2', '8M');
    io(dir, 'src.qcow2', 'write -P 0x31 0 1M', 'write -P 0x32 2M 100k', 'write -P 0x33 6M 64k');
    sh(dir, 'convert', '-c', '-O', 'qcow2', 'src.qcow2', 'a.qcow2');
    return 'a.qcow2';
  } },
  { name: 'internal snapshots', build: (dir) => {
    sh(dir, 'create', '-q', '-f', 'qcow2', 'a.qcow2', '8M');
    io(dir, 'a.qcow2', 'write -P 0x41 0 1M');
    sh(dir, 'snapshot', '-c', 's1', 'a.qcow2');
    io(dir, 'a.qcow2', 'write -P 0x42 512k 1M');
    sh(dir, 'snapshot', '-c', 's2', 'a.qcow2');
    return 'a.qcow2';
  } },
  { name: '3-deep backing chain', build: (dir) => {
    sh(dir, 'create', '-q', '-f', 'qcow2', 'base.qcow2', '8M');
    io(dir, 'base.qcow2', 'write -P 0x51 0 4M');
    sh(dir, 'create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', 'mid.qcow2');
    io(dir, 'mid.qcow2', 'write -P 0x52 1M 1M', 'write -z 3M 64k');
    sh(dir, 'create', '-q', '-f', 'qcow2', '-b', 'mid.qcow2', '-F', 'qcow2', 'a.qcow2');
    io(dir, 'a.qcow2', 'write -P 0x53 1536k 1M', 'write -P 0x54 7M 1k');
    return 'a.qcow2';
  } },
  { name: '512-byte clusters, 1-bit refcounts', build: (dir) => {
    sh(dir, 'create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512,refcount_bits=1', 'a.qcow2', '4M');
    io(dir, 'a.qcow2', 'write -P 0x61 1000 300k', 'write -z 2M 4k');
    return 'a.qcow2';
  } },
  { name: '2 MiB clusters, 64-bit refcounts', build: (dir) => {
    sh(dir, 'create', '-q', '-f', 'qcow2', '-o', 'cluster_size=2M,refcount_bits=64', 'a.qcow2', '16M');
    io(dir, 'a.qcow2', 'write -P 0x71 3M 1M', 'write -z 8M 2M');
    return 'a.qcow2';
  } },
  { name: 'lazy refcounts, 4 KiB clusters', build: (dir) => {
    sh(dir, 'create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4k,lazy_refcounts=on', 'a.qcow2', '8M');
    io(dir, 'a.qcow2', 'write -P 0x81 0 500k');
    return 'a.qcow2';
  } },
];

for (const img of QEMU_IMAGES) {
  test(`qemu-made image reads identically and stays clean after termu writes: ${img.name}`, { skip }, () => {
    const dir = scratch('interop');
    try {
      const file = img.build(dir);
      const before = qemuView(dir, file);
      assert.ok(termuView(path.join(dir, file)).equals(before), 'termu reads what qemu reads');
      const snaps = img.name === 'internal snapshots'
        ? ['s1', 's2'].map((s) => [s, qemuView(dir, file, ['-l', `snapshot.name=${s}`])] as const)
        : [];
      writeAndVerify(dir, file, 7 + img.name.length, 60);
      for (const [s, content] of snaps) {
        assert.ok(qemuView(dir, file, ['-l', `snapshot.name=${s}`]).equals(content), `snapshot ${s} unchanged by writes`);
      }
    } finally {
      rmrf(dir);
    }
  });
}

const TERMU_IMAGES: Array<Partial<Qcow2CreateOptions> & { name: string }> = [
  { name: 'v3 defaults' },
  { name: 'v2', version: 2 },
  { name: '512-byte clusters, 1-bit refcounts', clusterSize: 512, refcountBits: 1 },
  { name: '4 KiB clusters, 2-bit refcounts, lazy refcounts', clusterSize: 4096, refcountBits: 2, lazyRefcounts: true },
  { name: '512-byte clusters, 64-bit refcounts (the refcount table must grow)', clusterSize: 512, refcountBits: 64 },
  { name: '2 MiB clusters, 8-bit refcounts', clusterSize: 2 << 20, refcountBits: 8, size: 32 << 20 },
  { name: 'preallocation=metadata', preallocation: 'metadata' },
  { name: 'overlay over a qemu-made base', backingFile: 'base.qcow2', backingFormat: 'qcow2' },
];

for (const t of TERMU_IMAGES) {
  test(`termu-made image passes qemu-img check and compare after random writes: ${t.name}`, { skip }, () => {
    const dir = scratch('interop');
    try {
      if (t.backingFile) {
        sh(dir, 'create', '-q', '-f', 'qcow2', 'base.qcow2', '8M');
        io(dir, 'base.qcow2', 'write -P 0x91 0 6M');
      }
      const { name: _name, ...opts } = t;
      createQcow2(path.join(dir, 'a.qcow2'), {
        size: 8 << 20, clusterSize: 65536, version: 3, lazyRefcounts: false, refcountBits: 16,
        backingFile: null, backingFormat: null, preallocation: 'off', ...opts,
      });
      assertClean(dir, 'a.qcow2');
      writeAndVerify(dir, 'a.qcow2', 99 + t.name.length, 80);
    } finally {
      rmrf(dir);
    }
  });
}
