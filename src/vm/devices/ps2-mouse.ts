// A PS/2 mouse behind the i8042's auxiliary port: stream and remote modes, sample rate,
// resolution, scaling, status request, wrap (echo) mode, and the IntelliMouse
// detection knocks (sample rates 200,100,80 → ID 3 with a wheel byte; 200,200,80 →
// ID 4 with wheel and buttons 4/5). Packet format and replies as QEMU's
// hw/input/ps2.c (which answers unknown commands with 0xFE and reports status as
// mode bits, resolution and rate).

import { ByteQueue } from './byte-queue.js';

const ACK = 0xfa;
const NACK = 0xfe;
const QUEUE_SIZE = 256;

const STATUS_REMOTE = 0x40;
const STATUS_ENABLED = 0x20;
const STATUS_SCALE21 = 0x10;

/** Button bits of mouseEvent(): the PS/2 packet's own order. */
export const MOUSE_LEFT = 1;
export const MOUSE_RIGHT = 2;
export const MOUSE_MIDDLE = 4;
export const MOUSE_BUTTON4 = 8;
export const MOUSE_BUTTON5 = 16;

export class Ps2Mouse {
  readonly queue = new ByteQueue(QUEUE_SIZE);
  status = 0;
  resolution = 2;
  sampleRate = 100;
  /** 0: standard, 3: IntelliMouse, 4: IntelliMouse Explorer. */
  type = 0;
  wrap = false;
  private detectState = 0;
  private pendingCommand = 0;
  private dx = 0;
  private dy = 0;
  private dz = 0;
  private buttons = 0;

  constructor(private readonly notify: () => void) {}

  reset(): void {
    this.queue.clear();
    this.defaults();
    this.type = 0;
    this.wrap = false;
    this.detectState = 0;
    this.pendingCommand = 0;
    this.buttons = 0;
  }

  private defaults(): void {
    this.status = 0;
    this.resolution = 2;
    this.sampleRate = 100;
    this.dx = this.dy = this.dz = 0;
  }

  next(): number {
    return this.queue.shift();
  }

  private reply(...bytes: number[]): void {
    for (const b of bytes) this.queue.push(b);
    this.notify();
  }

  /** A byte the host sent through the controller's 0xD4 command. */
  write(value: number): void {
    // Replies must not wait behind motion packets the host has not read.
    this.queue.clear();
    const pending = this.pendingCommand;
    if (pending) {
      this.pendingCommand = 0;
      if (pending === 0xf3) this.setSampleRate(value);
      else if (pending === 0xe8) this.resolution = value & 3;
      this.reply(ACK);
      return;
    }
    if (this.wrap && value !== 0xec && value !== 0xff) {
      this.reply(value);
      return;
    }
    switch (value) {
      case 0xe6:
        this.status &= ~STATUS_SCALE21;
        return this.reply(ACK);
      case 0xe7:
        this.status |= STATUS_SCALE21;
        return this.reply(ACK);
      case 0xe8:
      case 0xf3:
        this.pendingCommand = value;
        return this.reply(ACK);
      case 0xe9:
        return this.reply(ACK, this.status, this.resolution, this.sampleRate);
      case 0xea:
        this.status &= ~STATUS_REMOTE;
        return this.reply(ACK);
      case 0xeb:
        this.reply(ACK);
        this.sendPacket();
        return;
      case 0xec:
        this.wrap = false;
        return this.reply(ACK);
      case 0xee:
        this.wrap = true;
        return this.reply(ACK);
      case 0xf0:
        this.status |= STATUS_REMOTE;
        return this.reply(ACK);
      case 0xf2:
        return this.reply(ACK, this.type);
      case 0xf4:
        this.status |= STATUS_ENABLED;
        return this.reply(ACK);
      case 0xf5:
        this.status &= ~STATUS_ENABLED;
        return this.reply(ACK);
      case 0xf6:
        this.defaults();
        return this.reply(ACK);
      case 0xff:
        this.queue.clear();
        this.defaults();
        this.type = 0;
        this.wrap = false;
        this.detectState = 0;
        return this.reply(ACK, 0xaa, this.type);
      default:
        return this.reply(NACK);
    }
  }

  private setSampleRate(rate: number): void {
    this.sampleRate = rate;
    // The IntelliMouse knock sequences.
    if (this.detectState === 0) this.detectState = rate === 200 ? 1 : 0;
    else if (this.detectState === 1) this.detectState = rate === 100 ? 2 : rate === 200 ? 3 : 0;
    else {
      if (rate === 80) this.type = this.detectState === 2 ? 3 : 4;
      this.detectState = 0;
    }
  }

  private get packetSize(): number {
    return this.type === 0 ? 3 : 4;
  }

  /** Relative motion (dy positive = up, as PS/2 reports) and the current button state. */
  mouseEvent(dx: number, dy: number, dz: number, buttons: number): void {
    // A disabled mouse ignores motion (QEMU); in remote mode it accumulates for 0xEB.
    if ((this.status & STATUS_ENABLED) === 0 && (this.status & STATUS_REMOTE) === 0) {
      this.buttons = buttons;
      return;
    }
    this.dx += dx;
    this.dy += dy;
    this.dz += dz;
    const buttonsChanged = buttons !== this.buttons;
    this.buttons = buttons;
    if ((this.status & STATUS_ENABLED) === 0 || this.status & STATUS_REMOTE) return;
    // Send packets until the motion is reported or the queue is full.
    let first = buttonsChanged;
    while ((first || this.dx || this.dy || this.dz) && this.queue.free >= this.packetSize) {
      this.sendPacket();
      first = false;
    }
  }

  private sendPacket(): void {
    const dx = clamp(this.dx, -256, 255);
    const dy = clamp(this.dy, -256, 255);
    const b0 = 0x08 | (this.buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0);
    this.queue.push(b0);
    this.queue.push(dx & 0xff);
    this.queue.push(dy & 0xff);
    this.dx -= dx;
    this.dy -= dy;
    if (this.type === 3) {
      const dz = clamp(this.dz, -127, 127);
      this.queue.push(dz & 0xff);
      this.dz -= dz;
    } else if (this.type === 4) {
      const dz = clamp(this.dz, -7, 7);
      this.queue.push((dz & 0x0f) | ((this.buttons & 0x18) << 1));
      this.dz -= dz;
    } else {
      this.dz = 0;
    }
    this.notify();
  }

  saveState(): object {
    return {
      queue: this.queue.toArray(),
      status: this.status,
      resolution: this.resolution,
      sampleRate: this.sampleRate,
      type: this.type,
      wrap: this.wrap,
      detectState: this.detectState,
      pendingCommand: this.pendingCommand,
      buttons: this.buttons,
    };
  }

  loadState(s: object): void {
    const st = s as Record<string, unknown>;
    const num = (k: string, d: number) => (typeof st[k] === 'number' ? (st[k] as number) : d);
    this.queue.load(Array.isArray(st.queue) ? (st.queue as number[]) : []);
    this.status = num('status', 0);
    this.resolution = num('resolution', 2);
    this.sampleRate = num('sampleRate', 100);
    this.type = num('type', 0);
    this.wrap = st.wrap === true;
    this.detectState = num('detectState', 0);
    this.pendingCommand = num('pendingCommand', 0);
    this.buttons = num('buttons', 0);
    this.dx = this.dy = this.dz = 0;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
