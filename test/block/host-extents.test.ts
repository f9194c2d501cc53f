// The seek-data addon (native/seek-data) must be built by `npm ci`: without it the raw
// driver falls back to reading for zeros and `map` stops matching qemu-img on raw files.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostExtents } from '../../src/vm/block/host-extents.js';
import { HostFile } from '../../src/vm/block/host-file.js';

test('seek-data addon finds data runs and holes as lseek(SEEK_DATA/SEEK_HOLE) does', () => {
  const ext = hostExtents;
  assert.ok(ext, 'native/seek-data is not built: run `npm ci` (needs gcc, make and python3 for node-gyp)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termu-extents-'));
  const file = path.join(dir, 'sparse.raw');
  try {
    const fd = fs.openSync(file, 'w+');
    fs.ftruncateSync(fd, 4 << 20);
    fs.writeSync(fd, new Uint8Array(8192), 0, 8192, 1 << 20); // zeros written are data, not a hole
    fs.closeSync(fd);
    const f = HostFile.open(file, true);
    try {
      assert.deepEqual(f.extentAt(0), { data: false, end: 1 << 20 });
      assert.deepEqual(f.extentAt(1 << 20), { data: true, end: (1 << 20) + 8192 });
      assert.deepEqual(f.extentAt((1 << 20) + 4096), { data: true, end: (1 << 20) + 8192 });
      assert.deepEqual(f.extentAt(2 << 20), { data: false, end: Infinity });
      assert.deepEqual(f.extentAt(8 << 20), { data: false, end: Infinity });
    } finally {
      f.close();
    }
    assert.throws(() => ext.seekData(-1, 0), /Bad file descriptor/);
    assert.throws(() => ext.seekData(0, -5), TypeError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
