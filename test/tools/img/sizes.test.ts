// Size parsing (qemu_strtosz) and size printing (size_to_str), checked live against
// qemu-img: "virtual size" lines of raw images of many lengths, and `create` with many
// size spellings (accepted or rejected, with the same messages).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { haveQemuImg, mask, qemuImgAsync, rmrf, scratch, termuImgAsync } from './img-harness.js';

const skip = haveQemuImg() ? false : 'qemu-img (qemu-utils) is not installed';

// Lengths around unit boundaries, %g rounding ties and the [999.5, 1000) exponent case.
const LENGTHS = [0, 1, 6, 511, 512, 1000, 1023, 1024, 1536, 196616, 197120, 1022976, 1023488, 1023999, 1024000,
  1048064, 1048576, 10747904, 1321206, 1073741312, 1073741824, 1099511627776, 10995116277760, 123456789, 999999488,
  5242880, 2000001, 70000, 1048575 * 1024];

const SPELLINGS = ['1.5M', '0.5k', '1023.9', '1e3', '1KiB', '1kb', '0x1000', '0x1.5k', '1b', '12B', '1P', '2T', '3g',
  '100', '1.', '.5M', '-1', '+1M', ' 1M', '1M ', '18446744073709551615', '9223372036854775807', '0x10M', '1.999999M',
  '16P', '9223372036854775296', '1.0', '0x1b'];

test('virtual sizes print like qemu-img (size_to_str)', { skip }, async () => {
  const dir = scratch('sizes');
  try {
    const failures: string[] = [];
    await Promise.all(LENGTHS.map(async (n, i) => {
      const f = `s${i}.raw`;
      fs.closeSync(fs.openSync(path.join(dir, f), 'w'));
      fs.truncateSync(path.join(dir, f), n);
      const [q, t] = await Promise.all([qemuImgAsync(['info', '-f', 'raw', f], dir), termuImgAsync(['info', '-f', 'raw', f], dir)]);
      if (mask(q.stdout) !== mask(t.stdout)) failures.push(`${n}: ${q.stdout} vs ${t.stdout}`);
    }));
    assert.deepEqual(failures, []);
  } finally {
    rmrf(dir);
  }
});

test('create accepts and rejects size spellings like qemu-img (qemu_strtosz)', { skip }, async () => {
  const dir = scratch('sizes');
  try {
    const failures: string[] = [];
    await Promise.all(SPELLINGS.map(async (s, i) => {
      const [q, t] = await Promise.all([
        qemuImgAsync(['create', '-f', 'qcow2', `q${i}.qcow2`, s], dir),
        termuImgAsync(['create', '-f', 'qcow2', `t${i}.qcow2`, s], dir),
      ]);
      const norm = (x: string) => mask(x).replace(/[qt]\d+\.qcow2/g, 'X.qcow2');
      if (norm(q.stdout + q.stderr) !== norm(t.stdout + t.stderr) || q.status !== t.status) {
        failures.push(`${JSON.stringify(s)}: ${JSON.stringify(q.stdout + q.stderr)} vs ${JSON.stringify(t.stdout + t.stderr)}`);
      }
    }));
    assert.deepEqual(failures, []);
  } finally {
    rmrf(dir);
  }
});
