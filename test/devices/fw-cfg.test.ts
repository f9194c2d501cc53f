import test from 'node:test';
import assert from 'node:assert/strict';
import { FW_CFG_FILE_DIR, FW_CFG_RAM_SIZE, FwCfg } from '../../src/vm/devices/fw-cfg.js';
import { PhysicalMemory } from '../../src/vm/machine/physical-memory.js';
import { Ports } from './fixtures.js';

function setup(dma = true) {
  const memory = new PhysicalMemory(1 << 20);
  const fw = new FwCfg(memory, dma);
  const p = new Ports();
  fw.attach(p.io);
  const readItem = (key: number, n: number) => {
    p.outw(0x510, key);
    return Array.from({ length: n }, () => p.inb(0x511));
  };
  return { memory, fw, p, readItem };
}

const bswap = (v: number) => Buffer.from(Uint32Array.of(v).buffer).readUInt32BE(0);

/** SeaBIOS's qemu_cfg_dma_transfer: a big-endian descriptor, high half then low half of its address. */
function dma(p: Ports, memory: PhysicalMemory, at: number, control: number, length: number, address: number): number {
  const d = Buffer.alloc(16);
  d.writeUInt32BE(control >>> 0, 0);
  d.writeUInt32BE(length, 4);
  d.writeBigUInt64BE(BigInt(address), 8);
  memory.writeBytes(at, d);
  p.outl(0x514, bswap(0));
  p.outl(0x518, bswap(at));
  return Buffer.from(memory.ram.subarray(at, at + 4)).readUInt32BE(0);
}

test("SeaBIOS's detection: signature 'QEMU', ID with the DMA bit, 'QEMU CFG' at the DMA port", () => {
  const { p, readItem } = setup();
  assert.equal(Buffer.from(readItem(0, 4)).toString(), 'QEMU');
  assert.deepEqual(readItem(1, 4), [3, 0, 0, 0]);
  const sig = Buffer.alloc(8);
  sig.writeUInt32LE(p.inl(0x514), 0);
  sig.writeUInt32LE(p.inl(0x518), 4);
  assert.equal(sig.toString(), 'QEMU CFG');
  assert.deepEqual(setup(false).readItem(1, 4), [1, 0, 0, 0], 'no DMA: traditional interface only');
});

test('file directory: big-endian, sorted by name, keys from 0x20 in that order', () => {
  const { fw, readItem } = setup();
  fw.addFile('etc/e820', new Uint8Array(40));
  fw.addFile('bootorder', new TextEncoder().encode('/pci@i0cf8/*@1\n'));
  fw.addFile('etc/acpi/tables', new Uint8Array(3));
  const raw = Buffer.from(readItem(FW_CFG_FILE_DIR, 4 + 3 * 64));
  assert.equal(raw.readUInt32BE(0), 3);
  const entries = [0, 1, 2].map((i) => {
    const e = raw.subarray(4 + i * 64, 68 + i * 64);
    return [e.readUInt32BE(0), e.readUInt16BE(4), e.subarray(8).toString().replace(/\0+$/, '')];
  });
  assert.deepEqual(entries, [
    [15, 0x20, 'bootorder'],
    [3, 0x21, 'etc/acpi/tables'],
    [40, 0x22, 'etc/e820'],
  ]);
  assert.equal(fw.fileKey('etc/e820'), 0x22);
  assert.throws(() => fw.addFile('bootorder', new Uint8Array(1)), /duplicate fw_cfg file name: bootorder/);
  assert.throws(() => fw.addFile('x'.repeat(56), new Uint8Array(1)), /file name too long/);
});

test('traditional reads: items in order, zeros past the end, selection resets the offset', () => {
  const { fw, readItem } = setup();
  fw.addU64(FW_CFG_RAM_SIZE, 256n << 20n);
  assert.deepEqual(readItem(FW_CFG_RAM_SIZE, 10), [0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(readItem(0x7777, 2), [0, 0], 'an unknown key reads as zeros');
});

test('DMA: select+read, skip, zero fill past the end, write rejected with the error bit', () => {
  const { fw, memory, p } = setup();
  const e820 = Uint8Array.from({ length: 48 }, (_, i) => i + 1);
  fw.addFile('etc/e820', e820);
  const key = fw.fileKey('etc/e820');
  assert.equal(dma(p, memory, 0x1000, (key << 16) | 0x08 | 0x02, 20, 0x2000), 0, 'control reads 0 when done');
  assert.deepEqual(Array.from(memory.ram.subarray(0x2000, 0x2014)), Array.from(e820.subarray(0, 20)));
  assert.equal(dma(p, memory, 0x1000, 0x04, 8, 0), 0, 'skip 8');
  memory.ram.fill(0xee, 0x3000, 0x3040);
  assert.equal(dma(p, memory, 0x1000, 0x02, 0x30, 0x3000), 0);
  assert.deepEqual(Array.from(memory.ram.subarray(0x3000, 0x3014)), Array.from(e820.subarray(28, 48)));
  assert.deepEqual(Array.from(memory.ram.subarray(0x3014, 0x3030)), new Array(0x1c).fill(0), 'past the end: zeros');
  assert.equal(memory.ram[0x3030], 0xee, 'nothing beyond the requested length');
  assert.equal(dma(p, memory, 0x1000, (key << 16) | 0x08 | 0x10, 4, 0x2000), 1, 'write: error');
});

test('modifyFile replaces contents and size', () => {
  const { fw, readItem } = setup();
  fw.addFile('etc/e820', new Uint8Array(20));
  fw.modifyFile('etc/e820', new Uint8Array(40).fill(7));
  const dir = Buffer.from(readItem(FW_CFG_FILE_DIR, 68));
  assert.equal(dir.readUInt32BE(4), 40);
  assert.deepEqual(readItem(0x20, 2), [7, 7]);
});
