// QEMU's `-vga std` as a PCI function (1234:1111, class 0300, revision 2, subsystem
// 1af4:1100): BAR 0 is the 16 MiB linear framebuffer (prefetchable), BAR 2 the 4 KiB MMIO
// block bochs-drm uses (VGA ports at 0x400, dispi registers at 0x500, QEMU's extended
// registers at 0x600), and the expansion ROM BAR carries the VGA BIOS (vgabios-stdvga.bin)
// that SeaBIOS copies to 0xc0000. The legacy ports and window are always decoded.

import type { IoBus } from '../../machine/io-bus.js';
import type { MmioHandler, PhysicalMemory } from '../../machine/physical-memory.js';
import { BAR_UNMAPPED, PCI_COMMAND_MEMORY, PciDevice } from '../pci/pci-device.js';
import { VGA_VRAM_SIZE, type Vga, type VgaState } from './vga.js';
import { VBE_INDEX_COUNT, VBE_PORT_COUNT, VBE_PORT_INDEX } from './vga-registers.js';

export const STD_VGA_DEFAULT_LFB = 0xfd000000;
const LFB_BAR = 0;
const MMIO_BAR = 2;
const MMIO_SIZE = 0x1000;
const ROM_BAR = 0x30;
/** QEMU's extended registers: their size, and the framebuffer byte order (little endian). */
const QEXT_SIZE = 8;
const QEXT_LITTLE_ENDIAN = 0x1e1e1e1e;

export class StdVgaPci extends PciDevice {
  private romBase = BAR_UNMAPPED;
  private readonly romBarSize: number;

  /** BAR 2: VGA ports at 0x400-0x41f, dispi registers (16-bit) at 0x500-0x515, QEMU extensions at 0x600. */
  readonly mmio: MmioHandler = {
    read: (offset, size) => {
      if (offset >= 0x400 && offset < 0x420) return this.vga.readPort(0x3c0 + offset - 0x400, size);
      if (offset >= 0x500 && offset < 0x500 + VBE_INDEX_COUNT * 2) {
        this.vga.vbeIndex = (offset - 0x500) >>> 1;
        return this.vga.readVbeData();
      }
      if (offset === 0x600) return QEXT_SIZE;
      if (offset === 0x604) return QEXT_LITTLE_ENDIAN;
      return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    },
    write: (offset, size, value) => {
      if (offset >= 0x400 && offset < 0x420) this.vga.writePort(0x3c0 + offset - 0x400, size, value);
      else if (offset >= 0x500 && offset < 0x500 + VBE_INDEX_COUNT * 2) {
        this.vga.vbeIndex = (offset - 0x500) >>> 1;
        this.vga.writeVbeData(value & 0xffff);
      }
    },
  };

  constructor(
    private readonly vga: Vga,
    private readonly memory: PhysicalMemory,
    /** The VGA BIOS image, or undefined for no option ROM (`-vga std` without firmware). */
    private readonly rom?: Uint8Array,
  ) {
    super({ vendorId: 0x1234, deviceId: 0x1111, revision: 2, classCode: 0x030000, subsystemVendorId: 0x1af4, subsystemId: 0x1100 });
    let romBarSize = 0x800;
    while (rom && romBarSize < rom.length) romBarSize *= 2;
    this.romBarSize = romBarSize;
    this.defineBar(LFB_BAR, { size: VGA_VRAM_SIZE, io: false, prefetchable: true });
    this.defineBar(MMIO_BAR, { size: MMIO_SIZE, io: false });
    this.initRomBar();
  }

  /** Claims the VGA's legacy ports and memory window (always decoded, as on a PC). */
  attach(io: IoBus): void {
    io.register(0x3b0, 0x30, this.vga, 'vga');
    io.register(VBE_PORT_INDEX, VBE_PORT_COUNT, this.vga.vbePorts, 'vbe');
    this.memory.mapMmio(0xa0000, 0x20000, this.vga.legacyWindow);
  }

  protected override initConfig(): void {
    super.initConfig();
    this.initRomBar();
  }

  private initRomBar(): void {
    // Called from the base constructor before `romBarSize` exists; the constructor repeats it.
    if (!this.rom || !this.romBarSize) return;
    const mask = (~(this.romBarSize - 1) & 0xfffff800) | 1;
    for (let b = 0; b < 4; b++) this.writeMask[ROM_BAR + b] = (mask >>> (b * 8)) & 0xff;
  }

  override reset(): void {
    super.reset();
    this.updateRom();
    this.vga.reset();
  }

  override saveState(): object {
    return { ...super.saveState(), vga: this.vga.saveState() };
  }

  override loadState(state: object): void {
    super.loadState(state);
    const st = state as { vga?: VgaState };
    if (st.vga) this.vga.loadState(st.vga);
    this.updateRom();
  }

  protected override barMapped(index: number, address: number): void {
    if (index === LFB_BAR) this.remap(address, VGA_VRAM_SIZE, this.vga.linearFramebuffer, 'lfb');
    else if (index === MMIO_BAR) this.remap(address, MMIO_SIZE, this.mmio, 'mmio');
  }

  private readonly mapped: Record<'lfb' | 'mmio', number> = { lfb: BAR_UNMAPPED, mmio: BAR_UNMAPPED };

  private remap(address: number, size: number, handler: MmioHandler, which: 'lfb' | 'mmio'): void {
    if (this.mapped[which] !== BAR_UNMAPPED) this.memory.unmap(this.mapped[which], size);
    this.mapped[which] = address;
    if (address !== BAR_UNMAPPED) this.memory.mapMmio(address, size, handler);
  }

  protected override configWritten(offset: number, size: number): void {
    if (offset < ROM_BAR + 4 && ROM_BAR < offset + size) this.updateRom();
    else if (offset < 0x06 && 0x04 < offset + size) this.updateRom();
  }

  private updateRom(): void {
    if (!this.rom) return;
    const raw = this.get32(ROM_BAR);
    const enabled = raw & 1 && this.get16(0x04) & PCI_COMMAND_MEMORY;
    const base = (raw & 0xfffff800) >>> 0;
    const address = enabled && base !== 0 ? base : BAR_UNMAPPED;
    if (address === this.romBase) return;
    if (this.romBase !== BAR_UNMAPPED) this.memory.unmap(this.romBase, this.romBarSize);
    this.romBase = address;
    if (address !== BAR_UNMAPPED) {
      const image = new Uint8Array(this.romBarSize).fill(0xff);
      image.set(this.rom);
      this.memory.mapRom(address, image);
    }
  }
}
