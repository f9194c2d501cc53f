// ATA disks on the PIIX IDE controller, over raw and qcow2 images made by qemu-img and
// checked afterwards by qemu-img/qemu-io: IDENTIFY, PIO single/multiple, LBA28/LBA48/CHS,
// bus-master DMA with PRD tables, errors and read-only media.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { PiixIdePciFunction } from '../../../src/vm/devices/ide/piix-ide-pci.js';
import { PciHost } from '../../../src/vm/devices/pci/pci-host.js';
import { AtaPorts, BM_BASE, IdeBench, TempDir, run, toolMissing } from './ide-harness.js';

const skip = toolMissing('qemu-img', 'qemu-io');
const SECTOR = 512;

/** Sector i is filled with bytes (i*7 + j) & 0xff, with i in the first four bytes. */
function sectorPattern(i: number): Uint8Array {
  const s = new Uint8Array(SECTOR);
  for (let j = 0; j < SECTOR; j++) s[j] = (i * 7 + j) & 0xff;
  new DataView(s.buffer).setUint32(0, i, true);
  return s;
}

function makeImages(dir: TempDir, sectors: number): { raw: string; qcow2: string } {
  const raw = dir.file('disk.raw');
  const data = new Uint8Array(sectors * SECTOR);
  for (let i = 0; i < sectors; i++) data.set(sectorPattern(i), i * SECTOR);
  writeFileSync(raw, data);
  const qcow2 = dir.file('disk.qcow2');
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  return { raw, qcow2 };
}

function word(id: Uint8Array, i: number): number {
  return id[2 * i] | (id[2 * i + 1] << 8);
}

function ataString(id: Uint8Array, first: number, words: number): string {
  let s = '';
  for (let i = 0; i < words; i++) s += String.fromCharCode(id[2 * (first + i) + 1], id[2 * (first + i)]);
  return s.trimEnd();
}

for (const format of ['raw', 'qcow2'] as const) {
  test(`${format}: IDENTIFY, PIO reads and writes in LBA28, multiple mode and CHS`, { skip }, () => {
    const dir = new TempDir();
    try {
      const sectors = 16384; // 8 MiB
      const images = makeImages(dir, sectors);
      const path = images[format];
      const bench = new IdeBench([{ bus: 0, unit: 0, kind: 'disk', medium: IdeBench.open(path, format) }]);
      const ata = new AtaPorts(bench);

      // Power-on signature and status, as SeaBIOS checks before IDENTIFY.
      ata.softReset();
      assert.equal(ata.status(), 0x50);
      assert.deepEqual([1, 2, 3, 4, 5].map((r) => bench.inb(0x1f0 + r)), [0x01, 1, 1, 0, 0]);

      ata.select(0);
      ata.command(0xec);
      assert.equal(ata.status() & 0x89, 0x08, 'DRQ after IDENTIFY');
      const id = ata.readWords(256);
      assert.equal(ata.status(), 0x50);
      assert.equal(ataString(id, 27, 20), 'QEMU HARDDISK');
      assert.equal(ataString(id, 10, 10), 'QM00001');
      assert.equal(word(id, 0), 0x0040);
      assert.deepEqual([word(id, 1), word(id, 3), word(id, 6)], [16, 16, 63], 'QEMU geometry for an unpartitioned disk');
      assert.equal(word(id, 60) | (word(id, 61) << 16), sectors);
      assert.equal(word(id, 100) + word(id, 101) * 65536, sectors);
      assert.ok(word(id, 83) & (1 << 10), 'LBA48 supported');
      assert.equal(word(id, 47) & 0xff, 16);

      // READ SECTORS: one interrupt per sector.
      const before = bench.irq14.edges;
      ata.lba28(0x20, 100, 3);
      for (let i = 0; i < 3; i++) {
        assert.equal(ata.status() & 0x08, 0x08);
        assert.deepEqual(ata.readWords(256), sectorPattern(100 + i));
      }
      assert.equal(bench.irq14.edges - before, 3);
      assert.equal(ata.status(), 0x50);
      assert.deepEqual([3, 4, 5].map((r) => bench.inb(0x1f0 + r)), [103, 0, 0], 'task file points past the last sector');

      // SET MULTIPLE MODE 4, READ MULTIPLE 10 sectors: blocks of 4, 4, 2.
      bench.outb(0x1f2, 4);
      ata.command(0xc6);
      assert.equal(ata.status(), 0x50);
      const irqs = bench.irq14.edges;
      ata.lba28(0xc4, 2000, 10);
      for (let i = 0; i < 10; i++) {
        if (i % 4 === 0) assert.equal(ata.status(), 0x58, 'a block is ready (the status read acknowledges its interrupt)');
        assert.deepEqual(ata.readWords(256), sectorPattern(2000 + i));
      }
      assert.equal(bench.irq14.edges - irqs, 3);
      // An invalid multiple count (not a power of two) is aborted.
      bench.outb(0x1f2, 3);
      ata.command(0xc6);
      assert.equal(ata.status(), 0x41);
      assert.equal(ata.error(), 0x04);

      // WRITE SECTORS with 32-bit data port accesses, WRITE MULTIPLE, then CHS addressing.
      const written = new Map<number, Uint8Array>();
      const fill = (lba: number, seed: number) => {
        const s = new Uint8Array(SECTOR).map((_, j) => (j * seed + lba) & 0xff);
        written.set(lba, s);
        return s;
      };
      ata.lba28(0x30, 500, 2);
      for (const lba of [500, 501]) {
        assert.equal(ata.status() & 0x08, 0x08);
        const s = fill(lba, 3);
        for (let j = 0; j < SECTOR; j += 4) bench.outl(0x1f0, s[j] | (s[j + 1] << 8) | (s[j + 2] << 16) | (s[j + 3] << 24));
      }
      assert.equal(ata.status(), 0x50);
      bench.outb(0x1f2, 8);
      ata.command(0xc6);
      ata.lba28(0xc5, 1000, 9);
      for (let lba = 1000; lba < 1009; lba++) ata.writeWords(fill(lba, 5));
      assert.equal(ata.status(), 0x50);
      // CHS 2/3/4 with 16 heads, 63 sectors: LBA (2*16+3)*63+3.
      bench.outb(0x1f2, 1);
      bench.outb(0x1f3, 4);
      bench.outb(0x1f4, 2);
      bench.outb(0x1f5, 0);
      ata.select(0, false, 3);
      ata.command(0x20);
      assert.deepEqual(ata.readWords(256), sectorPattern((2 * 16 + 3) * 63 + 3));

      // Beyond the end of the disk: aborted, no data.
      ata.lba28(0x20, sectors, 1);
      assert.equal(ata.status(), 0x41);
      assert.equal(ata.error(), 0x04);
      ata.lba28(0xe7, 0, 0); // FLUSH CACHE
      assert.equal(ata.status(), 0x50);

      bench.ide.drive({ bus: 0, unit: 0 })!.medium!.close();
      // What qemu-img sees afterwards: exactly our writes over the original pattern.
      const out = dir.file('out.raw');
      run('qemu-img', ['convert', '-f', format, '-O', 'raw', path, out]);
      const after = readFileSync(out);
      for (let i = 0; i < sectors; i++) {
        const expect = written.get(i) ?? sectorPattern(i);
        assert.ok(Buffer.from(expect).equals(after.subarray(i * SECTOR, (i + 1) * SECTOR)), `sector ${i}`);
      }
      if (format === 'qcow2') assert.match(run('qemu-img', ['check', path]), /No errors were found/);
    } finally {
      dir.remove();
    }
  });
}

/** Writes a PRD table at `table` describing `entries` and points the bus master at it. */
function setupPrd(bench: IdeBench, table: number, entries: [number, number][], channel = 0): void {
  entries.forEach(([addr, len], i) => {
    bench.memory.write32(table + i * 8, addr);
    bench.memory.write32(table + i * 8 + 4, (len & 0xffff) | (i === entries.length - 1 ? 0x80000000 : 0));
  });
  bench.outl(BM_BASE + channel * 8 + 4, table);
}

test('bus-master DMA: READ DMA / WRITE DMA EXT through PRD tables on a sparse 200 GiB qcow2 (LBA48)', { skip }, () => {
  const dir = new TempDir();
  try {
    const path = dir.file('big.qcow2');
    run('qemu-img', ['create', '-q', '-f', 'qcow2', path, '200G']);
    const high = 0x10000010; // needs 29 bits: only LBA48 reaches it
    run('qemu-io', ['-c', `write -P 0x5a ${high * SECTOR} 4096`, path]);
    const bench = new IdeBench([{ bus: 0, unit: 0, kind: 'disk', medium: IdeBench.open(path, 'qcow2') }]);
    const ata = new AtaPorts(bench);
    const mem = bench.memory;

    // READ DMA EXT of 8 sectors into two PRD regions (1 KiB + 3 KiB), the way Linux's
    // ata_bmdma_setup/start order it: table, direction, command, then start.
    setupPrd(bench, 0x10000, [
      [0x20000, 1024],
      [0x30000, 3072],
    ]);
    bench.outb(BM_BASE, 0x08);
    bench.outb(BM_BASE + 2, 0x06); // clear interrupt/error
    ata.lba48(0x25, high, 8);
    assert.equal(bench.irq14.level, false, 'no interrupt before the bus master starts');
    bench.outb(BM_BASE, 0x09);
    assert.equal(bench.irq14.level, true);
    assert.equal(bench.inb(BM_BASE + 2) & 0x07, 0x04, 'interrupt, not active, no error');
    bench.outb(BM_BASE, 0x00);
    assert.equal(ata.status(), 0x50);
    assert.equal(bench.irq14.level, false);
    assert.ok(mem.ram.subarray(0x20000, 0x20400).every((b) => b === 0x5a));
    assert.ok(mem.ram.subarray(0x30000, 0x30c00).every((b) => b === 0x5a));
    assert.deepEqual(bench.externalWrites, [
      [0x20000, 1024],
      [0x30000, 3072],
    ], 'DMA reports its writes so the CPU drops stale code');

    // WRITE DMA EXT of 3 sectors from guest memory.
    for (let i = 0; i < 3 * SECTOR; i++) mem.ram[0x40000 + i] = 0xc3;
    setupPrd(bench, 0x10000, [[0x40000, 3 * SECTOR]]);
    bench.outb(BM_BASE, 0x00);
    ata.lba48(0x35, high + 100, 3);
    bench.outb(BM_BASE, 0x01);
    assert.equal(bench.inb(BM_BASE + 2) & 0x07, 0x04);
    assert.equal(ata.status(), 0x50);

    // A PRD table shorter than the transfer: QEMU ends the command quietly.
    setupPrd(bench, 0x10000, [[0x50000, SECTOR]]);
    bench.outb(BM_BASE + 2, 0x06);
    bench.outb(BM_BASE, 0x08);
    ata.lba28(0xc8, 0, 4);
    bench.outb(BM_BASE, 0x09);
    assert.equal(bench.inb(BM_BASE + 2) & 0x05, 0x00, 'neither active nor interrupting');
    bench.outb(BM_BASE, 0x00);

    bench.ide.drive({ bus: 0, unit: 0 })!.medium!.close();
    run('qemu-io', ['-c', `read -P 0xc3 ${(high + 100) * SECTOR} ${3 * SECTOR}`, '-c', `read -P 0 ${(high + 103) * SECTOR} 512`, path]);
    assert.match(run('qemu-img', ['check', path]), /No errors were found/);
  } finally {
    dir.remove();
  }
});

test('read-only disks abort writes and keep the image unchanged; an empty slave reads status 0', { skip }, () => {
  const dir = new TempDir();
  try {
    const { raw } = makeImages(dir, 64);
    const before = readFileSync(raw);
    const bench = new IdeBench([{ bus: 0, unit: 0, kind: 'disk', medium: IdeBench.open(raw, 'raw', true) }]);
    const ata = new AtaPorts(bench);
    ata.lba28(0x30, 5, 1);
    ata.writeWords(new Uint8Array(SECTOR).fill(0xee));
    assert.equal(ata.status(), 0x41);
    assert.equal(ata.error(), 0x04);
    setupPrd(bench, 0x10000, [[0x20000, SECTOR]]);
    ata.lba28(0xca, 6, 1);
    bench.outb(BM_BASE, 0x01);
    assert.equal(ata.status(), 0x41);
    assert.ok(readFileSync(raw).equals(before));

    // SeaBIOS's probe of the missing slave: selected, it shows status 0 and ignores commands.
    ata.select(1);
    assert.equal(ata.status(), 0);
    ata.command(0xec);
    assert.equal(ata.status(), 0);
    // A channel with nothing on it reads zeros (QEMU), so firmware finds no device.
    const secondary = new AtaPorts(bench, 0x170, 0x376);
    assert.equal(secondary.status(), 0);
    assert.equal(bench.inb(0x172), 0);
  } finally {
    dir.remove();
  }
});

test('a partitioned disk reports the geometry its partition table implies, as QEMU guesses it', { skip }, () => {
  const dir = new TempDir();
  try {
    const path = dir.file('part.raw');
    run('qemu-img', ['create', '-q', '-f', 'raw', path, '64M']);
    const geometryWith = (endHead: number, endSector: number) => {
      const image = readFileSync(path);
      image.set([0x80, 1, 1, 0, 0x83, endHead, endSector, 127, 32, 0, 0, 0, 0xe0, 0xff, 1, 0], 446);
      image[510] = 0x55;
      image[511] = 0xaa;
      writeFileSync(path, image);
      const medium = IdeBench.open(path, 'raw');
      const bench = new IdeBench([{ bus: 0, unit: 0, kind: 'disk', medium }]);
      medium.close();
      return bench.ide.drive({ bus: 0, unit: 0 })!.geometry;
    };
    assert.deepEqual(geometryWith(15, 32), { cylinders: 256, heads: 16, sectors: 32 });
    // 32 heads mean BIOS translation was in use: QEMU falls back to 16 heads, 63 sectors.
    assert.deepEqual(geometryWith(31, 32), { cylinders: 130, heads: 16, sectors: 63 });
  } finally {
    dir.remove();
  }
});

test('the PIIX IDE PCI function moves the bus-master registers with BAR 4', () => {  const bench = new IdeBench([]);
  bench.ide.setBusMasterBase(bench.io, 0);
  const fn = new PiixIdePciFunction(bench.ide, bench.io);
  const host = new PciHost();
  host.attach(bench.io);
  host.add(1, 1, fn);
  const select = (reg: number) => bench.outl(0xcf8, (0x80000000 | (1 << 11) | (1 << 8) | reg) >>> 0);
  select(0x00);
  assert.equal(bench.inl(0xcfc) >>> 0, 0x70108086);
  select(0x20);
  bench.outl(0xcfc, 0xffffffff);
  assert.equal(bench.inl(0xcfc) >>> 0, 0xfffffff1, '16 bytes of I/O');
  bench.outl(0xcfc, 0xc041);
  select(0x04);
  bench.outl(0xcfc, 0x0005); // I/O decode and bus mastering
  bench.outl(0xc044, 0x12340);
  assert.equal(bench.ide.busMasters[0].prdTable, 0x12340);
  bench.outb(0xc04a, 0x60);
  assert.equal(bench.ide.busMasters[1].status, 0x60);
  select(0x20);
  bench.outl(0xcfc, 0xd001);
  assert.equal(bench.inl(0xc044) >>> 0, 0xffffffff, 'the old range is released');
  assert.equal(bench.inl(0xd004), 0x12340);
});

test('saveState/loadState in the middle of a PIO read: the restored controller carries on', { skip }, () => {
  const dir = new TempDir();
  try {
    const { raw } = makeImages(dir, 64);
    const first = new IdeBench([{ bus: 0, unit: 0, kind: 'disk', medium: IdeBench.open(raw, 'raw') }]);
    const ata = new AtaPorts(first);
    bench4(first);
    ata.lba28(0x20, 10, 3);
    assert.deepEqual(ata.readWords(256), sectorPattern(10));
    ata.readWords(100);
    const state = structuredClone(first.ide.saveState());

    const second = new IdeBench([{ bus: 0, unit: 0, kind: 'disk', medium: IdeBench.open(raw, 'raw') }]);
    second.ide.loadState(state);
    const resumed = new AtaPorts(second);
    const rest = resumed.readWords(156);
    assert.deepEqual(rest, sectorPattern(11).subarray(200));
    assert.deepEqual(resumed.readWords(256), sectorPattern(12));
    assert.equal(resumed.status(), 0x50);
    assert.equal(second.inb(0x1f3), 13);
  } finally {
    dir.remove();
  }
});

/** SET MULTIPLE 4 so the saved state carries a non-default multiple count. */
function bench4(bench: IdeBench): void {
  bench.outb(0x1f2, 4);
  bench.outb(0x1f7, 0xc6);
  assert.equal(bench.inb(0x1f7), 0x50);
}

test('selecting the other device in the middle of a PIO read leaves the transfer with its owner', { skip }, () => {
  const dir = new TempDir();
  try {
    const { raw } = makeImages(dir, 64);
    const bench = new IdeBench([{ bus: 0, unit: 0, kind: 'disk', medium: IdeBench.open(raw, 'raw') }]);
    const ata = new AtaPorts(bench);
    ata.lba28(0x20, 3, 2);
    const first = ata.readWords(100);
    ata.select(1);
    assert.equal(bench.inw(0x1f0), 0xffff, 'the absent slave has no data');
    bench.outw(0x1f0, 0x1234);
    ata.select(0);
    const rest = ata.readWords(156);
    assert.deepEqual(Buffer.concat([first, rest]), Buffer.from(sectorPattern(3)));
    assert.deepEqual(ata.readWords(256), sectorPattern(4));
    assert.equal(ata.status(), 0x50);
  } finally {
    dir.remove();
  }
});
