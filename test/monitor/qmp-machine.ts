// A termu or QEMU process driven over QMP on its stdio; HMP commands go through
// human-monitor-command, so each command's output comes back whole.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** A QMP client over the process's stdio; HMP commands go through human-monitor-command. */
export class QmpMachine {
  private buffer = '';
  private readonly lines: string[] = [];
  private readonly proc: ChildProcessWithoutNullStreams;

  constructor(program: string, args: string[]) {
    this.proc = spawn(program, ['-display', 'none', '-qmp', 'stdio', ...args]);
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString('latin1');
      for (let end; (end = this.buffer.indexOf('\n')) >= 0; this.buffer = this.buffer.slice(end + 1)) this.lines.push(this.buffer.slice(0, end));
    });
  }

  private async next(): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 60000; // generous: CI runs several emulators at once
    while (this.lines.length === 0) {
      if (Date.now() > deadline || this.proc.exitCode !== null) throw new Error(`no reply from ${this.proc.spawnfile}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return JSON.parse(this.lines.shift()!) as Record<string, unknown>;
  }

  async start(): Promise<void> {
    assert.ok('QMP' in (await this.next()));
    await this.execute('qmp_capabilities');
  }

  private async execute(command: string, args?: object): Promise<unknown> {
    this.proc.stdin.write(`${JSON.stringify({ execute: command, arguments: args })}\n`);
    for (;;) {
      const m = await this.next();
      if ('error' in m) throw new Error(JSON.stringify(m.error));
      if ('return' in m) return m.return;
    }
  }

  /** A QMP command's return value. */
  async query(command: string, args?: object): Promise<unknown> {
    return this.execute(command, args);
  }

  /** One HMP command's output, with '\n' line ends. */
  async hmp(line: string): Promise<string> {
    return ((await this.execute('human-monitor-command', { 'command-line': line })) as string).replace(/\r\n/g, '\n');
  }

  /** The 32-bit word at physical `addr`, read through `xp`. */
  async word(addr: number): Promise<number> {
    return parseInt((await this.hmp(`xp /xw ${addr}`)).split(' ')[1], 16);
  }

  /** Polls until the word at `addr` is `value`. */
  async until(addr: number, value: number): Promise<void> {
    const deadline = Date.now() + 60000; // generous: CI runs several emulators at once
    while ((await this.word(addr)) !== value) {
      if (Date.now() > deadline) throw new Error(`word at 0x${addr.toString(16)} never became 0x${value.toString(16)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}
