// The floppy controller and the 8237 driven through their ports as SeaBIOS's floppy.c and
// Linux's floppy driver do, over 1.44 MB and 2.88 MB raw and qcow2 images from qemu-img.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openImage } from '../../../src/vm/block/open-image.js';
import type { BlockDriver } from '../../../src/vm/block/block-driver.js';
import { FloppyController } from '../../../src/vm/devices/floppy/floppy-controller.js';
import { Dma8237 } from '../../../src/vm/devices/floppy/isa-dma.js';
import { IoBus } from '../../../src/vm/machine/io-bus.js';
import type { IrqLine } from '../../../src/vm/machine/irq.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';

const skip = spawnSync('qemu-img', ['--version']).status === 0 ? false : 'qemu-img is not installed';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return r.stdout;
}

class Irq implements IrqLine {
  level = false;
  set(level: boolean): void {
    this.level = level;
  }
}

class Bench {
  readonly io = new IoBus();
  readonly memory = new PhysicalMemory(4 << 20);
  readonly irq = new Irq();
  readonly fdc: FloppyController;
  readonly dma: Dma8237;

  constructor(fda: BlockDriver | undefined) {
    this.dma = new Dma8237(this.memory);
    this.dma.attach(this.io);
    this.fdc = new FloppyController(this.irq, this.dma, fda, undefined);
    this.fdc.attach(this.io);
  }
  out(port: number, v: number): void {
    this.io.write(port, 1, v);
  }
  in(port: number): number {
    return this.io.read(port, 1);
  }
  /** Writes a command byte by byte, each after RQM with DIO clear (as floppy_pio does). */
  command(...bytes: number[]): void {
    for (const b of bytes) {
      assert.equal(this.in(0x3f4) & 0xc0, 0x80, `controller ready for byte ${b.toString(16)}`);
      this.out(0x3f5, b);
    }
  }
  result(n: number): number[] {
    const r: number[] = [];
    for (let i = 0; i < n; i++) {
      assert.equal(this.in(0x3f4) & 0xc0, 0xc0, 'result byte available');
      r.push(this.in(0x3f5));
    }
    assert.equal(this.in(0x3f4) & 0xd0, 0x80, 'back in the command phase');
    return r;
  }
  senseInterrupt(): number[] {
    this.command(0x08);
    return this.result(2);
  }
  /** SeaBIOS's dma_floppy(): channel 2, single mode, auto-init off. */
  programDma(addr: number, bytes: number, toMemory: boolean): void {
    this.out(0x0a, 0x06); // mask channel 2
    this.out(0x0c, 0x00); // clear flip-flop
    this.out(0x04, addr & 0xff);
    this.out(0x04, (addr >>> 8) & 0xff);
    this.out(0x81, addr >>> 16);
    this.out(0x0c, 0x00);
    this.out(0x05, (bytes - 1) & 0xff);
    this.out(0x05, (bytes - 1) >>> 8);
    this.out(0x0b, toMemory ? 0x46 : 0x4a);
    this.out(0x0a, 0x02); // unmask
  }
}

function pattern(bytes: number): Uint8Array {
  const d = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 512) {
    const s = i / 512;
    for (let j = 0; j < 512; j++) d[i + j] = (s * 31 + j * 3) & 0xff;
    d[i] = s & 0xff;
    d[i + 1] = s >>> 8;
  }
  return d;
}

function withImage(format: 'raw' | 'qcow2', bytes: number, body: (path: string, data: Uint8Array) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'termu-fd-'));
  try {
    const raw = join(dir, 'fd.raw');
    const data = pattern(bytes);
    writeFileSync(raw, data);
    let path = raw;
    if (format === 'qcow2') {
      path = join(dir, 'fd.qcow2');
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, path]);
    }
    body(path, data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('reset, the four ready-change interrupts and the 82078 identification commands', () => {
  const b = new Bench(undefined);
  b.out(0x3f2, 0x08); // reset asserted
  b.out(0x3f2, 0x0c); // released: interrupt
  assert.equal(b.irq.level, true);
  for (let drive = 0; drive < 4; drive++) assert.deepEqual(b.senseInterrupt(), [0xc0 | drive, 0]);
  assert.equal(b.irq.level, false);
  b.command(0x08);
  assert.deepEqual(b.result(1), [0x80], 'no interrupt pending: invalid');
  b.command(0x10);
  assert.deepEqual(b.result(1), [0x90], 'VERSION: enhanced controller');
  b.command(0x18);
  assert.deepEqual(b.result(1), [0x41], 'PART ID');
  b.command(0x13, 0x00, 0x57, 0x00); // CONFIGURE as Linux does: implied seek, FIFO on, threshold 8
  b.command(0x03, 0xaf, 0x02); // SPECIFY: SRT/HUT, HLT, DMA mode
  b.command(0x94);
  assert.deepEqual(b.result(1), [0x10], 'LOCK');
  b.command(0x0e);
  assert.deepEqual(b.result(10), [0, 0, 0, 0, 0x0a, 0x03, 18, 0x80, 0x57, 0x00]);
  b.command(0x14);
  assert.deepEqual(b.result(1), [0x00], 'UNLOCK');
  b.command(0x1f);
  assert.deepEqual(b.result(1), [0x80], 'unknown opcode');
});

for (const format of ['raw', 'qcow2'] as const) {
  test(`${format} 1.44 MB: recalibrate, seek, READ ID rates, DMA reads and writes checked by qemu-img`, { skip }, () => {
    withImage(format, 1474560, (path, data) => {
      const b = new Bench(openImage(path, { format, readOnly: false }));
      b.out(0x3f2, 0x08);
      b.out(0x3f2, 0x1c); // motor A on, DMA, out of reset
      for (let i = 0; i < 4; i++) b.senseInterrupt();
      b.out(0x3f7, 0x00); // 500 kb/s
      b.command(0x03, 0xaf, 0x02);
      assert.equal(b.in(0x3f7) & 0x80, 0x80, 'disk change line set for a new medium');

      b.command(0x07, 0x00);
      assert.equal(b.irq.level, true);
      assert.deepEqual(b.senseInterrupt(), [0x20, 0]);
      b.command(0x0f, 0x00, 5);
      assert.deepEqual(b.senseInterrupt(), [0x20, 5]);
      assert.equal(b.in(0x3f7) & 0x80, 0, 'a seek clears disk change');
      b.command(0x04, 0x00);
      assert.deepEqual(b.result(1), [0x28], 'ST3: ready, two-sided, not track 0');

      // READ ID at the wrong rate fails (this is how SeaBIOS senses the medium type).
      b.out(0x3f7, 0x02);
      b.command(0x4a, 0x00);
      assert.deepEqual(b.result(7).slice(0, 2), [0x40, 0x01]);
      b.out(0x3f7, 0x00);
      b.command(0x4a, 0x04);
      const id = b.result(7);
      assert.deepEqual([id[0], id[1], id[3], id[4], id[6]], [0x04, 0, 5, 1, 2]);

      // One whole cylinder (both heads, MT) by DMA: 36 sectors, ends at the next cylinder.
      b.programDma(0x10000, 36 * 512, true);
      b.command(0xe6, 0x00, 2, 0, 1, 2, 18, 0x1b, 0xff);
      assert.equal(b.in(0x3f4) & 0x80, 0x80);
      assert.deepEqual(b.result(7), [0x20, 0, 0, 3, 0, 1, 2], 'moved from track 5 to 2, ends at C3 H0 R1');
      const cyl2 = (2 * 2 * 18) * 512;
      assert.ok(Buffer.from(b.memory.ram.subarray(0x10000, 0x10000 + 36 * 512)).equals(Buffer.from(data.subarray(cyl2, cyl2 + 36 * 512))));

      // DMA terminal count after 3 sectors ends the read early: the result names sector 8.
      b.programDma(0x20000, 3 * 512, true);
      b.command(0x66, 0x04, 7, 1, 5, 2, 18, 0x1b, 0xff);
      assert.deepEqual(b.result(7), [0x24, 0, 0, 7, 1, 8, 2]);
      const at = ((7 * 2 + 1) * 18 + 4) * 512;
      assert.ok(Buffer.from(b.memory.ram.subarray(0x20000, 0x20000 + 1536)).equals(Buffer.from(data.subarray(at, at + 1536))));

      // WRITE DATA by DMA: two sectors at C10 H0 R17-18 (EOT 18, no MT: stops at the track end).
      for (let i = 0; i < 1024; i++) b.memory.ram[0x30000 + i] = (i * 5 + 1) & 0xff;
      b.programDma(0x30000, 1024, false);
      b.command(0x45, 0x00, 10, 0, 17, 2, 18, 0x1b, 0xff);
      assert.deepEqual(b.result(7), [0x20, 0, 0, 11, 0, 1, 2]);

      // Non-DMA mode: SPECIFY with ND set, then a PIO read through the FIFO.
      b.command(0x03, 0xaf, 0x03);
      b.command(0x46, 0x00, 0, 0, 2, 2, 2, 0x1b, 0xff);
      assert.equal(b.in(0x3f4) & 0xe0, 0xe0, 'RQM, DIO and non-DMA');
      const pio = new Uint8Array(512);
      for (let i = 0; i < 512; i++) pio[i] = b.in(0x3f5);
      assert.ok(Buffer.from(pio).equals(Buffer.from(data.subarray(512, 1024))));
      assert.deepEqual(b.result(7), [0x20, 0, 0, 0, 0, 2, 2], 'seek end (the head came from track 11); the last sector read');

      b.fdc.drives[0].medium!.close();
      const out = path + '.check';
      run('qemu-img', ['convert', '-f', format, '-O', 'raw', path, out]);
      const after = readFileSync(out);
      const written = (10 * 2 * 18 + 16) * 512;
      const expect = Buffer.from(data);
      for (let i = 0; i < 1024; i++) expect[written + i] = (i * 5 + 1) & 0xff;
      assert.ok(after.equals(expect), 'exactly the two written sectors changed');
      if (format === 'qcow2') assert.match(run('qemu-img', ['check', path]), /No errors were found/);
    });
  });
}

test('2.88 MB media need the 1 Mb/s rate and have 36 sectors a track; read-only media refuse writes', { skip }, () => {
  withImage('raw', 2949120, (path, data) => {
    const b = new Bench(openImage(path, { format: 'raw', readOnly: true }));
    assert.equal(b.fdc.drives[0].format.sectors, 36);
    b.out(0x3f2, 0x1c);
    b.out(0x3f7, 0x00);
    b.programDma(0x10000, 512, true);
    b.command(0xe6, 0x00, 0, 0, 36, 2, 36, 0x1b, 0xff);
    assert.deepEqual(b.result(7).slice(0, 2), [0x40, 0x01], 'nothing found at 500 kb/s');
    b.out(0x3f7, 0x03);
    b.programDma(0x10000, 512, true);
    b.command(0xe6, 0x00, 0, 0, 36, 2, 36, 0x1b, 0xff);
    assert.deepEqual(b.result(7), [0x04, 0, 0, 0, 1, 1, 2], 'after sector 36 of head 0 comes head 1 (ST0 shows the head)');
    assert.ok(Buffer.from(b.memory.ram.subarray(0x10000, 0x10200)).equals(Buffer.from(data.subarray(35 * 512, 36 * 512))));

    b.programDma(0x10000, 512, false);
    b.command(0xc5, 0x00, 0, 0, 1, 2, 36, 0x1b, 0xff);
    assert.deepEqual(b.result(7).slice(0, 2), [0x60, 0x02], 'write protected');
    b.command(0x04, 0x00);
    assert.equal(b.result(1)[0] & 0x40, 0x40, 'ST3 reports write protect');
  });
});

test('saveState/loadState keeps the head position, the programmed DMA channel and a held request', { skip }, () => {
  withImage('raw', 1474560, (path, data) => {
    const medium = openImage(path, { format: 'raw', readOnly: true });
    const b = new Bench(medium);
    b.out(0x3f2, 0x1c);
    b.command(0x0f, 0x00, 9);
    b.senseInterrupt();
    b.out(0x0a, 0x06); // channel 2 masked: the READ below waits for the DMA controller
    b.programDma(0x10000, 512, true);
    b.out(0x0a, 0x06);
    b.command(0x46, 0x00, 9, 0, 3, 2, 18, 0x1b, 0xff);
    assert.equal(b.in(0x3f4) & 0x80, 0, 'no RQM while the transfer waits');
    const fdcState = structuredClone(b.fdc.saveState());
    const dmaState = structuredClone(b.dma.saveState());

    const c = new Bench(openImage(path, { format: 'raw', readOnly: true }));
    c.dma.loadState(dmaState);
    c.fdc.loadState(fdcState);
    c.out(0x0a, 0x02); // unmasking lets the restored transfer run
    assert.deepEqual(c.result(7), [0x00, 0, 0, 9, 0, 4, 2]);
    const at = (9 * 2 * 18 + 2) * 512;
    assert.ok(Buffer.from(c.memory.ram.subarray(0x10000, 0x10200)).equals(Buffer.from(data.subarray(at, at + 512))));
    medium.close();
  });
});

test('an image of no standard size gets the 1.44 MB geometry; past its end reads zeros and writes fail', { skip }, () => {
  withImage('raw', 100 * 1024, (path, data) => {
    const b = new Bench(openImage(path, { format: 'raw', readOnly: false }));
    assert.deepEqual(b.fdc.drives[0].format, { sectors: 18, tracks: 80, heads: 2, rate: 0, driveType: 4 });
    b.out(0x3f2, 0x1c);
    b.memory.ram.fill(0xee, 0x10000, 0x10400);
    b.programDma(0x10000, 1024, true);
    b.command(0x46, 0x00, 5, 1, 2, 2, 18, 0x1b, 0xff); // sectors 199-200: the image ends after 199
    assert.equal(b.result(7)[0] & 0xc0, 0);
    assert.ok(Buffer.from(b.memory.ram.subarray(0x10000, 0x10200)).equals(Buffer.from(data.subarray(199 * 512, 200 * 512))));
    assert.ok(b.memory.ram.subarray(0x10200, 0x10400).every((v) => v === 0));
    b.programDma(0x10000, 512, false);
    b.command(0x45, 0x00, 5, 1, 3, 2, 18, 0x1b, 0xff);
    assert.equal(b.result(7)[0] & 0xc0, 0x40, 'abnormal termination');
    b.fdc.drives[0].medium!.close();
    assert.equal(readFileSync(path).length, 100 * 1024, 'the image did not grow');
  });
});
