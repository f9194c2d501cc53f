// QMP end to end: termu and qemu-system-i386 run the same Multiboot guest with
// -qmp unix:PATH,server,nowait; one client script drives both over the socket (handshake,
// query-status, info registers through human-monitor-command, stop/cont, system_powerdown)
// and the masked transcripts must match. The guest powers off when it sees the ACPI power
// button, so system_powerdown ends in the guest's own SHUTDOWN event.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { buildTestKernels, HAVE_NASM, HAVE_QEMU, TERMU } from './test-kernels.js';

/** Enables the power-button event at QEMU's PM base (0x600), polls its status, then enters S5. */
const POWER_BUTTON_GUEST = `
bits 32
%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010000
org 0x100000
mb_header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd mb_header, 0x100000, image_end, image_end, _start
_start:
    cli
    mov dx, 0x602
    mov ax, 0x0100
    out dx, ax
poll:
    mov dx, 0x600
    in ax, dx
    test ax, 0x0100
    jz poll
    mov dx, 0x604
    mov ax, 0x2000
    out dx, ax
halt:
    hlt
    jmp halt
image_end:
`;

class QmpClient {
  private buffer = '';
  private readonly lines: string[] = [];
  readonly transcript: string[] = [];
  /** The process on the other end. */
  pid = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buffer += d.toString('latin1');
      let end: number;
      while ((end = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 2);
      }
    });
    socket.on('error', () => {});
  }

  static async connect(path: string): Promise<QmpClient> {
    for (let i = 0; ; i++) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(path, () => resolve(s));
          s.once('error', reject);
        });
        return new QmpClient(socket);
      } catch (e) {
        if (i > 500) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** The next line from the server, parsed; recorded in the transcript. */
  async next(): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 15000;
    while (this.lines.length === 0) {
      if (Date.now() > deadline) throw new Error(`timed out; transcript so far:\n${this.transcript.join('\n')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const line = this.lines.shift()!;
    this.transcript.push(line);
    return JSON.parse(line) as Record<string, unknown>;
  }

  /** Sends a command and returns its reply, collecting the events that came before it. */
  async execute(command: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    for (;;) {
      const m = await this.next();
      if ('return' in m || 'error' in m) return m;
    }
  }

  async event(name: string): Promise<Record<string, unknown>> {
    for (;;) {
      const m = await this.next();
      if (m.event === name) return m;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null) resolve(p.exitCode);
    else p.once('exit', (code) => resolve(code));
  });
}

type Script = (qmp: QmpClient) => Promise<void>;

/** Runs `program` with `args` (SOCKET stands for the QMP socket's path) and drives it with `script`. */
async function session(program: string, args: string[], dir: string, script: Script): Promise<{ transcript: string[]; status: number | null }> {
  const path = join(dir, `${program.replace(/\W/g, '')}.sock`);
  const p = spawn(program, ['-display', 'none', ...args.map((a) => a.replace('SOCKET', path))], { stdio: 'ignore' });
  try {
    const qmp = await QmpClient.connect(path);
    qmp.pid = p.pid!;
    assert.ok('QMP' in (await qmp.next()));
    assert.deepEqual(await qmp.execute('qmp_capabilities'), { return: {} });
    await script(qmp);
    const status = await exited(p);
    qmp.close();
    return { transcript: qmp.transcript, status };
  } finally {
    p.kill();
  }
}

/** Waits (off the transcript) until the guest runs its polling loop, so the button press is seen. */
async function untilGuestPolls(qmp: QmpClient): Promise<void> {
  const mark = qmp.transcript.length;
  for (let i = 0; i < 500; i++) {
    const r = await qmp.execute('human-monitor-command', { 'command-line': 'info registers' });
    if (/EIP=0010/.test(r.return as string)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  qmp.transcript.splice(mark);
}

function mask(lines: string[]): string[] {
  return lines.map((l) =>
    l
      .replace(/"seconds": \d+, "microseconds": \d+/, '"seconds": S, "microseconds": U')
      .replace(/"micro": \d+/, '"micro": M')
      .replace(/"package": "[^"]*"/, '"package": P')
      .replace(/"return": "[^"]*"/, '"return": TEXT'),
  );
}

/**
 * The register names and field layout of `info registers`, values masked: hex, digits, the
 * EFLAGS letters and each segment's type letters (its descriptor flags are hex already).
 */
function registerLayout(text: string): string {
  return text.replace(/[0-9a-f]{2,}/g, 'H').replace(/=\d\b/g, '=D').replace(/\[[-ODITSZAPC]{7}\]/, '[FLAGS]')
    .replace(/\[[-CERWA]{3}\]/g, '[TYPE]');
}

const SKIP = !HAVE_NASM ? 'nasm is not installed' : !HAVE_QEMU && 'qemu-system-i386 is not installed';

function buildGuest(dir: string): string {
  writeFileSync(join(dir, 'power-button.asm'), POWER_BUTTON_GUEST);
  const kernel = join(dir, 'power-button.bin');
  const nasm = spawnSync('nasm', ['-f', 'bin', '-o', kernel, join(dir, 'power-button.asm')], { encoding: 'utf8' });
  assert.equal(nasm.status, 0, nasm.stderr);
  return kernel;
}

test('-qmp unix:…: termu and qemu-system-i386 give the same session, ending in the guest powering off', { skip: SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-qmp-'));
  try {
    const kernel = buildGuest(dir);
    const registers: string[] = [];
    const script: Script = async (qmp) => {
      assert.deepEqual(await qmp.execute('query-status'), { return: { status: 'running', singlestep: false, running: true } });
      await qmp.execute('stop');
      assert.deepEqual(await qmp.execute('query-status'), { return: { status: 'paused', singlestep: false, running: false } });
      await qmp.execute('cont');
      await untilGuestPolls(qmp);
      // In the guest's polling loop, so both are at the same point: earlier, either may still be in the firmware.
      registers.push((await qmp.execute('human-monitor-command', { 'command-line': 'info registers' })).return as string);
      assert.deepEqual(await qmp.execute('system_powerdown'), { return: {} });
      await qmp.event('SHUTDOWN');
    };
    const args = ['-kernel', kernel, '-qmp', 'unix:SOCKET,server,nowait'];
    const [termu, qemu] = await Promise.all([session(TERMU, args, dir, script), session('qemu-system-i386', args, dir, script)]);
    assert.deepEqual(mask(termu.transcript), mask(qemu.transcript));
    assert.match(termu.transcript.at(-1)!, /"event": "SHUTDOWN", "data": \{"guest": true, "reason": "guest-shutdown"\}/);
    assert.equal(registerLayout(registers[0]), registerLayout(registers[1]));
    assert.equal(termu.status, qemu.status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-mon chardev=…,mode=control with -no-shutdown: the powered-off guest stays until quit, as in qemu-system-i386', { skip: SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-qmp-'));
  try {
    const kernel = buildGuest(dir);
    const script: Script = async (qmp) => {
      await untilGuestPolls(qmp);
      await qmp.execute('system_powerdown');
      await qmp.event('SHUTDOWN');
      await qmp.execute('query-status');
      await qmp.execute('quit');
    };
    const args = ['-kernel', kernel, '-no-shutdown', '-chardev', 'socket,id=qmp0,path=SOCKET,server=on,wait=off', '-mon', 'chardev=qmp0,mode=control'];
    const [termu, qemu] = await Promise.all([session(TERMU, args, dir, script), session('qemu-system-i386', args, dir, script)]);
    assert.deepEqual(mask(termu.transcript), mask(qemu.transcript));
    assert.equal(termu.status, qemu.status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a triple-faulting guest: RESET events, and with -no-reboot SHUTDOWN, as qemu-system-i386 sends them', { skip: SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-qmp-'));
  try {
    const kernel = buildTestKernels().tripleFault;
    const resets: Script = async (qmp) => {
      await qmp.execute('cont');
      await qmp.event('RESET');
      await qmp.event('RESET');
      qmp.transcript.push('-- end of compared part --');
      await qmp.execute('quit');
    };
    const args = ['-S', '-kernel', kernel, '-qmp', 'unix:SOCKET,server=on,wait=off'];
    const compared = (t: string[]) => mask(t.slice(0, t.indexOf('-- end of compared part --')));
    const [termu, qemu] = await Promise.all([session(TERMU, args, dir, resets), session('qemu-system-i386', args, dir, resets)]);
    assert.deepEqual(compared(termu.transcript), compared(qemu.transcript));
    assert.match(termu.transcript.join('\n'), /"event": "RESET", "data": \{"guest": true, "reason": "guest-reset"\}/);

    const noReboot: Script = async (qmp) => {
      await qmp.execute('cont');
      await qmp.event('SHUTDOWN');
    };
    const args2 = ['-S', '-no-reboot', '-kernel', kernel, '-qmp', 'unix:SOCKET,server=on,wait=off'];
    const [termu2, qemu2] = await Promise.all([session(TERMU, args2, dir, noReboot), session('qemu-system-i386', args2, dir, noReboot)]);
    assert.deepEqual(mask(termu2.transcript), mask(qemu2.transcript));
    assert.match(termu2.transcript.at(-1)!, /"data": \{"guest": true, "reason": "guest-reset"\}/);
    assert.equal(termu2.status, qemu2.status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM sends SHUTDOWN host-signal before termu exits, as qemu-system-i386 does', { skip: SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-qmp-'));
  try {
    const kernel = buildGuest(dir);
    const script: Script = async (qmp) => {
      await qmp.execute('query-status');
      process.kill(qmp.pid, 'SIGTERM');
      await qmp.event('SHUTDOWN');
    };
    // termu catches the signal where QEMU's stdio chardev would (signal=on), so the guest's serial port is on stdio.
    const args = ['-kernel', kernel, '-serial', 'stdio', '-qmp', 'unix:SOCKET,server=on,wait=off'];
    const [termu, qemu] = await Promise.all([session(TERMU, args, dir, script), session('qemu-system-i386', args, dir, script)]);
    assert.deepEqual(mask(termu.transcript), mask(qemu.transcript));
    assert.match(termu.transcript.at(-1)!, /"data": \{"guest": false, "reason": "host-signal"\}/);
    assert.equal(termu.status, qemu.status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad -qmp and -mon mode=control arguments fail with qemu-system-i386 texts and status', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, () => {
  for (const args of [['-qmp', 'bogus:x'], ['-qmp', 'none'], ['-mon', 'chardev=nope,mode=control'], ['-chardev', 'null,id=c', '-mon', 'chardev=c,mode=json']]) {
    const run = (program: string) => {
      const r = spawnSync(program, ['-display', 'none', '-S', ...args], { encoding: 'utf8', timeout: 20000 });
      return { stderr: r.stderr.replace(/^(qemu-system-i386|termu): /gm, 'PROGRAM: '), status: r.status };
    };
    assert.deepEqual(run(TERMU), run('qemu-system-i386'), args.join(' '));
  }
});
