import test from 'node:test';
import assert from 'node:assert/strict';
import { DualPic } from '../../src/vm/devices/dual-pic.js';
import { Ports } from './fixtures.js';

/** Linux's init_8259A(): vectors 0x30/0x38, cascade on IRQ2, 8086 mode, normal EOI. */
function linuxInit(p: Ports, autoEoi = false): void {
  p.outb(0x21, 0xff);
  p.outb(0xa1, 0xff);
  p.outb(0x20, 0x11);
  p.outb(0x21, 0x30);
  p.outb(0x21, 0x04);
  p.outb(0x21, autoEoi ? 0x03 : 0x01);
  p.outb(0xa0, 0x11);
  p.outb(0xa1, 0x38);
  p.outb(0xa1, 0x02);
  p.outb(0xa1, 0x01);
  p.outb(0x21, 0x00);
  p.outb(0xa1, 0x00);
}

function setup(autoEoi = false) {
  const intr: boolean[] = [];
  const pic = new DualPic((l) => intr.push(l));
  const p = new Ports();
  pic.attach(p.io);
  pic.reset();
  linuxInit(p, autoEoi);
  return { pic, p, intr };
}

test('master IRQ delivers base+irq, ISR holds it until EOI, lower priorities wait', () => {
  const { pic, p, intr } = setup();
  pic.setIrq(3, true);
  assert.equal(pic.hasInterrupt(), true);
  assert.equal(intr.at(-1), true);
  assert.equal(pic.acknowledgeInterrupt(), 0x33);
  assert.equal(pic.hasInterrupt(), false);
  p.outb(0x20, 0x0b); // OCW3: read ISR
  assert.equal(p.inb(0x20), 0x08);
  pic.setIrq(5, true); // lower priority than 3: blocked
  assert.equal(pic.hasInterrupt(), false);
  pic.setIrq(1, true); // higher priority: nests
  assert.equal(pic.acknowledgeInterrupt(), 0x31);
  p.outb(0x20, 0x20); // non-specific EOI clears the highest in service (1)
  assert.equal(p.inb(0x20), 0x08);
  p.outb(0x20, 0x20);
  assert.equal(pic.acknowledgeInterrupt(), 0x35);
  p.outb(0x20, 0x0a); // OCW3: read IRR
  assert.equal(p.inb(0x20), 0x00, 'edge requests leave IRR when acknowledged');
});

test('slave IRQs cascade through IRQ2 and need EOI on both chips', () => {
  const { pic, p } = setup();
  pic.setIrq(12, true);
  assert.equal(pic.acknowledgeInterrupt(), 0x3c);
  p.outb(0x20, 0x0b);
  assert.equal(p.inb(0x20), 0x04, 'master has IRQ2 in service');
  p.outb(0xa0, 0x0b);
  assert.equal(p.inb(0xa0), 0x10, 'slave has IRQ4 (12) in service');
  pic.setIrq(12, false);
  pic.setIrq(12, true);
  assert.equal(pic.hasInterrupt(), false, 'blocked by in-service cascade');
  p.outb(0xa0, 0x20);
  p.outb(0x20, 0x20);
  assert.equal(pic.acknowledgeInterrupt(), 0x3c);
});

test('masked edge and vanished request give spurious IRQ7/IRQ15 without ISR bits', () => {
  const { pic, p } = setup();
  pic.setIrq(4, true);
  assert.equal(pic.hasInterrupt(), true);
  p.outb(0x21, 0x10); // mask IRQ4 between INTR and INTA
  assert.equal(pic.acknowledgeInterrupt(), 0x37);
  p.outb(0x20, 0x0b);
  assert.equal(p.inb(0x20), 0x00);
  p.outb(0x21, 0x00);
});

test('ELCR level-triggered input re-requests after EOI while the line stays high', () => {
  const { pic, p } = setup();
  p.outb(0x4d1, 0xff);
  assert.equal(p.inb(0x4d1), 0xde, 'slave ELCR mask is 0xde');
  p.outb(0x4d0, 0xff);
  assert.equal(p.inb(0x4d0), 0xf8, 'master ELCR mask is 0xf8');
  pic.setIrq(9, true);
  assert.equal(pic.acknowledgeInterrupt(), 0x39);
  p.outb(0xa0, 0x20);
  p.outb(0x20, 0x20);
  assert.equal(pic.hasInterrupt(), true, 'line still high');
  pic.setIrq(9, false);
  p.outb(0xa0, 0x0a);
  assert.equal(p.inb(0xa0), 0x00, 'level request withdrawn from the slave IRR');
  // The master latched the cascade edge, so the INTA finds nothing: spurious IRQ15.
  assert.equal(pic.acknowledgeInterrupt(), 0x3f);
  p.outb(0xa0, 0x0b);
  assert.equal(p.inb(0xa0), 0x00, 'spurious vectors set no ISR bit');
});

test('auto-EOI leaves nothing in service', () => {
  const { pic, p } = setup(true);
  pic.setIrq(0, true);
  assert.equal(pic.acknowledgeInterrupt(), 0x30);
  p.outb(0x20, 0x0b);
  assert.equal(p.inb(0x20), 0);
  pic.setIrq(0, false);
  pic.setIrq(0, true);
  assert.equal(pic.hasInterrupt(), true);
});

test('poll mode returns 0x80|irq and acknowledges; 0 when idle', () => {
  const { pic, p } = setup();
  p.outb(0x20, 0x0c);
  assert.equal(p.inb(0x20), 0x00);
  pic.setIrq(6, true);
  p.outb(0x20, 0x0c);
  assert.equal(p.inb(0x20), 0x86);
  p.outb(0x20, 0x0b);
  assert.equal(p.inb(0x20), 0x40);
  assert.equal(p.inb(0x21), 0x00, 'data port reads IMR');
});

test('special mask mode lets lower priorities through a masked in-service level', () => {
  const { pic, p } = setup();
  pic.setIrq(1, true);
  assert.equal(pic.acknowledgeInterrupt(), 0x31);
  pic.setIrq(5, true);
  assert.equal(pic.hasInterrupt(), false);
  p.outb(0x21, 0x02); // mask IRQ1 (in service)
  p.outb(0x20, 0x68); // OCW3: set special mask
  assert.equal(pic.acknowledgeInterrupt(), 0x35);
  p.outb(0x20, 0x48); // reset special mask
  p.outb(0x20, 0x65); // specific EOI IRQ5
  p.outb(0x20, 0x61); // specific EOI IRQ1
  p.outb(0x20, 0x0b);
  assert.equal(p.inb(0x20), 0);
});

test('rotation: set priority makes IRQ after the named one the highest', () => {
  const { pic, p } = setup();
  p.outb(0x20, 0xc4); // set priority: IRQ4 lowest, so IRQ5 highest
  pic.setIrq(3, true);
  pic.setIrq(6, true);
  assert.equal(pic.acknowledgeInterrupt(), 0x36);
  p.outb(0x20, 0xa0); // rotate on non-specific EOI: IRQ6 becomes lowest
  assert.equal(pic.acknowledgeInterrupt(), 0x33);
});

test('state survives save and load', () => {
  const { pic } = setup();
  pic.setIrq(3, true);
  const other = new DualPic();
  other.loadState(JSON.parse(JSON.stringify(pic.saveState())));
  assert.equal(other.hasInterrupt(), true);
  assert.equal(other.acknowledgeInterrupt(), 0x33);
});
