// -daemonize: the command returns once the machine is set up, leaving it running in the
// background (QEMU forks after initialisation). Node cannot fork, so the parent starts a
// detached copy of itself and waits for it to report "ready" on a pipe, or to fail, in
// which case the parent relays the child's error messages and status.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

const CHILD_MARK = 'TERMU_DAEMON_CHILD';
const READY_FD = 3;

export function isDaemonChild(): boolean {
  return process.env[CHILD_MARK] === '1';
}

/** In the parent: starts the daemon and resolves with the status the command should exit with. */
export function startDaemon(argv: string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    detached: true,
    env: { ...process.env, [CHILD_MARK]: '1' },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const errors: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => errors.push(d));
  return new Promise((resolve) => {
    const ready = child.stdio[READY_FD] as NodeJS.ReadableStream;
    ready.on('data', () => {
      process.stderr.write(Buffer.concat(errors));
      child.stderr!.destroy();
      (ready as unknown as { destroy(): void }).destroy();
      child.unref();
      resolve(0);
    });
    child.on('exit', (code) => {
      process.stderr.write(Buffer.concat(errors));
      resolve(code ?? 1);
    });
  });
}

/** In the daemon: the machine is up; let the parent return and stop writing to its stderr. */
export function signalDaemonReady(): void {
  process.stderr.on('error', () => {});
  const ready = createWriteStream('', { fd: READY_FD });
  ready.end('R');
  process.stderr.write = () => true;
}
