// Drives the reference emulator, qemu-system-i386, for the guest tests: collects the serial
// console (QEMU's stdout), waits for text, types commands, talks to the HMP monitor over a
// unix socket, and makes sure QEMU dies with the test process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QEMU = 'qemu-system-i386';

export function haveQemu(): boolean {
  return spawnSync(QEMU, ['--version']).status === 0;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class QemuSession {
  private readonly child: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'termu-qemu-'));
  readonly monitorPath = join(this.dir, 'monitor.sock');
  private output = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * Starts QEMU with `args` plus a monitor socket; the serial console must go to stdio.
   * `emulator` runs another program with QEMU's command line instead (bin/termu).
   */
  constructor(args: readonly string[], emulator = QEMU) {
    this.child = spawn(emulator, [...args, '-monitor', `unix:${this.monitorPath},server=on,wait=off`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(this.child);
    const collect = (b: Buffer): void => {
      this.output += b.toString('latin1');
      for (const wake of this.waiters.splice(0)) wake();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this.child);
        for (const wake of this.waiters.splice(0)) wake();
        resolve({ code, signal });
      });
    });
  }

  /** Everything QEMU printed so far (serial console and its own messages). */
  get text(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the output after `from` matches; returns the index just past the match. */
  async waitFor(pattern: RegExp | string, timeoutMs: number, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output.slice(from);
      const at = typeof pattern === 'string' ? indexAfter(rest, pattern) : matchEnd(rest, pattern);
      if (at >= 0) return from + at;
      if (!this.running) throw new Error(`QEMU exited before ${pattern} appeared; output:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Types a command line on the serial console and returns its output up to the next prompt. */
  async command(line: string, prompt: string, timeoutMs = 30_000): Promise<string> {
    // The shell's prompt may be followed by a cursor query (ESC [ 6 n) still arriving: start
    // before an unfinished escape sequence so that it is removed whole below.
    const partial = this.output.search(/\x1b(\[[0-9;?]*)?$/);
    const start = partial >= 0 ? partial : this.output.length;
    this.child.stdin!.write(line + '\n');
    const end = await this.waitFor(prompt, timeoutMs, start);
    const text = this.output.slice(start, end - prompt.length).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    return withoutEcho(text, line).replace(/\r/g, '');
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Sends one HMP command over the monitor socket and returns the monitor's reply. */
  async monitor(command: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.monitorOnce(command, deadline - Date.now());
      } catch (err) {
        // QEMU creates the socket a moment after it starts.
        const starting = /ENOENT|ECONNREFUSED/.test((err as Error).message);
        if (!starting || !this.running || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private monitorOnce(command: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.monitorPath);
      let reply = '';
      let sent = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`monitor: no reply to '${command}' within ${timeoutMs} ms: ${reply}`));
      }, timeoutMs);
      socket.on('data', (b) => {
        reply += b.toString('latin1');
        const prompts = reply.split('(qemu) ').length - 1;
        if (!sent && prompts >= 1) {
          sent = true;
          socket.write(command + '\n');
        } else if (sent && prompts >= 2) {
          clearTimeout(timer);
          socket.end();
          resolve(monitorReply(reply));
        }
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (sent) resolve(monitorReply(reply));
        // Closed before its prompt: without this the promise would never settle.
        else reject(new Error(`monitor: closed before its prompt, '${command}' not sent: ${reply}`));
      });
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`monitor: ${e.message}`));
      });
    });
  }

  /** The 80x25 VGA text screen, read from guest memory at 0xb8000 through `pmemsave`. */
  async vgaText(): Promise<string> {
    const file = join(this.dir, `vga-${Date.now()}.bin`);
    await this.monitor(`pmemsave 0xb8000 4000 "${file}"`);
    const cells = readFileSync(file);
    const rows: string[] = [];
    for (let row = 0; row < 25; row++) {
      let line = '';
      for (let col = 0; col < 80; col++) {
        const ch = cells[(row * 80 + col) * 2];
        line += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : ' ';
      }
      rows.push(line.trimEnd());
    }
    return rows.join('\n');
  }

  /** Polls the VGA text screen until it matches. */
  async waitForScreen(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      if (!this.running) break;
      screen = await this.vgaText();
      if (pattern.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`screen never matched ${pattern}; last screen:\n${screen}\noutput:\n${this.tail()}`);
  }

  /** Waits for QEMU to exit by itself. */
  async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`QEMU still running after ${timeoutMs} ms; output:\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills QEMU (if still running) and removes its scratch directory. */
  async close(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private tail(): string {
    return this.output.slice(-3000);
  }
}

// The shell echoes the typed line, wrapping it at the terminal width with extra spaces,
// carriage returns and newlines; skip that echo and the rest of its last line.
function withoutEcho(text: string, line: string): string {
  let i = 0;
  let j = 0;
  while (i < text.length && j < line.length) {
    if (text[i] === line[j]) {
      i++;
      j++;
    } else if (text[i] === '\r' || text[i] === '\n' || text[i] === ' ') {
      i++;
    } else {
      return text;
    }
  }
  const newline = text.indexOf('\n', i);
  return newline < 0 ? '' : text.slice(newline + 1);
}

// The text between the echoed command line and the next prompt, without readline's
// cursor-movement sequences.
function monitorReply(raw: string): string {
  const afterFirstPrompt = raw.slice(raw.indexOf('(qemu) ') + 7).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  const body = afterFirstPrompt.slice(afterFirstPrompt.indexOf('\n') + 1);
  const end = body.lastIndexOf('(qemu) ');
  return end < 0 ? body : body.slice(0, end);
}

function indexAfter(haystack: string, needle: string): number {
  const i = haystack.indexOf(needle);
  return i < 0 ? -1 : i + needle.length;
}

function matchEnd(haystack: string, pattern: RegExp): number {
  const m = pattern.exec(haystack);
  return m ? m.index + m[0].length : -1;
}
