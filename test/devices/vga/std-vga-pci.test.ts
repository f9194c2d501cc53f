// The std VGA's PCI function as SeaBIOS sizes and places it: BAR 0 (linear framebuffer),
// BAR 2 (bochs-drm MMIO) and the expansion ROM, through the real PCI host's 0xcf8/0xcfc.

import test from 'node:test';
import assert from 'node:assert/strict';
import { IoBus } from '../../../src/vm/machine/io-bus.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';
import { PciHost } from '../../../src/vm/devices/pci/pci-host.js';
import { StdVgaPci } from '../../../src/vm/devices/vga/std-vga-pci.js';
import { Vga } from '../../../src/vm/devices/vga/vga.js';

function configAccess(io: IoBus, slot: number) {
  const select = (reg: number) => io.write(0xcf8, 4, (0x80000000 | (slot << 11) | reg) >>> 0);
  return {
    read32: (reg: number) => (select(reg), io.read(0xcfc, 4) >>> 0),
    write32: (reg: number, v: number) => (select(reg), io.write(0xcfc, 4, v >>> 0)),
    write16: (reg: number, v: number) => (select(reg & ~3), io.write(0xcfc + (reg & 2), 2, v)),
  };
}

test('std VGA PCI function: identity, BAR sizing, framebuffer, MMIO dispi registers and ROM', () => {
  const io = new IoBus();
  const memory = new PhysicalMemory(32 << 20);
  const vga = new Vga();
  const rom = new Uint8Array(38912).map((_, i) => (i * 7) & 0xff);
  rom[0] = 0x55;
  rom[1] = 0xaa;
  const dev = new StdVgaPci(vga, memory, rom);
  dev.attach(io);
  const host = new PciHost();
  host.attach(io);
  host.add(2, 0, dev);
  const cfg = configAccess(io, 2);

  assert.equal(cfg.read32(0x00), 0x11111234);
  assert.equal(cfg.read32(0x08), 0x03000002, 'class 0300, revision 2');
  assert.equal(cfg.read32(0x2c), 0x11001af4);
  // Sizing as SeaBIOS's pci_bios_get_bar does: write all-ones, read the mask back.
  for (const [reg, expect] of [
    [0x10, 0xff000008],
    [0x18, 0xfffff000],
    [0x30, 0xffff0001],
  ] as const) {
    cfg.write32(reg, 0xffffffff);
    assert.equal(cfg.read32(reg), expect, `BAR at 0x${reg.toString(16)}`);
  }
  cfg.write32(0x10, 0xfd000000);
  cfg.write32(0x18, 0xfebf0000);
  cfg.write32(0x30, 0xfebe0001);
  assert.equal(memory.read32(0xfd000000), 0xffffffff, 'nothing decoded before the command register enables memory');
  cfg.write16(0x04, 0x0003);

  // The linear framebuffer is VRAM.
  memory.write32(0xfd000010, 0x11223344);
  assert.equal(vga.vram[0x10], 0x44);
  assert.equal(memory.read16(0xfd000012), 0x1122);
  // BAR 2: dispi registers as 16-bit MMIO (bochs-drm), VGA ports at 0x400, QEMU extensions.
  memory.write16(0xfebf0500 + 2 * 1, 1024);
  assert.equal(vga.vbeRegs[1], 1024);
  assert.equal(memory.read16(0xfebf0500), 0xb0c5, 'VBE ID');
  memory.write8(0xfebf0400 + 0x08, 5); // DAC write index via 0x3c8
  assert.equal(vga.dacWriteIndex, 5);
  assert.equal(memory.read32(0xfebf0600), 8);
  // The ROM is readable where the guest put it, padded to the BAR size with 0xff.
  assert.equal(memory.read16(0xfebe0000), 0xaa55);
  assert.equal(memory.read8(0xfebe0000 + 1000), (1000 * 7) & 0xff);
  assert.equal(memory.read8(0xfebe0000 + 40000), 0xff);

  // Moving the framebuffer unmaps the old place; disabling the ROM unmaps it.
  cfg.write32(0x10, 0xe0000000);
  assert.equal(memory.read32(0xfd000010), 0xffffffff);
  assert.equal(memory.read32(0xe0000010), 0x11223344);
  cfg.write32(0x30, 0xfebe0000);
  assert.equal(memory.read16(0xfebe0000), 0xffff);
  // The legacy window and ports work regardless of the PCI command register.
  cfg.write16(0x04, 0x0000);
  assert.equal(memory.read32(0xe0000010), 0xffffffff);
  io.write(0x3c8, 1, 9);
  assert.equal(vga.dacWriteIndex, 9);
});
