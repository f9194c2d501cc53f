// A National Semiconductor 16550A UART as on the PC's COM ports: 16-byte receive FIFO
// with trigger levels 1/4/8/14 and the character-timeout interrupt (four character
// times), the interrupt sources in their priority order (line status, received data
// or timeout, THR empty, modem status), divisor latch, modem control/status with
// loopback, scratch register and break. Transmission is instant, as in QEMU's
// hw/char/serial.c: THRE and TEMT are set again as soon as the byte is handed to the
// backend. Input has flow control: the backend offers bytes with receive(), which takes
// only what the FIFO has room for, and is told through `onRxReady` when to offer more,
// so a fast input stream never loses bytes. QEMU's serial.c is the reference for what
// the guest observes (IER masks to 4 bits, IIR bits 7-6 set with FIFOs on, MSR
// reset to DCD|DSR|CTS, no OUT2 gating of the interrupt).

import type { Clock, Timer } from '../machine/clock.js';
import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';
import type { IrqLine } from '../machine/irq.js';

export interface SerialBackend {
  /** A byte the guest transmitted. */
  write(byte: number): void;
  /** The UART has room for input again (the guest read or cleared its FIFO). */
  onRxReady?(): void;
}

/** The PC's COM1-COM4 port bases and IRQs (QEMU's isa-serial defaults). */
export const COM_PORTS: readonly { base: number; irq: number }[] = [
  { base: 0x3f8, irq: 4 },
  { base: 0x2f8, irq: 3 },
  { base: 0x3e8, irq: 4 },
  { base: 0x2e8, irq: 3 },
];

const FIFO_SIZE = 16;
const BASE_CLOCK_BAUD = 115200;

const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const IER_MSI = 0x08;

const IIR_NONE = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_CTI = 0x0c;
const IIR_FIFOS = 0xc0;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_INT_ANY = 0x1e;

const MCR_LOOP = 0x10;
const MSR_DCD = 0x80;
const MSR_RI = 0x40;
const MSR_DSR = 0x20;
const MSR_CTS = 0x10;
const MSR_DELTAS = 0x0f;
const MSR_TERI = 0x04;

const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const TRIGGER_LEVELS = [1, 4, 8, 14];

export class Uart16550 implements PortHandler {
  private readonly rxFifo = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private divisor = 12;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = LSR_THRE | LSR_TEMT;
  private msr = MSR_DCD | MSR_DSR | MSR_CTS;
  private scr = 0;
  private fcr = 0;
  private thrPending = false;
  private timeoutPending = false;
  /** Modem input lines as the backend drives them (used outside loopback). */
  private lineInputs = MSR_DCD | MSR_DSR | MSR_CTS;
  private readonly timeoutTimer: Timer;

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqLine,
    private readonly backend: SerialBackend,
    readonly base: number,
  ) {
    this.timeoutTimer = clock.newTimer(() => this.onCharTimeout());
  }

  /** Claims the 8 ports at `base`. */
  attach(io: IoBus): void {
    io.register(this.base, 8, this, 'serial');
  }

  reset(): void {
    this.rxHead = this.rxCount = 0;
    this.divisor = 12;
    this.ier = this.lcr = this.mcr = this.scr = this.fcr = 0;
    this.lsr = LSR_THRE | LSR_TEMT;
    this.lineInputs = MSR_DCD | MSR_DSR | MSR_CTS;
    this.msr = this.lineInputs;
    this.thrPending = false;
    this.timeoutPending = false;
    this.timeoutTimer.cancel();
    this.updateIrq();
  }

  private get fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  private get triggerLevel(): number {
    return TRIGGER_LEVELS[this.fcr >> 6];
  }

  /** How many bytes receive() would take now (QEMU's serial_can_receive). */
  rxSpace(): number {
    if ((this.mcr & MCR_LOOP) !== 0) return 0;
    if (!this.fifoEnabled) return this.lsr & LSR_DR ? 0 : 1;
    if (this.rxCount >= FIFO_SIZE) return 0;
    return this.rxCount <= this.triggerLevel ? this.triggerLevel - this.rxCount : 1;
  }

  /** Offers input bytes; returns how many were taken (the rest must be offered again later). */
  receive(data: Uint8Array): number {
    let taken = 0;
    while (taken < data.length && this.rxSpace() > 0) this.pushRx(data[taken++]);
    return taken;
  }

  /** A break condition on the line: a NUL byte with BI set (Ctrl-a b in the mux). */
  receiveBreak(): void {
    this.pushRx(0);
    this.lsr |= LSR_BI;
    this.updateIrq();
  }

  /** The backend's modem input lines (e.g. DCD when a socket client connects). */
  setModemInputs(lines: { dcd?: boolean; dsr?: boolean; cts?: boolean; ri?: boolean }): void {
    let v = this.lineInputs;
    const bit = (on: boolean | undefined, mask: number) => {
      if (on !== undefined) v = on ? v | mask : v & ~mask;
    };
    bit(lines.dcd, MSR_DCD);
    bit(lines.dsr, MSR_DSR);
    bit(lines.cts, MSR_CTS);
    bit(lines.ri, MSR_RI);
    this.lineInputs = v;
    if ((this.mcr & MCR_LOOP) === 0) this.setMsrLines(v);
  }

  private pushRx(byte: number): void {
    if (!this.fifoEnabled) {
      if (this.lsr & LSR_DR) this.lsr |= LSR_OE;
      this.rxFifo[0] = byte;
      this.rxHead = 0;
      this.rxCount = 1;
    } else if (this.rxCount === FIFO_SIZE) {
      this.lsr |= LSR_OE;
    } else {
      this.rxFifo[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
      this.rxCount++;
      this.timeoutPending = false;
      this.timeoutTimer.arm(this.clock.now() + 4 * this.charTimeNs());
    }
    this.lsr |= LSR_DR;
    this.updateIrq();
  }

  /** One character's time on the wire at the programmed rate and frame format. */
  private charTimeNs(): number {
    const baud = BASE_CLOCK_BAUD / (this.divisor || 1);
    const dataBits = (this.lcr & 3) + 5;
    const parity = this.lcr & 0x08 ? 1 : 0;
    const stop = this.lcr & 0x04 ? 2 : 1;
    return ((1 + dataBits + parity + stop) * 1e9) / baud;
  }

  private onCharTimeout(): void {
    if (this.fifoEnabled && this.rxCount > 0) {
      this.timeoutPending = true;
      this.updateIrq();
    }
  }

  private popRx(): number {
    if (this.rxCount === 0) return this.fifoEnabled ? 0 : this.rxFifo[0];
    const byte = this.rxFifo[this.rxHead];
    this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
    this.rxCount--;
    return byte;
  }

  private pendingSource(): number {
    const ier = this.ier;
    if (ier & IER_RLSI && this.lsr & LSR_INT_ANY) return IIR_RLSI;
    if (ier & IER_RDI) {
      if (this.timeoutPending) return IIR_CTI;
      if (this.lsr & LSR_DR && (!this.fifoEnabled || this.rxCount >= this.triggerLevel)) return IIR_RDI;
    }
    if (ier & IER_THRI && this.thrPending) return IIR_THRI;
    if (ier & IER_MSI && this.msr & MSR_DELTAS) return IIR_MSI;
    return IIR_NONE;
  }

  private updateIrq(): void {
    this.irq.set(this.pendingSource() !== IIR_NONE);
  }

  private setMsrLines(lines: number): void {
    const old = this.msr;
    let deltas = old & MSR_DELTAS;
    const changed = (old ^ lines) & 0xf0;
    if (changed & MSR_CTS) deltas |= 0x01;
    if (changed & MSR_DSR) deltas |= 0x02;
    if (changed & MSR_RI && old & MSR_RI) deltas |= MSR_TERI; // trailing edge only
    if (changed & MSR_DCD) deltas |= 0x08;
    this.msr = (lines & 0xf0) | deltas;
    this.updateIrq();
  }

  /** In loopback the outputs feed the inputs: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD. */
  private loopbackLines(): number {
    const m = this.mcr;
    return (m & 0x02 ? MSR_CTS : 0) | (m & 0x01 ? MSR_DSR : 0) | (m & 0x04 ? MSR_RI : 0) | (m & 0x08 ? MSR_DCD : 0);
  }

  private transmit(byte: number): void {
    if (this.mcr & MCR_LOOP) {
      this.pushRx(byte);
    } else {
      this.backend.write(byte);
    }
    this.lsr |= LSR_THRE | LSR_TEMT;
    this.thrPending = true;
  }

  readPort(port: number, _size: IoSize): number {
    const dlab = (this.lcr & 0x80) !== 0;
    switch (port - this.base) {
      case 0: {
        if (dlab) return this.divisor & 0xff;
        const hadSpace = this.rxSpace() > 0;
        const byte = this.popRx();
        this.timeoutPending = false;
        if (this.rxCount === 0) {
          this.lsr &= ~(LSR_DR | LSR_BI);
          this.timeoutTimer.cancel();
        } else {
          this.timeoutTimer.arm(this.clock.now() + 4 * this.charTimeNs());
        }
        this.updateIrq();
        if (!hadSpace && this.rxSpace() > 0) this.backend.onRxReady?.();
        return byte;
      }
      case 1:
        return dlab ? (this.divisor >> 8) & 0xff : this.ier;
      case 2: {
        const source = this.pendingSource();
        // Reading IIR acknowledges a THR-empty interrupt it reports.
        if (source === IIR_THRI) {
          this.thrPending = false;
          this.updateIrq();
        }
        return source | (this.fifoEnabled ? IIR_FIFOS : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const value = this.lsr | (this.fifoEnabled && this.lsr & LSR_BI ? 0x80 : 0);
        if (this.lsr & (LSR_BI | LSR_OE)) {
          this.lsr &= ~(LSR_BI | LSR_OE);
          this.updateIrq();
        }
        return value;
      }
      case 6: {
        const value = this.msr;
        if (value & MSR_DELTAS) {
          this.msr &= ~MSR_DELTAS;
          this.updateIrq();
        }
        return value;
      }
      default:
        return this.scr;
    }
  }

  writePort(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    const dlab = (this.lcr & 0x80) !== 0;
    switch (port - this.base) {
      case 0:
        if (dlab) {
          this.divisor = (this.divisor & 0xff00) | value;
          return;
        }
        this.thrPending = false;
        this.transmit(value);
        this.updateIrq();
        return;
      case 1: {
        if (dlab) {
          this.divisor = (this.divisor & 0xff) | (value << 8);
          return;
        }
        const changed = (this.ier ^ value) & IER_THRI;
        this.ier = value & 0x0f;
        // Enabling the THRE interrupt with the holding register empty raises it at once.
        if (changed) this.thrPending = (this.ier & IER_THRI) !== 0 && (this.lsr & LSR_THRE) !== 0;
        this.updateIrq();
        return;
      }
      case 2:
        this.writeFcr(value);
        return;
      case 3:
        this.lcr = value;
        return;
      case 4: {
        const wasLoop = (this.mcr & MCR_LOOP) !== 0;
        this.mcr = value & 0x1f;
        const loop = (this.mcr & MCR_LOOP) !== 0;
        if (loop || wasLoop) this.setMsrLines(loop ? this.loopbackLines() : this.lineInputs);
        if (wasLoop && !loop) this.backend.onRxReady?.();
        return;
      }
      case 5:
        return; // LSR is read-only (factory test writes are ignored, as QEMU)
      case 6:
        return;
      default:
        this.scr = value;
    }
  }

  private writeFcr(value: number): void {
    const enabling = ((this.fcr ^ value) & FCR_ENABLE) !== 0;
    // Toggling the enable bit clears both FIFOs.
    if (enabling || value & FCR_CLEAR_RX) {
      this.rxHead = this.rxCount = 0;
      this.lsr &= ~(LSR_DR | LSR_BI);
      this.timeoutPending = false;
      this.timeoutTimer.cancel();
    }
    this.fcr = value & FCR_ENABLE ? value & 0xc9 : 0;
    this.updateIrq();
    if (this.rxSpace() > 0) this.backend.onRxReady?.();
  }

  saveState(): object {
    const fifo: number[] = [];
    for (let i = 0; i < this.rxCount; i++) fifo.push(this.rxFifo[(this.rxHead + i) % FIFO_SIZE]);
    return {
      fifo,
      divisor: this.divisor,
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      lsr: this.lsr,
      msr: this.msr,
      scr: this.scr,
      fcr: this.fcr,
      thrPending: this.thrPending,
      timeoutPending: this.timeoutPending,
      lineInputs: this.lineInputs,
    };
  }

  loadState(s: object): void {
    const st = s as Record<string, unknown>;
    const num = (k: string, fallback: number) => (typeof st[k] === 'number' ? (st[k] as number) : fallback);
    const fifo = Array.isArray(st.fifo) ? (st.fifo as number[]).slice(0, FIFO_SIZE) : [];
    this.rxFifo.set(fifo);
    this.rxHead = 0;
    this.rxCount = fifo.length;
    this.divisor = num('divisor', 12);
    this.ier = num('ier', 0) & 0x0f;
    this.lcr = num('lcr', 0);
    this.mcr = num('mcr', 0) & 0x1f;
    this.lsr = num('lsr', LSR_THRE | LSR_TEMT);
    this.msr = num('msr', MSR_DCD | MSR_DSR | MSR_CTS);
    this.scr = num('scr', 0);
    this.fcr = num('fcr', 0);
    this.thrPending = st.thrPending === true;
    this.timeoutPending = st.timeoutPending === true;
    this.lineInputs = num('lineInputs', MSR_DCD | MSR_DSR | MSR_CTS);
    this.updateIrq();
  }
}
