// Booting real media through Debian's SeaBIOS on termu's pc board: memtest86+ from its ISO
// (-cdrom) and from a floppy (-fda) reaches its test screen, and the GRUB rescue ISO
// reaches GRUB's prompt with a screen equal, pixel for pixel, to QEMU's screendump of the
// same screen (the blinking cursor aside: termu's dump with the cursor on or off must match).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { parseBootOption, shorthandDrive } from '../../../src/cli/drive-options.js';
import { ensureGrubRescueIso, GRUB_PROMPT, GRUB_READY_MARKER } from '../../guests/grub-rescue.js';
import { ensureMemtest, MEMTEST_SCREEN } from '../../guests/memtest.js';
import { haveQemu, QEMU, QemuSession } from '../../guests/qemu-session.js';
import { BiosTestMachine, cpuRealModeCheck, HAVE_SEABIOS } from './bios-test-machine.js';

const skip = !HAVE_SEABIOS ? "Debian's seabios package is not installed (/usr/share/seabios)" : cpuRealModeCheck() ?? false;
const BOOT_TIMEOUT_MS = 60_000;
/** memtest86+'s test screen, fully drawn: its banner, the memory it found, and the key help line. */
const MEMTEST_READY = new RegExp(`${MEMTEST_SCREEN.source}[\\s\\S]*Memory\\s*:\\s*128MB[\\s\\S]*<ESC> Exit`);

async function bootToScreen(option: 'cdrom' | 'fda', file: string, order: string, screen: RegExp): Promise<BiosTestMachine> {
  const machine = new BiosTestMachine((c) => {
    c.drives.push(shorthandDrive(option, file));
    c.boot = parseBootOption(order, c.boot);
  });
  await machine.runUntil(() => screen.test(machine.screenText()), BOOT_TIMEOUT_MS, String(screen));
  return machine;
}

test('memtest86+ boots from -cdrom (its ISO) to its test screen', { skip, timeout: 120_000 }, async () => {
  const images = await ensureMemtest();
  const machine = await bootToScreen('cdrom', images.iso, 'd', MEMTEST_READY);
  try {
    assert.match(machine.debugLog, /Booting from DVD\/CD/);
  } finally {
    machine.close();
  }
});

test('memtest86+ boots from -fda to its test screen', { skip, timeout: 120_000 }, async () => {
  const images = await ensureMemtest();
  const machine = await bootToScreen('fda', images.floppy, 'a', MEMTEST_READY);
  try {
    assert.match(machine.debugLog, /Booting from Floppy/);
  } finally {
    machine.close();
  }
});

test("GRUB's rescue CD reaches its prompt; screendump equals QEMU's", { skip: skip || (!haveQemu() && 'qemu-system-i386 is not installed'), timeout: 150_000 }, async () => {
  const iso = await ensureGrubRescueIso();
  const qemu = new QemuSession(['-cdrom', iso, '-boot', 'd', '-m', '128', '-display', 'none', '-serial', 'stdio']);
  const dir = mkdtempSync(join(tmpdir(), 'termu-grub-screen-'));
  let machine: BiosTestMachine | undefined;
  try {
    const ready = await qemu.waitFor(GRUB_READY_MARKER, 60_000);
    await qemu.waitFor(GRUB_PROMPT, 30_000, ready);
    // The prompt reaches COM1 before GRUB may have finished drawing it on the VGA console.
    await new Promise((r) => setTimeout(r, 1000));
    await qemu.monitor(`screendump ${join(dir, 'qemu.ppm')}`);
    const expected = readFileSync(join(dir, 'qemu.ppm'));

    machine = await bootToScreen('cdrom', iso, 'd', /^grub>/m);
    const m = machine;
    // The prompt is on screen once GRUB has drawn it; give it a moment to finish the line.
    const at = m.cpu.instructionCount;
    await m.runUntil(() => m.cpu.instructionCount > at + 2_000_000, 10_000, 'a settled screen');
    const candidates = [m.screendump(true), m.screendump(false)];
    assert.ok(
      candidates.some((c) => c.equals(expected)),
      `termu's screen differs from QEMU's; termu's text:\n${m.screenText()}\nQEMU's text:\n${await qemu.vgaText()}`,
    );
  } finally {
    machine?.close();
    await qemu.monitor('quit').catch(() => {});
  }
});

/** SeaBIOS log lines about what it found on the board: the platform (from the host bridge's subsystem id), PCI functions and BARs, CPUs, RAM, drives, boot device. */
/** The boot line, whole: the log is read while the firmware is still writing it. */
const BOOT_LINE = /^Booting from [^\n]*\n/m;
const HARDWARE_LINES = /^(Running on |PCI: (map device|init bdf)|Found \d+ (cpu|PCI|serial)|qemu\/e820|RamSize|ATA controller|DVD\/CD \[|Booting from|Searching bootorder for: \/pci)/;

/** QEMU's SeaBIOS debug log (isa-debugcon at 0x402) up to the boot, with the same firmware. */
async function qemuBiosLog(args: string[], dir: string): Promise<string> {
  const log = join(dir, 'seabios.log');
  const child = spawn(QEMU, ['-display', 'none', '-nic', 'none', '-m', '128', ...args, '-chardev', `file,id=dbg,path=${log}`, '-device', 'isa-debugcon,iobase=0x402,chardev=dbg'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 300; i++) {
      if (existsSync(log) && BOOT_LINE.test(readFileSync(log, 'latin1'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return readFileSync(log, 'latin1');
  } finally {
    child.kill('SIGKILL');
  }
}

/**
 * SeaBIOS probes the ATA drives in a thread of its own while the main thread goes on to the
 * serial ports, so where "Found N serial ports" falls among the drive lines depends on how long
 * the drive took to answer, on QEMU as on termu. That line is compared apart from the others' order.
 */
const THREAD_TIMED = /^Found \d+ serial/;

function hardwareLines(log: string): { ordered: string[]; unordered: string[] } {
  const lines = log.split('\n');
  const boot = lines.findIndex((l) => l.startsWith('Booting from'));
  const found = lines.slice(0, boot + 1).filter((l) => HARDWARE_LINES.test(l));
  return { ordered: found.filter((l) => !THREAD_TIMED.test(l)), unordered: found.filter((l) => THREAD_TIMED.test(l)).sort() };
}

test('SeaBIOS finds the same PCI devices, BARs, RAM, drives and boot device as on QEMU', { skip: skip || (!haveQemu() && 'qemu-system-i386 is not installed'), timeout: 90_000 }, async () => {
  const images = await ensureMemtest();
  const expected = hardwareLines(await qemuBiosLog(['-cdrom', images.iso, '-boot', 'd'], mkdtempSync(join(tmpdir(), 'termu-seabios-log-'))));
  assert.ok(expected.ordered.some((l) => l.startsWith('PCI: map device')), `QEMU's log lacks PCI lines: ${expected.ordered.join('\n')}`);
  const machine = new BiosTestMachine((c) => {
    c.drives.push(shorthandDrive('cdrom', images.iso));
    c.boot = parseBootOption('d', c.boot);
  });
  try {
    await machine.runUntil(() => BOOT_LINE.test(machine.debugLog), BOOT_TIMEOUT_MS, 'SeaBIOS to boot');
    assert.deepEqual(hardwareLines(machine.debugLog), expected);
  } finally {
    machine.close();
  }
});
