// `pipe:PATH`: a pair of FIFOs PATH.in (guest input) and PATH.out (guest output), or one
// bidirectional PATH when the pair does not exist (QEMU's char-pipe).

import { constants, existsSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { ChardevBase } from './chardev.js';
import { openErrorText } from './open-error.js';

export class PipeChardev extends ChardevBase {
  private readonly output: Socket;
  private readonly input: Socket;

  constructor(id: string, path: string) {
    super(id);
    const paired = existsSync(`${path}.in`) && existsSync(`${path}.out`);
    const open = (p: string) => {
      try {
        // O_RDWR keeps a FIFO open without a peer, so opening never blocks.
        return openSync(p, constants.O_RDWR | constants.O_NONBLOCK);
      } catch (e) {
        throw new Error(openErrorText(p, e));
      }
    };
    const outFd = open(paired ? `${path}.out` : path);
    this.output = new Socket({ fd: outFd, readable: !paired, writable: true });
    this.input = paired ? new Socket({ fd: open(`${path}.in`), readable: true, writable: false }) : this.output;
    this.input.on('data', (chunk) => this.deliver(chunk));
    this.input.on('error', () => {});
    this.output.on('error', () => {});
  }

  filename(): string {
    return 'pipe';
  }

  write(data: Uint8Array): void {
    this.output.write(data);
  }

  close(): void {
    this.input.destroy();
    this.output.destroy();
  }
}
