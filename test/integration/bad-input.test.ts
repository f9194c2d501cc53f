// Bad input never crashes: each case prints a QEMU-style message, exits with status 1
// and leaves the terminal in its normal mode (checked with `stty -a` in the same pty).
// Where qemu-system-i386 fails the same way, its message is the reference.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import test from 'node:test';
import { buildTestKernels, HAVE_NASM, HAVE_QEMU, TERMU } from './test-kernels.js';

type Pty = { onData(cb: (d: string) => void): void; onExit(cb: (e: { exitCode: number }) => void): void };
let spawnPty: ((file: string, args: string[], opts: object) => Pty) | undefined;
try {
  spawnPty = ((await import('node-pty')) as unknown as { spawn: typeof spawnPty }).spawn;
} catch {
  spawnPty = undefined;
}

/** Runs termu in a pty; returns its output (stderr included) and the `stty -a` that follows. */
async function runInPty(args: string[]): Promise<{ output: string; status: number; stty: string }> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const pty = spawnPty!('/bin/sh', ['-c', `stty sane; ${TERMU} ${quoted}; echo "EXIT=$?"; stty -a; echo END-OF-CASE; sleep 0.3`], { name: 'xterm', cols: 200, rows: 30, env: process.env });
  let out = '';
  pty.onData((d) => (out += d));
  await new Promise((res) => pty.onExit(res));
  // The exit event may overtake the last output: wait for the end marker.
  for (let i = 0; i < 500 && !out.includes('END-OF-CASE'); i++) await new Promise((r) => setTimeout(r, 20));
  const m = /([\s\S]*)EXIT=(\d+)\r?\n([\s\S]*)/.exec(out);
  assert.ok(m, `no exit status in ${JSON.stringify(out)}`);
  return { output: m[1].replace(/\r\n/g, '\n'), status: Number(m[2]), stty: m[3] };
}

function qemuStderr(args: string[]): string {
  const r = spawnSync('qemu-system-i386', ['-display', 'none', ...args], { encoding: 'utf8', timeout: 10000, input: '' });
  return r.stderr.split('\n').filter((l) => !l.includes('warning:')).join('\n').replace(/^(qemu-system-i386|qemu):/gm, 'termu:');
}

const skip = !spawnPty ? 'node-pty is not available' : !HAVE_NASM ? 'nasm is not installed' : false;

test('bad input: QEMU-style message, status 1, sane terminal', { skip }, async (t) => {
  const k = buildTestKernels();
  const notKernel = join(k.dir, 'not-a-kernel');
  writeFileSync(notKernel, 'just some text\n');
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as AddressInfo).port;
  t.after(() => busy.close());
  const cases: { name: string; args: string[]; expect: string; compareWithQemu: boolean }[] = [
    { name: 'missing -kernel file', args: ['-kernel', '/nonexistent/vmlinuz'], expect: "termu: could not open kernel file '/nonexistent/vmlinuz': No such file or directory\n", compareWithQemu: true },
    { name: 'non-bzImage -kernel', args: ['-kernel', notKernel], expect: 'termu: invalid kernel header\n', compareWithQemu: true },
    { name: 'malformed -m', args: ['-m', '12Q', '-kernel', k.echo], expect: "termu: -m 12Q: Parameter 'size' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.\n", compareWithQemu: true },
    { name: 'too large -m', args: ['-m', '64G', '-kernel', k.echo], expect: "termu: cannot set up guest memory 'pc.ram': Cannot allocate memory\n", compareWithQemu: false },
    { name: 'unknown -device', args: ['-device', 'frobnicator', '-kernel', k.echo], expect: "termu: -device frobnicator: 'frobnicator' is not a valid device model name\n", compareWithQemu: true },
    { name: 'malformed chardev spec', args: ['-serial', 'tcp:nohostport', '-kernel', k.echo], expect: "termu: -serial tcp:nohostport: could not connect serial device to character backend 'tcp:nohostport'\n", compareWithQemu: true },
    {
      name: 'port already in use (with the terminal in raw mode for the monitor)',
      args: ['-nographic', '-serial', `telnet:127.0.0.1:${port},server,nowait`, '-kernel', k.echo],
      expect: `termu: -serial telnet:127.0.0.1:${port},server,nowait: Failed to find an available port: Address already in use\ntermu: -serial telnet:127.0.0.1:${port},server,nowait: could not connect serial device to character backend 'telnet:127.0.0.1:${port},server,nowait'\n`,
      compareWithQemu: true,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const r = await runInPty(c.args);
      assert.equal(r.output.replace(/^termu: terminating.*\n/m, ''), c.expect);
      assert.equal(r.status, 1);
      assert.match(r.stty, /(^|\s)icanon(\s|$)/m);
      assert.match(r.stty, /(^|\s)echo(\s|$)/m);
      if (c.compareWithQemu && HAVE_QEMU) assert.equal(qemuStderr(c.args), c.expect);
    });
  }
});
