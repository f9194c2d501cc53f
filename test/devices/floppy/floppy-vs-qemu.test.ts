// The floppy controller and ISA DMA compared with qemu-system-i386's: a tiny guest kernel
// resets the controller and runs the command sequence of SeaBIOS's and Linux's drivers
// (sense interrupts, SPECIFY/CONFIGURE/DUMPREG, seeks, READ ID at two rates, DMA reads with
// MT and terminal count, a DMA write read back, a PIO read), printing every status byte,
// result byte and some of the memory DMA wrote. Both transcripts must be identical.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openImage } from '../../../src/vm/block/open-image.js';
import { FloppyController } from '../../../src/vm/devices/floppy/floppy-controller.js';
import { Dma8237 } from '../../../src/vm/devices/floppy/isa-dma.js';
import { IoBus } from '../../../src/vm/machine/io-bus.js';
import { NO_IRQ } from '../../../src/vm/machine/irq.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';
import { VgaScript } from '../vga/vga-script.js';
import { qemuMissing, qemuRun } from '../vga/qemu-reference.js';

const skip = qemuMissing() ?? (spawnSync('qemu-img', ['--version']).status === 0 ? undefined : 'qemu-img is not installed');

const FIFO = 0x3f5;
const MSR = 0x3f4;

function command(s: VgaScript, ...bytes: number[]): void {
  for (const b of bytes) s.poll(MSR, 0xc0, 0x80).outb(FIFO, b);
}

function result(s: VgaScript, n: number): void {
  for (let i = 0; i < n; i++) s.poll(MSR, 0xc0, 0xc0).printInb(FIFO);
  s.printInb(MSR);
}

function dma(s: VgaScript, addr: number, bytes: number, toMemory: boolean): void {
  s.outb(0x0a, 0x06).outb(0x0c, 0);
  s.outb(0x04, addr & 0xff).outb(0x04, (addr >>> 8) & 0xff).outb(0x81, addr >>> 16);
  s.outb(0x0c, 0).outb(0x05, (bytes - 1) & 0xff).outb(0x05, (bytes - 1) >>> 8);
  s.outb(0x0b, toMemory ? 0x46 : 0x4a).outb(0x0a, 0x02);
}

function sample(s: VgaScript, addr: number, length: number): void {
  for (let i = 0; i < length; i += 97) s.printMem8(addr + i);
  s.printMem8(addr + length - 1);
}

function conversation(): VgaScript {
  const s = new VgaScript();
  s.outb(0x3f2, 0x08).outb(0x3f2, 0x1c).printInb(0x3f0).printInb(MSR);
  for (let i = 0; i < 4; i++) {
    command(s, 0x08);
    result(s, 2);
  }
  command(s, 0x08);
  result(s, 1);
  s.outb(0x3f7, 0x00);
  command(s, 0x14);
  result(s, 1);
  command(s, 0x03, 0xaf, 0x02);
  command(s, 0x13, 0x00, 0x57, 0x00);
  command(s, 0x12, 0x80);
  command(s, 0x10);
  result(s, 1);
  command(s, 0x18);
  result(s, 1);
  command(s, 0x0e);
  result(s, 10);
  command(s, 0x07, 0x00);
  command(s, 0x08);
  result(s, 2);
  command(s, 0x0f, 0x00, 5);
  command(s, 0x08);
  result(s, 2);
  s.printInb(0x3f7);
  command(s, 0x04, 0x04);
  result(s, 1);
  // READ ID at 250 kb/s (wrong for 1.44 MB) and 500 kb/s.
  s.outb(0x3f7, 0x02);
  command(s, 0x4a, 0x00);
  result(s, 7);
  s.outb(0x3f7, 0x00);
  command(s, 0x4a, 0x04);
  result(s, 7);
  // A whole cylinder by DMA with MT, then a read cut short by terminal count.
  dma(s, 0x20000, 36 * 512, true);
  command(s, 0xe6, 0x00, 2, 0, 1, 2, 18, 0x1b, 0xff);
  result(s, 7);
  s.printInb(0x08);
  sample(s, 0x20000, 36 * 512);
  dma(s, 0x30000, 3 * 512, true);
  command(s, 0x66, 0x04, 7, 1, 5, 2, 18, 0x1b, 0xff);
  result(s, 7);
  sample(s, 0x30000, 3 * 512);
  // A DMA write of two sectors at the end of a track, read back by DMA.
  s.fill8(0x40000, 1024, 0x5b);
  dma(s, 0x40000, 1024, false);
  command(s, 0x45, 0x00, 10, 0, 17, 2, 18, 0x1b, 0xff);
  result(s, 7);
  dma(s, 0x50000, 1024, true);
  command(s, 0x46, 0x00, 10, 0, 17, 2, 18, 0x1b, 0xff);
  result(s, 7);
  sample(s, 0x50000, 1024);
  // Reading past the last track fails.
  dma(s, 0x50000, 512, true);
  command(s, 0x46, 0x00, 80, 0, 1, 2, 18, 0x1b, 0xff);
  result(s, 7);
  // Non-DMA mode: the data comes through the FIFO.
  command(s, 0x03, 0xaf, 0x03);
  command(s, 0x46, 0x00, 0, 0, 2, 2, 2, 0x1b, 0xff);
  s.printInb(MSR);
  for (let i = 0; i < 512; i++) s.printInb(FIFO);
  result(s, 7);
  return s;
}

test('floppy transcript: termu answers exactly like qemu-system-i386', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-fdq-'));
  try {
    const image = join(dir, 'fd.img');
    const data = new Uint8Array(1474560).map((_, i) => ((i >>> 9) * 29 + i * 7) & 0xff);
    writeFileSync(image, data);
    const ourCopy = join(dir, 'fd-termu.img');
    writeFileSync(ourCopy, data);
    const script = conversation();
    const qemu = await qemuRun(script, ['-vga', 'none', '-drive', `file=${image},if=floppy,index=0,format=raw`], false);

    const io = new IoBus();
    const memory = new PhysicalMemory(16 << 20);
    const dmac = new Dma8237(memory);
    dmac.attach(io);
    const fdc = new FloppyController(NO_IRQ, dmac, openImage(ourCopy, { format: 'raw', readOnly: false }), undefined);
    fdc.attach(io);
    const ours = script.runOnBus(io, memory);
    if (process.env.TERMU_DUMP_TRANSCRIPTS) writeFileSync(process.env.TERMU_DUMP_TRANSCRIPTS, `${ours}\n${qemu.serial}\n`);
    assert.equal(ours.length, qemu.serial.length, 'same transcript length');
    if (ours !== qemu.serial) {
      const at = [...ours].findIndex((ch, i) => ch !== qemu.serial[i]);
      assert.fail(`transcripts differ at ${at}: termu …${ours.slice(Math.max(0, at - 24), at + 24)}… qemu …${qemu.serial.slice(Math.max(0, at - 24), at + 24)}…`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
