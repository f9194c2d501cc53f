import test from 'node:test';
import assert from 'node:assert/strict';
import { COM_PORTS, Uart16550 } from '../../src/vm/devices/uart16550.js';
import { Ports, RecordingIrq, TestClock } from './fixtures.js';

const COM1 = 0x3f8;
const RBR = COM1, IER = COM1 + 1, IIR = COM1 + 2, FCR = COM1 + 2, LCR = COM1 + 3, MCR = COM1 + 4, LSR = COM1 + 5, MSR = COM1 + 6, SCR = COM1 + 7;

function setup() {
  const clock = new TestClock();
  const irq = new RecordingIrq();
  const sent: number[] = [];
  let ready = 0;
  const uart = new Uart16550(clock, irq, { write: (b) => sent.push(b), onRxReady: () => ready++ }, COM1);
  const p = new Ports();
  uart.attach(p.io);
  uart.reset();
  return { clock, irq, uart, p, sent, readyCount: () => ready };
}

/** The probe of Linux's 8250 autoconfig(): existence, loopback, FIFO and 16550A-variant tests. */
function linuxAutoconfig(p: Ports): string {
  const ierSave = p.inb(IER);
  p.outb(IER, 0);
  const s2 = p.inb(IER) & 0x0f;
  p.outb(IER, 0x0f);
  const s3 = p.inb(IER) & 0x0f;
  p.outb(IER, ierSave);
  if (s2 !== 0 || s3 !== 0x0f) return 'none';
  const saveMcr = p.inb(MCR);
  const saveLcr = p.inb(LCR);
  p.outb(MCR, 0x10 | 0x08 | 0x02);
  const status = p.inb(MSR) & 0xf0;
  p.outb(MCR, saveMcr);
  if (status !== 0x90) return 'no loopback';
  p.outb(LCR, 0xbf);
  p.outb(COM1 + 2, 0); // EFR on 16650-class parts, FCR here
  p.outb(LCR, 0);
  p.outb(FCR, 0x01);
  const fifoBits = p.inb(IIR) >> 6;
  if (fifoBits !== 3) return ['8250/16450', 'unknown', '16550'][fifoBits];
  p.outb(LCR, 0x80);
  if (p.inb(COM1 + 2) === 0) return 'ST16C650V1';
  p.outb(LCR, 0xbf);
  if (p.inb(COM1 + 2) === 0) return '16650V2';
  p.outb(LCR, 0);
  const mcr1 = p.inb(MCR);
  p.outb(LCR, 0xe0);
  let excr = p.inb(COM1 + 2);
  if (!((excr ^ mcr1) & 0x10)) {
    p.outb(LCR, 0);
    p.outb(MCR, mcr1 ^ 0x10);
    p.outb(LCR, 0xe0);
    excr = p.inb(COM1 + 2);
    p.outb(LCR, 0);
    p.outb(MCR, mcr1);
    if ((excr ^ mcr1) & 0x10) return 'NS16550A';
  }
  p.outb(LCR, 0);
  p.outb(FCR, 0x01 | 0x20);
  const st1 = p.inb(IIR) >> 5;
  p.outb(FCR, 0x01);
  p.outb(LCR, 0x80);
  p.outb(FCR, 0x01 | 0x20);
  const st2 = p.inb(IIR) >> 5;
  p.outb(FCR, 0x01);
  p.outb(LCR, 0);
  if (st1 === 6 && st2 === 7) return 'TI16750';
  const ier = p.inb(IER);
  p.outb(IER, ier & ~0x40);
  if (!(p.inb(IER) & 0x40)) {
    p.outb(IER, ier | 0x40);
    if (p.inb(IER) & 0x40) return 'XScale';
  }
  p.outb(IER, ier);
  p.outb(LCR, saveLcr);
  return '16550A';
}

test("Linux's 8250 autoconfig identifies a 16550A", () => {
  const { p } = setup();
  assert.equal(linuxAutoconfig(p), '16550A');
});

test("serial8250_do_startup's THRE re-assertion test passes (no UART_BUG_THRE)", () => {
  const { p, irq } = setup();
  p.outb(IER, 0x02);
  const lsr = p.inb(LSR);
  const iir = p.inb(IIR);
  p.outb(IER, 0);
  p.outb(IER, 0x02);
  const iir1 = p.inb(IIR);
  p.outb(IER, 0);
  assert.equal(lsr & 0x40, 0x40, 'TEMT');
  assert.equal(iir & 0x01, 0, 'THRE interrupt raised on enabling THRI');
  assert.equal(iir1 & 0x01, 0, 'and raised again after re-enabling');
  assert.equal(irq.level, false);
});

test('divisor latch, LCR, scratch and COM port table', () => {
  const { p } = setup();
  p.outb(LCR, 0x83);
  p.outb(COM1, 0x01);
  p.outb(COM1 + 1, 0x00);
  assert.equal(p.inb(COM1), 0x01);
  assert.equal(p.inb(COM1 + 1), 0x00);
  p.outb(LCR, 0x03);
  assert.equal(p.inb(LCR), 0x03);
  p.outb(SCR, 0xa5);
  assert.equal(p.inb(SCR), 0xa5);
  assert.deepEqual(COM_PORTS.map((c) => [c.base, c.irq]), [[0x3f8, 4], [0x2f8, 3], [0x3e8, 4], [0x2e8, 3]]);
});

test('transmit goes to the backend and raises THRE; IIR read acknowledges it', () => {
  const { p, irq, sent } = setup();
  p.outb(IER, 0x02);
  assert.equal(irq.level, true);
  p.outb(COM1, 0x41);
  p.outb(COM1, 0x42);
  assert.deepEqual(sent, [0x41, 0x42]);
  assert.equal(p.inb(LSR) & 0x60, 0x60);
  assert.equal(p.inb(IIR), 0x02);
  assert.equal(irq.level, false);
  assert.equal(p.inb(IIR), 0x01);
});

test('loopback: transmitted bytes come back, nothing reaches the backend, outputs drive MSR', () => {
  const { p, sent } = setup();
  p.outb(MCR, 0x10);
  p.outb(COM1, 0x5a);
  assert.deepEqual(sent, []);
  assert.equal(p.inb(LSR) & 0x01, 0x01);
  assert.equal(p.inb(RBR), 0x5a);
  p.inb(MSR);
  p.outb(MCR, 0x10 | 0x01); // DTR → DSR
  assert.equal(p.inb(MSR), 0x20 | 0x02, 'DSR with its delta');
  assert.equal(p.inb(MSR), 0x20, 'deltas clear on read');
  p.outb(MCR, 0x10 | 0x04); // OUT1 → RI, DTR off
  assert.equal(p.inb(MSR), 0x40 | 0x02);
  p.outb(MCR, 0x10);
  assert.equal(p.inb(MSR), 0x04, 'trailing edge of RI');
  p.outb(IER, 0x08);
  p.outb(MCR, 0x10 | 0x08);
  assert.equal(p.inb(IIR), 0x00, 'modem status interrupt');
  p.inb(MSR);
  assert.equal(p.inb(IIR), 0x01);
  p.outb(MCR, 0x00);
  assert.equal(p.inb(MSR) & 0xf0, 0xb0, 'backend lines again: DCD, DSR, CTS');
});

test('FIFO trigger level 8: receive takes up to the trigger, RDA at the trigger, timeout below it', () => {
  const { clock, p, irq, uart, readyCount } = setup();
  p.outb(LCR, 0x83);
  p.outb(COM1, 1); // divisor 1: 115200 baud
  p.outb(LCR, 0x03);
  p.outb(FCR, 0x87); // enable, clear, trigger 8
  p.outb(IER, 0x01);
  const data = Uint8Array.from({ length: 20 }, (_, i) => 0x30 + i);
  assert.equal(uart.receive(data), 8);
  assert.equal(p.inb(IIR), 0xc4);
  assert.equal(irq.level, true);
  for (let i = 0; i < 5; i++) assert.equal(p.inb(RBR), 0x30 + i);
  assert.ok(readyCount() > 0, 'backend told there is room');
  assert.equal(p.inb(IIR), 0xc1, 'below the trigger: no interrupt yet');
  // Four character times at 115200 8N1 (10 bits each): 347.2 µs.
  clock.advanceBy(347_000);
  assert.equal(p.inb(IIR), 0xc1);
  clock.advanceBy(500);
  assert.equal(p.inb(IIR), 0xcc, 'character timeout');
  assert.equal(p.inb(RBR), 0x35);
  assert.equal(p.inb(IIR), 0xc1, 'reading clears the timeout');
  p.outb(FCR, 0x07);
  assert.equal(p.inb(LSR) & 0x01, 0, 'FIFO cleared');
});

test('a 100 KB input burst arrives complete and in order through flow control', () => {
  const { clock, p, uart } = setup();
  p.outb(FCR, 0xc7); // trigger 14
  p.outb(IER, 0x01);
  const input = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  let offset = 0;
  const got: number[] = [];
  let overruns = 0;
  while (got.length < input.length) {
    offset += uart.receive(input.subarray(offset));
    clock.advanceBy(50_000);
    // The guest's interrupt handler: drain while DR is set.
    let lsr = p.inb(LSR);
    while (lsr & 0x01) {
      if (lsr & 0x02) overruns++;
      got.push(p.inb(RBR));
      lsr = p.inb(LSR);
    }
  }
  assert.equal(overruns, 0);
  assert.deepEqual(Uint8Array.from(got), input);
});

test('non-FIFO mode holds one byte; a second without a read is an overrun (line status interrupt first)', () => {
  const { p, uart } = setup();
  p.outb(IER, 0x07);
  p.inb(IIR); // acknowledge THRE
  assert.equal(uart.receive(Uint8Array.of(1, 2)), 1, 'flow control refuses the second byte');
  assert.equal(p.inb(IIR), 0x04);
  uart.receiveBreak();
  assert.equal(p.inb(IIR), 0x06, 'line status has the highest priority');
  const lsr = p.inb(LSR);
  assert.equal(lsr & 0x13, 0x13, 'DR, OE and BI');
  assert.equal(p.inb(IIR), 0x04, 'LSR read clears the error; data remains');
  assert.equal(p.inb(RBR), 0);
});

test('state survives save and load', () => {
  const { clock, p, uart } = setup();
  p.outb(FCR, 0x01);
  p.outb(SCR, 0x77);
  uart.receive(Uint8Array.of(9));
  const other = new Uart16550(clock, new RecordingIrq(), { write: () => {} }, COM1);
  other.loadState(JSON.parse(JSON.stringify(uart.saveState())));
  const q = new Ports();
  other.attach(q.io);
  assert.equal(q.inb(SCR), 0x77);
  assert.equal(q.inb(RBR), 9);
});

test('backend modem lines: DCD drop gives a delta and a modem status interrupt', () => {
  const { p, uart, irq } = setup();
  p.outb(IER, 0x08);
  assert.equal(p.inb(MSR), 0xb0, 'DCD, DSR and CTS at reset, as QEMU');
  uart.setModemInputs({ dcd: false });
  assert.equal(irq.level, true);
  assert.equal(p.inb(IIR), 0x00);
  assert.equal(p.inb(MSR), 0x30 | 0x08, 'DDCD');
  assert.equal(irq.level, false);
  uart.setModemInputs({ ri: true });
  uart.setModemInputs({ ri: false });
  assert.equal(p.inb(MSR) & 0x4f, 0x04, 'TERI on the trailing edge of RI');
});
