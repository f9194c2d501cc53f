import test from 'node:test';
import assert from 'node:assert/strict';
import { PciHost } from '../../src/vm/devices/pci/pci-host.js';
import { I440fx } from '../../src/vm/devices/pci/i440fx.js';
import { Piix3Isa, slotPirq } from '../../src/vm/devices/pci/piix3-isa.js';
import { Piix3Ide } from '../../src/vm/devices/pci/piix3-ide.js';
import { Piix4Acpi, PM_TIMER_HZ } from '../../src/vm/devices/pci/piix4-acpi.js';
import { nsForTicks } from '../../src/vm/devices/tick-math.js';
import { PciDevice, ROM_BAR } from '../../src/vm/devices/pci/pci-device.js';
import { Ports, RecordingIrq, RecordingSink, TestClock } from './fixtures.js';

function setup() {
  const clock = new TestClock();
  const p = new Ports();
  const isa = new RecordingSink();
  const sci = new RecordingIrq();
  const pam: [number, number][] = [];
  const smram: number[] = [];
  let resets = 0;
  let powerOffs = 0;
  const host = new PciHost();
  const i440fx = new I440fx({ onPam: (i, v) => pam.push([i, v]), onSmram: (v) => smram.push(v) });
  const piix3 = new Piix3Isa(isa, () => resets++);
  const ide = new Piix3Ide();
  const acpi = new Piix4Acpi({ io: p.io, clock, sci, onPowerOff: () => powerOffs++ });
  host.add(0, 0, i440fx);
  host.add(1, 0, piix3);
  host.add(1, 1, ide);
  host.add(1, 3, acpi);
  host.attach(p.io);
  piix3.attach(p.io);
  acpi.attach(p.io);
  host.reset();
  const cfgRead = (dev: number, fn: number, reg: number) => {
    p.outl(0xcf8, 0x80000000 | (dev << 11) | (fn << 8) | (reg & 0xfc));
    return p.inl(0xcfc);
  };
  const cfgWrite = (dev: number, fn: number, reg: number, v: number) => {
    p.outl(0xcf8, 0x80000000 | (dev << 11) | (fn << 8) | (reg & 0xfc));
    p.outl(0xcfc, v);
  };
  return { clock, p, isa, sci, pam, smram, host, piix3, ide, acpi, i440fx, cfgRead, cfgWrite, resets: () => resets, powerOffs: () => powerOffs };
}

test("Linux's pci_check_type1 and a bus 0 scan find the pc machine's functions", () => {
  const { p, cfgRead } = setup();
  p.outb(0xcfb, 0x01);
  const saved = p.inl(0xcf8);
  p.outl(0xcf8, 0x80000000);
  assert.equal(p.inl(0xcf8), 0x80000000, 'address register reads back');
  p.outl(0xcf8, saved);
  const found: string[] = [];
  for (let dev = 0; dev < 32; dev++) {
    for (let fn = 0; fn < 8; fn++) {
      const id = cfgRead(dev, fn, 0);
      if (id === 0xffffffff) {
        if (fn === 0) break;
        continue;
      }
      const cls = cfgRead(dev, fn, 8);
      const header = (cfgRead(dev, fn, 0x0c) >> 16) & 0xff;
      found.push(`${dev}.${fn} ${(id & 0xffff).toString(16)}:${(id >>> 16).toString(16)} ${(cls >>> 8).toString(16).padStart(6, '0')} r${cls & 0xff} h${header.toString(16)}`);
      if (fn === 0 && (header & 0x80) === 0) break;
    }
  }
  assert.deepEqual(found, [
    '0.0 8086:1237 060000 r2 h0',
    '1.0 8086:7000 060100 r0 h80',
    '1.1 8086:7010 010180 r0 h0',
    '1.3 8086:7113 068000 r3 h0',
  ]);
  p.outl(0xcf8, 0x80010000); // bus 1: nothing there
  assert.equal(p.inl(0xcfc), 0xffffffff);
});

test('sub-dword config accesses through 0xcfc-0xcff', () => {
  const { p } = setup();
  p.outl(0xcf8, 0x80000000 | (1 << 11) | 0x3c);
  p.outb(0xcfc, 0x0b);
  assert.equal(p.inb(0xcfc), 0x0b);
  p.outl(0xcf8, 0x80000000 | (1 << 11));
  assert.equal(p.inw(0xcfe), 0x7000);
  assert.equal(p.inb(0xcfd), 0x80);
});

test('BAR size probing and decoding on the IDE bus-master BAR4', () => {
  const { ide, cfgRead, cfgWrite } = setup();
  cfgWrite(1, 1, 0x20, 0xffffffff);
  assert.equal(cfgRead(1, 1, 0x20), 0xfffffff1, '16 bytes of I/O');
  assert.equal(ide.barAddress[4], -1, 'not decoded while probing');
  cfgWrite(1, 1, 0x20, 0xc041);
  assert.equal(cfgRead(1, 1, 0x20), 0xc041);
  assert.equal(ide.barAddress[4], -1, 'I/O decode is off');
  cfgWrite(1, 1, 0x04, 0x0001);
  assert.equal(ide.barAddress[4], 0xc040);
  assert.equal(cfgRead(1, 1, 0x10), 0, 'legacy-mode BAR0 is not implemented');
  cfgWrite(1, 1, 0x06 & ~3, 0xffff0005);
  assert.equal(cfgRead(1, 1, 0x04) >>> 16, 0x0280, 'status bits (QEMU: fast back-to-back, DEVSEL medium) are not writable, error bits clear on 1');
});

test('PIRQ routing: slots swizzle onto PIRQA-D, routes pick ISA IRQs, sharing ORs levels', () => {
  const { piix3, isa, cfgWrite, cfgRead } = setup();
  assert.equal(cfgRead(1, 0, 0x60), 0x80808080, 'all routes disabled at reset');
  assert.equal(slotPirq(3, 1), 2, 'slot 3 INTA# is PIRQC (e1000 at 00:03.0)');
  assert.equal(slotPirq(1, 1), 0);
  assert.equal(slotPirq(2, 4), 0);
  const a = piix3.pirqLine(slotPirq(3, 1));
  const b = piix3.pirqLine(slotPirq(4, 4));
  a.set(true);
  assert.equal(isa.levels.size, 0, 'no route, no IRQ');
  cfgWrite(1, 0, 0x60, 0x0b0b0a0a); // SeaBIOS: PIRQA/B → 10, PIRQC/D → 11
  assert.equal(isa.levels.get(11), true);
  b.set(true);
  a.set(false);
  assert.equal(isa.levels.get(11), true, 'still asserted by the other device');
  b.set(false);
  assert.equal(isa.levels.get(11), false);
  a.set(true);
  cfgWrite(1, 0, 0x60, 0x0b8b0a0a); // disable PIRQC
  assert.equal(isa.levels.get(11), false);
});

test('reset control register at 0xcf9', () => {
  const { p, resets } = setup();
  p.outb(0xcf9, 0x02);
  assert.equal(p.inb(0xcf9), 0x02);
  assert.equal(resets(), 0);
  p.outb(0xcf9, 0x06);
  assert.equal(resets(), 1);
});

test('i440FX PAM and SMRAM registers reach the board; D_LCK locks SMRAM', () => {
  const { pam, smram, cfgRead, cfgWrite } = setup();
  assert.equal(cfgRead(0, 0, 0x70) >>> 16 & 0xff, 0x02, 'SMRAM reset value');
  pam.length = 0;
  cfgWrite(0, 0, 0x58, 0x00003000); // PAM0 at 0x59: BIOS area read/write to RAM
  cfgWrite(0, 0, 0x5c, 0x33333333);
  assert.deepEqual(pam, [[0, 0x30], [3, 0x33], [4, 0x33], [5, 0x33], [6, 0x33]]);
  cfgWrite(0, 0, 0x70, 0x4a << 16);
  assert.equal(smram.at(-1), 0x4a);
  cfgWrite(0, 0, 0x70, 0x1a << 16);
  assert.equal(smram.at(-1), 0x1a);
  cfgWrite(0, 0, 0x70, 0x4a << 16);
  assert.equal((cfgRead(0, 0, 0x70) >>> 16) & 0xff, 0x1a, 'locked');
});

test('PIIX4 PM block: timer at 3.579545 MHz, 24 bits; ACPI enable through 0xb2', () => {
  const { clock, p, acpi, cfgWrite, cfgRead } = setup();
  assert.equal(cfgRead(1, 3, 0x40), 0x00000001, 'PMBA: I/O space, unassigned');
  assert.equal(p.inl(0x608), 0xffffffff, 'nothing decoded before firmware enables it');
  cfgWrite(1, 3, 0x40, 0x601); // what SeaBIOS does
  cfgWrite(1, 3, 0x80, 0x01);
  assert.equal(acpi.pmIoBase, 0x600);
  clock.advanceTo(1e9);
  assert.equal(p.inl(0x608), PM_TIMER_HZ);
  clock.advanceTo(nsForTicks(2 ** 24 + 5, PM_TIMER_HZ));
  assert.equal(p.inl(0x608), 5, 'wraps at 24 bits');
  assert.equal(p.inw(0x604) & 1, 0, 'SCI_EN clear');
  p.outb(0xb2, 0xf1);
  assert.equal(p.inw(0x604) & 1, 1, 'ACPI_ENABLE sets SCI_EN');
  p.outb(0xb2, 0xf0);
  assert.equal(p.inw(0x604) & 1, 0);
  cfgWrite(1, 3, 0x80, 0x00);
  assert.equal(p.inl(0x608), 0xffffffff, 'PMIOSE off unmaps the block');
});

test('power button raises SCI when enabled; status is write-1-to-clear', () => {
  const { p, sci, acpi } = setup();
  acpi.enablePmBlock();
  acpi.pressPowerButton();
  assert.equal(p.inw(0x600) & 0x100, 0, 'ignored while PWRBTN_EN is clear (as QEMU)');
  p.outw(0x602, 0x0100);
  acpi.pressPowerButton();
  assert.equal(p.inw(0x600) & 0x100, 0x100);
  assert.equal(sci.level, true);
  p.outw(0x600, 0x0100);
  assert.equal(sci.level, false);
  assert.equal(p.inw(0x600) & 0x100, 0);
});

test('TMR_STS at each bit-23 toggle, SCI with TMR_EN; GPE0 at 0xafe0', () => {
  const { clock, p, sci, acpi } = setup();
  acpi.enablePmBlock();
  p.outw(0x602, 0x0001);
  clock.advanceTo(nsForTicks(2 ** 23, PM_TIMER_HZ) - 1);
  assert.equal(sci.level, false);
  clock.advanceTo(nsForTicks(2 ** 23, PM_TIMER_HZ));
  assert.equal(sci.level, true);
  p.outw(0x600, 0x0001);
  assert.equal(sci.level, false);
  acpi.raiseGpe(1);
  assert.equal(sci.level, false);
  p.outw(0xafe2, 0x0002);
  assert.equal(sci.level, true);
  assert.equal(p.inw(0xafe0), 0x0002);
  p.outw(0xafe0, 0x0002);
  assert.equal(sci.level, false);
});

test('S5 (SLP_TYP 0 + SLP_EN) powers off; S3 does not', () => {
  const { p, acpi, powerOffs } = setup();
  acpi.enablePmBlock();
  p.outw(0x604, (1 << 10) | 0x2000);
  assert.equal(powerOffs(), 0);
  p.outw(0x604, 0x2000 | 1);
  assert.equal(powerOffs(), 1);
  assert.equal(p.inw(0x604) & 0x2000, 0, 'SLP_EN reads as 0');
});

test('state survives save and load', () => {
  const { clock, p, acpi, cfgWrite } = setup();
  acpi.enablePmBlock();
  p.outw(0x602, 0x0120);
  cfgWrite(1, 3, 0x3c, 9);
  const q = new Ports();
  const other = new Piix4Acpi({ io: q.io, clock, sci: new RecordingIrq(), onPowerOff: () => {} });
  other.loadState(JSON.parse(JSON.stringify(acpi.saveState())));
  assert.equal(q.inw(0x602), 0x0120);
  assert.equal(other.configRead(0x3c, 1), 9);
});

test('expansion ROM BAR: size probe, decoded only with memory decode and its enable bit', () => {
  const moves: [number, number][] = [];
  class RomDevice extends PciDevice {
    constructor() {
      super({ vendorId: 0x1234, deviceId: 0x1111, classCode: 0x030000 });
      this.defineBar(0, { size: 16 << 20, io: false, prefetchable: true });
      this.defineRom(64 << 10);
    }
    protected override barMapped(index: number, address: number): void {
      moves.push([index, address]);
    }
  }
  const host = new PciHost();
  const p = new Ports();
  host.attach(p.io);
  host.add(2, 0, new RomDevice());
  host.reset();
  const cfg = (reg: number, v?: number) => {
    p.outl(0xcf8, 0x80000000 | (2 << 11) | reg);
    if (v === undefined) return p.inl(0xcfc);
    p.outl(0xcfc, v);
    return 0;
  };
  cfg(0x10, 0xffffffff);
  assert.equal(cfg(0x10), 0xff000008, '16 MiB prefetchable memory');
  cfg(0x30, 0xfffff800);
  assert.equal(cfg(0x30), 0xffff0000, '64 KiB ROM, enable bit clear');
  cfg(0x10, 0xfd000000);
  cfg(0x30, 0xfebf0000);
  cfg(0x04, 0x0002);
  assert.deepEqual(moves, [[0, 0xfd000000]], 'ROM not decoded until enabled');
  cfg(0x30, 0xfebf0001);
  assert.deepEqual(moves.at(-1), [ROM_BAR, 0xfebf0000]);
  cfg(0x04, 0x0000);
  assert.deepEqual(moves.slice(-2), [[0, -1], [ROM_BAR, -1]]);
});
