// Runs qemu-probe/probe-kernel.asm under real qemu-system-i386 (-debugcon stdio) and
// performs the same device accesses on termu's models; the printed lines must match.
// Skips when nasm or qemu-system-i386 is missing.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhysicalMemory } from '../../src/vm/machine/physical-memory.js';
import { DualPic } from '../../src/vm/devices/dual-pic.js';
import { Pit } from '../../src/vm/devices/pit.js';
import { Rtc } from '../../src/vm/devices/rtc.js';
import { FLOPPY_288 } from '../../src/vm/devices/cmos-layout.js';
import { I8042 } from '../../src/vm/devices/i8042.js';
import { Uart16550 } from '../../src/vm/devices/uart16550.js';
import { PciHost } from '../../src/vm/devices/pci/pci-host.js';
import { I440fx } from '../../src/vm/devices/pci/i440fx.js';
import { Piix3Isa } from '../../src/vm/devices/pci/piix3-isa.js';
import { Piix3Ide } from '../../src/vm/devices/pci/piix3-ide.js';
import { Piix4Acpi } from '../../src/vm/devices/pci/piix4-acpi.js';
import { LocalApic } from '../../src/vm/devices/apic/local-apic.js';
import { IoApic } from '../../src/vm/devices/apic/ioapic.js';
import { FwCfg } from '../../src/vm/devices/fw-cfg.js';
import { Port92 } from '../../src/vm/devices/port92.js';
import { IrqFanout } from '../../src/vm/machine/irq.js';
import { SystemPortB } from '../../src/vm/devices/system-port-b.js';
import { Ports, TestClock } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/test/devices → test/devices/qemu-probe
const source = join(here, '..', '..', '..', 'test', 'devices', 'qemu-probe', 'probe-kernel.asm');

function available(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

function runQemu(): string {
  const dir = mkdtempSync(join(tmpdir(), 'termu-probe-'));
  try {
    const kernel = join(dir, 'probe.bin');
    execFileSync('nasm', ['-f', 'bin', '-w-zeroing', '-o', kernel, source]);
    const r = spawnSync(
      'qemu-system-i386',
      ['-m', '256', '-kernel', kernel, '-display', 'none', '-debugcon', 'stdio', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
        '-nic', 'none', '-serial', 'null', '-monitor', 'none', '-parallel', 'none'],
      { timeout: 30_000, encoding: 'utf8' },
    );
    assert.equal(r.status, 1, `qemu exit status (isa-debug-exit 0): ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pc machine's chipset from termu's models, wired as QEMU's pc (drive A reported as 2.88 MB). */
function buildMachine() {
  const clock = new TestClock();
  const memory = new PhysicalMemory(1 << 20);
  const p = new Ports();
  const pic = new DualPic();
  pic.attach(p.io);
  let ioapic: IoApic | undefined;
  const lapic = new LocalApic({ memory, clock, pic, onNmi: () => {}, onLevelEoi: (v) => ioapic?.eoi(v) });
  ioapic = new IoApic(memory, (m) => lapic.deliver(m));
  const gsi = (n: number) => new IrqFanout([pic, ioapic!], n);
  const pit = new Pit(clock, gsi(0));
  pit.attach(p.io);
  new SystemPortB(pit.channels[2]).attach(p.io);
  new Rtc(clock, gsi(8), { cmos: { ramBelow4g: 256 << 20, floppyTypes: [FLOPPY_288] } }).attach(p.io);
  const kbc = new I8042({ kbdIrq: gsi(1), auxIrq: gsi(12), onA20: () => {}, onReset: () => {} });
  kbc.attach(p.io);
  new Uart16550(clock, gsi(4), { write: () => {} }, 0x3f8).attach(p.io);
  const host = new PciHost();
  host.add(0, 0, new I440fx());
  const piix3 = new Piix3Isa(pic, () => {});
  host.add(1, 0, piix3);
  host.add(1, 1, new Piix3Ide());
  const acpi = new Piix4Acpi({ io: p.io, clock, sci: gsi(9), onPowerOff: () => {} });
  host.add(1, 3, acpi);
  host.attach(p.io);
  piix3.attach(p.io);
  acpi.attach(p.io);
  new FwCfg(memory).attach(p.io);
  new Port92(() => {}, () => {}).attach(p.io);
  for (const d of [pic, kbc, host, pit]) d.reset();
  return { p, memory, clock };
}

/** The probe kernel's accesses, in the same order, against the models. */
function probeModels(): string {
  const { p, memory, clock } = buildMachine();
  const lines: string[] = [];
  const print = (name: string, v: number) => lines.push(`${name} ${(v >>> 0).toString(16).padStart(8, '0')}`);
  const cmos = (i: number) => (p.outb(0x70, i), p.inb(0x71));
  for (const i of [0x0b, 0x0d, 0x10, 0x14, 0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x38, 0x3d, 0x5b, 0x5c, 0x5d, 0x5f]) {
    print(`cmos 0x${i.toString(16).padStart(2, '0')}`, cmos(i));
  }
  print('rtc regA', cmos(0x0a) & 0x7f);
  const cfg = (dev: number, fn: number, reg: number) => (p.outl(0xcf8, 0x80000000 | (dev << 11) | (fn << 8) | reg), p.inl(0xcfc));
  const cfgWrite = (dev: number, fn: number, reg: number, v: number) => {
    p.outl(0xcf8, 0x80000000 | (dev << 11) | (fn << 8) | reg);
    p.outl(0xcfc, v);
  };
  for (const [dev, fn] of [[0, 0], [1, 0], [1, 1], [1, 3]]) {
    print(`pci ${dev}.${fn} id`, cfg(dev, fn, 0));
    print(`pci ${dev}.${fn} class`, cfg(dev, fn, 8));
    print(`pci ${dev}.${fn} header`, (cfg(dev, fn, 0x0c) >>> 16) & 0xff);
    print(`pci ${dev}.${fn} pin`, (cfg(dev, fn, 0x3c) >>> 8) & 0xff);
  }
  const bar = cfg(1, 1, 0x20);
  cfgWrite(1, 1, 0x20, 0xffffffff);
  print('pci 1.1 bar4 probe', cfg(1, 1, 0x20));
  cfgWrite(1, 1, 0x20, bar);
  print('pci 5.0 id', cfg(5, 0, 0));
  print('lapic version', memory.read32(0xfee00030));
  print('lapic id', memory.read32(0xfee00020));
  memory.write32(0xfec00000, 1);
  print('ioapic version', memory.read32(0xfec00010));
  memory.write32(0xfec00000, 0x10);
  print('ioapic entry0 mask', memory.read32(0xfec00010) & 0x1f000);
  const fwDword = () => [0, 1, 2, 3].reduce((v, i) => v | (p.inb(0x511) << (8 * i)), 0);
  p.outw(0x510, 0);
  print('fwcfg signature', fwDword());
  p.outw(0x510, 1);
  print('fwcfg id', fwDword());
  print('fwcfg dma sig hi', p.inl(0x514));
  print('fwcfg dma sig lo', p.inl(0x518));
  p.outb(0x3f9, 0x0f);
  print('uart ier', p.inb(0x3f9));
  p.outb(0x3f9, 0);
  p.outb(0x3fc, 0x1a);
  print('uart loop msr', p.inb(0x3fe) & 0xf0);
  p.outb(0x3fc, 0);
  p.outb(0x3fa, 0x01);
  print('uart iir fifo', p.inb(0x3fa));
  p.outb(0x3fa, 0x21);
  print('uart iir fifo64', p.inb(0x3fa));
  p.outb(0x3fb, 0x83);
  print('uart reset divisor', p.inb(0x3f8) | (p.inb(0x3f9) << 8));
  p.outb(0x3f8, 0x01);
  print('uart dll', p.inb(0x3f8));
  p.outb(0x3fb, 0x03);
  print('uart lcr', p.inb(0x3fb));
  print('uart lsr', p.inb(0x3fd));
  p.outb(0x3ff, 0x5a);
  print('uart scr', p.inb(0x3ff));
  const kbcRead = () => (p.inb(0x64) & 1 ? p.inb(0x60) : 0xffffffff);
  while (p.inb(0x64) & 1) p.inb(0x60);
  p.outb(0x64, 0xaa);
  print('kbc selftest', kbcRead());
  const read3 = () => (kbcRead() << 16) | (kbcRead() << 8) | kbcRead();
  p.outb(0x64, 0x60);
  p.outb(0x60, 0x44);
  p.outb(0x60, 0xf2);
  print('kbd id xlate', read3());
  p.outb(0x60, 0xf0);
  kbcRead();
  p.outb(0x60, 0x00);
  print('kbd scan set xlate', (kbcRead() << 8) | kbcRead());
  p.outb(0x64, 0x60);
  p.outb(0x60, 0x04);
  p.outb(0x60, 0xf2);
  print('kbd id raw', read3());
  p.outb(0x60, 0xff);
  print('kbd reset', (kbcRead() << 8) | kbcRead());
  p.outb(0x64, 0xd4);
  p.outb(0x60, 0xf2);
  print('mouse id', (kbcRead() << 8) | kbcRead());
  p.outb(0x43, 0xb0);
  p.outb(0x42, 0xff);
  p.outb(0x42, 0xff);
  p.outb(0x43, 0xe8);
  print('pit status', p.inb(0x42));
  // 8259 pair re-initialised; IRQ1 from the keyboard's echo
  for (const [port, v] of [[0x20, 0x11], [0xa0, 0x11], [0x21, 0x20], [0xa1, 0x28], [0x21, 0x04], [0xa1, 0x02], [0x21, 0x01], [0xa1, 0x01], [0x21, 0xfd], [0xa1, 0xff]]) {
    p.outb(port, v);
  }
  while (p.inb(0x64) & 1) p.inb(0x60);
  p.outb(0x64, 0x60);
  p.outb(0x60, 0x45);
  p.outb(0x60, 0xee);
  p.outb(0x20, 0x0a);
  print('pic irr irq1', p.inb(0x20) & 0x02);
  p.outb(0x20, 0x0c);
  print('pic poll', p.inb(0x20));
  p.outb(0x20, 0x0b);
  print('pic isr irq1', p.inb(0x20) & 0x02);
  p.outb(0x20, 0x20);
  p.outb(0x20, 0x20);
  print('pic isr after eoi', p.inb(0x20) & 0x02);
  print('kbd echo', kbcRead());
  for (const port of [0x4d0, 0x4d1]) {
    const saved = p.inb(port);
    p.outb(port, 0xff);
    print(`elcr${port & 1} mask`, p.inb(port));
    p.outb(port, saved);
  }
  p.outb(0x20, 0x0a);
  p.outb(0x3f9, 0x02);
  print('pic irr irq4', p.inb(0x20) & 0x10);
  print('uart iir thre', p.inb(0x3fa));
  print('uart iir after', p.inb(0x3fa));
  p.outb(0x3f9, 0);
  // IOAPIC pin 1 → local APIC; self IPI; TPR/PPR
  memory.write32(0xfee000f0, 0x1ff);
  memory.write32(0xfec00000, 0x12);
  memory.write32(0xfec00010, 0x41);
  memory.write32(0xfec00000, 0x13);
  memory.write32(0xfec00010, 0);
  while (p.inb(0x64) & 1) p.inb(0x60);
  p.outb(0x60, 0xee);
  print('lapic irr 0x41', memory.read32(0xfee00220) & 0x2);
  while (p.inb(0x64) & 1) p.inb(0x60);
  memory.write32(0xfee00300, 0x40051);
  print('lapic irr 0x51', memory.read32(0xfee00220) & 0x20000);
  print('lapic icr', memory.read32(0xfee00300));
  memory.write32(0xfee00080, 0x50);
  print('lapic ppr', memory.read32(0xfee000a0));
  memory.write32(0xfec00000, 0x12);
  memory.write32(0xfec00010, 0x10000);
  // RTC set under SET, then binary 12-hour mode
  const setCmos = (i: number, v: number) => (p.outb(0x70, i), p.outb(0x71, v));
  setCmos(0x0b, 0x82);
  for (const [i, v] of [[0x00, 0x00], [0x02, 0x59], [0x04, 0x23], [0x06, 0x06], [0x07, 0x31], [0x08, 0x12], [0x09, 0x99], [0x32, 0x19]]) setCmos(i, v);
  setCmos(0x0b, 0x02);
  for (const [name, i] of [['hour', 4], ['minute', 2], ['day', 7], ['month', 8], ['year', 9], ['century', 0x32]] as const) print(`rtc ${name}`, cmos(i));
  setCmos(0x0b, 0x04);
  print('rtc hour 12h binary', cmos(4));
  print('rtc year binary', cmos(9));
  setCmos(0x0b, 0x02);
  // PIT channel 2 to terminal count, with virtual time passing while the guest polls
  p.outb(0x61, 0x03);
  p.outb(0x43, 0xb0);
  p.outb(0x42, 0x00);
  p.outb(0x42, 0x01);
  for (let i = 0; i < 10_000 && !(p.inb(0x61) & 0x20); i++) clock.advanceBy(1000);
  print('port61 after tc', p.inb(0x61) & 0x23);
  p.outb(0x43, 0xe8);
  print('pit status after tc', p.inb(0x42));
  // fw_cfg DMA read of the signature
  const desc = 0x8000;
  const buffer = 0x8100;
  const d = Buffer.alloc(16);
  d.writeUInt32BE(0x0000000a, 0);
  d.writeUInt32BE(4, 4);
  d.writeBigUInt64BE(BigInt(buffer), 8);
  memory.writeBytes(desc, d);
  p.outl(0x514, 0);
  p.outl(0x518, Buffer.from(Uint32Array.of(desc).buffer).readUInt32BE(0));
  print('fwcfg dma control', memory.read32(desc));
  print('fwcfg dma data', memory.read32(buffer));
  // COM1 loopback through the FIFO
  p.outb(0x3fb, 0x83);
  p.outb(0x3f8, 0xff);
  p.outb(0x3f9, 0xff);
  p.outb(0x3fb, 0x03);
  p.outb(0x3fa, 0x47);
  p.outb(0x3f9, 0x05);
  p.outb(0x3fc, 0x10);
  for (let c = 3; c > 0; c--) p.outb(0x3f8, c);
  print('uart iir 3 bytes', p.inb(0x3fa));
  p.outb(0x3f8, 0x44);
  print('uart iir 4 bytes', p.inb(0x3fa));
  for (let c = 13; c > 0; c--) p.outb(0x3f8, c);
  print('uart iir overrun', p.inb(0x3fa));
  print('uart lsr overrun', p.inb(0x3fd));
  print('uart iir after lsr', p.inb(0x3fa));
  print('uart first bytes', p.inb(0x3f8) | (p.inb(0x3f8) << 8));
  p.outb(0x3fc, 0);
  p.outb(0x3f9, 0);
  p.outb(0x3fa, 0x07);
  // i8042 port disables and output buffer writes
  while (p.inb(0x64) & 1) p.inb(0x60);
  p.outb(0x64, 0xa7);
  p.outb(0x64, 0x20);
  print('kbc ctr after a7', kbcRead());
  p.outb(0x64, 0xa8);
  p.outb(0x64, 0xd2);
  p.outb(0x60, 0x42);
  print('kbc status d2', p.inb(0x64) & 0x21);
  print('kbc d2 byte', kbcRead());
  p.outb(0x64, 0xd3);
  p.outb(0x60, 0x43);
  print('kbc status d3', p.inb(0x64) & 0x21);
  print('kbc d3 byte', kbcRead());
  p.outb(0x64, 0xd4);
  p.outb(0x60, 0xee);
  kbcRead();
  p.outb(0x64, 0xd4);
  p.outb(0x60, 0x99);
  print('mouse wrap echo', kbcRead());
  p.outb(0x64, 0xd4);
  p.outb(0x60, 0xec);
  print('mouse wrap off', kbcRead());
  // RTC update-ended and periodic flags, polling register C while time passes
  const pollC = (mask: number) => {
    for (let i = 0; i < 100_000; i++) {
      const c = cmos(0x0c);
      if (c & mask) return c;
      clock.advanceBy(100_000);
    }
    return 0;
  };
  cmos(0x0c);
  setCmos(0x0b, 0x12);
  print('rtc c update', pollC(0xff) & 0x90);
  setCmos(0x0b, 0x42);
  setCmos(0x0a, 0x2f);
  cmos(0x0c);
  print('rtc c periodic', pollC(0x40) & 0xc0);
  setCmos(0x0b, 0x02);
  setCmos(0x0a, 0x26);
  p.outb(0x92, 0x02);
  print('port92', p.inb(0x92));
  return lines.join('\n') + '\n';
}

const missing = ['nasm', 'qemu-system-i386'].filter((c) => !available(c));

test('a probe kernel sees the same chipset in qemu-system-i386 and in termu\'s device models', { skip: missing.length ? `needs ${missing.join(', ')}` : false }, () => {
  assert.equal(probeModels(), runQemu());
});
