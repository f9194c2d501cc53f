// ISA DMA: the interface devices (the floppy controller) use, and a minimal pair of 8237A
// controllers behind it (channels 0-3 byte-wide at ports 0x00-0x0f, 4-7 word-wide at
// 0xc0-0xdf, page registers at 0x81-0x8f). It does single/block transfers on demand,
// auto-initialisation, address decrement, terminal count and the mask/request registers —
// what SeaBIOS and Linux program for the floppy. Memory goes through PhysicalMemory's
// bulk accessors so DMA into code pages invalidates them.

import type { IoBus, IoSize, PortHandler } from '../../machine/io-bus.js';
import type { PhysicalMemory } from '../../machine/physical-memory.js';

/** The mode register's transfer type (bits 2-3). */
export const DMA_VERIFY = 0;
/** Device to memory ("write transfer"). */
export const DMA_WRITE_MEMORY = 1;
/** Memory to device ("read transfer"). */
export const DMA_READ_MEMORY = 2;

/** Runs a device's side of a transfer once the channel may move data. */
export type IsaDmaHandler = () => void;

export interface IsaDma {
  /** The programmed transfer type of a channel (DMA_VERIFY/WRITE_MEMORY/READ_MEMORY). */
  transferType(channel: number): number;
  /** Bytes the channel can still move before terminal count. */
  remaining(channel: number): number;
  /** DREQ: `handler` runs now if the channel is unmasked, else when the guest unmasks it. */
  holdRequest(channel: number, handler: IsaDmaHandler): void;
  releaseRequest(channel: number): void;
  /** Device → memory. Returns the bytes moved; fewer than asked at terminal count. */
  writeMemory(channel: number, data: Uint8Array): number;
  /** Memory → device. Returns the bytes moved; fewer than asked at terminal count. */
  readMemory(channel: number, out: Uint8Array): number;
}

/** Page register ports (0x81-0x8f) of each channel, as the PC/AT wires them. */
const PAGE_PORT = [0x87, 0x83, 0x81, 0x82, 0x8f, 0x8b, 0x89, 0x8a];

class Channel {
  baseAddress = 0;
  baseCount = 0;
  address = 0;
  count = 0;
  mode = 0;
  page = 0;
  /** Terminal count reached (until the guest reprograms the channel). */
  terminal = false;
  handler: IsaDmaHandler | undefined;
}

class Controller {
  readonly channels = [new Channel(), new Channel(), new Channel(), new Channel()];
  flipFlop = 0;
  command = 0;
  status = 0;
  mask = 0x0f;
  request = 0;
}

export class Dma8237 implements IsaDma {
  private readonly controllers = [new Controller(), new Controller()];

  constructor(private readonly memory: PhysicalMemory) {}

  /** System reset: a master clear of both controllers (all channels masked); channel registers stay. */
  reset(): void {
    for (const c of this.controllers) {
      c.flipFlop = c.command = c.status = 0;
      c.mask = 0x0f;
    }
  }

  saveState(): object {
    return {
      controllers: this.controllers.map((c) => ({
        flipFlop: c.flipFlop,
        command: c.command,
        status: c.status,
        mask: c.mask,
        request: c.request,
        channels: c.channels.map(({ handler: _handler, ...registers }) => registers),
      })),
    };
  }

  /** Restores the registers; devices re-assert their requests from their own state. */
  loadState(state: object): void {
    const st = state as { controllers?: (Omit<Controller, 'channels'> & { channels: Omit<Channel, 'handler'>[] })[] };
    st.controllers?.forEach((saved, i) => {
      const c = this.controllers[i];
      if (!c) return;
      ({ flipFlop: c.flipFlop, command: c.command, status: c.status, mask: c.mask, request: c.request } = saved);
      saved.channels.forEach((ch, n) => c.channels[n] && Object.assign(c.channels[n], ch, { handler: undefined }));
    });
  }

  attach(io: IoBus): void {
    // QEMU's i8257 regions: channel registers, then controller registers, per controller.
    const first = this.portsFor(0);
    io.register(0x00, 0x08, first, 'dma-chan');
    io.register(0x08, 0x08, first, 'dma-cont');
    const second = this.portsFor(1);
    io.register(0xc0, 0x10, second, 'dma-chan');
    io.register(0xd0, 0x10, second, 'dma-cont');
    const pages = this.pagePorts();
    // One region per run of adjacent page registers, as QEMU lists them.
    const ports = [...PAGE_PORT].sort((x, y) => x - y);
    for (let i = 0; i < ports.length; ) {
      let n = 1;
      while (ports[i + n] === ports[i] + n) n++;
      io.register(ports[i], n, pages, 'dma-page');
      i += n;
    }
  }

  private portsFor(index: number): PortHandler {
    const shift = index;
    const base = index === 0 ? 0x00 : 0xc0;
    return {
      readPort: (port: number, _size: IoSize) => this.read(index, (port - base) >>> shift),
      writePort: (port: number, _size: IoSize, value: number) => this.write(index, (port - base) >>> shift, value & 0xff),
    };
  }

  private pagePorts(): PortHandler {
    return {
      readPort: (port: number) => this.channel(PAGE_PORT.indexOf(port)).page,
      writePort: (port: number, _size: IoSize, value: number) => {
        this.channel(PAGE_PORT.indexOf(port)).page = value & 0xff;
      },
    };
  }

  private channel(n: number): Channel {
    return this.controllers[n >>> 2].channels[n & 3];
  }

  private read(index: number, reg: number): number {
    const c = this.controllers[index];
    if (reg < 8) {
      const ch = c.channels[reg >>> 1];
      const v = reg & 1 ? ch.count : ch.address;
      const byte = c.flipFlop ? v >>> 8 : v;
      c.flipFlop ^= 1;
      return byte & 0xff;
    }
    if (reg === 8) {
      const s = c.status | (c.request << 4);
      c.status &= ~0x0f; // reading clears the terminal count bits
      return s;
    }
    return 0;
  }

  private write(index: number, reg: number, value: number): void {
    const c = this.controllers[index];
    if (reg < 8) {
      const ch = c.channels[reg >>> 1];
      const shift = c.flipFlop ? 8 : 0;
      if (reg & 1) {
        ch.baseCount = (ch.baseCount & ~(0xff << shift)) | (value << shift);
        ch.count = ch.baseCount;
      } else {
        ch.baseAddress = (ch.baseAddress & ~(0xff << shift)) | (value << shift);
        ch.address = ch.baseAddress;
      }
      ch.terminal = false;
      c.flipFlop ^= 1;
      return;
    }
    switch (reg) {
      case 8:
        c.command = value;
        break;
      case 9:
        if (value & 4) c.request |= 1 << (value & 3);
        else c.request &= ~(1 << (value & 3));
        break;
      case 10:
        this.setMask(index, value & 4 ? c.mask | (1 << (value & 3)) : c.mask & ~(1 << (value & 3)));
        break;
      case 11:
        c.channels[value & 3].mode = value;
        break;
      case 12:
        c.flipFlop = 0;
        break;
      case 13: // master clear
        c.flipFlop = 0;
        c.status = 0;
        c.request = 0;
        c.command = 0;
        for (const ch of c.channels) ch.terminal = false;
        this.setMask(index, 0x0f);
        break;
      case 14:
        this.setMask(index, 0);
        break;
      case 15:
        this.setMask(index, value & 0x0f);
        break;
    }
  }

  private setMask(index: number, mask: number): void {
    const c = this.controllers[index];
    c.mask = mask;
    for (let i = 0; i < 4; i++) this.service(index * 4 + i);
  }

  private service(n: number): void {
    const c = this.controllers[n >>> 2];
    const ch = c.channels[n & 3];
    if (ch.handler && !(c.mask & (1 << (n & 3))) && !(c.command & 0x04)) ch.handler();
  }

  transferType(channel: number): number {
    return (this.channel(channel).mode >>> 2) & 3;
  }

  remaining(channel: number): number {
    const ch = this.channel(channel);
    if (ch.terminal) return 0;
    return (ch.count + 1) << (channel >>> 2);
  }

  holdRequest(channel: number, handler: IsaDmaHandler): void {
    this.channel(channel).handler = handler;
    this.service(channel);
  }

  releaseRequest(channel: number): void {
    this.channel(channel).handler = undefined;
  }

  writeMemory(channel: number, data: Uint8Array): number {
    return this.move(channel, data, true);
  }

  readMemory(channel: number, out: Uint8Array): number {
    return this.move(channel, out, false);
  }

  private move(channel: number, buf: Uint8Array, toMemory: boolean): number {
    const ch = this.channel(channel);
    const wide = channel >= 4;
    const down = (ch.mode & 0x20) !== 0;
    let done = 0;
    while (done < buf.length && !ch.terminal) {
      let units: number;
      let addr: number;
      let bytes: number;
      if (!wide && !down) {
        // The common case: one run up to the end of the request, the count or the 64 KiB page.
        units = Math.min(buf.length - done, ch.count + 1, 0x10000 - ch.address);
        addr = (ch.page << 16) | ch.address;
        bytes = units;
      } else {
        units = 1;
        addr = wide ? ((ch.page & 0xfe) << 16) | ((ch.address << 1) & 0x1ffff) : (ch.page << 16) | ch.address;
        bytes = Math.min(wide ? 2 : 1, buf.length - done);
      }
      const part = buf.subarray(done, done + bytes);
      if (toMemory) this.memory.writeBytes(addr, part);
      else this.memory.readBytes(addr, part);
      done += bytes;
      ch.address = (ch.address + (down ? -units : units)) & 0xffff;
      const left = ch.count - units;
      ch.count = left & 0xffff;
      if (left < 0) {
        this.controllers[channel >>> 2].status |= 1 << (channel & 3);
        if (ch.mode & 0x10) {
          // Auto-initialise: reload for the next request.
          ch.address = ch.baseAddress;
          ch.count = ch.baseCount;
          break;
        }
        ch.terminal = true;
      }
    }
    return done;
  }
}
