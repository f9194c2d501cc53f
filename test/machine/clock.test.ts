import assert from 'node:assert/strict';
import test from 'node:test';
import { TimerQueue } from '../../src/vm/machine/clock.js';

test('a time source is read on every now(), and runExpired fires what it has passed', () => {
  const q = new TimerQueue();
  let t = 0;
  q.setTimeSource(() => t);
  const fired: number[] = [];
  const a = q.newTimer((now) => fired.push(now));
  const b = q.newTimer((now) => {
    fired.push(-now);
    if (now < 300) b.arm(now + 100); // periodic until 300
  });
  a.arm(150);
  b.arm(100);
  assert.equal(q.next, 100);
  t = 50;
  assert.equal(q.now(), 50);
  q.runExpired();
  assert.deepEqual(fired, []);
  t = 260;
  q.runExpired();
  assert.deepEqual(fired, [260, -260], 'each expired timer fires once at the current time');
  assert.equal(q.next, 360);
  a.cancel();
  t = 1000;
  q.runExpired();
  assert.deepEqual(fired, [260, -260, -1000]);
  assert.equal(q.next, Infinity);
});
