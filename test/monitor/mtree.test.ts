// `info mtree` against qemu-system-i386 7.2 on the same pc machine: at power-on (-S), after
// SeaBIOS has shadowed itself through the PAM registers and placed the PCI BARs, and with a
// direct kernel boot. QEMU prints its sections in hash order, so sections are compared as a
// set; lines of devices termu does not have are named below and taken out of QEMU's text.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { HAVE_QEMU } from './qemu-monitor.js';
import { QmpMachine } from './qmp-machine.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TERMU = join(REPO, 'bin', 'termu');

/** QEMU regions of devices termu does not model. */
const NOT_IN_TERMU = new Set([
  'kvmvapic',
  'kvmvapic-rom',
  'ioport80',
  'ioportF0',
  'parallel',
  'vmport',
  'acpi-pci-hotplug',
  'acpi-cpu-hotplug',
  'pm-smbus',
  // The std VGA's EDID block in its MMIO BAR.
  'edid',
  // Subregions termu decodes as part of one range: the RTC's index port, the PM block's registers.
  'rtc-index',
  'acpi-evt',
  'acpi-cnt',
  'acpi-tmr',
]);
/** termu has no SMM: no cpu-smm-0 address space, so neither of the regions only it aliases. */
const SMM_SECTIONS = /^(address-space: cpu-smm-0|memory-region: system|memory-region: smram)\n/;

function regionName(line: string): string {
  return /\): (?:alias (.*) @|(.*)$)/.exec(line)?.slice(1).find((n) => n !== undefined) ?? '';
}

/** QEMU's output with the named differences applied, as sorted sections. */
function expectedFromQemu(text: string): string[] {
  const adjusted = text
    .split('\n')
    .filter((line) => !NOT_IN_TERMU.has(regionName(line)))
    .join('\n')
    // termu's VGA decodes 0x3b0-0x3df as one range (QEMU: five), its VBE ports 0x1ce-0x1d0 (QEMU: to 0x1d1).
    .replace(/( +)00000000000003b4-.*\n(?:.*: vga\n)+/, '$100000000000003b0-00000000000003df (prio 0, i/o): vga\n')
    .replace('00000000000001ce-00000000000001d1 (prio 0, i/o): vbe', '00000000000001ce-00000000000001d0 (prio 0, i/o): vbe');
  return sections(adjusted).filter((s) => !SMM_SECTIONS.test(s));
}

function sections(text: string): string[] {
  return text
    .split('\n\n')
    .filter((s) => s.trim() !== '')
    .map((s) => `${s.replace(/^\n+/, '')}\n`)
    .sort();
}

/** The section whose first header line is `header`. */
function section(text: string, header: string): string {
  return text.split('\n\n').find((s) => s.split('\n').includes(header)) ?? '';
}

/** `info mtree` and `info mtree -f` at -S, then after SeaBIOS has given up booting (it says so on the VGA text screen). */
async function mtrees(program: string, args: string[]): Promise<[string, string, string, string]> {
  const m = new QmpMachine(program, ['-S', ...args]);
  try {
    await m.start();
    const atPowerOn = await m.hmp('info mtree');
    const flatAtPowerOn = await m.hmp('info mtree -f');
    await m.hmp('cont');
    const screen = join(mkdtempSync(join(tmpdir(), 'termu-mtree-')), 'text');
    for (const deadline = Date.now() + 60000; ; ) {
      await m.hmp(`pmemsave 0xb8000 4000 "${screen}"`);
      if (String.fromCharCode(...readFileSync(screen).filter((_, i) => i % 2 === 0)).includes('No bootable device')) break;
      if (Date.now() > deadline) throw new Error(`${program}: SeaBIOS never gave up booting`);
      await new Promise((r) => setTimeout(r, 300));
    }
    return [atPowerOn, await m.hmp('info mtree'), flatAtPowerOn, await m.hmp('info mtree -f')];
  } finally {
    m.kill();
  }
}

test('info mtree at power-on and after SeaBIOS: the regions qemu-system-i386 shows, from termu PAM, SMRAM, BAR and port maps', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const [ours, qemu] = await Promise.all([mtrees(TERMU, []), mtrees('qemu-system-i386', ['-net', 'none'])]);
  assert.deepEqual(sections(ours[0]), expectedFromQemu(qemu[0]), 'at power-on');

  // With QEMU's ACPI tables (etc/table-loader), SeaBIOS moves the PM block to 0x600, on termu as on QEMU.
  assert.match(ours[1], / {4}0000000000000600-000000000000063f \(prio 0, i\/o\): piix4-pm\n/);
  assert.deepEqual(sections(ours[1]), expectedFromQemu(qemu[1]), 'after SeaBIOS');

  // The tree follows the machine: SeaBIOS write-protected its shadow copy and mapped the VGA and IDE BARs.
  assert.match(ours[0], /00000000000f0000-00000000000fffff \(prio 1, i\/o\): alias pam-pci @pci /);
  assert.match(ours[1], /00000000000f0000-00000000000fffff \(prio 1, ram\): alias pam-rom @pc.ram /);
  assert.match(ours[1], /\(prio 1, ram\): vga\.vram\n/);
  assert.match(ours[1], /\(prio 1, i\/o\): piix-bmdma-container\n( {6}.*: (piix-bmdma|bmdma)\n){4}/);
});

/** The flat view of the system memory, with QEMU's view number (its hash order) left out. */
function flatMemoryView(text: string): string {
  return section(text, ' AS "memory", root: system').replace(/^FlatView #\d+\n/, '');
}

test('info mtree -f: the flat system memory qemu-system-i386 renders, at power-on and after SeaBIOS', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const [ours, qemu] = await Promise.all([mtrees(TERMU, []), mtrees('qemu-system-i386', ['-net', 'none'])]);
  const expected = (text: string) =>
    flatMemoryView(text)
      // No EDID block: the VGA's MMIO BAR decodes from its start.
      .replace(/( +)00000000febf0000-00000000febf017f \(prio 0, i\/o\): edid\n +00000000febf0180-(.*): vga\.mmio @0000000000000180/, '$100000000febf0000-$2: vga.mmio')
      // No kvmvapic ROM over the shadowed option ROM space: one read-only RAM range.
      .replace(/( +)00000000000c0000-00000000000c9fff \(prio 0, rom\): pc\.ram @00000000000c0000\n.*pc\.ram @00000000000ca000\n +00000000000cd000-(\w+) \(prio 0, rom\): pc\.ram @00000000000cd000/, '$100000000000c0000-$2 (prio 0, rom): pc.ram @00000000000c0000');
  assert.equal(flatMemoryView(ours[2]), expected(qemu[2]), 'at power-on');
  assert.equal(flatMemoryView(ours[3]), expected(qemu[3]), 'after SeaBIOS');
  assert.match(ours[3], /00000000000c0000-00000000000e7fff \(prio 0, rom\): pc\.ram @00000000000c0000\n/, 'the shadowed BIOS is read-only RAM');
});

test('info mtree with -kernel: no firmware, so RAM below 1 MiB where QEMU has its BIOS shadow', { skip: (!HAVE_QEMU && 'qemu-system-i386 is not installed') || (spawnSync('sh', ['-c', 'command -v nasm']).status !== 0 && 'nasm is not installed') }, async () => {
  const kernel = join(mkdtempSync(join(tmpdir(), 'termu-mtree-')), 'guest.bin');
  assert.equal(spawnSync('nasm', ['-f', 'bin', '-o', kernel, join(REPO, 'test', 'monitor', 'guest', 'paging-keyboard.asm')]).status, 0);
  const memorySpace = async (program: string, args: string[]) => {
    const m = new QmpMachine(program, ['-S', ...args]);
    try {
      await m.start();
      return section(await m.hmp('info mtree'), 'address-space: memory');
    } finally {
      m.kill();
    }
  };
  const ours = await memorySpace(TERMU, ['-kernel', kernel]);
  const qemu = await memorySpace('qemu-system-i386', ['-net', 'none', '-kernel', kernel]);
  // termu loads the kernel itself: no pc.bios, pc.rom or isa-bios, and 0xc0000-0xfffff is plain RAM (pam-ram) for good.
  const expected = qemu
    .split('\n')
    .filter((l) => !['pc.bios', 'pc.rom', 'isa-bios'].includes(regionName(l)))
    .map((l) => l.replace(/\(prio 1, i\/o\): alias pam-pci @pci/, '(prio 1, ram): alias pam-ram @pc.ram'))
    .join('\n');
  assert.equal(ours, expected);
  assert.equal(ours.match(/alias pam-ram @pc.ram/g)?.length, 13);
});
