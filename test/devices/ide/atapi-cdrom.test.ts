// The ATAPI CD-ROM on the secondary channel with a real ISO made by xorriso: detection,
// PACKET commands in PIO (byte count limits) and DMA, TOC formats, media change with unit
// attention, event status notification, tray lock and the monitor's eject/change.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { AtaPorts, BM_BASE, IdeBench, TempDir, run, toolMissing } from './ide-harness.js';

const skip = toolMissing('xorriso', 'qemu-img');

function makeIso(dir: TempDir, name: string, text: string): string {
  const tree = dir.file(`${name}-tree`);
  mkdirSync(tree);
  writeFileSync(`${tree}/HELLO.TXT`, text);
  writeFileSync(`${tree}/BIG.BIN`, new Uint8Array(300 * 1024).map((_, i) => (i * 13) & 0xff));
  const iso = dir.file(`${name}.iso`);
  run('xorriso', ['-as', 'mkisofs', '-quiet', '-V', name.toUpperCase(), '-o', iso, tree]);
  return iso;
}

/** Sends a 12-byte packet the way Linux's atapi_send_cdb / SeaBIOS's atapi_cmd_data do. */
function packet(ata: AtaPorts, cdb: number[], byteLimit = 0xfffe, dma = false): void {
  const b = ata.bench;
  b.outb(ata.base + 1, dma ? 1 : 0);
  b.outb(ata.base + 4, byteLimit & 0xff);
  b.outb(ata.base + 5, byteLimit >>> 8);
  b.outb(ata.base + 7, 0xa0);
  assert.equal(ata.status() & 0x88, 0x08, 'DRQ for the packet');
  assert.equal(b.inb(ata.base + 2) & 3, 1, 'interrupt reason: command');
  const p = new Uint8Array(12);
  p.set(cdb);
  ata.writeWords(p);
}

/** Drains data phases until the command completes; returns data and final status. */
function dataIn(ata: AtaPorts): { data: Uint8Array; status: number; chunks: number[] } {
  const b = ata.bench;
  const parts: Uint8Array[] = [];
  const chunks: number[] = [];
  for (;;) {
    const st = ata.status();
    if (!(st & 0x08)) return { data: Buffer.concat(parts), status: st, chunks };
    assert.equal(b.inb(ata.base + 2) & 3, 2, 'interrupt reason: data to host');
    const n = b.inb(ata.base + 4) | (b.inb(ata.base + 5) << 8);
    chunks.push(n);
    parts.push(ata.readWords(n / 2));
  }
}

function command(ata: AtaPorts, cdb: number[], byteLimit = 0xfffe) {
  packet(ata, cdb, byteLimit);
  return dataIn(ata);
}

function requestSense(ata: AtaPorts): [number, number] {
  const r = command(ata, [0x03, 0, 0, 0, 18, 0]);
  return [r.data[2] & 0xf, r.data[12]];
}

test('ATAPI detection, identify and the basic SCSI commands on an ISO', { skip }, () => {
  const dir = new TempDir();
  try {
    const iso = makeIso(dir, 'first', 'hello from the first disc\n');
    const blocks = statSync(iso).size / 2048;
    const bench = new IdeBench([{ bus: 1, unit: 0, kind: 'cdrom', medium: IdeBench.open(iso, 'raw', true) }]);
    const ata = new AtaPorts(bench, 0x170, 0x376);

    ata.softReset();
    assert.equal(ata.status(), 0x00, 'packet devices do not set DRDY after reset');
    assert.deepEqual([bench.inb(0x174), bench.inb(0x175)], [0x14, 0xeb], 'ATAPI signature');
    ata.select(0, false);
    ata.command(0xec);
    assert.equal(ata.status(), 0x41, 'IDENTIFY DEVICE is aborted');
    assert.deepEqual([bench.inb(0x174), bench.inb(0x175)], [0x14, 0xeb]);
    ata.command(0xa1);
    const id = ata.readWords(256);
    assert.equal(id[0] | (id[1] << 8), 0x85c0);
    assert.equal(bench.irq15.edges > 0, true, 'IRQ 15 for the secondary channel');

    assert.equal(command(ata, [0x00]).status, 0x50, 'TEST UNIT READY');
    const inquiry = command(ata, [0x12, 0, 0, 0, 36, 0]).data;
    assert.equal(inquiry[0], 0x05);
    assert.equal(Buffer.from(inquiry.subarray(16, 32)).toString('latin1'), 'QEMU DVD-ROM    ');
    const cap = command(ata, [0x25]).data;
    assert.equal(Buffer.from(cap).readUInt32BE(0), blocks - 1);
    assert.equal(Buffer.from(cap).readUInt32BE(4), 2048);

    // READ(10) of the primary volume descriptor with a 512-byte byte-count limit: 4 DRQ chunks.
    const pvd = command(ata, [0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0], 512);
    assert.deepEqual(pvd.chunks, [512, 512, 512, 512]);
    assert.equal(Buffer.from(pvd.data.subarray(1, 6)).toString('latin1'), 'CD001');
    assert.equal(Buffer.from(pvd.data.subarray(40, 45)).toString('latin1'), 'FIRST');
    // READ(12) of 40 blocks in one go, odd byte limits rounded down to even.
    const many = command(ata, [0xa8, 0, 0, 0, 0, 20, 0, 0, 0, 40, 0, 0], 0x7fff);
    assert.equal(many.data.length, 40 * 2048);
    assert.ok(many.chunks.every((n) => n % 2 === 0 && n <= 0x7ffe));

    // READ TOC: format 0 in LBA and MSF, format 1 (sessions), format 2 (raw).
    const toc = Buffer.from(command(ata, [0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0]).data);
    assert.deepEqual([...toc], [0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0, 0, 0x16, 0xaa, 0, ...u32(blocks)]);
    const tocMsf = command(ata, [0x43, 2, 0, 0, 0, 0, 0, 0, 100, 0]).data;
    const lead = blocks + 150;
    assert.deepEqual([...tocMsf.subarray(8, 12)], [0, 0, 2, 0], 'track 1 at 00:02:00');
    assert.deepEqual([...tocMsf.subarray(16, 20)], [0, Math.floor(lead / 4500), Math.floor(lead / 75) % 60, lead % 75]);
    assert.deepEqual([...command(ata, [0x43, 0, 0, 0, 0, 0, 0, 0, 12, 0x40]).data], [0, 10, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const raw = command(ata, [0x43, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x80]).data;
    assert.equal(raw.length, 4 + 4 * 11);
    assert.deepEqual([raw[7], raw[18], raw[29], raw[40]], [0xa0, 0xa1, 0xa2, 0x01]);

    // MODE SENSE(10) capabilities page, GET CONFIGURATION current profile (CD-ROM).
    const caps = command(ata, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 28, 0]).data;
    assert.equal(caps[8], 0x2a);
    const config = command(ata, [0x46, 0, 0, 0, 0, 0, 0, 0, 32, 0]).data;
    assert.equal((config[6] << 8) | config[7], 0x0008);

    // Errors: beyond the end, unknown opcode — CHECK CONDITION with the right sense.
    packet(ata, [0x28, 0, ...u32(blocks), 0, 0, 1, 0]);
    assert.equal(ata.status(), 0x41);
    assert.equal(bench.inb(0x171) >>> 4, 0x05);
    assert.deepEqual(requestSense(ata), [0x05, 0x21]);
    packet(ata, [0xff]);
    assert.equal(ata.status(), 0x41);
    assert.deepEqual(requestSense(ata), [0x05, 0x20]);

    // READ(10) by DMA into guest memory (Linux uses DMA for data commands when it can).
    bench.memory.write32(0x8000, 0x90000);
    bench.memory.write32(0x8004, 0x80000000 | 4096);
    bench.outl(BM_BASE + 8 + 4, 0x8000);
    bench.outb(BM_BASE + 8, 0x08);
    packet(ata, [0x28, 0, 0, 0, 0, 16, 0, 0, 2, 0], 0xfffe, true);
    bench.outb(BM_BASE + 8, 0x09);
    assert.equal(bench.inb(BM_BASE + 10) & 0x05, 0x04);
    bench.outb(BM_BASE + 8, 0x00);
    assert.equal(ata.status(), 0x50);
    assert.equal(bench.inb(0x172) & 3, 3, 'interrupt reason: completed');
    assert.ok(Buffer.from(bench.memory.ram.subarray(0x90000, 0x90800)).equals(Buffer.from(pvd.data)));
  } finally {
    dir.remove();
  }
});

test('media change: eject/change from the monitor, unit attention, events and the tray lock', { skip }, () => {
  const dir = new TempDir();
  try {
    const first = makeIso(dir, 'first', 'one');
    const second = makeIso(dir, 'second', 'two');
    const bench = new IdeBench([{ bus: 1, unit: 0, kind: 'cdrom', medium: IdeBench.open(first, 'raw', true) }]);
    const ata = new AtaPorts(bench, 0x170, 0x376);
    const slot = { bus: 1, unit: 0 } as const;
    ata.select(0, false);
    const event = () => [...command(ata, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]).data];

    assert.deepEqual(event(), [0, 4, 4, 0x10, 0, 2, 0, 0], 'no event, medium present');

    // The guest locks the tray: eject from the monitor fails like QEMU's and raises an eject request.
    assert.equal(command(ata, [0x1e, 0, 0, 0, 1, 0]).status, 0x50);
    assert.throws(() => bench.ide.eject(slot, 'ide1-cd0'), {
      message: "Device 'ide1-cd0' is locked and force was not specified, wait for tray to open and try again",
    });
    assert.deepEqual(event(), [0, 4, 4, 0x10, 1, 2, 0, 0], 'eject requested');
    packet(ata, [0x1b, 0, 0, 0, 0x02, 0]); // START STOP UNIT: eject while locked
    assert.equal(ata.status(), 0x41);
    assert.deepEqual(requestSense(ata), [0x02, 0x53]);
    assert.equal(command(ata, [0x1e, 0, 0, 0, 0, 0]).status, 0x50, 'unlocked');

    bench.ide.eject(slot, 'ide1-cd0');
    packet(ata, [0x25]);
    assert.equal(ata.status(), 0x41);
    assert.deepEqual(requestSense(ata), [0x02, 0x3a], 'medium not present');
    assert.deepEqual(event(), [0, 4, 4, 0x10, 0, 1, 0, 0], 'tray open');

    bench.ide.change(slot, 'ide1-cd0', IdeBench.open(second, 'raw', true));
    // As in QEMU, the next data command sees "no medium", the one after a unit attention
    // (until REQUEST SENSE), so guests that never poll events still notice the new disc.
    packet(ata, [0x25]);
    assert.equal(ata.status(), 0x41);
    assert.equal(bench.inb(0x171), 0x20, 'sense key 2 (not ready)');
    packet(ata, [0x25]);
    assert.equal(ata.status(), 0x41);
    packet(ata, [0x25]);
    assert.equal(ata.status(), 0x41, 'the unit attention stays until REQUEST SENSE');
    assert.equal(bench.inb(0x171), 0x60 | 0x20, 'sense key 6 and MC in the error register');
    assert.deepEqual(event(), [0, 4, 4, 0x10, 2, 2, 0, 0], 'new media (event polling is allowed during a unit attention)');
    assert.deepEqual(requestSense(ata), [0x06, 0x28]);
    const pvd = command(ata, [0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0]).data;
    assert.equal(Buffer.from(pvd.subarray(40, 46)).toString('latin1'), 'SECOND');

    assert.throws(() => bench.ide.eject({ bus: 0, unit: 0 }, 'ide0-hd0'), { message: "Device 'ide0-hd0' not found" });
  } finally {
    dir.remove();
  }
});

function u32(v: number): number[] {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
