// Test helper: bin/termu in a real pseudo-terminal (node-pty), its output parsed by an
// @xterm/headless terminal that also answers the UI's queries, with waits and readers.
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { createTerminal, screenLine, type HeadlessTerminal } from './headless-terminal.js';

export const TERMU = fileURLToPath(new URL('../../../bin/termu', import.meta.url));

export interface TermuPty {
  term: HeadlessTerminal;
  proc: pty.IPty;
  raw: string[];
  exited: Promise<number>;
  cols: number;
  rows: number;
}

export function spawnTermu(args: string[], cols: number, rows: number, cwd?: string): TermuPty {
  const term = createTerminal(cols, rows);
  const proc = pty.spawn(process.execPath, [TERMU, ...args], {
    name: 'xterm-256color', cols, rows, cwd,
    env: { ...process.env, COLORTERM: 'truecolor', TERM: 'xterm-256color' },
  });
  const raw: string[] = [];
  proc.onData((d) => {
    raw.push(d);
    term.write(d);
  });
  term.onData((d) => proc.write(d));
  const exited = new Promise<number>((resolve) => proc.onExit((e) => resolve(e.exitCode)));
  return { term, proc, raw, exited, cols, rows };
}

export function screenLines(s: TermuPty): string[] {
  return Array.from({ length: s.rows }, (_, y) => screenLine(s.term, y));
}

export async function waitFor(what: string, check: () => boolean, timeoutMs: number, s?: TermuPty): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) {
      const screen = s ? `; screen:\n${screenLines(s).join('\n')}` : '';
      throw new Error(`timed out waiting for ${what}${screen}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves once the headless terminal has parsed everything received so far. */
export const parsed = (s: TermuPty) => new Promise<void>((resolve) => s.term.write('', resolve));
