// A PC-shaped test bench for the IDE controller: real IoBus, PhysicalMemory and IRQ lines,
// images created by qemu-img, and port sequences written the way SeaBIOS's and Linux's
// ATA drivers issue them.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockDriver } from '../../../src/vm/block/block-driver.js';
import { openImage } from '../../../src/vm/block/open-image.js';
import { IoBus } from '../../../src/vm/machine/io-bus.js';
import type { IrqLine } from '../../../src/vm/machine/irq.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';
import { type IdeDriveConfig, PiixIde } from '../../../src/vm/devices/ide/piix-ide.js';

export const BM_BASE = 0xc000;

export function toolMissing(...tools: string[]): string | undefined {
  for (const t of tools) if (spawnSync(t, ['--version']).status !== 0) return `${t} is not installed`;
  return undefined;
}

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'termu-ide-'));
  file(name: string): string {
    return join(this.path, name);
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** An IRQ line that remembers its level and counts rising edges. */
export class RecordingIrq implements IrqLine {
  level = false;
  edges = 0;
  set(level: boolean): void {
    if (level && !this.level) this.edges++;
    this.level = level;
  }
}

export class IdeBench {
  readonly io = new IoBus();
  readonly memory = new PhysicalMemory(16 << 20);
  readonly irq14 = new RecordingIrq();
  readonly irq15 = new RecordingIrq();
  readonly ide: PiixIde;
  readonly externalWrites: [number, number][] = [];

  constructor(drives: IdeDriveConfig[]) {
    this.ide = new PiixIde(this.memory, this.irq14, this.irq15, drives);
    this.ide.attach(this.io);
    this.ide.setBusMasterBase(this.io, BM_BASE);
    this.memory.onExternalWrite = (a, n) => this.externalWrites.push([a, n]);
  }

  static open(path: string, format: string, readOnly = false): BlockDriver {
    return openImage(path, { format, readOnly });
  }

  inb(port: number): number {
    return this.io.read(port, 1);
  }
  outb(port: number, v: number): void {
    this.io.write(port, 1, v);
  }
  inw(port: number): number {
    return this.io.read(port, 2);
  }
  outw(port: number, v: number): void {
    this.io.write(port, 2, v);
  }
  inl(port: number): number {
    return this.io.read(port, 4);
  }
  outl(port: number, v: number): void {
    this.io.write(port, 4, v);
  }
}

/** One channel as a driver sees it. */
export class AtaPorts {
  constructor(readonly bench: IdeBench, readonly base = 0x1f0, readonly ctl = 0x3f6) {}

  status(): number {
    return this.bench.inb(this.base + 7);
  }
  altStatus(): number {
    return this.bench.inb(this.ctl);
  }
  error(): number {
    return this.bench.inb(this.base + 1);
  }
  select(unit: 0 | 1, lba = true, head = 0): void {
    this.bench.outb(this.base + 6, 0xa0 | (lba ? 0x40 : 0) | (unit << 4) | head);
  }
  /** LBA28 task file + command, as Linux's ata_sff_tf_load does. */
  lba28(command: number, lba: number, count: number, unit: 0 | 1 = 0): void {
    const b = this.bench;
    b.outb(this.base + 2, count & 0xff);
    b.outb(this.base + 3, lba & 0xff);
    b.outb(this.base + 4, (lba >>> 8) & 0xff);
    b.outb(this.base + 5, (lba >>> 16) & 0xff);
    b.outb(this.base + 6, 0xe0 | (unit << 4) | ((lba >>> 24) & 0x0f));
    b.outb(this.base + 7, command);
  }
  /** LBA48: the high bytes first (they move into the HOB registers), then the low ones. */
  lba48(command: number, lba: number, count: number, unit: 0 | 1 = 0): void {
    const b = this.bench;
    const hi = Math.floor(lba / 2 ** 24);
    b.outb(this.base + 2, (count >>> 8) & 0xff);
    b.outb(this.base + 3, hi & 0xff);
    b.outb(this.base + 4, (hi >>> 8) & 0xff);
    b.outb(this.base + 5, (hi >>> 16) & 0xff);
    b.outb(this.base + 2, count & 0xff);
    b.outb(this.base + 3, lba & 0xff);
    b.outb(this.base + 4, (lba >>> 8) & 0xff);
    b.outb(this.base + 5, (lba >>> 16) & 0xff);
    b.outb(this.base + 6, 0x40 | (unit << 4));
    b.outb(this.base + 7, command);
  }
  command(cmd: number): void {
    this.bench.outb(this.base + 7, cmd);
  }
  readWords(n: number): Uint8Array {
    const out = new Uint8Array(n * 2);
    for (let i = 0; i < n; i++) {
      const w = this.bench.inw(this.base);
      out[2 * i] = w & 0xff;
      out[2 * i + 1] = w >>> 8;
    }
    return out;
  }
  writeWords(data: Uint8Array): void {
    for (let i = 0; i < data.length; i += 2) this.bench.outw(this.base, data[i] | (data[i + 1] << 8));
  }
  /** Soft reset through the device control register (SRST high, then low). */
  softReset(): void {
    this.bench.outb(this.ctl, 0x04);
    this.bench.outb(this.ctl, 0x00);
  }
}
