// The guest's physical address space (32-bit). RAM is one Uint8Array indexed by the
// physical address itself (RAM starts at 0 and is contiguous below the PCI hole), so the
// CPU's TLB fast path is `ram[phys]`. Every 4 KiB page has a kind; only PAGE_RAM pages may
// take the fast path. ROM and MMIO pages go through read*/write* here.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

import { CELL_NO_CHAIN, GuestArena } from './guest-arena.js';
/** Page kinds (values of `pageKind[page]`). */
export const PAGE_UNASSIGNED = 0;
/** Plain RAM: reads and writes hit `ram` directly. */
export const PAGE_RAM = 1;
/** Read from a ROM image, writes ignored (or, in shadow modes, routed elsewhere by the board). */
export const PAGE_ROM = 2;
/** A device's registers or memory. */
export const PAGE_MMIO = 3;

export interface MmioHandler {
  /** `offset` is relative to the start of the registered region. */
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

interface Region {
  base: number;
  size: number;
  kind: number;
  rom?: Uint8Array;
  mmio?: MmioHandler;
}

export class PhysicalMemory {
  readonly ram: Uint8Array;
  /** Guest RAM and the CPU state compiled code shares, in one block (RAM is a view into it). */
  readonly arena: GuestArena;
  /** One byte per 4 KiB page of the 4 GiB space. */
  readonly pageKind = new Uint8Array(1 << (32 - PAGE_SHIFT));
  /**
   * The region behind each ROM or MMIO page, as an index into `regions` (0: none). A typed
   * array rather than a JS array of a million slots: 2 MiB off the heap instead of 8 MiB
   * that every full GC would have to scan.
   */
  private readonly pageRegionIndex = new Uint16Array(1 << (32 - PAGE_SHIFT));
  /** Mapped regions; slot 0 stands for "no region". Slots of replaced mappings are reused. */
  private readonly regions: (Region | undefined)[] = [undefined];
  /**
   * Called after any write that did not come from the CPU's own store path (DMA, firmware
   * loading, ROM→RAM shadow copies), so the CPU can drop decoded or compiled code there.
   */
  onExternalWrite: (addr: number, length: number) => void = () => {};

  constructor(ramSize: number) {
    this.arena = new GuestArena(ramSize);
    this.ram = this.arena.ram;
    this.pageKind.fill(PAGE_RAM, 0, Math.ceil(ramSize / PAGE_SIZE));
  }

  get ramSize(): number {
    return this.ram.length;
  }

  /** Maps a ROM image (read-only) at `base`. */
  mapRom(base: number, data: Uint8Array): void {
    this.map({ base, size: data.length, kind: PAGE_ROM, rom: data });
  }

  /** Maps device memory at `base`; size must be a multiple of 4 KiB. */
  mapMmio(base: number, size: number, handler: MmioHandler): void {
    this.map({ base, size, kind: PAGE_MMIO, mmio: handler });
  }

  /** Removes whatever is mapped at [base, base+size) and restores RAM where RAM exists. */
  unmap(base: number, size: number): void {
    const first = base >>> PAGE_SHIFT;
    const last = (base + size - 1) >>> PAGE_SHIFT;
    const ramPages = Math.ceil(this.ram.length / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      this.pageRegionIndex[p] = 0;
      this.pageKind[p] = p < ramPages ? PAGE_RAM : PAGE_UNASSIGNED;
    }
    this.releaseUnusedRegions();
  }

  /** Makes a page of RAM below 1 MiB plain RAM again (for PAM shadowing done by the board). */
  setPageKind(page: number, kind: number): void {
    this.pageKind[page] = kind;
  }

  private map(region: Region): void {
    const first = region.base >>> PAGE_SHIFT;
    const last = (region.base + region.size - 1) >>> PAGE_SHIFT;
    let slot = this.regions.indexOf(undefined, 1);
    if (slot < 0) slot = this.regions.push(region) - 1;
    else this.regions[slot] = region;
    if (slot > 0xffff) throw new RangeError('too many memory regions');
    for (let p = first; p <= last; p++) {
      this.pageKind[p] = region.kind;
      this.pageRegionIndex[p] = slot;
    }
    this.releaseUnusedRegions();
  }

  /** Frees the slots of regions no page refers to any more (remapped BARs, PAM changes). */
  private releaseUnusedRegions(): void {
    const used = new Uint8Array(this.regions.length);
    used[0] = 1;
    for (let slot = 1; slot < this.regions.length; slot++) {
      const r = this.regions[slot];
      if (!r) continue;
      const first = r.base >>> PAGE_SHIFT;
      const last = (r.base + r.size - 1) >>> PAGE_SHIFT;
      for (let p = first; p <= last && !used[slot]; p++) if (this.pageRegionIndex[p] === slot) used[slot] = 1;
      if (!used[slot]) this.regions[slot] = undefined;
    }
  }

  private regionAt(page: number): Region {
    return this.regions[this.pageRegionIndex[page]]!;
  }

  /** The region of an MMIO page about to be accessed: the device may raise an interrupt, so wasm regions stop chaining. */
  private device(page: number): Region {
    this.arena.cells[CELL_NO_CHAIN] = 1;
    return this.regions[this.pageRegionIndex[page]]!;
  }

  read8(addr: number): number {
    addr >>>= 0;
    const page = addr >>> PAGE_SHIFT;
    switch (this.pageKind[page]) {
      case PAGE_RAM:
        return this.ram[addr];
      case PAGE_ROM: {
        const r = this.regionAt(page);
        return r.rom![addr - r.base] ?? 0xff;
      }
      case PAGE_MMIO: {
        const r = this.device(page);
        return r.mmio!.read(addr - r.base, 1) & 0xff;
      }
      default:
        return 0xff;
    }
  }

  read16(addr: number): number {
    addr >>>= 0;
    if ((addr & 0xfff) <= 0xffe) {
      const page = addr >>> PAGE_SHIFT;
      const kind = this.pageKind[page];
      if (kind === PAGE_RAM) return this.ram[addr] | (this.ram[addr + 1] << 8);
      if (kind === PAGE_MMIO) {
        const r = this.device(page);
        return r.mmio!.read(addr - r.base, 2) & 0xffff;
      }
    }
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }

  read32(addr: number): number {
    addr >>>= 0;
    if ((addr & 0xfff) <= 0xffc) {
      const page = addr >>> PAGE_SHIFT;
      const kind = this.pageKind[page];
      if (kind === PAGE_RAM) {
        const m = this.ram;
        return (m[addr] | (m[addr + 1] << 8) | (m[addr + 2] << 16) | (m[addr + 3] << 24)) >>> 0;
      }
      if (kind === PAGE_MMIO) {
        const r = this.device(page);
        return r.mmio!.read(addr - r.base, 4) >>> 0;
      }
    }
    return (this.read16(addr) | (this.read16(addr + 2) << 16)) >>> 0;
  }

  write8(addr: number, value: number): void {
    addr >>>= 0;
    const page = addr >>> PAGE_SHIFT;
    const kind = this.pageKind[page];
    if (kind === PAGE_RAM) this.ram[addr] = value;
    else if (kind === PAGE_MMIO) {
      const r = this.device(page);
      r.mmio!.write(addr - r.base, 1, value & 0xff);
    }
  }

  write16(addr: number, value: number): void {
    addr >>>= 0;
    if ((addr & 0xfff) <= 0xffe && this.pageKind[addr >>> PAGE_SHIFT] === PAGE_MMIO) {
      const r = this.device(addr >>> PAGE_SHIFT);
      r.mmio!.write(addr - r.base, 2, value & 0xffff);
      return;
    }
    this.write8(addr, value);
    this.write8(addr + 1, value >>> 8);
  }

  write32(addr: number, value: number): void {
    addr >>>= 0;
    if ((addr & 0xfff) <= 0xffc && this.pageKind[addr >>> PAGE_SHIFT] === PAGE_MMIO) {
      const r = this.device(addr >>> PAGE_SHIFT);
      r.mmio!.write(addr - r.base, 4, value >>> 0);
      return;
    }
    this.write16(addr, value);
    this.write16(addr + 2, value >>> 16);
  }

  /** Bulk read for DMA and tools; goes through the page kinds. */
  readBytes(addr: number, out: Uint8Array): void {
    for (let i = 0; i < out.length; ) {
      const a = (addr + i) >>> 0;
      const n = Math.min(out.length - i, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
      if (this.pageKind[a >>> PAGE_SHIFT] === PAGE_RAM) out.set(this.ram.subarray(a, a + n), i);
      else for (let j = 0; j < n; j++) out[i + j] = this.read8(a + j);
      i += n;
    }
  }

  /** Bulk write for DMA and loaders; tells the CPU through onExternalWrite. */
  writeBytes(addr: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; ) {
      const a = (addr + i) >>> 0;
      const n = Math.min(data.length - i, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
      if (this.pageKind[a >>> PAGE_SHIFT] === PAGE_RAM) this.ram.set(data.subarray(i, i + n), a);
      else for (let j = 0; j < n; j++) this.write8(a + j, data[i + j]);
      i += n;
    }
    this.onExternalWrite(addr >>> 0, data.length);
  }
}
