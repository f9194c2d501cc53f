// -pidfile: written once the machine is set up, removed when termu exits (QEMU 7.2 does
// the same), with QEMU's error text when it cannot be created.

import { unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { strerror } from '../vm/chardev/open-error.js';
import { CliError } from './cli-error.js';

let written: string | undefined;

export function writePidfile(path: string): void {
  const absolute = resolve(path);
  try {
    writeFileSync(absolute, `${process.pid}\n`);
  } catch (e) {
    throw new CliError([`cannot create PID file: Could not create '${path}': ${strerror(e)}`]);
  }
  written = absolute;
  process.on('exit', removePidfile);
}

export function removePidfile(): void {
  if (!written) return;
  try {
    unlinkSync(written);
  } catch {
    // Someone else removed it; nothing to do.
  }
  written = undefined;
}
