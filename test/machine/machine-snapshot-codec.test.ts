// The VM state stream: what devices put in their states survives the round trip exactly,
// empty pages cost no space, and anything that is not such a stream is refused with
// QEMU's words instead of crashing.

import assert from 'node:assert/strict';
import test from 'node:test';
import { decodeVmState, encodeVmState, VmStateFormatError } from '../../src/vm/machine/machine-snapshot-codec.js';

function roundTrip(state: object): Record<string, unknown> {
  const { chunks, length } = encodeVmState(state);
  const bytes = Buffer.concat(chunks);
  assert.equal(bytes.length, length);
  return decodeVmState(bytes);
}

test('typed arrays, bigints, NaN, infinities and undefined come back as they were', () => {
  const regs = new Int32Array([-1, 0x7fffffff, 5]);
  const state = {
    regs,
    view: new Uint8Array(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2),
    f64: new Float64Array([Math.PI, -0.5]),
    pat: 0x0007040600070406n,
    phase: NaN,
    deadline: Infinity,
    low: -Infinity,
    nested: [{ a: 1, b: 'x', c: true, d: null, e: undefined }],
  };
  const back = roundTrip(state);
  assert.deepEqual(back, state);
  assert.ok(back.regs instanceof Int32Array && back.regs.buffer !== regs.buffer, 'decoded arrays must own their memory');
});

test('zero pages are left out of the stream', () => {
  const ram = new Uint8Array(64 << 20);
  ram[0x123456] = 1;
  ram[ram.length - 1] = 2;
  const { length } = encodeVmState({ ram });
  // Two 4 KiB pages and a bitmap of 16384 pages, not 64 MiB.
  assert.ok(length < 3 * 4096 + 2048 + 256, `stream is ${length} bytes`);
  const back = roundTrip({ ram }).ram as Uint8Array;
  assert.ok(Buffer.from(back).equals(Buffer.from(ram)));
});

test("streams that are not termu's, are damaged or of another version are refused with QEMU's texts", () => {
  const { chunks } = encodeVmState({ ram: new Uint8Array(8192).fill(7), cpu: { eip: 1 } });
  const good = Buffer.concat(chunks);
  const refuse = (bytes: Uint8Array, text: string) => assert.throws(() => decodeVmState(bytes), (e: unknown) => e instanceof VmStateFormatError && e.message === text);
  refuse(Buffer.from('QEVM\0\0\0\x03'), 'Not a migration stream');
  refuse(good.subarray(0, 20), 'Not a migration stream');
  refuse(good.subarray(0, good.length - 100), 'Not a migration stream');
  const otherVersion = Buffer.from(good);
  otherVersion.writeUInt32BE(99, 8);
  refuse(otherVersion, 'Unsupported migration stream version');
  const badJson = Buffer.from(good);
  badJson[16] = 0x7d;
  refuse(badJson, 'Not a migration stream');
});
