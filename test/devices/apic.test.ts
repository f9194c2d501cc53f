import test from 'node:test';
import assert from 'node:assert/strict';
import { LocalApic } from '../../src/vm/devices/apic/local-apic.js';
import { IoApic } from '../../src/vm/devices/apic/ioapic.js';
import { DualPic } from '../../src/vm/devices/dual-pic.js';
import { PhysicalMemory } from '../../src/vm/machine/physical-memory.js';
import { Ports, TestClock } from './fixtures.js';

const APIC = 0xfee00000;
const IOAPIC = 0xfec00000;

function setup() {
  const clock = new TestClock();
  const memory = new PhysicalMemory(1 << 20);
  const pic = new DualPic();
  const p = new Ports();
  pic.attach(p.io);
  pic.reset();
  let nmis = 0;
  const eois: number[] = [];
  let ioapic: IoApic | undefined;
  const lapic = new LocalApic({
    memory,
    clock,
    pic,
    onNmi: () => nmis++,
    onLevelEoi: (v) => {
      eois.push(v);
      ioapic!.eoi(v);
    },
  });
  ioapic = new IoApic(memory, (m) => lapic.deliver(m));
  const rd = (reg: number) => memory.read32(APIC + reg);
  const wr = (reg: number, v: number) => memory.write32(APIC + reg, v);
  const ioWrite = (reg: number, v: number) => {
    memory.write32(IOAPIC, reg);
    memory.write32(IOAPIC + 0x10, v);
  };
  const ioRead = (reg: number) => {
    memory.write32(IOAPIC, reg);
    return memory.read32(IOAPIC + 0x10);
  };
  return { clock, memory, pic, p, lapic, ioapic, rd, wr, ioWrite, ioRead, eois, nmis: () => nmis };
}

function linuxPicInit(p: Ports): void {
  for (const [port, v] of [[0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, 0x01], [0xa0, 0x11], [0xa1, 0x38], [0xa1, 0x02], [0xa1, 0x01], [0x21, 0], [0xa1, 0]]) p.outb(port, v);
}

test('reset state as QEMU: version 0x50014, SVR 0xff, LINT0 ExtINT; the PIC reaches the CPU through LINT0', () => {
  const { lapic, pic, p, rd, wr } = setup();
  assert.equal(rd(0x30), 0x00050014);
  assert.equal(rd(0x20), 0);
  assert.equal(rd(0xf0), 0xff);
  assert.equal(rd(0x350), 0x700);
  assert.equal(rd(0x360), 0x10000);
  assert.equal(rd(0xe0), 0xffffffff);
  assert.equal(lapic.readBaseMsr(), 0xfee00900n);
  linuxPicInit(p);
  pic.setIrq(1, true);
  assert.equal(lapic.hasInterrupt(), true);
  assert.equal(lapic.acknowledgeInterrupt(), 0x31);
  wr(0x350, 0x10700); // mask LINT0: PIC cut off
  pic.setIrq(3, true);
  assert.equal(lapic.hasInterrupt(), false);
  pic.setIrq(1, false);
  p.outb(0x20, 0x20); // EOI IRQ1 at the PIC
  lapic.writeBaseMsr(0xfee00100n); // hardware disable: PIC goes straight to the CPU
  assert.equal(lapic.hasInterrupt(), true);
});

test('IOAPIC edge pin → LAPIC IRR → INTA puts it in ISR → EOI; input 0 is pin 2', () => {
  const { ioapic, lapic, rd, wr, ioWrite, ioRead } = setup();
  assert.equal(ioRead(0x01), 0x00170020, '24 pins, version 0x20');
  assert.equal(ioRead(0x10), 0x10000, 'masked at reset');
  wr(0xf0, 0x1ff);
  ioWrite(0x10 + 2 * 4, 0x24); // pin 4: vector 0x24, fixed, physical, edge
  ioWrite(0x11 + 2 * 4, 0x00000000);
  ioapic.setIrq(4, true);
  assert.equal(lapic.hasInterrupt(), true);
  assert.equal(rd(0x200 + 0x10), 1 << 4, 'IRR bit 0x24');
  assert.equal(lapic.acknowledgeInterrupt(), 0x24);
  assert.equal(rd(0x100 + 0x10), 1 << 4, 'ISR bit 0x24');
  assert.equal(lapic.hasInterrupt(), false);
  ioapic.setIrq(4, true);
  assert.equal(lapic.hasInterrupt(), false, 'no new edge while the line stays high');
  wr(0xb0, 0);
  assert.equal(rd(0x100 + 0x10), 0);
  ioWrite(0x10 + 2 * 2, 0x30);
  ioapic.setIrq(0, true); // the PIT's line
  assert.equal(lapic.acknowledgeInterrupt(), 0x30);
});

test('level pin: Remote IRR holds further deliveries until the EOI broadcast', () => {
  const { ioapic, lapic, wr, ioWrite, ioRead, eois } = setup();
  wr(0xf0, 0x1ff);
  ioWrite(0x10 + 2 * 9, 0x8000 | 0x39); // level, vector 0x39
  ioapic.setIrq(9, true);
  assert.equal(ioRead(0x10 + 2 * 9) & 0x4000, 0x4000, 'Remote IRR set');
  assert.equal(lapic.acknowledgeInterrupt(), 0x39);
  assert.equal(lapic.hasInterrupt(), false);
  wr(0xb0, 0);
  assert.deepEqual(eois, [0x39]);
  assert.equal(lapic.hasInterrupt(), true, 'line still high: delivered again');
  assert.equal(lapic.acknowledgeInterrupt(), 0x39);
  ioapic.setIrq(9, false);
  wr(0xb0, 0);
  assert.equal(ioRead(0x10 + 2 * 9) & 0x4000, 0);
  assert.equal(lapic.hasInterrupt(), false);
});

test('TPR and PPR: vectors of a class not above the processor priority wait', () => {
  const { lapic, rd, wr } = setup();
  wr(0xf0, 0x1ff);
  wr(0x80, 0x40);
  lapic.deliver({ vector: 0x45, deliveryMode: 0, logical: false, destination: 0, levelTriggered: false });
  assert.equal(lapic.hasInterrupt(), false);
  assert.equal(rd(0xa0), 0x40);
  lapic.deliver({ vector: 0x61, deliveryMode: 0, logical: false, destination: 0, levelTriggered: false });
  assert.equal(lapic.acknowledgeInterrupt(), 0x61);
  assert.equal(rd(0xa0), 0x60, 'PPR follows the in-service class');
  wr(0x80, 0);
  wr(0xb0, 0);
  assert.equal(lapic.acknowledgeInterrupt(), 0x45);
  lapic.deliver({ vector: 0x50, deliveryMode: 0, logical: false, destination: 3, levelTriggered: false });
  assert.equal(rd(0x220), 0, 'another physical destination is ignored');
  wr(0xd0, 0x01000000); // LDR: logical ID 1, flat model
  lapic.deliver({ vector: 0x50, deliveryMode: 0, logical: true, destination: 0x01, levelTriggered: false });
  assert.equal(rd(0x220), 1 << 16, 'IRR word 2 bit 16 is vector 0x50');
});

test("Linux's calibrate_APIC_clock pattern: divide by 16, count down from 0xffffffff at 1 GHz / 16", () => {
  const { clock, rd, wr } = setup();
  wr(0xf0, 0x1ff);
  wr(0x3e0, 0x3); // divide by 16
  wr(0x320, 0x10000 | 0x20000 | 0xec); // masked, periodic, vector 0xec
  wr(0x380, 0xffffffff);
  clock.advanceTo(100e6); // 100 ms
  assert.equal(rd(0x390), 0xffffffff - 100e6 / 16);
  wr(0x3e0, 0xb); // divide by 1
  assert.equal(rd(0x3e0), 0xb);
});

test('timer: one-shot fires once at (count+1) ticks; periodic repeats; masked LVT sets nothing', () => {
  const { clock, lapic, rd, wr } = setup();
  wr(0xf0, 0x1ff);
  wr(0x3e0, 0xb); // divide by 1: 1 ns per tick
  wr(0x320, 0xef);
  wr(0x380, 999);
  clock.advanceTo(999);
  assert.equal(lapic.hasInterrupt(), false);
  clock.advanceTo(1000);
  assert.equal(lapic.acknowledgeInterrupt(), 0xef);
  wr(0xb0, 0);
  assert.equal(rd(0x390), 0);
  clock.advanceTo(5000);
  assert.equal(lapic.hasInterrupt(), false, 'one-shot does not repeat');
  wr(0x320, 0x20000 | 0xef);
  wr(0x380, 99); // period 100 ns
  let count = 0;
  for (let t = 5010; t <= 6000; t += 10) {
    clock.advanceTo(t);
    if (lapic.hasInterrupt()) {
      lapic.acknowledgeInterrupt();
      wr(0xb0, 0);
      count++;
    }
  }
  assert.equal(count, 10);
  wr(0x320, 0x30000 | 0xef);
  clock.advanceTo(7000);
  assert.equal(lapic.hasInterrupt(), false);
});

test('self IPI through the ICR, NMI delivery, illegal vector recorded in ESR', () => {
  const { lapic, rd, wr, nmis } = setup();
  wr(0xf0, 0x1ff);
  wr(0x300, 0x40000 | 0x55); // shorthand self, fixed, vector 0x55
  assert.equal(rd(0x300) & 0x1000, 0, 'delivery status idle');
  assert.equal(lapic.acknowledgeInterrupt(), 0x55);
  wr(0x310, 0x00000000);
  wr(0x300, 0x400); // NMI to APIC ID 0
  assert.equal(nmis(), 1);
  wr(0x300, 0x40000 | 0x05); // illegal vector
  wr(0x280, 0);
  assert.equal(rd(0x280), 0x20, 'send illegal vector');
  wr(0x360, 0x400); // LINT1: NMI, unmasked
  lapic.setLint1(true);
  assert.equal(nmis(), 2);
});

test('IA32_APIC_BASE relocates the register page', () => {
  const { memory, lapic } = setup();
  lapic.writeBaseMsr(0xfed00900n);
  assert.equal(memory.read32(0xfed00030), 0x00050014);
  assert.equal(memory.read32(APIC + 0x30), 0xffffffff, 'old page unmapped');
  assert.equal(lapic.readBaseMsr(), 0xfed00900n);
  lapic.writeBaseMsr(0xfee00800n);
  assert.equal(lapic.readBaseMsr(), 0xfee00900n, 'BSP is read-only');
  lapic.writeBaseMsr(0xfee00000n);
  lapic.writeBaseMsr(0xfee00800n);
  assert.equal(lapic.readBaseMsr(), 0xfee00100n, 'disabled until reset');
  lapic.reset();
  assert.equal(lapic.readBaseMsr(), 0xfee00900n);
});

test('state survives save and load', () => {
  const { lapic, ioapic, wr, ioWrite, clock } = setup();
  wr(0xf0, 0x1ff);
  wr(0x80, 0x10);
  ioWrite(0x10 + 2 * 5, 0x25);
  const memory = new PhysicalMemory(1 << 20);
  const other = new LocalApic({ memory, clock, pic: new DualPic(), onNmi: () => {}, onLevelEoi: () => {} });
  other.loadState(JSON.parse(JSON.stringify(lapic.saveState())));
  assert.equal(memory.read32(APIC + 0x80), 0x10);
  assert.equal(memory.read32(APIC + 0xf0), 0x1ff);
  const otherIo = new IoApic(memory, (m) => other.deliver(m));
  otherIo.loadState(JSON.parse(JSON.stringify(ioapic.saveState())));
  otherIo.setIrq(5, true);
  assert.equal(other.acknowledgeInterrupt(), 0x25);
});
