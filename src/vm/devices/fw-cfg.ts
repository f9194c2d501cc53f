// QEMU's firmware configuration device (fw_cfg) as the pc machine has it: selector at
// port 0x510 (16-bit), data at 0x511 (one byte per read), and the DMA interface at
// 0x514 (a big-endian 64-bit address of a {control, length, address} descriptor; the
// write of the low half starts the transfer). Items: the "QEMU" signature (0x0000), the
// ID with the DMA bit (0x0001), the file directory (0x0019, big-endian entries sorted by
// name, files numbered from 0x0020 in that order) and whatever the board adds (RAM size,
// kernel/initrd/cmdline items, `etc/e820`, ...). Reading past an item's end gives 0.
// Reference: QEMU's hw/nvram/fw_cfg.c and docs/specs/fw_cfg.rst; as in QEMU 7.2 there
// are no guest-writable items, so DMA writes fail with the error bit.

import type { IoBus, IoSize, PortHandler } from '../machine/io-bus.js';
import type { PhysicalMemory } from '../machine/physical-memory.js';

export const FW_CFG_SIGNATURE = 0x0000;
export const FW_CFG_ID = 0x0001;
export const FW_CFG_UUID = 0x0002;
export const FW_CFG_RAM_SIZE = 0x0003;
export const FW_CFG_NOGRAPHIC = 0x0004;
export const FW_CFG_NB_CPUS = 0x0005;
export const FW_CFG_MACHINE_ID = 0x0006;
export const FW_CFG_KERNEL_ADDR = 0x0007;
export const FW_CFG_KERNEL_SIZE = 0x0008;
export const FW_CFG_KERNEL_CMDLINE = 0x0009;
export const FW_CFG_INITRD_ADDR = 0x000a;
export const FW_CFG_INITRD_SIZE = 0x000b;
export const FW_CFG_BOOT_DEVICE = 0x000c;
export const FW_CFG_NUMA = 0x000d;
export const FW_CFG_BOOT_MENU = 0x000e;
export const FW_CFG_MAX_CPUS = 0x000f;
export const FW_CFG_KERNEL_ENTRY = 0x0010;
export const FW_CFG_KERNEL_DATA = 0x0011;
export const FW_CFG_INITRD_DATA = 0x0012;
export const FW_CFG_CMDLINE_ADDR = 0x0013;
export const FW_CFG_CMDLINE_SIZE = 0x0014;
export const FW_CFG_CMDLINE_DATA = 0x0015;
export const FW_CFG_SETUP_ADDR = 0x0016;
export const FW_CFG_SETUP_SIZE = 0x0017;
export const FW_CFG_SETUP_DATA = 0x0018;
export const FW_CFG_FILE_DIR = 0x0019;
export const FW_CFG_FILE_FIRST = 0x0020;
/** x86 arch-local items (QEMU's hw/i386/fw_cfg.h). */
export const FW_CFG_ACPI_TABLES = 0x8000;
export const FW_CFG_SMBIOS_ENTRIES = 0x8001;
export const FW_CFG_IRQ0_OVERRIDE = 0x8002;
export const FW_CFG_E820_TABLE = 0x8003;
export const FW_CFG_HPET = 0x8004;

const KEY_MASK = 0x3fff;
const ARCH_LOCAL = 0x8000;
const FILE_NAME_SIZE = 56;
const MAX_FILES = 0x1000 - FW_CFG_FILE_FIRST;

const DMA_ERROR = 0x01;
const DMA_READ = 0x02;
const DMA_SKIP = 0x04;
const DMA_SELECT = 0x08;
const DMA_WRITE = 0x10;
/** "QEMU CFG" read back from the DMA address register. */
const DMA_SIGNATURE = new TextEncoder().encode('QEMU CFG');

export class FwCfg implements PortHandler {
  private readonly items = new Map<number, Uint8Array>();
  private readonly files: { name: string; data: Uint8Array }[] = [];
  private current = -1;
  private offset = 0;
  private dmaHigh = 0;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly dmaEnabled = true,
  ) {
    this.items.set(FW_CFG_SIGNATURE, new TextEncoder().encode('QEMU'));
    this.addU32(FW_CFG_ID, dmaEnabled ? 3 : 1);
    this.rebuildDirectory();
  }

  /** Claims 0x510-0x511 and, with DMA, 0x514-0x51b. */
  attach(io: IoBus): void {
    io.register(0x510, 2, this, 'fwcfg');
    if (this.dmaEnabled) io.register(0x514, 8, this, 'fwcfg.dma');
  }

  reset(): void {
    this.current = -1;
    this.offset = 0;
    this.dmaHigh = 0;
  }

  addBytes(key: number, data: Uint8Array): void {
    this.items.set(key & (KEY_MASK | ARCH_LOCAL), data);
  }

  addU16(key: number, value: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, value, true);
    this.addBytes(key, b);
  }

  addU32(key: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.addBytes(key, b);
  }

  addU64(key: number, value: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, value, true);
    this.addBytes(key, b);
  }

  /** A NUL-terminated string item (QEMU's fw_cfg_add_string). */
  addString(key: number, text: string): void {
    const body = new TextEncoder().encode(text);
    const b = new Uint8Array(body.length + 1);
    b.set(body);
    this.addBytes(key, b);
  }

  /** Adds a named file; the directory stays sorted by name, as QEMU's is. */
  addFile(name: string, data: Uint8Array): void {
    if (new TextEncoder().encode(name).length >= FILE_NAME_SIZE) throw new Error(`fw_cfg: file name too long: ${name}`);
    if (this.files.some((f) => f.name === name)) throw new Error(`duplicate fw_cfg file name: ${name}`);
    if (this.files.length >= MAX_FILES) throw new Error('fw_cfg: no more room for files');
    let index = this.files.length;
    while (index > 0 && compareNames(name, this.files[index - 1].name) < 0) index--;
    this.files.splice(index, 0, { name, data });
    this.rebuildDirectory();
  }

  /** Replaces a file's contents (e.g. an updated `etc/e820`). */
  modifyFile(name: string, data: Uint8Array): void {
    const file = this.files.find((f) => f.name === name);
    if (!file) throw new Error(`fw_cfg: no file ${name}`);
    file.data = data;
    this.rebuildDirectory();
  }

  /** The selector of a file, as the guest finds it in the directory. */
  fileKey(name: string): number {
    const index = this.files.findIndex((f) => f.name === name);
    return index < 0 ? -1 : FW_CFG_FILE_FIRST + index;
  }

  private rebuildDirectory(): void {
    for (const key of [...this.items.keys()]) if (key >= FW_CFG_FILE_FIRST && key < ARCH_LOCAL) this.items.delete(key);
    const dir = new Uint8Array(4 + this.files.length * 64);
    const view = new DataView(dir.buffer);
    view.setUint32(0, this.files.length);
    this.files.forEach((f, i) => {
      const at = 4 + i * 64;
      view.setUint32(at, f.data.length);
      view.setUint16(at + 4, FW_CFG_FILE_FIRST + i);
      dir.set(new TextEncoder().encode(f.name), at + 8);
      this.items.set(FW_CFG_FILE_FIRST + i, f.data);
    });
    this.items.set(FW_CFG_FILE_DIR, dir);
  }

  private select(key: number): void {
    this.current = key & (KEY_MASK | ARCH_LOCAL);
    this.offset = 0;
  }

  readPort(port: number, size: IoSize): number {
    if (port === 0x511) {
      const item = this.items.get(this.current);
      return item && this.offset < item.length ? item[this.offset++] : 0;
    }
    if (port >= 0x514) {
      let v = 0;
      for (let i = 0; i < size; i++) v |= (DMA_SIGNATURE[(port - 0x514 + i) & 7] ?? 0) << (8 * i);
      return v >>> 0;
    }
    return 0;
  }

  writePort(port: number, size: IoSize, value: number): void {
    if (port === 0x510) {
      this.select(value & 0xffff);
      return;
    }
    if (port === 0x514 && size === 4) {
      this.dmaHigh = byteSwap32(value);
      return;
    }
    if (port === 0x518 && size === 4) {
      const address = this.dmaHigh * 2 ** 32 + byteSwap32(value);
      this.dmaHigh = 0;
      this.runDma(address);
    }
    // Writes to the data port are ignored, as in QEMU since 2.4.
  }

  private runDma(descriptorAddress: number): void {
    if (descriptorAddress >= 2 ** 32) return;
    const desc = new Uint8Array(16);
    this.memory.readBytes(descriptorAddress, desc);
    const view = new DataView(desc.buffer);
    let control = view.getUint32(0);
    let length = view.getUint32(4);
    let address = Number(view.getBigUint64(8));
    if (control & DMA_SELECT) this.select(control >>> 16);
    let error = false;
    const item = this.items.get(this.current);
    const read = (control & DMA_READ) !== 0;
    const write = (control & DMA_WRITE) !== 0;
    const skip = (control & DMA_SKIP) !== 0;
    if (read || write || skip) {
      while (length > 0 && !error) {
        let n: number;
        if (!item || this.offset >= item.length) {
          n = length;
          if (read) this.memory.writeBytes(address, new Uint8Array(n));
          if (write) error = true;
        } else {
          n = Math.min(length, item.length - this.offset);
          if (read) this.memory.writeBytes(address, item.subarray(this.offset, this.offset + n));
          if (write) error = true;
          else this.offset += n;
        }
        address += n;
        length -= n;
      }
    }
    control = error ? DMA_ERROR : 0;
    const done = new Uint8Array(4);
    new DataView(done.buffer).setUint32(0, control);
    this.memory.writeBytes(descriptorAddress, done);
  }

  saveState(): object {
    return { current: this.current, offset: this.offset, dmaHigh: this.dmaHigh };
  }

  loadState(s: object): void {
    const st = s as Record<string, unknown>;
    this.current = typeof st.current === 'number' ? st.current : -1;
    this.offset = typeof st.offset === 'number' ? st.offset : 0;
    this.dmaHigh = typeof st.dmaHigh === 'number' ? st.dmaHigh : 0;
  }
}

function byteSwap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** strcmp order on the names' bytes. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
