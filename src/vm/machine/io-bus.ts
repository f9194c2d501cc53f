// The port-I/O bus (0x0000-0xffff). Devices register ranges; the CPU's IN/OUT and
// string I/O call read/write. Unclaimed ports read as all-ones and ignore writes,
// as on a PC's ISA bus.

export type IoSize = 1 | 2 | 4;

/** A device's view of its port range. `port` is the absolute port number. */
export interface PortHandler {
  readPort(port: number, size: IoSize): number;
  writePort(port: number, size: IoSize, value: number): void;
}

const OPEN_BUS: PortHandler = {
  readPort: (_port, size) => (size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff),
  writePort: () => {},
};

/** A registered port range as `info mtree` lists it (QEMU's MemoryRegion in the I/O space). */
export interface PortRange {
  readonly base: number;
  readonly count: number;
  /** QEMU's name for the region ('' when the device gives none). */
  readonly name: string;
  /** 0, or one more than the ranges it was registered over (a later registration wins). */
  readonly priority: number;
}

export class IoBus {
  private readonly handlers: PortHandler[] = new Array<PortHandler>(0x10000).fill(OPEN_BUS);
  private readonly ranges: PortRange[] = [];

  /** Claims ports [base, base+count). A later registration replaces an earlier one. */
  register(base: number, count: number, handler: PortHandler, name = ''): void {
    let priority = 0;
    for (const r of this.ranges) if (r.base < base + count && base < r.base + r.count) priority = Math.max(priority, r.priority + 1);
    this.ranges.push({ base, count, name, priority });
    for (let p = base; p < base + count && p <= 0xffff; p++) this.handlers[p] = handler;
  }

  unregister(base: number, count: number): void {
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i];
      if (r.base >= base && r.base + r.count <= base + count) this.ranges.splice(i, 1);
    }
    for (let p = base; p < base + count && p <= 0xffff; p++) this.handlers[p] = OPEN_BUS;
  }

  /** The registered ranges, in registration order. */
  portRanges(): readonly PortRange[] {
    return this.ranges;
  }

  isClaimed(port: number): boolean {
    return this.handlers[port & 0xffff] !== OPEN_BUS;
  }

  read(port: number, size: IoSize): number {
    return this.handlers[port & 0xffff].readPort(port & 0xffff, size);
  }

  write(port: number, size: IoSize, value: number): void {
    this.handlers[port & 0xffff].writePort(port & 0xffff, size, value);
  }
}
