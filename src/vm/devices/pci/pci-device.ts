// A PCI function's type-0 configuration space: identification, command/status, BARs
// with size probing (writing all-ones reads back the size mask), interrupt line/pin and
// INTx. Writable bits are kept as a per-byte mask (as QEMU's hw/pci/pci.c does with its
// wmask/w1cmask), so sub-dword accesses behave like dword ones. A BAR is "mapped" only
// when its decode bit in the command register is on and the address is sane (not 0,
// not wrapping past 4 GiB or 64 KiB of I/O), QEMU's rule; the expansion ROM BAR (0x30)
// also needs its enable bit. Subclasses get barMapped() to move their registers. Later
// devices (IDE, e1000, VGA) extend this class.

import type { IrqLine } from '../../machine/irq.js';
import { NO_IRQ } from '../../machine/irq.js';

export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
export const PCI_COMMAND_SERR = 0x0100;
export const PCI_COMMAND_INTX_DISABLE = 0x0400;
/** QEMU gives every function it does not name otherwise Red Hat/Qumranet's QEMU subsystem. */
const QEMU_SUBSYSTEM_VENDOR = 0x1af4;
const QEMU_SUBSYSTEM = 0x1100;
const PCI_STATUS_INTERRUPT = 0x08;

export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  revision?: number;
  /** Base class, subclass and programming interface as 0xBBSSPP. */
  classCode: number;
  /** 0x80 marks function 0 of a multi-function device. */
  headerType?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** 1-4 for INTA#-INTD#, 0 for none. */
  interruptPin?: number;
}

export interface BarSpec {
  /** Size in bytes, a power of two (at least 4 for I/O, 16 for memory). */
  size: number;
  io: boolean;
  prefetchable?: boolean;
}

export const BAR_UNMAPPED = -1;
/** barMapped() index of the expansion ROM BAR (config 0x30). */
export const ROM_BAR = 6;
const ROM_ENABLE = 0x01;

export class PciDevice {
  readonly config = new Uint8Array(256);
  /** Bits the guest may write. */
  protected readonly writeMask = new Uint8Array(256);
  /** Bits the guest clears by writing 1 (status errors). */
  protected readonly clearMask = new Uint8Array(256);
  protected readonly bars: (BarSpec | undefined)[] = new Array(6).fill(undefined);
  /** Size of the expansion ROM (0: none). */
  protected romSize = 0;
  /** Where each BAR (0-5, then ROM_BAR) is decoded now, or BAR_UNMAPPED. */
  readonly barAddress: number[] = new Array(7).fill(BAR_UNMAPPED);
  private intx: IrqLine = NO_IRQ;
  private intxLevel = false;

  constructor(readonly identity: PciIdentity) {
    this.initConfig();
  }

  /** Power-on contents of configuration space; subclasses extend it and call super. */
  protected initConfig(): void {
    const id = this.identity;
    this.config.fill(0);
    this.writeMask.fill(0);
    this.clearMask.fill(0);
    this.set16(0x00, id.vendorId);
    this.set16(0x02, id.deviceId);
    this.config[0x08] = id.revision ?? 0;
    this.config[0x09] = id.classCode & 0xff;
    this.set16(0x0a, id.classCode >> 8);
    this.config[0x0e] = id.headerType ?? 0;
    this.set16(0x2c, id.subsystemVendorId ?? QEMU_SUBSYSTEM_VENDOR);
    this.set16(0x2e, id.subsystemId ?? QEMU_SUBSYSTEM);
    this.config[0x3d] = id.interruptPin ?? 0;
    this.setMask16(0x04, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    this.set16Mask(this.clearMask, 0x06, 0xf900); // parity, aborts, SERR, parity error
    this.writeMask[0x0c] = 0xff; // cache line size
    this.writeMask[0x0d] = 0xff; // latency timer
    this.writeMask[0x3c] = 0xff; // interrupt line
    // Device-specific registers are plain storage unless the device says otherwise (QEMU's pci_init_wmask).
    this.writeMask.fill(0xff, 0x40, 0x100);
    for (let i = 0; i < 6; i++) {
      const bar = this.bars[i];
      if (bar) this.initBar(i, bar);
    }
    if (this.romSize) this.initRom();
  }

  /** Declares an expansion ROM of `size` bytes (a power of two, at least 2 KiB). */
  protected defineRom(size: number): void {
    this.romSize = size;
    this.initRom();
  }

  private initRom(): void {
    const mask = (~(this.romSize - 1) & 0xfffff800) | ROM_ENABLE;
    for (let b = 0; b < 4; b++) this.writeMask[0x30 + b] = (mask >>> (b * 8)) & 0xff;
  }

  /** Declares BAR `index`; call from the subclass constructor, before reset(). */
  protected defineBar(index: number, spec: BarSpec): void {
    this.bars[index] = spec;
    this.initBar(index, spec);
  }

  private initBar(index: number, spec: BarSpec): void {
    const offset = 0x10 + index * 4;
    const flags = spec.io ? 0x01 : spec.prefetchable ? 0x08 : 0x00;
    this.set32(offset, flags);
    const mask = spec.io ? ~(spec.size - 1) & 0xfffffffc : ~(spec.size - 1) & 0xfffffff0;
    for (let b = 0; b < 4; b++) this.writeMask[offset + b] = (mask >>> (b * 8)) & 0xff;
  }

  reset(): void {
    this.initConfig();
    this.setIntx(false);
    this.updateMappings();
  }

  /** Connects INTx (the board gives the PIRQ line of this slot and pin). */
  connectIntx(line: IrqLine): void {
    this.intx = line;
  }

  /** The device asserts or releases its interrupt pin. */
  setIntx(level: boolean): void {
    this.intxLevel = level;
    if (level) this.config[0x06] |= PCI_STATUS_INTERRUPT;
    else this.config[0x06] &= ~PCI_STATUS_INTERRUPT;
    this.intx.set(level && (this.get16(0x04) & PCI_COMMAND_INTX_DISABLE) === 0);
  }

  configRead(offset: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.config[(offset + i) & 0xff] << (8 * i);
    return v >>> 0;
  }

  configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) {
      const o = (offset + i) & 0xff;
      const b = (value >>> (8 * i)) & 0xff;
      const wm = this.writeMask[o];
      this.config[o] = ((this.config[o] & ~wm) | (b & wm)) & ~(b & this.clearMask[o]);
    }
    if (rangesOverlap(offset, size, 0x04, 2)) this.setIntx(this.intxLevel);
    if (rangesOverlap(offset, size, 0x04, 2) || rangesOverlap(offset, size, 0x10, 24) || rangesOverlap(offset, size, 0x30, 4)) {
      this.updateMappings();
    }
    this.configWritten(offset, size);
  }

  /** Hook for device-specific registers after a guest write. */
  protected configWritten(_offset: number, _size: number): void {}

  /** Hook: BAR `index` (0-5, or ROM_BAR) moved to `address` (or BAR_UNMAPPED). */
  protected barMapped(_index: number, _address: number): void {}

  protected updateMappings(): void {
    const command = this.get16(0x04);
    for (let i = 0; i < 6; i++) {
      const spec = this.bars[i];
      if (!spec) continue;
      let address = BAR_UNMAPPED;
      if (command & (spec.io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) {
        const raw = this.get32(0x10 + i * 4);
        const base = (spec.io ? raw & 0xfffffffc : raw & 0xfffffff0) >>> 0;
        const last = base + spec.size - 1;
        const limit = spec.io ? 0xffff : 0xfffffffe;
        if (base !== 0 && last <= limit) address = base;
      }
      this.moveBar(i, address);
    }
    if (this.romSize) {
      const raw = this.get32(0x30);
      const base = (raw & 0xfffff800) >>> 0;
      const decoded = command & PCI_COMMAND_MEMORY && raw & ROM_ENABLE && base !== 0 && base + this.romSize - 1 <= 0xfffffffe;
      this.moveBar(ROM_BAR, decoded ? base : BAR_UNMAPPED);
    }
  }

  private moveBar(index: number, address: number): void {
    if (address === this.barAddress[index]) return;
    this.barAddress[index] = address;
    this.barMapped(index, address);
  }

  /** The size and kind of BAR `index` (ROM_BAR: the expansion ROM), for `info pci`. */
  barSpec(index: number): BarSpec | undefined {
    if (index === ROM_BAR) return this.romSize ? { size: this.romSize, io: false } : undefined;
    return this.bars[index];
  }

  protected get16(offset: number): number {
    return this.config[offset] | (this.config[offset + 1] << 8);
  }

  protected get32(offset: number): number {
    return (this.get16(offset) | (this.get16(offset + 2) << 16)) >>> 0;
  }

  protected set16(offset: number, v: number): void {
    this.config[offset] = v & 0xff;
    this.config[offset + 1] = (v >> 8) & 0xff;
  }

  protected set32(offset: number, v: number): void {
    this.set16(offset, v & 0xffff);
    this.set16(offset + 2, v >>> 16);
  }

  protected setMask16(offset: number, mask: number): void {
    this.set16Mask(this.writeMask, offset, mask);
  }

  private set16Mask(target: Uint8Array, offset: number, mask: number): void {
    target[offset] = mask & 0xff;
    target[offset + 1] = (mask >> 8) & 0xff;
  }

  saveState(): object {
    return { config: Array.from(this.config), intx: this.intxLevel };
  }

  loadState(s: object): void {
    const st = s as { config?: number[]; intx?: boolean };
    if (Array.isArray(st.config)) this.config.set(st.config.slice(0, 256));
    this.setIntx(st.intx === true);
    this.updateMappings();
  }
}

function rangesOverlap(offset: number, size: number, start: number, length: number): boolean {
  return offset < start + length && start < offset + size;
}
