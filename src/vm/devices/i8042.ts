// The Intel 8042 keyboard controller at ports 0x60 (data) and 0x64 (status/command)
// with a PS/2 keyboard (IRQ1) and mouse (IRQ12) behind it: the controller command byte
// (interrupt enables, port disables, system flag, set 2→1 translation), self tests,
// output port (bit 0 reset, bit 1 A20), pulse-reset 0xFE, A20 commands 0xDD/0xDF, and
// writes into either output buffer (0xD2/0xD3). One byte at a time sits in the output
// buffer; the next is taken from the keyboard first, then the mouse, as in QEMU's
// hw/input/pckbd.c. Reset-state values (command byte 0x03, status 0x18, output port
// 0xcf) are QEMU's.

import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';
import type { IrqLine } from '../machine/irq.js';
import { Ps2Keyboard } from './ps2-keyboard.js';
import { Ps2Mouse } from './ps2-mouse.js';
import { SET2_TO_SET1 } from './scancodes.js';

const STAT_OBF = 0x01;
const STAT_SYS = 0x04;
const STAT_CMD = 0x08;
const STAT_UNLOCKED = 0x10;
const STAT_AUX_OBF = 0x20;

const CTR_KBD_INT = 0x01;
const CTR_AUX_INT = 0x02;
const CTR_SYS = 0x04;
const CTR_KBD_DISABLE = 0x10;
const CTR_AUX_DISABLE = 0x20;
const CTR_XLATE = 0x40;

const OUT_RESET = 0x01;
const OUT_A20 = 0x02;
const OUT_ONES = 0xcc;

const SOURCE_KBD = 0;
const SOURCE_AUX = 1;

export interface I8042Wiring {
  kbdIrq: IrqLine;
  auxIrq: IrqLine;
  /** A20 gate changes through the output port. */
  onA20: (enabled: boolean) => void;
  /** Pulse of the reset line (0xFE, or output port bit 0 cleared). */
  onReset: () => void;
  /** Keyboard LED changes (bit 0 Scroll, 1 Num, 2 Caps Lock). */
  onLeds?: (leds: number) => void;
}

export class I8042 implements PortHandler {
  readonly keyboard: Ps2Keyboard;
  readonly mouse: Ps2Mouse;
  private status = STAT_CMD | STAT_UNLOCKED;
  private ctr = CTR_KBD_INT | CTR_AUX_INT;
  private outPort = OUT_RESET | OUT_A20 | OUT_ONES;
  private outByte = 0;
  private outSource = SOURCE_KBD;
  /** The controller command waiting for its data byte on port 0x60, or 0. */
  private pendingCommand = 0;
  /** Translation state: an F0 prefix was swallowed and the next byte gets bit 7. */
  private breakPrefix = false;

  constructor(private readonly wiring: I8042Wiring) {
    this.keyboard = new Ps2Keyboard(() => this.refill(), wiring.onLeds);
    this.mouse = new Ps2Mouse(() => this.refill());
  }

  /** Claims 0x60 and 0x64. */
  attach(io: IoBus): void {
    io.register(0x60, 1, this, 'i8042-data');
    io.register(0x64, 1, this, 'i8042-cmd');
  }

  reset(): void {
    this.status = STAT_CMD | STAT_UNLOCKED;
    this.ctr = CTR_KBD_INT | CTR_AUX_INT;
    this.outPort = OUT_RESET | OUT_A20 | OUT_ONES;
    this.pendingCommand = 0;
    this.breakPrefix = false;
    this.keyboard.reset();
    this.mouse.reset();
    this.updateIrq();
  }

  /** Front-end input: a key by QEMU keycode (see Ps2Keyboard.keyEvent). */
  keyEvent(keycode: number, down: boolean): void {
    this.keyboard.keyEvent(keycode, down);
  }

  /** Front-end input: relative motion and button state (see Ps2Mouse.mouseEvent). */
  mouseEvent(dx: number, dy: number, dz: number, buttons: number): void {
    this.mouse.mouseEvent(dx, dy, dz, buttons);
  }

  /** Puts a byte in the output buffer directly (controller replies and 0xD2/0xD3). */
  private place(byte: number, source: number): void {
    this.outByte = byte & 0xff;
    this.outSource = source;
    this.status = (this.status & ~STAT_AUX_OBF) | STAT_OBF | (source === SOURCE_AUX ? STAT_AUX_OBF : 0);
    this.updateIrq();
  }

  /** Moves the next device byte into an empty output buffer. */
  private refill(): void {
    while ((this.status & STAT_OBF) === 0) {
      if ((this.ctr & CTR_KBD_DISABLE) === 0 && this.keyboard.queue.length > 0) {
        let b = this.keyboard.next();
        if (this.ctr & CTR_XLATE) {
          if (b === 0xf0) {
            this.breakPrefix = true;
            continue;
          }
          b = SET2_TO_SET1[b] | (this.breakPrefix ? 0x80 : 0);
          this.breakPrefix = false;
        }
        this.place(b, SOURCE_KBD);
      } else if ((this.ctr & CTR_AUX_DISABLE) === 0 && this.mouse.queue.length > 0) {
        this.place(this.mouse.next(), SOURCE_AUX);
      } else {
        break;
      }
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    const full = (this.status & STAT_OBF) !== 0;
    this.wiring.kbdIrq.set(full && this.outSource === SOURCE_KBD && (this.ctr & CTR_KBD_INT) !== 0);
    this.wiring.auxIrq.set(full && this.outSource === SOURCE_AUX && (this.ctr & CTR_AUX_INT) !== 0);
  }

  readPort(port: number, _size: IoSize): number {
    if (port === 0x64) return this.status;
    const value = this.outByte;
    if (this.status & STAT_OBF) {
      this.status &= ~(STAT_OBF | STAT_AUX_OBF);
      // Drop the line so the next byte gives the PIC a fresh edge.
      this.updateIrq();
      this.refill();
    }
    return value;
  }

  writePort(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    if (port === 0x64) {
      this.status |= STAT_CMD;
      this.command(value);
    } else {
      this.status &= ~STAT_CMD;
      this.data(value);
    }
  }

  private setOutPort(value: number): void {
    const old = this.outPort;
    this.outPort = value | OUT_ONES;
    if ((value ^ old) & OUT_A20) this.wiring.onA20((value & OUT_A20) !== 0);
    if ((value & OUT_RESET) === 0) {
      this.outPort |= OUT_RESET;
      this.wiring.onReset();
    }
  }

  private setCtr(value: number): void {
    this.ctr = value;
    this.status = (this.status & ~STAT_SYS) | (value & CTR_SYS ? STAT_SYS : 0);
    this.refill();
  }

  private command(cmd: number): void {
    if (cmd >= 0x20 && cmd <= 0x3f) {
      // 0x20 reads the command byte; 0x21-0x3f read controller RAM, which we do not keep.
      this.place(cmd === 0x20 ? this.ctr : 0, SOURCE_KBD);
      return;
    }
    if (cmd >= 0x60 && cmd <= 0x7f) {
      this.pendingCommand = cmd;
      return;
    }
    if (cmd >= 0xf0) {
      // Pulse output lines: a low bit 0 pulses reset.
      if ((cmd & 1) === 0) this.wiring.onReset();
      return;
    }
    switch (cmd) {
      case 0xa7:
        this.setCtr(this.ctr | CTR_AUX_DISABLE);
        return;
      case 0xa8:
        this.setCtr(this.ctr & ~CTR_AUX_DISABLE);
        return;
      case 0xa9: // aux interface test: passed
      case 0xab: // keyboard interface test: passed
        this.place(0x00, SOURCE_KBD);
        return;
      case 0xaa: // controller self test
        this.status |= STAT_SYS;
        this.place(0x55, SOURCE_KBD);
        return;
      case 0xad:
        this.setCtr(this.ctr | CTR_KBD_DISABLE);
        return;
      case 0xae:
        this.setCtr(this.ctr & ~CTR_KBD_DISABLE);
        return;
      case 0xc0: // input port: keyboard not inhibited
        this.place(0x80, SOURCE_KBD);
        return;
      case 0xd0:
        this.place(
          this.outPort | (this.status & STAT_OBF && this.outSource === SOURCE_KBD ? 0x10 : 0) | (this.status & STAT_AUX_OBF ? 0x20 : 0),
          SOURCE_KBD,
        );
        return;
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        this.pendingCommand = cmd;
        return;
      case 0xdd:
        this.setOutPort(this.outPort & ~OUT_A20);
        return;
      case 0xdf:
        this.setOutPort(this.outPort | OUT_A20);
        return;
      case 0xe0: // test inputs
        this.place(0x00, SOURCE_KBD);
        return;
      default:
        return; // unknown commands are ignored, as QEMU does
    }
  }

  private data(value: number): void {
    const cmd = this.pendingCommand;
    this.pendingCommand = 0;
    if (cmd >= 0x60 && cmd <= 0x7f) {
      if (cmd === 0x60) this.setCtr(value);
      return;
    }
    switch (cmd) {
      case 0xd1:
        this.setOutPort(value);
        return;
      case 0xd2:
        this.place(value, SOURCE_KBD);
        return;
      case 0xd3:
        this.place(value, SOURCE_AUX);
        return;
      case 0xd4:
        this.mouse.write(value);
        return;
      default:
        // Data for the keyboard; talking to it re-enables its interface (as QEMU).
        this.ctr &= ~CTR_KBD_DISABLE;
        this.keyboard.write(value);
    }
  }

  saveState(): object {
    return {
      status: this.status,
      ctr: this.ctr,
      outPort: this.outPort,
      outByte: this.outByte,
      outSource: this.outSource,
      pendingCommand: this.pendingCommand,
      breakPrefix: this.breakPrefix,
      keyboard: this.keyboard.saveState(),
      mouse: this.mouse.saveState(),
    };
  }

  loadState(s: object): void {
    const st = s as Record<string, unknown>;
    const num = (k: string, d: number) => (typeof st[k] === 'number' ? (st[k] as number) & 0xff : d);
    this.status = num('status', STAT_CMD | STAT_UNLOCKED);
    this.ctr = num('ctr', CTR_KBD_INT | CTR_AUX_INT);
    this.outPort = num('outPort', OUT_RESET | OUT_A20 | OUT_ONES);
    this.outByte = num('outByte', 0);
    this.outSource = st.outSource === SOURCE_AUX ? SOURCE_AUX : SOURCE_KBD;
    this.pendingCommand = num('pendingCommand', 0);
    this.breakPrefix = st.breakPrefix === true;
    if (st.keyboard && typeof st.keyboard === 'object') this.keyboard.loadState(st.keyboard);
    if (st.mouse && typeof st.mouse === 'object') this.mouse.loadState(st.mouse);
    this.updateIrq();
  }
}
