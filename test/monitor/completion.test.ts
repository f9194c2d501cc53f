import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { completeLine } from '../../src/monitor/completion.js';
import { QEMU_COMPAT_VERSION } from '../../src/monitor/hmp-commands.js';
import { Hmp } from '../../src/monitor/hmp.js';
import { fakeVm } from './fake-vm.js';
import { HAVE_QEMU, qemuMonitor } from './qemu-monitor.js';
import { wireChardev } from './wire-chardev.js';

const Wire = wireChardev('stdio');

function files(): string {
  const dir = mkdtempSync(join(tmpdir(), 'termu-complete-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'alpha.img'), '');
  writeFileSync(join(dir, 'alpine.iso'), '');
  writeFileSync(join(dir, 'sub', 'only.ppm'), '');
  return dir;
}

test('Tab completes commands with aliases, info subcommands, key names and file names', () => {
  const dir = files();
  assert.deepEqual(completeLine('sendk'), { typed: 5, candidates: ['sendkey'] });
  assert.deepEqual(completeLine('info reg'), { typed: 3, candidates: ['registers'] });
  assert.deepEqual(completeLine('q').candidates, ['quit', 'q']);
  assert.deepEqual(completeLine('sendkey ctrl-alt-del'), { typed: 3, candidates: ['delete'] });
  assert.deepEqual(completeLine(`screendump ${dir}/al`).candidates.sort(), [`${dir}/alpha.img`, `${dir}/alpine.iso`]);
  assert.deepEqual(completeLine(`screendump ${dir}/s`), { typed: dir.length + 2, candidates: [`${dir}/sub/`] });
  assert.deepEqual(completeLine(`memsave 0 10 ${dir}/sub/`), { typed: dir.length + 5, candidates: [`${dir}/sub/only.ppm`] });
  assert.deepEqual(completeLine('memsave 0').candidates, [], 'addresses are not files');
  assert.ok(completeLine('info ').candidates.includes('tlb'));
});

test('what Tab prints, byte for byte as qemu-system-i386 prints it', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const dir = files();
  // Inputs whose candidates termu and QEMU 7.2 share; Ctrl-W erases the completed screendump lines unrun.
  const input = `sendk\tctrl-alt-de\t\nscreendump ${dir}/al\t\t\x17\x17\nscreendump ${dir}/s\tonl\t\x17\x17\ninfo na\t\nhelp sendk\t\n`;
  const q = await qemuMonitor(['-nodefaults'], input.split(/(?<=\n)/));
  const expected = q.replace(/^QEMU [0-9.]+ monitor/, `QEMU ${QEMU_COMPAT_VERSION} monitor`);
  const wire = new Wire('compat_monitor0');
  new Hmp(wire, fakeVm().vm);
  for (const line of [...input.split(/(?<=\n)/), 'quit\n']) {
    const before = wire.out.length;
    wire.type(line);
    // Until the command has run and the prompt is back (sendkey takes its hold time).
    while (!(wire.out.length > before && wire.out.endsWith('(qemu) '))) await new Promise((r) => setTimeout(r, 5));
  }
  // The fake VM does not exit on quit: one more prompt follows.
  assert.equal(wire.out, `${expected}(qemu) `);
});
