// Bad input never crashes: random port and memory traffic (random ports, sizes and values,
// including register indices no driver uses) must leave the VGA, the IDE controller, the
// floppy controller and the 8237 running without an exception, and still answering.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openImage } from '../../../src/vm/block/open-image.js';
import { FloppyController } from '../../../src/vm/devices/floppy/floppy-controller.js';
import { Dma8237 } from '../../../src/vm/devices/floppy/isa-dma.js';
import { PiixIde } from '../../../src/vm/devices/ide/piix-ide.js';
import { StdVgaPci } from '../../../src/vm/devices/vga/std-vga-pci.js';
import { VgaDisplay } from '../../../src/vm/devices/vga/vga-display.js';
import { Vga } from '../../../src/vm/devices/vga/vga.js';
import { TimerQueue } from '../../../src/vm/machine/clock.js';
import { type IoSize, IoBus } from '../../../src/vm/machine/io-bus.js';
import { NO_IRQ } from '../../../src/vm/machine/irq.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const SIZES: IoSize[] = [1, 1, 1, 2, 4];

function storm(io: IoBus, memory: PhysicalMemory, ports: number[], windows: [number, number][], rounds: number, seed: number): void {
  const r = rng(seed);
  for (let i = 0; i < rounds; i++) {
    const size = SIZES[Math.floor(r() * SIZES.length)];
    const value = Math.floor(r() * 2 ** 32) >>> 0;
    if (r() < 0.75) {
      const port = ports[Math.floor(r() * ports.length)];
      if (r() < 0.5) io.write(port, size, value & (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1));
      else io.read(port, size);
    } else {
      const [base, length] = windows[Math.floor(r() * windows.length)];
      const addr = base + Math.floor(r() * length);
      if (r() < 0.5) memory.write8(addr, value & 0xff);
      else memory.read32(addr);
    }
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('the VGA survives random register and memory traffic, and still renders', () => {
  const vga = new Vga();
  const io = new IoBus();
  const memory = new PhysicalMemory(16 << 20);
  const pci = new StdVgaPci(vga, memory);
  pci.attach(io);
  memory.mapMmio(0xfd000000, 16 << 20, vga.linearFramebuffer);
  const display = new VgaDisplay(vga, new TimerQueue());
  const r = rng(5);
  for (let round = 0; round < 12; round++) {
    storm(io, memory, [...range(0x3b0, 0x3df), 0x1ce, 0x1cf, 0x1d0], [[0xa0000, 0x20000], [0xfd000000, 1 << 20]], 5000, 100 + round);
    // Sometimes force VBE on with random geometry, as a confused driver might.
    if (r() < 0.5) {
      // Out-of-range values get clamped; the largest legal frames are left to the register tests (they take long to draw).
      const big = () => (r() < 0.2 ? r() * 70000 : r() * 3000);
      for (const [index, value] of [[1, big()], [2, big()], [3, r() * 40], [6, big()], [8, big()], [9, big()], [4, 1]]) {
        io.write(0x1ce, 2, index);
        io.write(0x1cf, 2, Math.floor(value) & 0xffff);
      }
    }
    io.read(0x3da, 1);
    io.write(0x3c0, 1, 0x20);
    const screen = display.current();
    assert.ok(screen === null || screen.kind === 'text' || screen.kind === 'graphics');
    assert.ok(display.screendump(round % 2 === 0).subarray(0, 2).toString() === 'P6');
  }
});

test('the IDE controller and the floppy controller survive random port traffic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-fuzz-'));
  try {
    const disk = join(dir, 'disk.raw');
    writeFileSync(disk, new Uint8Array(2 << 20));
    const disk2 = join(dir, 'disk2.raw');
    writeFileSync(disk2, new Uint8Array(1 << 20));
    const cd = join(dir, 'cd.raw');
    writeFileSync(cd, new Uint8Array(1 << 20));
    const fd = join(dir, 'fd.raw');
    writeFileSync(fd, new Uint8Array(1474560));
    const io = new IoBus();
    const memory = new PhysicalMemory(16 << 20);
    const ide = new PiixIde(memory, NO_IRQ, NO_IRQ, [
      { bus: 0, unit: 0, kind: 'disk', medium: openImage(disk, { format: 'raw', readOnly: false }) },
      { bus: 0, unit: 1, kind: 'cdrom', medium: undefined },
      { bus: 1, unit: 1, kind: 'disk', medium: openImage(disk2, { format: 'raw', readOnly: true }) },
      { bus: 1, unit: 0, kind: 'cdrom', medium: openImage(cd, { format: 'raw', readOnly: true }) },
    ]);
    ide.attach(io);
    ide.setBusMasterBase(io, 0xc000);
    const dma = new Dma8237(memory);
    dma.attach(io);
    const fdc = new FloppyController(NO_IRQ, dma, openImage(fd, { format: 'raw', readOnly: false }), undefined);
    fdc.attach(io);
    const ports = [...range(0x1f0, 0x1f7), 0x3f6, ...range(0x170, 0x177), 0x376, ...range(0xc000, 0xc00f), ...range(0x00, 0x0f), 0x81, 0x82, 0x83, 0x87, 0x3f2, 0x3f4, 0x3f5, 0x3f7];
    // Bias towards the command registers and data ports so commands actually start.
    const weighted = [...ports, ...Array(20).fill(0x1f7), ...Array(20).fill(0x177), ...Array(30).fill(0x1f0), ...Array(30).fill(0x170), ...Array(30).fill(0x3f5)];
    storm(io, memory, weighted, [[0, 1 << 20]], 200000, 73);
    // Still alive: a fresh IDENTIFY after a reset works.
    io.write(0x3f6, 1, 0x04);
    io.write(0x3f6, 1, 0x00);
    io.write(0x1f6, 1, 0xa0);
    io.write(0x1f7, 1, 0xec);
    assert.equal(io.read(0x1f7, 1) & 0x08, 0x08);
    assert.equal(io.read(0x1f0, 2), 0x0040);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
