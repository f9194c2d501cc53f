// The whole path through the command line: `termu -cdrom grub.iso` boots through SeaBIOS
// in its worker, GRUB's console reaches COM1, and the monitor's `screendump` and
// `pmemsave 0xb8000` over a unix socket give the same screen as qemu-system-i386's.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { ensureGrubRescueIso, GRUB_PROMPT, GRUB_READY_MARKER } from '../../guests/grub-rescue.js';
import { haveQemu, QemuSession } from '../../guests/qemu-session.js';
import { TERMU } from '../test-kernels.js';
import { cpuRealModeCheck, HAVE_SEABIOS } from './bios-test-machine.js';
import { HmpSocket } from '../hmp-socket.js';

const skip = !HAVE_SEABIOS ? "Debian's seabios package is not installed" : !haveQemu() ? 'qemu-system-i386 is not installed' : cpuRealModeCheck() ?? false;

test('termu -cdrom GRUB rescue ISO: prompt on COM1, screendump and pmemsave equal QEMU\'s', { skip, timeout: 150_000 }, async () => {
  const iso = await ensureGrubRescueIso();
  const dir = mkdtempSync(join(tmpdir(), 'termu-cli-boot-'));
  const qemu = new QemuSession(['-cdrom', iso, '-boot', 'd', '-m', '128', '-display', 'none', '-serial', 'stdio']);
  const monitor = join(dir, 'termu.sock');
  const termu = spawn(TERMU, ['-cdrom', iso, '-boot', 'd', '-m', '128', '-display', 'none', '-serial', 'stdio', '-monitor', `unix:${monitor},server=on,wait=off`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let serial = '';
  termu.stdout.on('data', (b: Buffer) => (serial += b.toString('latin1')));
  termu.stderr.on('data', (b: Buffer) => (serial += b.toString('latin1')));
  try {
    const ready = await qemu.waitFor(GRUB_READY_MARKER, 60_000);
    await qemu.waitFor(GRUB_PROMPT, 30_000, ready);
    // The prompt reaches COM1 before GRUB may have finished drawing it on the VGA console.
    await new Promise((r) => setTimeout(r, 1000));
    await qemu.monitor(`screendump ${join(dir, 'qemu.ppm')}`);
    // Quoted: unquoted, HMP would read `4000 /tmp/…` as a division.
    await qemu.monitor(`pmemsave 0xb8000 4000 "${join(dir, 'qemu.txt')}"`);

    const deadline = Date.now() + 90_000;
    while (!serial.slice(serial.indexOf(GRUB_READY_MARKER)).includes(GRUB_PROMPT) || !serial.includes(GRUB_READY_MARKER)) {
      assert.ok(Date.now() < deadline, `termu did not reach GRUB's prompt; its output:\n${serial}`);
      assert.equal(termu.exitCode, null, `termu exited early:\n${serial}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 500));
    const hmp = await HmpSocket.open(monitor);
    assert.equal(await hmp.run(`pmemsave 0xb8000 4000 "${join(dir, 'termu.txt')}"`), '');
    assert.ok(readFileSync(join(dir, 'termu.txt')).equals(readFileSync(join(dir, 'qemu.txt'))), 'the text buffers differ');
    const expected = readFileSync(join(dir, 'qemu.ppm'));
    // The cursor blinks: take dumps until one has the same phase as QEMU's.
    let same = false;
    for (let i = 0; i < 8 && !same; i++) {
      assert.equal(await hmp.run(`screendump ${join(dir, 'termu.ppm')}`), '');
      same = readFileSync(join(dir, 'termu.ppm')).equals(expected);
      if (!same) await new Promise((r) => setTimeout(r, 130));
    }
    assert.ok(same, "termu's screendump never equalled QEMU's");
    assert.match(await hmp.run('screendump /nonexistent/dir/x.ppm'), /^Error: failed to open file '\/nonexistent\/dir\/x.ppm': No such file or directory$/);
    hmp.close();
  } finally {
    termu.kill('SIGKILL');
    await qemu.monitor('quit').catch(() => {});
  }
});
