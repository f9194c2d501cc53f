// The qcow2 cluster allocator: first fit over the refcounts, with a hint past the clusters
// known to be in use so a growing image is not rescanned from its start at every allocation.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openImage } from '../../src/vm/block/open-image.js';
import { createQcow2 } from '../../src/vm/block/qcow2/qcow2-create.js';
import { Qcow2Driver } from '../../src/vm/block/qcow2/qcow2-driver.js';
import { Refcounts } from '../../src/vm/block/qcow2/refcounts.js';

function freshImage(): { dir: string; drv: Qcow2Driver } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termu-alloc-'));
  const file = path.join(dir, 'a.qcow2');
  createQcow2(file, {
    size: 1 << 30, clusterSize: 65536, version: 3, lazyRefcounts: false, refcountBits: 16,
    backingFile: null, backingFormat: null, preallocation: 'off',
  });
  const drv = openImage(file, { readOnly: false });
  assert.ok(drv instanceof Qcow2Driver);
  return { dir, drv };
}

test('allocations in a growing image look at each cluster about once', () => {
  const { dir, drv } = freshImage();
  const get = Refcounts.prototype.get;
  let lookups = 0;
  Refcounts.prototype.get = function (this: Refcounts, cluster: number) {
    lookups++;
    return get.call(this, cluster);
  };
  try {
    for (let i = 0; i < 2000; i++) drv.refcounts.allocate(1 + (i % 4));
    // 5000 clusters handed out: a scan from the start each time would look ~12.5 M times.
    assert.ok(lookups < 3 * 5000, `${lookups} refcount lookups`);
  } finally {
    Refcounts.prototype.get = get;
    drv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('freed clusters are found again first fit, and gaps too short are kept for later', () => {
  const { dir, drv } = freshImage();
  try {
    const rc = drv.refcounts;
    const a = rc.allocate(1);
    const b = rc.allocate(3);
    const c = rc.allocate(1);
    assert.deepEqual([b, c], [a + 1, a + 4]);
    rc.setRange(b, 3, 0);
    assert.equal(rc.allocate(2), b, 'the freed run, first fit');
    // One free cluster left at b+2: too short for two, so they go after c ...
    assert.equal(rc.allocate(2), c + 1);
    // ... and the skipped cluster is still found for one.
    assert.equal(rc.allocate(1), b + 2);
    assert.equal(rc.allocate(1), c + 3);
  } finally {
    drv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
