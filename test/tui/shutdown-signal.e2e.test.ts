// SIGTERM, SIGHUP and SIGINT sent to termu while its terminal UI runs: as QEMU, termu sends
// QMP's SHUTDOWN event with reason host-signal, notes the signal on stderr and exits with
// status 0 — and the terminal is back on its normal screen, cursor shown, before that note.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { parsed, screenLines, spawnTermu, waitFor } from './termu-pty.js';

/** The QMP messages termu sends on `socketPath`, after the handshake. */
async function qmpEvents(socketPath: string): Promise<{ messages: Record<string, unknown>[]; socket: net.Socket }> {
  const socket = net.connect(socketPath);
  const messages: Record<string, unknown>[] = [];
  let buffer = '';
  socket.on('data', (d) => {
    buffer += d.toString('utf8');
    for (let end; (end = buffer.indexOf('\n')) >= 0; buffer = buffer.slice(end + 1)) {
      if (buffer.slice(0, end).trim()) messages.push(JSON.parse(buffer.slice(0, end)) as Record<string, unknown>);
    }
  });
  socket.on('error', () => {});
  await waitFor('the QMP greeting', () => messages.length >= 1, 10000);
  socket.write('{"execute": "qmp_capabilities"}\n');
  await waitFor('the qmp_capabilities reply', () => messages.length >= 2, 10000);
  return { messages, socket };
}

for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
  test(`${signal} in the terminal UI restores the terminal and sends SHUTDOWN host-signal`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'termu-signal-'));
    const socketPath = join(dir, 'qmp.sock');
    const s = spawnTermu(['-S', '-m', '16', '-qmp', `unix:${socketPath},server=on,wait=off`], 100, 30);
    try {
      await waitFor('the terminal UI', () => s.raw.join('').includes('\x1b[?1049h') && existsSync(socketPath), 20000, s);
      const { messages, socket } = await qmpEvents(socketPath);
      assert.deepEqual(messages[1], { return: {} });
      process.kill(s.proc.pid, signal);
      const status = await s.exited;
      socket.destroy();
      const shutdown = messages.find((m) => m.event === 'SHUTDOWN');
      assert.deepEqual(shutdown?.data, { guest: false, reason: 'host-signal' });
      assert.equal(status, 0);
      await parsed(s);
      assert.equal(s.term.buffer.active.type, 'normal', 'the alternate screen is left');
      const output = s.raw.join('');
      const restored = output.lastIndexOf('\x1b[?25h\x1b[?1049l');
      assert.ok(restored >= 0 && restored < output.indexOf('termu: terminating on signal'), 'restored before the note');
      assert.ok(screenLines(s).some((line) => line.startsWith(`termu: terminating on signal ${{ SIGTERM: 15, SIGHUP: 1, SIGINT: 2 }[signal]}`)));
    } finally {
      s.proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
