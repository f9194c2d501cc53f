// A PS/2 (MF2) keyboard behind the i8042: the commands Linux's atkbd and firmware send
// (reset with BAT 0xAA, get ID 0xAB 0x83, scan code set 1/2, LEDs, typematic rate,
// enable/disable, defaults, echo, resend) and key events in the selected set. The
// controller translates set 2 to set 1 when its XLATE bit is on (i8042.ts), so the
// ID reads 0xAB 0x41 there, as on QEMU (hw/input/ps2.c) and real hardware. Repeat is
// left to the front end (as QEMU's UI does): the typematic setting is only stored.

import { ByteQueue } from './byte-queue.js';
import { scancodeBytes } from './scancodes.js';

const ACK = 0xfa;
const RESEND = 0xfe;
const BAT_OK = 0xaa;
/** Large enough that pasted text queued by the front end is not dropped. */
const QUEUE_SIZE = 256;

export class Ps2Keyboard {
  readonly queue = new ByteQueue(QUEUE_SIZE);
  scanning = true;
  scancodeSet = 2;
  leds = 0;
  /** Typematic byte (F3): delay in bits 5-6, rate in bits 0-4. Default 500 ms, 10.9 cps. */
  typematic = 0x2b;
  /** The command awaiting its parameter byte, or 0. */
  private pendingCommand = 0;
  private lastSent = 0;

  constructor(
    /** Tells the controller that bytes are waiting. */
    private readonly notify: () => void,
    /** LED changes (bit 0 Scroll, 1 Num, 2 Caps Lock) for the front end. */
    private readonly onLeds: (leds: number) => void = () => {},
  ) {}

  reset(): void {
    this.queue.clear();
    this.scanning = true;
    this.scancodeSet = 2;
    this.typematic = 0x2b;
    this.pendingCommand = 0;
    this.setLeds(0);
  }

  private setLeds(leds: number): void {
    if (leds !== this.leds) {
      this.leds = leds;
      this.onLeds(leds);
    }
  }

  private reply(...bytes: number[]): void {
    for (const b of bytes) this.queue.push(b);
    this.notify();
  }

  /** The controller hands over the next byte for the output buffer (-1: none). */
  next(): number {
    const b = this.queue.shift();
    if (b >= 0) this.lastSent = b;
    return b;
  }

  /** A byte the host sent to the keyboard (port 0x60). */
  write(value: number): void {
    // A command cancels whatever the keyboard had not sent yet.
    this.queue.clear();
    const pending = this.pendingCommand;
    if (pending) {
      this.pendingCommand = 0;
      if (pending === 0xed) {
        this.setLeds(value & 7);
        this.reply(ACK);
        return;
      }
      if (pending === 0xf3) {
        this.typematic = value & 0x7f;
        this.reply(ACK);
        return;
      }
      if (pending === 0xf0) {
        if (value === 0) this.reply(ACK, this.scancodeSet);
        else if (value === 1 || value === 2) {
          this.scancodeSet = value;
          this.reply(ACK);
        } else this.reply(RESEND); // set 3 is not offered; Linux falls back to set 2
        return;
      }
    }
    switch (value) {
      case 0xed:
      case 0xf3:
      case 0xf0:
        this.pendingCommand = value;
        this.reply(ACK);
        return;
      case 0xee:
        this.reply(0xee);
        return;
      case 0xf2:
        this.reply(ACK, 0xab, 0x83);
        return;
      case 0xf4:
        this.scanning = true;
        this.reply(ACK);
        return;
      case 0xf5: // disable and restore defaults
        this.defaults();
        this.scanning = false;
        this.reply(ACK);
        return;
      case 0xf6:
        this.defaults();
        this.scanning = true;
        this.reply(ACK);
        return;
      case 0xf7:
      case 0xf8:
      case 0xf9:
      case 0xfa:
      case 0xfb:
      case 0xfc:
      case 0xfd:
      case 0x00:
        this.reply(ACK);
        return;
      case 0xfe:
        this.reply(this.lastSent);
        return;
      case 0xff:
        this.defaults();
        this.scanning = true;
        this.setLeds(0);
        this.reply(ACK, BAT_OK);
        return;
      default:
        this.reply(RESEND);
    }
  }

  private defaults(): void {
    this.scancodeSet = 2;
    this.typematic = 0x2b;
  }

  /**
   * A key press or release from the front end. `keycode` is QEMU's numbering: the set 1
   * make code, plus 0x80 for E0-prefixed keys (e.g. 0x1c Enter, 0x9c keypad Enter).
   */
  keyEvent(keycode: number, down: boolean): void {
    if (!this.scanning) return;
    const bytes = scancodeBytes(keycode, down, this.scancodeSet);
    if (this.queue.free < bytes.length) return; // a partial sequence would confuse the guest
    for (const b of bytes) this.queue.push(b);
    this.notify();
  }

  /** Raw bytes as the keyboard would send them (for sequences like Pause). */
  sendBytes(bytes: readonly number[]): void {
    if (!this.scanning || this.queue.free < bytes.length) return;
    for (const b of bytes) this.queue.push(b & 0xff);
    this.notify();
  }

  saveState(): object {
    return {
      queue: this.queue.toArray(),
      scanning: this.scanning,
      scancodeSet: this.scancodeSet,
      leds: this.leds,
      typematic: this.typematic,
      pendingCommand: this.pendingCommand,
      lastSent: this.lastSent,
    };
  }

  loadState(s: object): void {
    const st = s as Record<string, unknown>;
    this.queue.load(Array.isArray(st.queue) ? (st.queue as number[]) : []);
    this.scanning = st.scanning !== false;
    this.scancodeSet = st.scancodeSet === 1 ? 1 : 2;
    this.leds = typeof st.leds === 'number' ? st.leds & 7 : 0;
    this.typematic = typeof st.typematic === 'number' ? st.typematic : 0x2b;
    this.pendingCommand = typeof st.pendingCommand === 'number' ? st.pendingCommand : 0;
    this.lastSent = typeof st.lastSent === 'number' ? st.lastSent : 0;
  }
}
