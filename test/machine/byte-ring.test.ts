import assert from 'node:assert/strict';
import test from 'node:test';
import { Worker } from 'node:worker_threads';
import { ByteRing } from '../../src/vm/machine/byte-ring.js';

test('push, write, peek, consume, drain and wrap-around', () => {
  const ring = new ByteRing(ByteRing.create(8));
  assert.equal(ring.free, 8);
  assert.equal(ring.write(Uint8Array.of(1, 2, 3, 4, 5, 6)), 6);
  const out = new Uint8Array(4);
  assert.equal(ring.peek(out), 4);
  assert.deepEqual([...out], [1, 2, 3, 4]);
  ring.consume(4);
  assert.equal(ring.write(Uint8Array.of(7, 8, 9, 10, 11)), 5, 'wraps around the end');
  assert.equal(ring.push(12), true);
  assert.equal(ring.push(13), false, 'full');
  assert.deepEqual([...ring.drain()], [5, 6, 7, 8, 9, 10, 11, 12]);
  assert.equal(ring.available, 0);
});

test('bytes cross a real thread boundary in order', async () => {
  const buffer = ByteRing.create(64);
  const ring = new ByteRing(buffer);
  const url = new URL('../../src/vm/machine/byte-ring.js', import.meta.url).href;
  // The producer thread writes 0..9999 (mod 256), waiting whenever the small ring is full.
  const worker = new Worker(
    `const { ByteRing } = await import(${JSON.stringify(url)});
     const { workerData } = await import('node:worker_threads');
     const ring = new ByteRing(workerData);
     for (let i = 0; i < 10000; i++) while (!ring.push(i & 0xff)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);`,
    { eval: true, workerData: buffer },
  );
  const exited = new Promise((r) => worker.once('exit', r));
  const received: number[] = [];
  while (received.length < 10000) {
    received.push(...ring.drain());
    await new Promise((r) => setImmediate(r));
  }
  await exited;
  assert.ok(received.every((b, i) => b === (i & 0xff)));
});
