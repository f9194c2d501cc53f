// Opens the chardevs a MachineConfig describes. Errors carry QEMU's wording; the caller
// prefixes the option they came from.

import type { ChardevSpec } from './chardev-spec.js';
import type { Chardev } from './chardev.js';
import { FileChardev } from './file-chardev.js';
import { MuxChardev, type MuxActions } from './mux-chardev.js';
import { NullChardev } from './null-chardev.js';
import { PipeChardev } from './pipe-chardev.js';
import { SocketChardev } from './socket-chardev.js';
import { StdioChardev } from './stdio-chardev.js';

export interface ChardevEnvironment extends MuxActions {
  /** A terminating signal (or Ctrl-C on a plain stdio chardev). */
  interrupted(signal: NodeJS.Signals): void;
  /** Informational lines for stderr (`QEMU waiting for connection on: …`). */
  log(line: string): void;
}

/** The opened chardev and, for a mux, its backend (`<id>-base`, listed separately by info chardev). */
export interface OpenedChardev {
  chardev: Chardev;
  base?: Chardev;
}

export async function openChardev(spec: ChardevSpec, env: ChardevEnvironment): Promise<OpenedChardev> {
  const id = spec.mux ? `${spec.id}-base` : spec.id;
  const b = spec.backend;
  let dev: Chardev;
  switch (b.kind) {
    case 'null':
      dev = new NullChardev(id);
      break;
    case 'stdio':
      dev = new StdioChardev(id, b.signal, (sig) => env.interrupted(sig));
      break;
    case 'file':
      dev = new FileChardev(id, b.path);
      break;
    case 'pipe':
      dev = new PipeChardev(id, b.path);
      break;
    case 'socket':
      dev = await SocketChardev.open(id, b, env.log);
      break;
  }
  if (!spec.mux) return { chardev: dev };
  return { chardev: new MuxChardev(spec.id, dev, env), base: dev };
}
