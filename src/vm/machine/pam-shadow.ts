// The i440FX's memory map below 1 MiB as its PAM and SMRAM registers make it (QEMU's
// hw/pci-host/pam.c and i440fx smram). Each PAM nibble decides for one segment of
// 0xc0000-0xfffff whether reads and writes reach RAM or the PCI side (the BIOS ROM alias
// at 0xe0000-0xfffff, the empty option-ROM space below): SeaBIOS copies itself from ROM to
// RAM behind these switches and then write-protects the result. SMRAM's D_OPEN puts RAM
// in place of the VGA window at 0xa0000.

import type { MmioHandler, PhysicalMemory } from './physical-memory.js';
import { PAGE_SHIFT, PAGE_UNASSIGNED } from './physical-memory.js';

/** PAM nibble values: reads from RAM (RE) and writes to RAM (WE). */
const PAM_RE = 1;
const PAM_WE = 2;
const SMRAM_D_OPEN = 0x40;
const SMRAM_WINDOW = 0xa0000;
const SMRAM_SIZE = 0x20000;
const PCI_SIDE_BASE = 0xc0000;
/** The top 128 KiB of the BIOS image appear at 0xe0000-0xfffff (QEMU's isa-bios alias). */
export const ISA_BIOS_SIZE = 0x20000;

export interface PamSegment {
  base: number;
  size: number;
  mode: number;
}

export class PamShadow {
  /** What the PCI side shows at 0xc0000-0xfffff: QEMU's empty pc.rom, then the isa-bios alias. */
  private readonly pciSide = new Uint8Array(0x40000);
  private readonly segments: PamSegment[] = [];
  private smramOpen: boolean | undefined;
  /** The SMRAM register as last written (for `info mtree`). */
  smram = 0;

  constructor(
    private readonly memory: PhysicalMemory,
    bios: Uint8Array,
    /** The VGA window to show while SMRAM is closed; undefined with `-vga none`. */
    private readonly vgaWindow: MmioHandler | undefined,
    /** Called after the map changed: the CPU must drop TLB entries and code for these pages. */
    private readonly onRemap: (base: number, size: number) => void,
  ) {
    const alias = bios.subarray(Math.max(0, bios.length - ISA_BIOS_SIZE));
    this.pciSide.set(alias, this.pciSide.length - alias.length);
    // PAM0's high nibble covers the 64 KiB F segment; PAM1-6 split 0xc0000-0xeffff in 16 KiB halves.
    this.segments.push({ base: 0xf0000, size: 0x10000, mode: -1 });
    for (let i = 0; i < 12; i++) this.segments.push({ base: 0xc0000 + i * 0x4000, size: 0x4000, mode: -1 });
    this.reset();
  }

  reset(): void {
    for (let i = 0; i < 7; i++) this.setPam(i, 0);
    this.smramOpen = undefined;
    this.setSmram(0x02);
  }

  /** PAM register `index` (config 0x59 + index) now holds `value`. */
  setPam(index: number, value: number): void {
    if (index === 0) this.apply(this.segments[0], (value >> 4) & 3);
    else {
      this.apply(this.segments[1 + (index - 1) * 2], value & 3);
      this.apply(this.segments[2 + (index - 1) * 2], (value >> 4) & 3);
    }
  }

  /** The F segment, then 0xc0000-0xeffff in 16 KiB steps, each with its PAM mode (RE=1, WE=2). */
  get pamSegments(): readonly PamSegment[] {
    return this.segments;
  }

  setSmram(value: number): void {
    this.smram = value;
    const open = (value & SMRAM_D_OPEN) !== 0;
    if (open === this.smramOpen) return;
    this.smramOpen = open;
    if (open) this.memory.unmap(SMRAM_WINDOW, SMRAM_SIZE);
    else if (this.vgaWindow) this.memory.mapMmio(SMRAM_WINDOW, SMRAM_SIZE, this.vgaWindow);
    else this.markUnassigned(SMRAM_WINDOW, SMRAM_SIZE);
    this.onRemap(SMRAM_WINDOW, SMRAM_SIZE);
  }

  private apply(seg: PamSegment, mode: number): void {
    if (seg.mode === mode) return;
    seg.mode = mode;
    const { base, size } = seg;
    const ram = this.memory.ram;
    const rom = this.pciSide.subarray(base - PCI_SIDE_BASE, base - PCI_SIDE_BASE + size);
    if (mode === (PAM_RE | PAM_WE)) this.memory.unmap(base, size);
    else if (mode === PAM_RE) this.memory.mapRom(base, ram.subarray(base, base + size)); // write-protected RAM
    else if (mode === 0) this.memory.mapRom(base, rom);
    else {
      // Write-only: reads see the ROM, writes fill the RAM underneath (the copy step).
      this.memory.mapMmio(base, size, {
        read: (off, n) => (n === 1 ? rom[off] : n === 2 ? rom[off] | (rom[off + 1] << 8) : (rom[off] | (rom[off + 1] << 8) | (rom[off + 2] << 16) | (rom[off + 3] << 24)) >>> 0),
        write: (off, n, v) => {
          for (let i = 0; i < n; i++) ram[base + off + i] = (v >>> (8 * i)) & 0xff;
        },
      });
    }
    this.onRemap(base, size);
  }

  private markUnassigned(base: number, size: number): void {
    this.memory.unmap(base, size);
    for (let p = base >>> PAGE_SHIFT; p < (base + size) >>> PAGE_SHIFT; p++) this.memory.setPageKind(p, PAGE_UNASSIGNED);
  }
}
