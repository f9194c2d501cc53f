// system_reset puts the storage controllers back to power-on state, as QEMU's reset of the
// PIIX IDE function (ide_bus_reset + bus-master reset) and of the ISA floppy and DMA
// controllers does: after a guest leaves them mid-command, with interrupts masked, the
// tray locked and the floppy motor running, every register reads as on a fresh board.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { shorthandDrive } from '../../../src/cli/drive-options.js';
import { BiosTestMachine, HAVE_SEABIOS } from './bios-test-machine.js';

const skip = !HAVE_SEABIOS && "Debian's seabios package is not installed";

/** Ports whose reads have no side effects worth avoiding, for both IDE channels, floppy and DMA. */
const IDE_TASK_FILE = [0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x3f6, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x376];
const FLOPPY = [0x3f2, 0x3f4, 0x3f7];
const DMA_STATUS = [0x08, 0xd0];

function machine(dir: string): BiosTestMachine {
  return new BiosTestMachine((c) => {
    c.drives.push(shorthandDrive('hda', join(dir, 'disk.img')), shorthandDrive('cdrom', join(dir, 'cd.iso')), shorthandDrive('fda', join(dir, 'floppy.img')));
  });
}

/** What the guest can read: IDE registers of both units (and their status), floppy and DMA registers. */
function snapshot(m: BiosTestMachine): Record<string, number> {
  const io = m.board.io;
  const out: Record<string, number> = {};
  for (const [base, unit] of [[0x1f0, 0], [0x1f0, 1], [0x170, 0], [0x170, 1]]) {
    io.write(base + 6, 1, 0xa0 | (unit << 4));
    for (const port of IDE_TASK_FILE.filter((p) => p >> 4 === base >> 4 || p === base + 0x206)) out[`${port.toString(16)}/${unit}`] = io.read(port, 1);
    out[`${(base + 7).toString(16)}/${unit}`] = io.read(base + 7, 1);
  }
  io.write(0x1f6, 1, 0xa0);
  io.write(0x176, 1, 0xa0);
  for (const port of FLOPPY) out[port.toString(16)] = io.read(port, 1);
  for (const port of DMA_STATUS) out[port.toString(16)] = io.read(port, 1);
  return out;
}

test('system_reset returns the IDE, floppy and DMA controllers to their power-on state', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-storage-reset-'));
  writeFileSync(join(dir, 'disk.img'), Buffer.alloc(4 << 20));
  writeFileSync(join(dir, 'cd.iso'), Buffer.alloc(2048 * 64));
  writeFileSync(join(dir, 'floppy.img'), Buffer.alloc(1_474_560));
  const fresh = machine(dir);
  const used = machine(dir);
  try {
    const expected = snapshot(fresh);
    const io = used.board.io;
    // IDE: slave selected with LBA bits, interrupts masked, registers written, IDENTIFY left
    // with its data unread (DRQ set) on the disk; on the CD, PREVENT MEDIUM REMOVAL.
    io.write(0x1f6, 1, 0xe0);
    io.write(0x1f2, 1, 0x12);
    io.write(0x1f3, 1, 0x34);
    io.write(0x1f7, 1, 0xec);
    assert.ok(io.read(0x1f7, 1) & 0x08, 'IDENTIFY has data waiting');
    io.write(0x3f6, 1, 0x02);
    io.write(0x176, 1, 0xa0);
    io.write(0x174, 1, 12);
    io.write(0x175, 1, 0);
    io.write(0x177, 1, 0xa0); // PACKET
    for (const word of [0x1e, 0x0000, 0x0001, 0x0000, 0x0000, 0x0000]) io.write(0x170, 2, word); // PREVENT ALLOW MEDIUM REMOVAL, prevent
    assert.equal(used.hw.storage.ide.drive({ bus: 1, unit: 0 })!.trayLocked, true, 'the tray is locked');
    io.write(0x176, 1, 0xb0);
    // Floppy: drive B selected with its motor on, a SPECIFY half written; DMA channels unmasked.
    io.write(0x3f2, 1, 0x2d);
    io.write(0x3f5, 1, 0x03);
    io.write(0x0f, 1, 0x00);
    io.write(0xde, 1, 0x00);
    assert.notDeepEqual(snapshot(used), expected, 'the guest changed the controllers');
    assert.notDeepEqual(used.hw.storage.dma.saveState(), fresh.hw.storage.dma.saveState());

    used.board.reset();
    assert.deepEqual(snapshot(used), expected);
    assert.equal(used.hw.storage.ide.drive({ bus: 1, unit: 0 })!.trayLocked, false, 'reset unlocks the tray');
    // A master clear masks every DMA channel again.
    assert.deepEqual(used.hw.storage.dma.saveState(), fresh.hw.storage.dma.saveState());
    // A medium stays in its drive across the reset: IDENTIFY on the disk still works.
    io.write(0x1f6, 1, 0xa0);
    io.write(0x1f7, 1, 0xec);
    assert.ok(io.read(0x1f7, 1) & 0x08);
  } finally {
    fresh.close();
    used.close();
  }
});
