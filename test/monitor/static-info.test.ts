// The `info` commands about the machine's hardware, compared with qemu-system-i386 7.2 on
// the same default pc machine (QEMU without its NIC, which termu does not have yet): at
// power-on (-S) and after SeaBIOS has set the PCI functions and interrupt controllers up.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { HAVE_QEMU } from './qemu-monitor.js';
import { QmpMachine } from './qmp-machine.js';

const TERMU = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'bin', 'termu');
const AT_POWER_ON = ['info pci', 'info pic', 'info irq', 'info mem', 'info tlb', 'info network', 'info uuid', 'info cpus'];
const AFTER_FIRMWARE = ['info pci', 'info pic'];

/** Known differences, each a device termu models differently. */
function comparable(text: string): string {
  return (
    text
      // termu's std VGA has no expansion ROM BAR (its VGA BIOS reaches SeaBIOS another way).
      .replace(/^ {6}BAR6: 32 bit memory at 0xffffffffffffffff \[0x0000fffe\]\.\n/m, '')
      // QEMU's PIT raises IRQ0 once at reset, termu's does not; later counts depend on timing.
      .replace(/^ 0: \d+\n/gm, '')
      // The vCPU's thread id.
      .replace(/thread_id=\d+/, 'thread_id=N')
  );
}

async function outputs(program: string, args: string[], lines: string[], untilFirmwareDone: boolean): Promise<string[]> {
  const m = new QmpMachine(program, args);
  try {
    await m.start();
    if (untilFirmwareDone) {
      // SeaBIOS is done when it has said so on the VGA text screen.
      const screen = join(mkdtempSync(join(tmpdir(), 'termu-screen-')), 'text');
      for (const deadline = Date.now() + 90000; ; ) {
        assert.equal(await m.hmp(`pmemsave 0xb8000 4000 "${screen}"`), '');
        const text = String.fromCharCode(...readFileSync(screen).filter((_, i) => i % 2 === 0));
        if (text.includes('No bootable device')) break;
        if (Date.now() > deadline) throw new Error(`${program}: SeaBIOS never gave up booting`);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    const out: string[] = [];
    for (const line of lines) out.push(comparable(await m.hmp(line)));
    return out;
  } finally {
    m.kill();
  }
}

test('info pci, pic, irq, mem, tlb, network, uuid, cpus at power-on: as qemu-system-i386 prints them', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const ours = await outputs(TERMU, ['-S'], AT_POWER_ON, false);
  const qemu = await outputs('qemu-system-i386', ['-S', '-net', 'none'], AT_POWER_ON, false);
  ours.forEach((text, i) => assert.equal(text, qemu[i], AT_POWER_ON[i]));
  assert.match(ours[0], /IDE controller: PCI device 8086:7010\n {6}PCI subsystem 1af4:1100\n {6}BAR4: I\/O at 0xffffffffffffffff \[0x000e\]\./);
});

test('info pci and info pic after SeaBIOS: as qemu-system-i386 prints them', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const ours = await outputs(TERMU, [], AFTER_FIRMWARE, true);
  const qemu = await outputs('qemu-system-i386', ['-net', 'none'], AFTER_FIRMWARE, true);
  ours.forEach((text, i) => assert.equal(text, qemu[i], AFTER_FIRMWARE[i]));
  assert.match(ours[0], /BAR4: I\/O at 0xc000 \[0xc00f\]\./, 'SeaBIOS placed the IDE bus master registers');
});

test('info block: a disk and a CD-ROM, ejected and changed, as qemu-system-i386 shows them', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-block-'));
  const disk = join(dir, 'disk.qcow2');
  assert.equal(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '8M']).status, 0);
  writeFileSync(join(dir, 'cd1.iso'), Buffer.alloc(2048 * 16));
  writeFileSync(join(dir, 'cd2.iso'), Buffer.alloc(2048 * 32));
  const lines = ['info block', 'eject ide1-cd0', 'info block ide1-cd0', `change ide1-cd0 "${join(dir, 'cd2.iso')}" raw`, 'info block ide1-cd0', 'info block ide0-hd0', 'info block nosuch'];
  const args = ['-S', '-drive', `file=${disk},if=ide,index=0`, '-drive', `file=${join(dir, 'cd1.iso')},format=raw,if=ide,index=2,media=cdrom`];
  const ours = await outputs(TERMU, args, lines, false);
  const qemu = await outputs('qemu-system-i386', [...args, '-net', 'none'], lines, false);
  // Node names are random in QEMU; termu's machine has no default empty floppy and SD drives.
  const masked = (text: string) => text.replace(/#block\d+/g, '#blockN').replace(/\n(floppy0|sd0): \[not inserted\]\n(?: {4}.*\n)*/g, '');
  ours.forEach((text, i) => assert.equal(masked(text), masked(qemu[i]), lines[i]));
  assert.match(ours[4], /^\nide1-cd0 \(#block\d+\): .*cd2\.iso \(raw, read-only\)\n/);
});

test('info roms: the firmware line as qemu-system-i386 prints it (termu has no option ROMs or ACPI blobs in fw_cfg)', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const [ours] = await outputs(TERMU, ['-S'], ['info roms'], false);
  const [qemu] = await outputs('qemu-system-i386', ['-S', '-net', 'none'], ['info roms'], false);
  const firmware = qemu.split('\n').filter((l) => l.startsWith('addr='));
  assert.deepEqual(firmware, ['addr=00000000fffc0000 size=0x040000 mem=rom name="bios-256k.bin"']);
  assert.equal(ours, `${firmware[0]}\n`);
});

test('info blockstats after SeaBIOS booted a disk: the reads qemu-system-i386 counts', { skip: (!HAVE_QEMU && 'qemu-system-i386 is not installed') || (spawnSync('sh', ['-c', 'command -v nasm']).status !== 0 && 'nasm is not installed') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-blockstats-'));
  const disk = join(dir, 'disk.img');
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  assert.equal(spawnSync('nasm', ['-f', 'bin', '-o', disk, join(repo, 'test', 'monitor', 'guest', 'boot-sector.asm')]).status, 0);
  writeFileSync(disk, Buffer.concat([readFileSync(disk), Buffer.alloc((1 << 20) - 512)]));
  const stats = async (program: string, args: string[]) => {
    const m = new QmpMachine(program, ['-drive', `file=${disk},format=raw,if=ide,index=0`, ...args]);
    try {
      await m.start();
      await m.until(0x500, 0x600dd00d);
      return (await m.hmp('info blockstats')).split('\n')[0];
    } finally {
      m.kill();
    }
  };
  // Times are the host's; the counts are the guest's requests.
  const counts = (line: string) => line.replace(/(_time_ns)=\d+/g, '$1=T');
  const ours = await stats(TERMU, []);
  assert.equal(counts(ours), counts(await stats('qemu-system-i386', ['-net', 'none'])));
  assert.match(ours, /^ide0-hd0: rd_bytes=512 wr_bytes=0 rd_operations=1 wr_operations=0 flush_operations=0 /);
});
