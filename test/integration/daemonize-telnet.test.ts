// The seed scenario for VMs started at boot: -name -pidfile -daemonize with the serial
// port and the monitor on telnet servers. termu returns at once, the pid file names the
// running daemon, a real `nc` gets the guest's console, and `system_powerdown` on the
// monitor makes the guest power off through ACPI, which ends termu and removes the pid file.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import test from 'node:test';
import { buildTestKernels, HAVE_NASM, TERMU } from './test-kernels.js';

const HAVE_NC = spawnSync('sh', ['-c', 'command -v nc']).status === 0;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `nc` with `input` written after a pause; resolves with what the server sent. */
function nc(port: number, input: string, holdMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const p = spawn('nc', ['127.0.0.1', String(port)]);
    const chunks: Buffer[] = [];
    p.stdout.on('data', (d) => chunks.push(d));
    setTimeout(() => p.stdin.write(input), 300);
    setTimeout(() => p.kill(), holdMs);
    p.on('exit', () => resolve(Buffer.concat(chunks)));
  });
}

test('-daemonize with telnet serial and monitor; system_powerdown ends the VM cleanly', { skip: !HAVE_NASM ? 'nasm is not installed' : !HAVE_NC && 'nc is not installed' }, async () => {
  const k = buildTestKernels();
  const pidfile = join(k.dir, 'vm1.pid');
  const [serialPort, monitorPort] = [await freePort(), await freePort()];
  const started = Date.now();
  const r = spawnSync(TERMU, ['-name', 'vm1', '-pidfile', pidfile, '-daemonize', '-kernel', k.echo,
    '-serial', `telnet:127.0.0.1:${serialPort},server,nowait,nodelay`, '-monitor', `telnet:127.0.0.1:${monitorPort},server,nowait,nodelay`], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.ok(Date.now() - started < 10000, 'termu -daemonize should return as soon as the machine is up');
  const pid = Number(readFileSync(pidfile, 'utf8'));
  assert.ok(alive(pid), 'the pid file names a running process');

  const console = await nc(serialPort, 'echo me', 1500);
  // QEMU's telnet negotiation, then the guest's echo of what we typed.
  assert.deepEqual([...console.subarray(0, 12)], [0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfb, 0x00, 0xff, 0xfd, 0x00]);
  // "ready" is dropped unless the client connected before the guest printed it (QEMU's nowait).
  assert.match(console.subarray(12).toString(), /^(ready\r\n)?echo me$/);

  const commands = 'info name\ninfo registers\nstop\ninfo status\ncont\ninfo status\ninfo chardev\nsystem_powerdown\n';
  const monitor = (await nc(monitorPort, commands, 2500)).toString('latin1').replace(/\x1b\[[0-9]*[A-Z]/g, '');
  assert.match(monitor, /QEMU [0-9.]+ monitor - type 'help' for more information\r\n/);
  assert.match(monitor, /info name\r\nvm1\r\n/);
  // The guest polls in 32-bit protected mode with flat segments set up by the Multiboot loader.
  assert.match(monitor, /\r\nEIP=001000[0-9a-f]{2} EFL=[0-9a-f]{8} \[[-DOSZAPC]{7}\] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n/);
  assert.match(monitor, /\r\nCS =0010 00000000 ffffffff 00cf9b00 DPL=0 CS32 \[-RA\]\r\n/);
  assert.match(monitor, /info status\r\nVM status: paused\r\n[\s\S]*info status\r\nVM status: running\r\n/);
  assert.match(monitor, new RegExp(`serial0: filename=disconnected:telnet:127.0.0.1:${serialPort},server=on\r\n`));
  assert.match(monitor, new RegExp(`compat_monitor0: filename=telnet:127.0.0.1:${monitorPort},server=on <-> 127.0.0.1:\\d+\r\n`));
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
  assert.ok(!alive(pid), 'termu exits after the guest powers off');
  assert.ok(!existsSync(pidfile), 'the pid file is removed on exit');
});
