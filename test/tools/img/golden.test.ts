// Golden comparisons: every case runs real qemu-img 7.2 and termu-img on identical copies
// of the same fixtures and compares stdout, stderr and exit status byte for byte (after
// masking disk usage and snapshot dates). Mutating commands are also checked afterwards:
// the resulting image must pass `qemu-img check` and read the same as qemu-img's result.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cloneDir, haveQemuImg, mask, qemuImg, qemuImgAsync, qemuIo, rmrf, scratch, termuImgAsync } from './img-harness.js';

const skip = haveQemuImg() ? false : 'qemu-img (qemu-utils) is not installed';

function u64(file: string, offset: number, value: bigint): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(value);
  fs.writeSync(fd, b, 0, 8, offset);
  fs.closeSync(fd);
}

function u16(file: string, offset: number, value: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  fs.writeSync(fd, b, 0, 2, offset);
  fs.closeSync(fd);
}

/** Deterministic English-like text: compresses as real file contents do. */
function pseudoText(n: number): Buffer {
  const words = ['block', 'cluster', 'the', 'image', 'qemu', 'of', 'a', 'table', 'refcount', 'backing', 'and', 'data', 'zero'];
  let seed = 12345;
  let s = '';
  while (s.length < n) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    s += words[seed % words.length] + ((seed >> 8) % 9 === 0 ? '.\n' : ' ');
  }
  return Buffer.from(s.slice(0, n));
}

/** Deterministic bytes that do not compress. */
function pseudoNoise(n: number): Buffer {
  const b = Buffer.alloc(n);
  let seed = 987654321;
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    b[i] = seed & 0xff;
  }
  return b;
}

/** Builds the fixture images with the real tools (as in the reference transcripts). */
function makeFixtures(): string {
  const dir = scratch('golden-fx');
  const q = (...a: string[]) => assert.equal(qemuImg(a, dir).status, 0, a.join(' '));
  const io = (file: string, ...cmds: string[]) => assert.equal(qemuIo(cmds.flatMap((c) => ['-c', c]).concat(file.split(' ')), dir).status, 0);
  fs.mkdirSync(path.join(dir, 'sub'));
  q('create', '-q', '-f', 'qcow2', 'b.qcow2', '64M');
  q('create', '-q', '-f', 'qcow2', 'd.qcow2', '64M');
  io('d.qcow2', 'write -P 0xab 0 128k', 'write -z 1M 64k');
  q('create', '-q', '-f', 'qcow2', 'base.qcow2', '4M');
  io('base.qcow2', 'write -P 0x11 0 1M');
  q('create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', 'top.qcow2');
  io('top.qcow2', 'write -P 0x33 3M 64k');
  fs.copyFileSync(path.join(dir, 'base.qcow2'), path.join(dir, 'base2.qcow2'));
  io('base2.qcow2', 'write -P 0x22 2M 64k', 'write -z 512k 512k');
  q('create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', 'v2.qcow2', '10M');
  q('create', '-q', '-f', 'raw', 'a.raw', '64M');
  q('create', '-q', '-f', 'raw', 'r.raw', '10M');
  q('create', '-q', '-f', 'qcow2', 'q.qcow2', '10M');
  // Raw files with written zeros (data to qemu, found by SEEK_DATA), punched holes and data.
  q('create', '-q', '-f', 'raw', 'z.raw', '10M');
  io('-f raw z.raw', 'write -P 0 1M 64k', 'write -P 5 3M 4k', 'write -z 5M 64k', 'write -P 0 7M 8k', 'write -P 7 7M 512');
  fs.copyFileSync(path.join(dir, 'z.raw'), path.join(dir, 'zu.raw'));
  io('-f raw zu.raw', 'write -P 9 9M 1M');
  fs.truncateSync(path.join(dir, 'zu.raw'), 10000000);
  q('create', '-q', '-f', 'qcow2', '-b', 'z.raw', '-F', 'raw', 'zt.qcow2');
  io('zt.qcow2', 'write -P 1 2M 64k');
  fs.writeFileSync(path.join(dir, 't.txt'), 'hello\n');
  q('convert', '-c', '-O', 'qcow2', 'base.qcow2', 'comp.qcow2');
  q('create', '-q', '-f', 'qcow2', 'sub/b.qcow2', '4M');
  q('create', '-q', '-f', 'qcow2', '-b', 'b.qcow2', '-F', 'qcow2', 'sub/t.qcow2');
  q('create', '-q', '-f', 'qcow2', '-u', '-b', 'missing.qcow2', '-F', 'qcow2', 'ovm.qcow2', '10M');
  q('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096,lazy_refcounts=on', 'c.qcow2', '100M');
  fs.copyFileSync(path.join(dir, 'base.qcow2'), path.join(dir, 'snap.qcow2'));
  q('snapshot', '-c', 's1', 'snap.qcow2');
  q('snapshot', '-c', 's2', 'snap.qcow2');
  // A 3-deep chain whose top is larger than the images below it; a raw base smaller than its overlay.
  q('create', '-q', '-f', 'qcow2', 'cb.qcow2', '4M');
  io('cb.qcow2', 'write -P 1 0 1M');
  q('create', '-q', '-f', 'qcow2', '-b', 'cb.qcow2', '-F', 'qcow2', 'cm.qcow2');
  io('cm.qcow2', 'write -P 2 512k 1M');
  q('create', '-q', '-f', 'qcow2', '-b', 'cm.qcow2', '-F', 'qcow2', 'ct.qcow2', '8M');
  io('ct.qcow2', 'write -P 3 1M 1M', 'write -P 4 6M 64k', 'write -z 0 64k');
  q('create', '-q', '-f', 'raw', 'rb.raw', '2M');
  io('-f raw rb.raw', 'write -P 5 0 1M');
  q('create', '-q', '-f', 'qcow2', '-b', 'rb.raw', '-F', 'raw', 'rt.qcow2', '4M');
  io('rt.qcow2', 'write -P 6 1536k 2M');
  // zstd compressed clusters from qemu-img: patterns, zeros, text and random data, 64k and 4k clusters.
  fs.writeFileSync(path.join(dir, 'text.bin'), pseudoText(256 * 1024));
  fs.writeFileSync(path.join(dir, 'noise.bin'), pseudoNoise(256 * 1024));
  q('create', '-q', '-f', 'qcow2', 'zsrc.qcow2', '4M');
  io('zsrc.qcow2', 'write -P 0x11 0 1M', 'write -s text.bin 1M 256k', 'write -s noise.bin 2M 256k', 'write -P 0 3M 64k', 'write -s text.bin 3200k 100k');
  q('convert', '-c', '-O', 'qcow2', '-o', 'compression_type=zstd', 'zsrc.qcow2', 'zc.qcow2');
  q('convert', '-c', '-O', 'qcow2', '-o', 'compression_type=zstd,cluster_size=4k', 'zsrc.qcow2', 'zc4k.qcow2');
  // A backing chain that loops: l1 -> l2 -> l1.
  q('create', '-q', '-f', 'qcow2', 'l1.qcow2', '1M');
  q('create', '-q', '-f', 'qcow2', '-b', 'l1.qcow2', '-F', 'qcow2', 'l2.qcow2');
  q('rebase', '-u', '-b', 'l2.qcow2', '-F', 'qcow2', 'l1.qcow2');
  // Byte edits of d.qcow2 (header at 0, refcount block at 0x20000, L2 table at 0x40000).
  const d = (name: string) => {
    fs.copyFileSync(path.join(dir, 'd.qcow2'), path.join(dir, name));
    return path.join(dir, name);
  };
  const leak = d('dleak.qcow2');
  fs.truncateSync(leak, 0x80000);
  u16(leak, 0x20000 + 2 * 7, 1);
  u16(d('dcor.qcow2'), 0x20000 + 2 * 4, 0);
  u16(d('dcor4.qcow2'), 0x20000 + 2 * 4, 2);
  u64(d('dirty.qcow2'), 72, 1n);
  u64(d('corrupt.qcow2'), 72, 2n);
  u64(d('unk.qcow2'), 72, 1n << 5n);
  u64(d('unk2.qcow2'), 72, 1n << 63n);
  u64(d('unkc.qcow2'), 80, 1n << 7n);
  u64(d('dcopied.qcow2'), 0x40000, 0x50000n);
  fs.writeFileSync(path.join(dir, 'v4.qcow2'), Buffer.concat([Buffer.from('QFI\xfb\0\0\0\x04', 'latin1'), Buffer.alloc(65528)]));
  fs.writeFileSync(path.join(dir, 'trunc.qcow2'), fs.readFileSync(path.join(dir, 'd.qcow2')).subarray(0, 100));
  return dir;
}

/** Commands whose outputs must match; a list after '=>' names images to verify afterwards. */
const CASES: string[] = [
  // info
  'info b.qcow2', 'info --output=json b.qcow2', 'info d.qcow2', 'info v2.qcow2', 'info --output=json v2.qcow2',
  'info a.raw', 'info --output=json a.raw', 'info t.txt', 'info top.qcow2', 'info --backing-chain top.qcow2',
  'info --backing-chain --output=json top.qcow2', 'info sub/t.qcow2', 'info --output=json sub/t.qcow2',
  'info ovm.qcow2', 'info --backing-chain ovm.qcow2', 'info nonexist.qcow2', 'info -f qcow2 a.raw',
  'info -f raw b.qcow2', 'info --output=xml b.qcow2', 'info', 'info sub', 'info c.qcow2', 'info snap.qcow2',
  'info --output=json snap.qcow2', 'info --backing-chain l1.qcow2', 'info --backing-chain --output=json l2.qcow2',
  'info dirty.qcow2', 'info --output=json dirty.qcow2', 'info corrupt.qcow2', 'info unk.qcow2', 'info unk2.qcow2',
  'info unkc.qcow2', 'info v4.qcow2', 'info trunc.qcow2', 'info -f qcow2 t.txt', 'info -f foo b.qcow2', 'info --foo b.qcow2',
  'info -f', 'info a b',
  // check
  'check d.qcow2', 'check --output=json d.qcow2', 'check a.raw', 'check -f raw b.qcow2', 'check top.qcow2',
  'check ovm.qcow2', 'check comp.qcow2', 'check --output=json comp.qcow2', 'check -r foo d.qcow2', 'check snap.qcow2',
  'check nonexist.qcow2', 'check dleak.qcow2', 'check --output=json dleak.qcow2', 'check -r leaks dleak.qcow2 => dleak.qcow2',
  'check -r leaks --output=json dleak.qcow2', 'check dcor.qcow2', 'check --output=json dcor.qcow2',
  'check -r leaks dcor.qcow2', 'check -r all dcor.qcow2 => dcor.qcow2', 'check -r all --output=json dcor.qcow2',
  'check dcor4.qcow2', 'check -r all dcor4.qcow2 => dcor4.qcow2', 'check dcopied.qcow2', 'check -r all dcopied.qcow2 => dcopied.qcow2',
  'check dirty.qcow2', 'check -r leaks dirty.qcow2 => dirty.qcow2', 'check corrupt.qcow2', 'check -r all corrupt.qcow2 => corrupt.qcow2',
  'check unkc.qcow2',
  // map, measure, compare
  'map top.qcow2', 'map --output=json top.qcow2', 'map --output=json comp.qcow2', 'map comp.qcow2', 'map --output=json d.qcow2',
  'map d.qcow2', 'map --output=json t.txt', 'map --output=json c.qcow2', 'map --output=json snap.qcow2',
  'map --output=json ovm.qcow2', 'map --output=json sub/t.qcow2', 'map --output=json --start-offset=64k --max-length=1M d.qcow2',
  'map z.raw', 'map --output=json z.raw', 'map -f raw --output=json zu.raw', 'map zu.raw', 'map --output=json r.raw',
  'map --output=json --start-offset=1M --max-length=100k z.raw', 'map --output=json zt.qcow2', 'map zt.qcow2',
  'compare z.raw r.raw', 'compare -s z.raw r.raw', 'compare -s zu.raw z.raw', 'compare z.raw zt.qcow2',
  'convert -O qcow2 z.raw o.qcow2 => o.qcow2', 'convert -O raw zu.raw o.raw => o.raw', 'convert -O qcow2 zt.qcow2 o.qcow2 => o.qcow2',
  'measure -O qcow2 --size 10G', 'measure -O qcow2 top.qcow2', 'measure --output=json -O raw base.qcow2',
  'measure -O qcow2 d.qcow2', 'measure --output=json -O qcow2 -o cluster_size=4k --size 1G', 'measure',
  'compare base.qcow2 top.qcow2', 'compare top.qcow2 top.qcow2', 'compare base.qcow2 nonexist.qcow2',
  'compare -s base.qcow2 b.qcow2', 'compare base.qcow2 base2.qcow2', 'compare -s base.qcow2 base2.qcow2',
  'compare -s top.qcow2 base.qcow2', 'compare -f qcow2 -F raw base.qcow2 a.raw', 'compare base.qcow2',
  // create
  'create -f raw n.raw 64M => n.raw', 'create n.raw 1G', 'create -f qcow2 n.qcow2 64M => n.qcow2',
  'create -f qcow2 -o cluster_size=4096,lazy_refcounts=on n.qcow2 100M => n.qcow2',
  'create -f qcow2 -o compat=0.10 n.qcow2 10M => n.qcow2', 'create -f qcow2 -o preallocation=metadata n.qcow2 10M => n.qcow2',
  'create -f qcow2 -o cluster_size=512,refcount_bits=1 n.qcow2 3M => n.qcow2',
  'create -f qcow2 -o cluster_size=2M,refcount_bits=64 n.qcow2 100M => n.qcow2',
  'create -f qcow2 -b b.qcow2 -F qcow2 n.qcow2 => n.qcow2', 'create -f qcow2 -b b.qcow2 n.qcow2',
  'create -f qcow2 -b missing.qcow2 -F qcow2 n.qcow2', 'create -f qcow2 -u -b missing.qcow2 -F qcow2 n.qcow2 10M',
  'create -f qcow2 n.qcow2 1.5G => n.qcow2', 'create -f qcow2 n.qcow2 100 => n.qcow2', 'create -f qcow2 n.qcow2 -5M',
  'create -f qcow2 n.qcow2 abc', 'create -f qcow2 n.qcow2 1023.9', 'create -f qcow2 n.qcow2 99999999999999999999',
  'create -f qcow2 n.qcow2', 'create -f foo n.img 1M', 'create -f qcow2 -o cluster_size=1000 n.qcow2 1M',
  'create -f qcow2 -o help', 'create -f raw -o help', 'create -f qcow2 -o compat=0.10,lazy_refcounts=on n.qcow2 1M',
  'create -f qcow2 /nonexistent/dir/x.qcow2 1M', 'create -f qcow2 -b base.qcow2 -F raw n.qcow2 => n.qcow2',
  'create -f qcow2 -b b.qcow2 -F qcow2 sub/n.qcow2 => sub/n.qcow2', 'create -f qcow2 n.qcow2 1T => n.qcow2', 'create',
  'create -f qcow2 n.qcow2 1M 2M',
  // resize
  'resize r.raw 20M => r.raw', 'resize -f raw r.raw +5M => r.raw', 'resize -f raw r.raw -5M', 'resize -f raw r.raw 5M',
  'resize --shrink -f raw r.raw -- -5M => r.raw', 'resize -f raw --shrink r.raw 5M => r.raw', 'resize r.raw 1000',
  'resize q.qcow2 +10M => q.qcow2', 'resize q.qcow2 5M', 'resize --shrink q.qcow2 5M => q.qcow2', 'resize --shrink q.qcow2 10000',
  'resize q.qcow2 0', 'resize --shrink q.qcow2 0', 'resize q.qcow2 abc', 'resize q.qcow2', 'resize -f raw r.raw 2000001 => r.raw',
  'resize q.qcow2 16P', 'resize q.qcow2 9E', 'resize -f raw r.raw 100P',
  'resize --shrink base.qcow2 512k => base.qcow2', 'resize --shrink snap.qcow2 8M => snap.qcow2', 'resize top.qcow2 8M => top.qcow2',
  // zstd compressed clusters
  'info zc.qcow2', 'info --output=json zc4k.qcow2', 'check zc.qcow2', 'check zc4k.qcow2', 'map --output=json zc.qcow2',
  'map --output=json zc4k.qcow2', 'compare zsrc.qcow2 zc.qcow2', 'compare zsrc.qcow2 zc4k.qcow2',
  'convert -O raw zc4k.qcow2 o.raw => o.raw', 'convert -O qcow2 zc.qcow2 o.qcow2 => o.qcow2',
  'convert -c -O qcow2 -o compression_type=zstd zsrc.qcow2 o.qcow2 => o.qcow2',
  'convert -c -O qcow2 -o compression_type=zstd,cluster_size=4k zc.qcow2 o.qcow2 => o.qcow2',
  'create -f qcow2 -o compression_type=zstd n.qcow2 4M => n.qcow2', 'create -f qcow2 -o compression_type=zstd,compat=0.10 n.qcow2 4M',
  'create -f qcow2 -o compression_type=foo n.qcow2 4M', 'snapshot -c s zc.qcow2 => zc.qcow2', 'resize zc.qcow2 8M => zc.qcow2',
  // rebase, commit
  'rebase -b base2.qcow2 -F qcow2 top.qcow2 => top.qcow2', 'rebase -p -b base2.qcow2 -F qcow2 top.qcow2 => top.qcow2',
  'rebase -b base2.qcow2 top.qcow2 => top.qcow2', 'rebase -b nothere.qcow2 -F qcow2 top.qcow2',
  'rebase -u -b nothere.qcow2 -F qcow2 top.qcow2', 'rebase -b base2.qcow2 -F qcow2 ovm.qcow2',
  'rebase -f raw -b base.qcow2 -F qcow2 a.raw', 'rebase top.qcow2', 'rebase -b base2.qcow2 -F qcow2 nonexist.qcow2',
  'rebase -u -b  top.qcow2 => top.qcow2', 'rebase -b  top.qcow2 => top.qcow2',
  'commit top.qcow2 => top.qcow2 base.qcow2', 'commit -d top.qcow2 => top.qcow2 base.qcow2', 'commit base.qcow2',
  'commit -b cb.qcow2 ct.qcow2 => ct.qcow2 cm.qcow2 cb.qcow2', 'commit -b cm.qcow2 ct.qcow2 => ct.qcow2 cm.qcow2 cb.qcow2',
  'commit ct.qcow2 => ct.qcow2 cm.qcow2 cb.qcow2', 'commit -d -b cb.qcow2 cm.qcow2 => cm.qcow2 cb.qcow2',
  'commit -p -b cb.qcow2 ct.qcow2 => cb.qcow2', 'commit -q -t unsafe -r 1M -b ./cb.qcow2 ct.qcow2 => cb.qcow2',
  'commit rt.qcow2 => rt.qcow2 rb.raw', 'commit -b nothere.qcow2 ct.qcow2', 'commit -b ct.qcow2 ct.qcow2', 'commit -b  ct.qcow2',
  'commit -r x ct.qcow2', 'commit -r 9E ct.qcow2', 'commit -t foo ct.qcow2', 'commit -f raw -b cb.qcow2 ct.qcow2', 'commit -b cb.qcow2',
  // amend
  'amend -o compat=0.10 comp.qcow2 => comp.qcow2', 'amend -o compat=0.10 d.qcow2 => d.qcow2',
  'amend -o compat=1.1,lazy_refcounts=on v2.qcow2 => v2.qcow2', 'amend -o cluster_size=4k comp.qcow2',
  'amend -f raw -o size=1M a.raw', 'amend comp.qcow2', 'amend -o lazy_refcounts=off c.qcow2 => c.qcow2',
  // snapshot
  'snapshot -l snap.qcow2', 'snapshot -c s3 snap.qcow2 => snap.qcow2', 'snapshot -a s1 snap.qcow2 => snap.qcow2',
  'snapshot -d s2 snap.qcow2 => snap.qcow2', 'snapshot -d nosuch snap.qcow2', 'snapshot -a nosuch snap.qcow2',
  'snapshot -l -f raw a.raw', 'snapshot -c s -f raw a.raw', 'snapshot -c s d.qcow2 => d.qcow2',
  // convert
  'convert -O raw base.qcow2 o.raw => o.raw', 'convert -O qcow2 top.qcow2 o.qcow2 => o.qcow2',
  'convert -c -O qcow2 base.qcow2 o.qcow2 => o.qcow2', 'convert -O qcow2 -o cluster_size=4k top.qcow2 o.qcow2 => o.qcow2',
  'convert -O qcow2 -B base.qcow2 -F qcow2 top.qcow2 o.qcow2 => o.qcow2', 'convert -O qcow2 -o compat=0.10 d.qcow2 o.qcow2 => o.qcow2',
  'convert -O qcow2 comp.qcow2 o.qcow2 => o.qcow2', 'convert -O qcow2 nonexist.qcow2 o.qcow2', 'convert -O foo base.qcow2 o.qcow2',
  'convert -n -O qcow2 top.qcow2 d.qcow2 => d.qcow2', 'convert -O qcow2 snap.qcow2 o.qcow2 => o.qcow2',
  // dd
  'dd if=d.qcow2 of=o.raw => o.raw', 'dd -O qcow2 if=top.qcow2 of=o.qcow2 => o.qcow2', 'dd if=d.qcow2 of=o.raw bs=64k count=3 skip=1 => o.raw',
  'dd -O qcow2 if=base.qcow2 of=o.qcow2 bs=512k skip=1 count=5 => o.qcow2', 'dd if=z.raw of=o.raw bs=1.5k count=700 => o.raw',
  'dd -f raw if=base.qcow2 of=o.raw bs=3 count=100000 => o.raw', 'dd -U -f qcow2 if=zc.qcow2 of=o.raw bs=4k skip=1 => o.raw',
  'dd if=d.qcow2 of=o.raw count=0 => o.raw', 'dd if=d.qcow2 of=o.raw bs=1M skip=100 => o.raw',
  'dd if=d.qcow2 of=o.raw bs=1M skip=99999999999999999', 'dd if=d.qcow2 of=o.raw bs=0', 'dd if=d.qcow2 of=o.raw bs=3000000000',
  'dd if=d.qcow2 of=o.raw bs=x', 'dd if=d.qcow2 of=o.raw count=x', 'dd if=d.qcow2 of=o.raw skip=-1', 'dd if=d.qcow2 of=o.raw foo=1',
  'dd if=d.qcow2 of=o.raw bogus', 'dd if=d.qcow2', 'dd', 'dd if=nonexist of=o.raw', 'dd -O foo if=d.qcow2 of=o.raw',
  'dd -O foo if=nonexist of=o.raw', 'dd -O qcow2 if=d.qcow2 of=/nonexistent/o.qcow2', 'dd if= of=o.raw', 'dd if=d.qcow2 of=',
  'dd --foo if=d.qcow2 of=o.raw', 'dd -q if=d.qcow2 of=o.raw', 'info ',
  // bench (timings masked), bitmap (termu keeps no persistent bitmaps: only the option checks compare)
  'bench -c 100 -s 4k -S 8k -o 64k -f raw r.raw', 'bench -c 100 -w -d 4 --pattern=5 -o 1k -f raw r.raw => r.raw',
  'bench -w --flush-interval=100 -c 300 -f qcow2 q.qcow2 => q.qcow2', 'bench -c 2000 -s 64k d.qcow2', 'bench -c 0 d.qcow2',
  'bench -t none -n -c 3 d.qcow2', 'bench -o 100M -c 3 d.qcow2', 'bench -s 128M -c 3 d.qcow2', 'bench', 'bench -c x d.qcow2',
  'bench -c 3000000000 d.qcow2', 'bench -d x d.qcow2', 'bench -i foo d.qcow2', 'bench -s x d.qcow2', 'bench -o x d.qcow2',
  'bench -S x d.qcow2', 'bench -t foo d.qcow2', 'bench --pattern=300 d.qcow2', 'bench --flush-interval=5 d.qcow2',
  'bench --flush-interval=x -w d.qcow2', 'bench -w --flush-interval=10 -c 20 d.qcow2', 'bench -n -c 5 d.qcow2',
  'bench nonexist', 'bench -c 1 d.qcow2 x',
  'bitmap', 'bitmap d.qcow2 b0', 'bitmap --add d.qcow2', 'bitmap --add -g x d.qcow2 b1', 'bitmap -b d.qcow2 --add d.qcow2 b5',
  'bitmap --add nonexist b0', 'bitmap --foo d.qcow2 b0', 'bitmap --remove -g 4k x y', 'bitmap --merge a -F raw x y',
  'bitmap --add d.qcow2 b0 extra',
  // help
  '--help', '-h', 'help', 'info -h', 'create --help', 'check -h d.qcow2', 'map --help', 'resize -h', 'resize -h q.qcow2 1M',
  'info --foo -h', 'info -h --foo', 'dd -h', 'commit --help', 'snapshot -h', 'convert --help', 'measure -h', 'compare -h', 'amend -h',
  'rebase --help',
  // dispatcher
  'foo', '',
];

/** The help's version lines and format list are each program's own; the rest must match. */
function maskHelp(s: string): string {
  return s
    .replace(/^termu-img version .*\n(Copyright .*\n)?usage:/m, '<version>\nusage:')
    .replace(/^Supported formats: .*\n(\nSee <.*\nMore information .*\n)?/m, 'Supported formats: <list>\n');
}

async function runCase(fixtures: string, c: string): Promise<string[]> {
  const failures: string[] = [];
  const [cmdText, verifyText] = c.split(' => ');
  const args = cmdText === '' ? [] : cmdText.split(' ').filter((a, i, all) => a !== '' || all[i - 1] === '-b' || all[i - 1] === 'info');
  // Read-only commands share the fixtures; the others get a copy per tool.
  const mutates = verifyText !== undefined || /^(create|resize|rebase|commit|amend|snapshot -[cad]|convert|check -r|dd)/.test(cmdText);
  const dq = mutates ? cloneDir(fixtures, 'gq') : fixtures;
  const dt = mutates ? cloneDir(fixtures, 'gt') : fixtures;
  try {
    const [q, t] = await Promise.all([qemuImgAsync(args, dq), termuImgAsync(args, dt)]);
    const norm = (s: string) => maskHelp(mask(s)).replace(/^Run completed in \d+\.\d{3} seconds\.$/m, 'Run completed in <time> seconds.').replace(/(    \(\d+\.\d\d\/100%\)\r)+/g, '    (P/100%)\r');
    if (norm(q.stdout) !== norm(t.stdout) || norm(q.stderr) !== norm(t.stderr) || q.status !== t.status) {
      failures.push(`${cmdText}\n  qemu-img [${q.status}]: ${JSON.stringify(q.stdout + q.stderr)}\n  termu-img [${t.status}]: ${JSON.stringify(t.stdout + t.stderr)}`);
      return failures;
    }
    for (const img of verifyText ? verifyText.split(' ') : []) {
      const fmt = img.endsWith('.raw') ? 'raw' : 'qcow2';
      if (fmt === 'qcow2') {
        const chk = await qemuImgAsync(['check', img], dt);
        if (chk.status !== 0) failures.push(`${cmdText}: qemu-img check ${img}: ${chk.stdout}${chk.stderr}`);
      }
      const same = await qemuImgAsync(['compare', '-f', fmt, '-F', fmt, path.join(dq, img), path.join(dt, img)], dt);
      if (same.status !== 0) failures.push(`${cmdText}: content of ${img} differs from qemu-img's result: ${same.stdout}${same.stderr}`);
      const [iq, it] = await Promise.all([qemuImgAsync(['info', img], dq), qemuImgAsync(['info', img], dt)]);
      if (mask(iq.stdout) !== mask(it.stdout)) failures.push(`${cmdText}: qemu-img info ${img} differs:\n${iq.stdout}\n---\n${it.stdout}`);
    }
  } finally {
    if (mutates) {
      rmrf(dq);
      rmrf(dt);
    }
  }
  return failures;
}

test('termu-img matches qemu-img 7.2 output, error texts and exit codes', { skip, timeout: 180_000 }, async () => {
  const fixtures = makeFixtures();
  const failures: string[] = [];
  try {
    const queue = [...CASES];
    const worker = async () => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) failures.push(...(await runCase(fixtures, c)));
    };
    await Promise.all([worker(), worker(), worker()]);
  } finally {
    rmrf(fixtures);
  }
  assert.deepEqual(failures, [], `${failures.length} of ${CASES.length} cases differ`);
});
