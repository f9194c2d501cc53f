// `info qtree` against qemu-system-i386 7.2 on the same pc machine with a disk, a CD-ROM and
// a floppy, at power-on and after SeaBIOS has placed the BARs. The devices and properties
// termu does not have are named below and taken out of (or changed in) QEMU's text.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { HAVE_QEMU } from './qemu-monitor.js';
import { QmpMachine } from './qmp-machine.js';

const TERMU = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'bin', 'termu');

/** QEMU devices (and the PIIX4's SMBus with its EEPROMs) termu does not model. */
const NOT_IN_TERMU = /^ *(dev: (vmmouse|vmport|isa-parallel|kvmvapic), id ""|bus: i2c)$/;
/** Properties whose feature termu lacks, with the value termu prints. */
const TERMU_VALUES: [RegExp, string][] = [
  // No ACPI PCI/memory hotplug and no SMM in termu's PIIX4.
  [/(acpi-pci-hotplug-with-bridge-support|acpi-root-pci-hotplug|memory-hotplug-support|smm-enabled) = true/g, '$1 = false'],
  // termu's std VGA has no EDID block, and no expansion ROM BAR: its VGA BIOS reaches SeaBIOS another way.
  [/edid = true/, 'edid = false'],
  [/romfile = "vgabios-stdvga.bin"\n( *)romsize = 65536 \(0x10000\)/, 'romfile = ""\n$1romsize = 4294967295 (0xffffffff)'],
  [/\n *bar 6: mem at .*/, ''],
];

function withoutMissingDevices(text: string): string {
  const out: string[] = [];
  let skipDeeperThan = -1;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (skipDeeperThan >= 0 && indent > skipDeeperThan) continue;
    skipDeeperThan = NOT_IN_TERMU.test(line) ? indent : -1;
    if (skipDeeperThan < 0) out.push(line);
  }
  return out.join('\n');
}

function expectedFromQemu(text: string): string {
  return TERMU_VALUES.reduce((t, [pattern, value]) => t.replace(pattern, value), withoutMissingDevices(text));
}

async function qtrees(program: string, args: string[]): Promise<[string, string]> {
  const m = new QmpMachine(program, ['-S', ...args]);
  try {
    await m.start();
    const atPowerOn = await m.hmp('info qtree');
    await m.hmp('cont');
    // SeaBIOS has placed the BARs once the IDE bus-master registers are at 0xc000.
    for (const deadline = Date.now() + 60000; !(await m.hmp('info qtree')).includes('bar 4: i/o at 0xc000 [0xc00f]'); ) {
      if (Date.now() > deadline) throw new Error(`${program}: SeaBIOS never placed the IDE BAR`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return [atPowerOn, await m.hmp('info qtree')];
  } finally {
    m.kill();
  }
}

test('info qtree with a disk, a CD-ROM and a floppy: the tree qemu-system-i386 prints, less its devices termu lacks', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-qtree-'));
  assert.equal(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'disk.qcow2'), '8M']).status, 0);
  writeFileSync(join(dir, 'cd.iso'), Buffer.alloc(2048 * 16));
  writeFileSync(join(dir, 'floppy.img'), Buffer.alloc(1474560));
  const args = ['-drive', `file=${join(dir, 'disk.qcow2')},if=ide,index=0`, '-drive', `file=${join(dir, 'cd.iso')},format=raw,if=ide,index=2,media=cdrom`, '-fda', join(dir, 'floppy.img')];
  const [ours, qemu] = await Promise.all([qtrees(TERMU, args), qtrees('qemu-system-i386', [...args, '-net', 'none'])]);
  assert.equal(ours[0], expectedFromQemu(qemu[0]), 'at power-on');
  // With QEMU's ACPI tables SeaBIOS puts the PM block at 0x600 and the SMBus 0x100 above it, on termu as on QEMU.
  assert.match(ours[1], /smb_io_base = 1792 \(0x700\)\n/);
  assert.equal(ours[1], expectedFromQemu(qemu[1]), 'after SeaBIOS');
  // Drawn from the machine: the drives with their geometry, and the BARs SeaBIOS assigned.
  assert.match(ours[0], /dev: ide-hd, id ""\n {12}drive = "ide0-hd0"\n(.*\n)* {12}cyls = 16 \(0x10\)\n {12}heads = 16 \(0x10\)\n {12}secs = 63 \(0x3f\)\n/);
  assert.match(ours[0], /drive-type = "144"\n/);
  assert.match(ours[1], /bar 0: mem at 0xfd000000 \[0xfdffffff\]\n/);
});

test('info qtree and info mtree with -device isa-debug-exit and -debugcon: where and how qemu-system-i386 lists them', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const args = ['-S', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-debugcon', 'file:/dev/null'];
  const devices = async (program: string, extra: string[]) => {
    const m = new QmpMachine(program, [...args, ...extra]);
    try {
      await m.start();
      const qtree = await m.hmp('info qtree');
      const ports = (await m.hmp('info mtree')).split('\n').filter((l) => /: isa-debug/.test(l));
      // The ISA bus up to the first of the board's own devices.
      return [qtree.slice(qtree.indexOf('bus: isa.0'), qtree.indexOf('dev: port92')), ...ports];
    } finally {
      m.kill();
    }
  };
  const ours = await devices(TERMU, []);
  assert.deepEqual(ours, await devices('qemu-system-i386', ['-net', 'none']));
  assert.match(ours[0], /dev: isa-debugcon, id "debugcon"\n(.*\n)*.*dev: isa-debug-exit, id ""\n {12}iobase = 244 \(0xf4\)\n {12}iosize = 4 \(0x4\)\n/);
});
