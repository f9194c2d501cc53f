// The i440FX shadow-RAM switches as SeaBIOS uses them: ROM visible at reset, copy through
// write-only RAM, then read-only RAM; and SMRAM's D_OPEN swapping RAM for the VGA window.

import assert from 'node:assert/strict';
import test from 'node:test';
import { PamShadow } from '../../../src/vm/machine/pam-shadow.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';

function setup() {
  const memory = new PhysicalMemory(2 << 20);
  const bios = new Uint8Array(0x20000);
  for (let i = 0; i < bios.length; i++) bios[i] = (i * 7) & 0xff;
  const vgaWrites: number[] = [];
  const vga = { read: () => 0x5a, write: (off: number) => void vgaWrites.push(off) };
  const remaps: number[] = [];
  const pam = new PamShadow(memory, bios, vga, (base) => remaps.push(base));
  return { memory, bios, pam, vgaWrites, remaps };
}

test('at reset 0xe0000-0xfffff shows the BIOS image and ignores writes; 0xc0000 reads empty ROM', () => {
  const { memory, bios } = setup();
  assert.equal(memory.read8(0xffff0), bios[0x1fff0]);
  assert.equal(memory.read8(0xe0000), bios[0]);
  memory.write8(0xffff0, 0x99);
  assert.equal(memory.read8(0xffff0), bios[0x1fff0]);
  assert.equal(memory.ram[0xffff0], 0);
  assert.equal(memory.read8(0xc0000), 0);
});

test('write-only (2) copies into RAM under the ROM; read-only (1) then shows the copy, write-protected', () => {
  const { memory, bios, pam, remaps } = setup();
  pam.setPam(0, 0x20);
  memory.write32(0xf0000, 0xdeadbeef);
  assert.equal(memory.read8(0xf0000), bios[0x10000], 'reads still come from ROM');
  assert.equal(memory.ram[0xf0000], 0xef);
  pam.setPam(0, 0x10);
  assert.equal(memory.read32(0xf0000), 0xdeadbeef);
  memory.write8(0xf0000, 0);
  assert.equal(memory.read8(0xf0000), 0xef, 'read-only RAM ignores writes');
  pam.setPam(0, 0x30);
  memory.write8(0xf0000, 0x11);
  assert.equal(memory.read8(0xf0000), 0x11);
  assert.ok(remaps.includes(0xf0000), 'the CPU is told to drop its translations');
});

test('PAM1-6 nibbles each switch one 16 KiB segment of 0xc0000-0xeffff', () => {
  const { memory, pam } = setup();
  pam.setPam(1, 0x03); // 0xc0000-0xc3fff RAM, 0xc4000-0xc7fff still PCI
  memory.write8(0xc0000, 0x42);
  memory.write8(0xc4000, 0x42);
  assert.equal(memory.read8(0xc0000), 0x42);
  assert.equal(memory.read8(0xc4000), 0);
  pam.setPam(6, 0x30); // 0xec000-0xeffff RAM
  memory.write8(0xec000, 0x24);
  assert.equal(memory.read8(0xec000), 0x24);
  assert.equal(memory.read8(0xe8000), setup().bios[0x8000]);
});

test('SMRAM D_OPEN shows RAM at 0xa0000; closing brings the VGA window back', () => {
  const { memory, pam, vgaWrites } = setup();
  assert.equal(memory.read8(0xb8000), 0x5a);
  pam.setSmram(0x4a);
  memory.write8(0xa0000, 0x77);
  assert.equal(memory.read8(0xa0000), 0x77);
  assert.deepEqual(vgaWrites, []);
  pam.setSmram(0x0a);
  assert.equal(memory.read8(0xa0000), 0x5a);
  memory.write8(0xa0010, 1);
  assert.deepEqual(vgaWrites, [0x10]);
});
