// The `info` commands about the machine's hardware, compared with qemu-system-i386 7.2 on
// the same default pc machine (QEMU without its NIC, which termu does not have yet): at
// power-on (-S) and after SeaBIOS has set the PCI functions and interrupt controllers up.

import assert from 'node:assert/strict';
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
      // SeaBIOS is done when it has moved the master PIC to vector 8 and nothing changes any more.
      let last = '';
      for (const deadline = Date.now() + 60000; ; ) {
        const now = (await m.hmp('info pic')) + (await m.hmp('info pci'));
        if (now === last && now.includes('irq_base=08')) break;
        if (Date.now() > deadline) throw new Error(`${program}: firmware never settled`);
        last = now;
        await new Promise((r) => setTimeout(r, 500));
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
