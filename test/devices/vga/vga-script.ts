// A device programming script that both real QEMU (through script-kernel.asm) and termu's
// models replay, so their screendumps and the values they read back can be compared byte
// for byte. The op encoding is the kernel's: four little-endian dwords per op.

import { IoBus } from '../../../src/vm/machine/io-bus.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';
import { Vga } from '../../../src/vm/devices/vga/vga.js';

const OUTB = 1;
const OUTW = 2;
const WRITE8 = 3;
const READ8 = 4;
const FILL8 = 5;
const FILL32 = 6;
const WRITE16 = 7;
const WRITE32 = 8;
const INB = 9;
const PRINT_INB = 10;
const PRINT_INW = 11;
const POLL = 12;
const PRINT_MEM8 = 13;
const OUTL = 14;
const PRINT_INL = 15;

export const LFB_BASE = 0xfd000000;

export class VgaScript {
  readonly ops: number[] = [];

  private op(code: number, a: number, b = 0, c = 0): this {
    this.ops.push(code, a >>> 0, b >>> 0, c >>> 0);
    return this;
  }
  outb(port: number, v: number): this {
    return this.op(OUTB, port, v);
  }
  outw(port: number, v: number): this {
    return this.op(OUTW, port, v);
  }
  inb(port: number): this {
    return this.op(INB, port);
  }
  /** Reads a byte port and appends it to the output as two hex digits. */
  printInb(port: number): this {
    return this.op(PRINT_INB, port);
  }
  /** Reads a word port and appends it to the output as four hex digits. */
  printInw(port: number): this {
    return this.op(PRINT_INW, port);
  }
  outl(port: number, v: number): this {
    return this.op(OUTL, port, v);
  }
  /** Reads a dword port and appends it as eight hex digits. */
  printInl(port: number): this {
    return this.op(PRINT_INL, port);
  }
  /** Appends the byte at a physical address as two hex digits. */
  printMem8(addr: number): this {
    return this.op(PRINT_MEM8, addr);
  }
  /** Waits until (inb(port) & mask) === value. */
  poll(port: number, mask: number, value: number): this {
    return this.op(POLL, port, mask, value);
  }
  write8(addr: number, v: number): this {
    return this.op(WRITE8, addr, v);
  }
  write16(addr: number, v: number): this {
    return this.op(WRITE16, addr, v);
  }
  write32(addr: number, v: number): this {
    return this.op(WRITE32, addr, v);
  }
  read8(addr: number): this {
    return this.op(READ8, addr);
  }
  /** bytes [addr+i] = ((i*mul) ^ (i>>7)) & 0xff for i < count */
  fill8(addr: number, count: number, mul: number): this {
    return this.op(FILL8, addr, count, mul);
  }
  /** dwords [addr+4i] = (i*mul) ^ (i<<11) for i < count */
  fill32(addr: number, count: number, mul: number): this {
    return this.op(FILL32, addr, count, mul);
  }
  seq(index: number, v: number): this {
    return this.outb(0x3c4, index).outb(0x3c5, v);
  }
  gc(index: number, v: number): this {
    return this.outb(0x3ce, index).outb(0x3cf, v);
  }
  crtc(index: number, v: number): this {
    return this.outb(0x3d4, index).outb(0x3d5, v);
  }
  vbe(index: number, v: number): this {
    return this.outw(0x1ce, index).outw(0x1cf, v);
  }
  /** Programs a whole standard mode from its register tables, palette access ends with the display on. */
  setMode(misc: number, seq: number[], crtc: number[], gc: number[], attr: number[]): this {
    this.outb(0x3c2, misc);
    seq.forEach((v, i) => this.seq(i, v));
    this.crtc(0x11, crtc[0x11] & 0x7f);
    crtc.forEach((v, i) => this.crtc(i, v));
    gc.forEach((v, i) => this.gc(i, v));
    this.inb(0x3da);
    attr.forEach((v, i) => this.outb(0x3c0, i).outb(0x3c0, v));
    return this.outb(0x3c0, 0x20);
  }
  /** Loads the DAC with `count` entries from a deterministic generator (values may exceed 6 bits). */
  dac(start: number, count: number, gen: (i: number) => number): this {
    this.outb(0x3c8, start);
    for (let i = 0; i < count * 3; i++) this.outb(0x3c9, gen(i) & 0xff);
    return this;
  }

  encode(): Buffer {
    const b = Buffer.alloc((this.ops.length + 4) * 4);
    this.ops.forEach((v, i) => b.writeUInt32LE(v, i * 4));
    return b;
  }

  /** Replays the script on termu's VGA attached to a real IoBus and PhysicalMemory. */
  runOn(vga: Vga): void {
    const io = new IoBus();
    io.register(0x3b0, 0x30, vga);
    io.register(0x1ce, 3, vga.vbePorts);
    const mem = new PhysicalMemory(32 << 20);
    mem.mapMmio(0xa0000, 0x20000, vga.legacyWindow);
    mem.mapMmio(LFB_BASE, 16 << 20, vga.linearFramebuffer);
    this.runOnBus(io, mem);
  }

  /** Replays the script on a bus; returns what the print ops produced (QEMU's serial output). */
  runOnBus(io: IoBus, mem: PhysicalMemory): string {
    let out = '';
    const o = this.ops;
    for (let i = 0; i < o.length; i += 4) {
      const [code, a, b, c] = [o[i], o[i + 1], o[i + 2], o[i + 3]];
      switch (code) {
        case OUTB:
          io.write(a, 1, b & 0xff);
          break;
        case OUTW:
          io.write(a, 2, b & 0xffff);
          break;
        case INB:
          io.read(a, 1);
          break;
        case PRINT_INB:
          out += io.read(a, 1).toString(16).padStart(2, '0');
          break;
        case PRINT_INW:
          out += io.read(a, 2).toString(16).padStart(4, '0');
          break;
        case OUTL:
          io.write(a, 4, b);
          break;
        case PRINT_INL:
          out += (io.read(a, 4) >>> 0).toString(16).padStart(8, '0');
          break;
        case PRINT_MEM8:
          out += mem.read8(a).toString(16).padStart(2, '0');
          break;
        case POLL:
          for (let k = 0; k < 1000 && (io.read(a, 1) & b) !== c; k++);
          break;
        case WRITE8:
          mem.write8(a, b & 0xff);
          break;
        case WRITE16:
          mem.write16(a, b & 0xffff);
          break;
        case WRITE32:
          mem.write32(a, b);
          break;
        case READ8:
          mem.read8(a);
          break;
        case FILL8:
          for (let k = 0; k < b; k++) mem.write8(a + k, (Math.imul(k, c) ^ (k >>> 7)) & 0xff);
          break;
        case FILL32:
          for (let k = 0; k < b; k++) mem.write32(a + 4 * k, (Math.imul(k, c) ^ (k << 11)) >>> 0);
          break;
      }
    }
    return out;
  }
}

// Standard register tables (IBM VGA technical reference values).
export const MODE3 = {
  misc: 0x67,
  seq: [0x03, 0x00, 0x03, 0x00, 0x02],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00],
};
export const MODE12 = {
  misc: 0xe3,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x06],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00],
};
export const MODE13 = {
  misc: 0x63,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x0e],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00, 0x00],
};

export const MODE0D = {
  misc: 0x63,
  seq: [0x03, 0x09, 0x0f, 0x00, 0x06],
  crtc: [0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xe3, 0xff],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x0f, 0x00, 0x00],
};
export const MODE04 = {
  misc: 0x63,
  seq: [0x03, 0x09, 0x03, 0x00, 0x02],
  crtc: [0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xa2, 0xff],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0f, 0x00, 0xff],
  attr: [0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x03, 0x00, 0x00],
};

/** A deterministic pseudo-random byte stream (xorshift), so scripts are varied but repeatable. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s & 0xff;
  };
}
