// The Linux boot protocol as termu sets it up, checked by reading guest memory and the
// CPU state the way the kernel's 32-bit entry will see them.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { Cpu } from '../../src/vm/cpu/cpu.js';
import { BootError } from '../../src/vm/machine/firmware/boot-error.js';
import { loadKernel } from '../../src/vm/machine/firmware/load-kernel.js';
import { PcBoard } from '../../src/vm/machine/pc-board.js';

/** A bzImage-shaped file: 4 setup sectors with a 2.15 header, then a recognisable body. */
function fakeBzImage(bodySize: number): Uint8Array {
  const image = new Uint8Array(5 * 512 + bodySize);
  const v = new DataView(image.buffer);
  image[0x1f1] = 4;
  v.setUint16(0x1fe, 0xaa55, true);
  image[0x200] = 0xeb;
  image[0x201] = 0x66; // the header runs to 0x268
  v.setUint32(0x202, 0x53726448, true);
  v.setUint16(0x206, 0x020f, true);
  image[0x211] = 0x01; // LOADED_HIGH
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x22c, 0x7fffffff, true); // initrd_addr_max
  v.setUint32(0x238, 2047, true); // cmdline_size
  for (let i = 0; i < bodySize; i++) image[5 * 512 + i] = (i * 7) & 0xff;
  return image;
}

function setup(ramMiB: number) {
  const board = new PcBoard({ ramBytes: ramMiB << 20, serialPorts: 1, debugcon: false, rtcBase: 'utc' }, {
    serialOut: () => {}, debugconOut: () => {}, powerOff: () => {}, debugExit: () => {}, resetRequested: () => {},
  });
  const cpu = new Cpu(board);
  board.setCpu(cpu);
  const dir = mkdtempSync(join(tmpdir(), 'termu-linux-'));
  return { board, cpu, dir, mem: board.memory, view: new DataView(board.memory.ram.buffer, board.memory.ram.byteOffset, board.memory.ram.byteLength) };
}

test('boot_params, command line, initrd, e820 and the 32-bit entry state', () => {
  const { cpu, dir, mem, view } = setup(128);
  const kernel = join(dir, 'bzImage');
  const initrd = join(dir, 'initrd');
  writeFileSync(kernel, fakeBzImage(10000));
  const initrdData = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13) & 0xff);
  writeFileSync(initrd, initrdData);
  loadKernel(mem, cpu, { kernel, initrd, append: 'console=ttyS0 quiet' });

  const zp = cpu.reg32[6] >>> 0; // ESI
  assert.equal(zp, 0x10000);
  assert.equal(view.getUint32(zp + 0x202, true), 0x53726448, 'setup header copied');
  assert.equal(mem.ram[zp + 0x210], 0xb0, 'type_of_loader');
  const cmdPtr = view.getUint32(zp + 0x228, true);
  assert.equal(Buffer.from(mem.ram.subarray(cmdPtr, cmdPtr + 20)).toString('latin1'), 'console=ttyS0 quiet\0');
  const rdAddr = view.getUint32(zp + 0x218, true);
  assert.equal(view.getUint32(zp + 0x21c, true), 5000);
  assert.equal(rdAddr & 0xfff, 0, 'initrd page-aligned');
  assert.ok(rdAddr + 5000 <= (128 << 20) - 0x20000, 'initrd below the ACPI tables');
  assert.deepEqual(mem.ram.subarray(rdAddr, rdAddr + 5000), initrdData);
  assert.equal(mem.ram[0x100000 + 1], 7, 'protected-mode kernel at 1 MiB');

  // The same map QEMU + SeaBIOS give a 128 MiB pc (compare dmesg's BIOS-e820 lines).
  const e820 = [];
  for (let i = 0; i < mem.ram[zp + 0x1e8]; i++) {
    const at = zp + 0x2d0 + 20 * i;
    e820.push([Number(view.getBigUint64(at, true)), Number(view.getBigUint64(at + 8, true)), view.getUint32(at + 16, true)]);
  }
  assert.deepEqual(e820, [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2], [0x100000, 0x7ee0000, 1], [0x7fe0000, 0x20000, 2], [0xfffc0000, 0x40000, 2]]);

  assert.equal(cpu.eip, 0x100000);
  assert.equal(cpu.cr0 & 0x80000001, 1, 'protected mode, paging off');
  assert.equal(cpu.getEflags() & 0x200, 0, 'interrupts off');
  assert.deepEqual(cpu.getSegment(1), { selector: 0x10, base: 0, limit: 0xffffffff, flags: 0x00cf9b00 });
  for (const s of [0, 2, 3]) assert.equal(cpu.getSegment(s).selector, 0x18);
  // The boot GDT really holds those descriptors at 0x10 and 0x18.
  assert.equal(view.getUint32(cpu.gdtr.base + 0x14, true), 0x00cf9a00);
  assert.equal(view.getUint32(cpu.gdtr.base + 0x1c, true), 0x00cf9200);
});

test('loader errors: missing file, not a kernel, command line and initrd too large', () => {
  const { cpu, dir, mem } = setup(16);
  assert.throws(() => loadKernel(mem, cpu, { kernel: join(dir, 'none'), append: '' }), new BootError(`could not open kernel file '${join(dir, 'none')}': No such file or directory`));
  writeFileSync(join(dir, 'text'), 'hello');
  assert.throws(() => loadKernel(mem, cpu, { kernel: join(dir, 'text'), append: '' }), { message: 'invalid kernel header' });
  writeFileSync(join(dir, 'bz'), fakeBzImage(1000));
  assert.throws(() => loadKernel(mem, cpu, { kernel: join(dir, 'bz'), append: 'x'.repeat(3000) }), { message: 'kernel command line too long (3000 > 2047)' });
  writeFileSync(join(dir, 'big'), new Uint8Array(16 << 20));
  assert.throws(() => loadKernel(mem, cpu, { kernel: join(dir, 'bz'), initrd: join(dir, 'big'), append: '' }), /^Error: initrd is too large, cannot support/);
});
