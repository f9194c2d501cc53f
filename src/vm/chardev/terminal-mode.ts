// Puts the controlling terminal in raw mode and guarantees it is restored on every way
// out: normal exit, process.exit(), uncaught exceptions and the terminating signals.

import type { ReadStream } from 'node:tty';

let rawStream: ReadStream | undefined;
let hooksInstalled = false;

export function restoreTerminal(): void {
  if (!rawStream) return;
  try {
    rawStream.setRawMode(false);
  } catch {
    // The terminal may already be gone (hangup); nothing left to restore.
  }
  rawStream = undefined;
}

/** Raw mode on stdin if it is a terminal. `onSignal` runs (after restoring) for SIGTERM/SIGHUP/SIGINT. */
export function enterRawMode(onSignal: (signal: NodeJS.Signals) => void): void {
  const stdin = process.stdin as ReadStream;
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    rawStream = stdin;
  }
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', restoreTerminal);
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    process.on(sig, () => {
      restoreTerminal();
      onSignal(sig);
    });
  }
  process.on('uncaughtException', (e) => {
    restoreTerminal();
    process.stderr.write(`termu: internal error: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
