// -nographic in a real pseudo-terminal: the guest's console on the terminal, Ctrl-a h
// prints QEMU's help, Ctrl-a c switches to the monitor and back, Ctrl-a b sends a break,
// Ctrl-a x ends termu, and the terminal is back in its normal (cooked, echoing) mode.

import assert from 'node:assert/strict';
import test from 'node:test';
import { buildTestKernels, HAVE_NASM, TERMU } from './test-kernels.js';

type Pty = { onData(cb: (d: string) => void): void; write(d: string): void; onExit(cb: (e: { exitCode: number }) => void): void; kill(): void };
let spawnPty: ((file: string, args: string[], opts: object) => Pty) | undefined;
try {
  spawnPty = ((await import('node-pty')) as unknown as { spawn: typeof spawnPty }).spawn;
} catch {
  spawnPty = undefined;
}

const HELP = '\n\rC-a h    print this help\n\rC-a x    exit emulator\n\rC-a s    save disk data back to file (if -snapshot)\n\rC-a t    toggle console timestamps\n\rC-a b    send break (magic sysrq)\n\rC-a c    switch between console and monitor\n\rC-a C-a  sends C-a\n\r';

test('Ctrl-a h, c, b and x in -nographic; the terminal is sane afterwards', { skip: !HAVE_NASM ? 'nasm is not installed' : !spawnPty && 'node-pty is not available' }, async () => {
  const k = buildTestKernels();
  const script = `stty sane; ${TERMU} -nographic -kernel ${k.echo}; echo "EXIT=$?"; stty -a; sleep 0.3`;
  const pty = spawnPty!('/bin/sh', ['-c', script], { name: 'xterm', cols: 120, rows: 30, env: process.env });
  let out = '';
  pty.onData((d) => (out += d));
  const exited = new Promise<number>((res) => pty.onExit((e) => res(e.exitCode)));
  const waitFor = async (pattern: string | RegExp, from = 0) => {
    for (let i = 0; i < 300; i++) {
      const seen = out.slice(from);
      if (typeof pattern === 'string' ? seen.includes(pattern) : pattern.test(seen)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`timed out waiting for ${pattern}; output so far: ${JSON.stringify(out)}`);
  };
  try {
    await waitFor('ready');
    let mark = out.length;
    pty.write('hi');
    await waitFor('hi', mark);
    mark = out.length;
    pty.write('\x01h');
    await waitFor('C-a C-a  sends C-a', mark);
    // QEMU's bytes; the terminal's output processing (ONLCR, kept on as QEMU keeps it) turns \n into \r\n.
    assert.ok(out.slice(mark).includes(HELP.replace(/\n/g, '\r\n')), JSON.stringify(out.slice(mark)));
    mark = out.length;
    pty.write('\x01c');
    await waitFor('(qemu) ', mark);
    // The monitor ends lines with \r\n, which ONLCR makes \r\r\n (as with QEMU).
    assert.match(out.slice(mark), /QEMU [0-9.]+ monitor - type 'help' for more information\r\r\n\(qemu\) /);
    mark = out.length;
    pty.write('info status\r');
    await waitFor('VM status: running', mark);
    pty.write('\x01c');
    mark = out.length;
    pty.write('zz');
    await waitFor('zz', mark);
    // Ctrl-a b: a BREAK on the serial line; the UART hands the echo guest a 0 byte, as QEMU's does.
    mark = out.length;
    pty.write('\x01b');
    await new Promise((r) => setTimeout(r, 300));
    pty.write('k');
    await waitFor('\0k', mark);
    mark = out.length;
    pty.write('\x01x');
    await waitFor('EXIT=', mark);
    assert.ok(out.slice(mark).includes('QEMU: Terminated'));
    await waitFor(/EXIT=0[\s\S]*icanon[\s\S]*\n/, mark);
    const settings = out.slice(out.indexOf('EXIT='));
    assert.match(settings, /(^|\s)icanon(\s|$)/m);
    assert.match(settings, /(^|\s)echo(\s|$)/m);
    assert.match(settings, /(^|\s)isig(\s|$)/m);
    assert.equal(await exited, 0);
  } finally {
    pty.kill();
  }
});
