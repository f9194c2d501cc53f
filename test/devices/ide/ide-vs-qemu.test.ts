// The same port-level conversation with QEMU's IDE controller and with termu's: a tiny
// guest kernel probes the disk and the CD-ROM the way SeaBIOS does, then sends IDENTIFY
// and a series of ATAPI packets, printing every register and data word it reads. The two
// transcripts must be identical.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { VgaScript } from '../vga/vga-script.js';
import { qemuMissing, qemuRun } from '../vga/qemu-reference.js';
import { PiixIdePciFunction } from '../../../src/vm/devices/ide/piix-ide-pci.js';
import { PciHost } from '../../../src/vm/devices/pci/pci-host.js';
import { IdeBench, TempDir, run, toolMissing } from './ide-harness.js';

const skip = qemuMissing() ?? toolMissing('xorriso', 'qemu-img');

const PRIMARY = 0x1f0;
const SECONDARY = 0x170;

/** Selects a device and prints its signature and status (SeaBIOS's ata_detect). */
function probe(s: VgaScript, base: number, select: number): void {
  s.outb(base + 6, select).poll(base + 7, 0x80, 0);
  for (const r of [1, 2, 3, 4, 5, 7]) s.printInb(base + r);
}

function readBlock(s: VgaScript, base: number, words: number): void {
  s.poll(base + 7, 0x88, 0x08);
  for (let i = 0; i < words; i++) s.printInw(base);
  s.poll(base + 7, 0x80, 0).printInb(base + 7);
}

/** One ATAPI packet with a 0xfffe byte limit; prints status, reason, byte count, data and the end state. */
function packet(s: VgaScript, cdb: number[], replyBytes: number): void {
  const b = SECONDARY;
  s.outb(b + 1, 0).outb(b + 4, 0xfe).outb(b + 5, 0xff).outb(b + 7, 0xa0);
  s.poll(b + 7, 0x88, 0x08);
  const p = [...cdb, ...new Array(12 - cdb.length).fill(0)];
  for (let i = 0; i < 12; i += 2) s.outw(b, p[i] | (p[i + 1] << 8));
  s.poll(b + 7, 0x80, 0);
  s.printInb(b + 7).printInb(b + 2);
  if (replyBytes > 0) {
    s.printInb(b + 4).printInb(b + 5);
    for (let i = 0; i < replyBytes / 2; i++) s.printInw(b);
    s.poll(b + 7, 0x80, 0);
  }
  s.printInb(b + 7).printInb(b + 1).printInb(b + 2);
}

function conversation(): VgaScript {
  const s = new VgaScript();
  for (const [base, ctl] of [
    [PRIMARY, 0x3f6],
    [SECONDARY, 0x376],
  ]) {
    s.outb(ctl, 0x04).outb(ctl, 0x00);
  }
  // QEMU finishes a soft reset asynchronously: wait for the disk's DRDY and the CD's signature.
  s.outb(PRIMARY + 6, 0xa0).poll(PRIMARY + 7, 0xc0, 0x40);
  s.outb(SECONDARY + 6, 0xa0).poll(SECONDARY + 5, 0xff, 0xeb);
  probe(s, PRIMARY, 0xa0);
  probe(s, PRIMARY, 0xb0);
  probe(s, SECONDARY, 0xa0);

  // The disk: IDENTIFY, SET MULTIPLE and IDENTIFY again, an out-of-range read, CHECK POWER MODE.
  s.outb(PRIMARY + 6, 0xa0).outb(PRIMARY + 7, 0xec);
  readBlock(s, PRIMARY, 256);
  s.outb(PRIMARY + 2, 8).outb(PRIMARY + 7, 0xc6).poll(PRIMARY + 7, 0x80, 0).printInb(PRIMARY + 7);
  s.outb(PRIMARY + 7, 0xec);
  readBlock(s, PRIMARY, 256);
  s.outb(PRIMARY + 2, 1).outb(PRIMARY + 3, 0).outb(PRIMARY + 4, 0).outb(PRIMARY + 5, 0x40).outb(PRIMARY + 6, 0xe0).outb(PRIMARY + 7, 0x20);
  s.poll(PRIMARY + 7, 0x80, 0).printInb(PRIMARY + 7).printInb(PRIMARY + 1);
  s.outb(PRIMARY + 7, 0xe5).poll(PRIMARY + 7, 0x80, 0).printInb(PRIMARY + 7).printInb(PRIMARY + 2);

  // The CD-ROM: IDENTIFY is refused with the signature, IDENTIFY PACKET, then packets.
  s.outb(SECONDARY + 6, 0xa0).outb(SECONDARY + 7, 0xec).poll(SECONDARY + 7, 0x80, 0);
  for (const r of [1, 4, 5, 7]) s.printInb(SECONDARY + r);
  s.outb(SECONDARY + 7, 0xa1);
  readBlock(s, SECONDARY, 256);
  packet(s, [0x00], 0); // TEST UNIT READY
  packet(s, [0x12, 0, 0, 0, 36, 0], 36); // INQUIRY
  packet(s, [0x25], 8); // READ CAPACITY
  packet(s, [0x43, 0, 0, 0, 0, 0, 0, 0, 20, 0], 20); // READ TOC, LBA
  packet(s, [0x43, 2, 0, 0, 0, 0, 0, 0, 20, 0], 20); // READ TOC, MSF
  packet(s, [0x43, 0, 0, 0, 0, 0, 0, 0, 12, 0x40], 12); // multisession (SFF-8020 format field)
  packet(s, [0x43, 0, 2, 0, 0, 0, 0, 0, 20, 0], 20); // MMC's format field is ignored (format 0)
  packet(s, [0x43, 0, 0, 0, 0, 0, 0, 0, 48, 0x80], 48); // raw TOC
  packet(s, [0x43, 2, 0, 0, 0, 0, 0, 0, 48, 0x80], 48); // raw TOC, MSF
  packet(s, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 28, 0], 28); // MODE SENSE capabilities
  packet(s, [0x5a, 0, 0x01, 0, 0, 0, 0, 0, 16, 0], 16); // MODE SENSE error recovery
  packet(s, [0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 16, 0], 0); // unsupported page
  packet(s, [0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8, 0], 0); // asynchronous event status: refused
  packet(s, [0x46, 0, 0, 0, 0, 0, 0, 0, 20, 0], 20); // GET CONFIGURATION
  packet(s, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0], 8); // GET EVENT STATUS NOTIFICATION
  packet(s, [0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0], 8); // MECHANISM STATUS
  packet(s, [0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0], 2048); // READ(10) of the volume descriptor
  packet(s, [0xa8, 0, 0, 0, 0, 17, 0, 0, 0, 1, 0, 0], 2048); // READ(12)
  packet(s, [0x28, 0, 0, 0x10, 0, 0, 0, 0, 1, 0], 0); // beyond the end
  packet(s, [0x03, 0, 0, 0, 18, 0], 18); // REQUEST SENSE
  packet(s, [0xff], 0); // invalid opcode
  packet(s, [0x03, 0, 0, 0, 18, 0], 18);
  packet(s, [0x1e, 0, 0, 0, 1, 0], 0); // PREVENT
  packet(s, [0x1b, 0, 0, 0, 2, 0], 0); // eject while locked
  packet(s, [0x03, 0, 0, 0, 18, 0], 18);
  diskExtras(s);
  return s;
}

/** Task file after a command: status, error, count, sector, cylinder low/high, drive/head. */
function taskFile(s: VgaScript): void {
  s.poll(PRIMARY + 7, 0x80, 0);
  for (const r of [7, 1, 2, 3, 4, 5, 6]) s.printInb(PRIMARY + r);
}

function lba28(s: VgaScript, command: number, lba: number, count: number): void {
  s.outb(PRIMARY + 2, count).outb(PRIMARY + 3, lba & 0xff).outb(PRIMARY + 4, (lba >>> 8) & 0xff).outb(PRIMARY + 5, (lba >>> 16) & 0xff);
  s.outb(PRIMARY + 6, 0xe0 | ((lba >>> 24) & 0x0f)).outb(PRIMARY + 7, command);
}

/** Bus-master DMA (BAR 4 placed at 0xc000 through PCI config), CHS translation, HOB reads, diagnostics. */
function diskExtras(s: VgaScript): void {
  const BM = 0xc000;
  s.outl(0xcf8, 0x80000920).outl(0xcfc, BM | 1).outl(0xcf8, 0x80000904).outl(0xcfc, 0x0005);
  // PIO WRITE SECTORS of a pattern, then READ DMA of it into two PRD regions.
  lba28(s, 0x30, 100, 2);
  for (let i = 0; i < 512; i++) {
    if (i % 256 === 0) s.poll(PRIMARY + 7, 0x88, 0x08);
    s.outw(PRIMARY, (i * 0x0101 + 0x1234) & 0xffff);
  }
  taskFile(s);
  s.write32(0x8000, 0x20000).write32(0x8004, 512).write32(0x8008, 0x21000).write32(0x800c, 0x80000000 | 512);
  s.outb(BM, 0x08).outb(BM + 2, 0x06).outl(BM + 4, 0x8000);
  lba28(s, 0xc8, 100, 2);
  s.printInb(BM + 2).outb(BM, 0x09).poll(BM + 2, 0x04, 0x04).printInb(BM + 2).outb(BM, 0x08);
  taskFile(s);
  s.printInb(BM + 2).outb(BM + 2, 0x04).printInb(BM + 2);
  for (const base of [0x20000, 0x21000]) for (let i = 0; i < 512; i += 61) s.printMem8(base + i);
  // WRITE DMA EXT from guest memory, read back by PIO.
  s.fill8(0x30000, 512, 0x3d);
  s.write32(0x8000, 0x30000).write32(0x8004, 0x80000000 | 512).outb(BM, 0x00);
  s.outb(PRIMARY + 2, 0).outb(PRIMARY + 3, 0).outb(PRIMARY + 4, 0).outb(PRIMARY + 5, 0);
  s.outb(PRIMARY + 2, 1).outb(PRIMARY + 3, 200).outb(PRIMARY + 4, 0).outb(PRIMARY + 5, 0).outb(PRIMARY + 6, 0x40).outb(PRIMARY + 7, 0x35);
  s.outb(BM, 0x01).poll(BM + 2, 0x04, 0x04).printInb(BM + 2).outb(BM, 0x00);
  taskFile(s);
  lba28(s, 0x20, 200, 1);
  readBlock(s, PRIMARY, 256);
  // A PRD table shorter than the transfer.
  s.write32(0x8000, 0x40000).write32(0x8004, 0x80000000 | 512).outb(BM + 2, 0x06).outb(BM, 0x08);
  lba28(s, 0xc8, 0, 4);
  s.outb(BM, 0x09).poll(BM + 2, 0x01, 0x00).printInb(BM + 2).outb(BM, 0x08);
  taskFile(s);
  // READ NATIVE MAX ADDRESS EXT, read back through the HOB bit.
  s.outb(PRIMARY + 6, 0x40).outb(PRIMARY + 7, 0x27);
  taskFile(s);
  s.outb(0x3f6, 0x80);
  for (const r of [2, 3, 4, 5]) s.printInb(PRIMARY + r);
  s.outb(0x3f6, 0x00);
  // INITIALIZE DEVICE PARAMETERS (4 heads, 17 sectors), then a CHS read of C1/H2/S5 = LBA 106.
  s.outb(PRIMARY + 2, 17).outb(PRIMARY + 6, 0xa3).outb(PRIMARY + 7, 0x91);
  taskFile(s);
  s.outb(PRIMARY + 2, 1).outb(PRIMARY + 3, 5).outb(PRIMARY + 4, 1).outb(PRIMARY + 5, 0).outb(PRIMARY + 6, 0xa2).outb(PRIMARY + 7, 0x20);
  s.poll(PRIMARY + 7, 0x88, 0x08);
  for (let i = 0; i < 256; i++) s.inb(PRIMARY);
  taskFile(s);
  // READ VERIFY, SEEK, RECALIBRATE, EXECUTE DEVICE DIAGNOSTIC, an unknown command.
  lba28(s, 0x40, 1000, 8);
  taskFile(s);
  lba28(s, 0x70, 50, 0);
  taskFile(s);
  s.outb(PRIMARY + 7, 0x10);
  taskFile(s);
  s.outb(PRIMARY + 7, 0x90);
  taskFile(s);
  s.outb(PRIMARY + 7, 0xfb);
  taskFile(s);
  atapiExtras(s, BM + 8);
}

/** A multi-block PIO read (byte count limit larger than a block) and a READ(10) by DMA. */
function atapiExtras(s: VgaScript, bm: number): void {
  const b = SECONDARY;
  s.outb(b + 6, 0xa0);
  packet(s, [0x28, 0, 0, 0, 0, 16, 0, 0, 3, 0], 3 * 2048);
  s.write32(0x9000, 0x50000).write32(0x9004, 0x80000000 | 4096).outb(bm, 0x08).outb(bm + 2, 0x06).outl(bm + 4, 0x9000);
  s.outb(b + 1, 1).outb(b + 4, 0xfe).outb(b + 5, 0xff).outb(b + 7, 0xa0).poll(b + 7, 0x88, 0x08);
  const cdb = [0x28, 0, 0, 0, 0, 16, 0, 0, 2, 0, 0, 0];
  for (let i = 0; i < 12; i += 2) s.outw(b, cdb[i] | (cdb[i + 1] << 8));
  s.printInb(bm + 2).outb(bm, 0x09).poll(bm + 2, 0x04, 0x04).printInb(bm + 2).outb(bm, 0x08);
  s.poll(b + 7, 0x80, 0).printInb(b + 7).printInb(b + 2).printInb(b + 1);
  for (let i = 0; i < 4096; i += 127) s.printMem8(0x50000 + i);
}

test('IDE/ATAPI transcript: termu answers exactly like qemu-system-i386', { skip }, async () => {
  const dir = new TempDir();
  try {
    const disk = dir.file('disk.qcow2');
    run('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    const tree = dir.file('tree');
    mkdirSync(tree);
    writeFileSync(`${tree}/README.TXT`, 'a small disc\n');
    const iso = dir.file('cd.iso');
    run('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'TRANSCRIPT', '-o', iso, tree]);

    const script = conversation();
    const qemu = await qemuRun(
      script,
      ['-vga', 'none', '-drive', `file=${disk},if=ide,index=0,format=qcow2`, '-drive', `file=${iso},if=ide,index=2,media=cdrom,format=raw`],
      false,
    );
    const bench = new IdeBench([
      { bus: 0, unit: 0, kind: 'disk', medium: IdeBench.open(disk, 'qcow2') },
      { bus: 1, unit: 0, kind: 'cdrom', medium: IdeBench.open(iso, 'raw', true) },
    ]);
    bench.ide.setBusMasterBase(bench.io, 0);
    const host = new PciHost();
    host.attach(bench.io);
    host.add(1, 1, new PiixIdePciFunction(bench.ide, bench.io));
    const ours = script.runOnBus(bench.io, bench.memory);
    if (process.env.TERMU_DUMP_TRANSCRIPTS) writeFileSync(process.env.TERMU_DUMP_TRANSCRIPTS, `${ours}\n${qemu.serial}\n`);
    assert.equal(ours.length, qemu.serial.length, 'same transcript length');
    if (ours !== qemu.serial) {
      const at = [...ours].findIndex((ch, i) => ch !== qemu.serial[i]);
      assert.fail(`transcripts differ at ${at}: termu …${ours.slice(Math.max(0, at - 24), at + 24)}… qemu …${qemu.serial.slice(Math.max(0, at - 24), at + 24)}…`);
    }
  } finally {
    dir.remove();
  }
});
