// `stdio`: the terminal (or whatever stdin/stdout are). The terminal goes to raw mode so
// every key reaches the guest; with signal=on (plain `-serial stdio`) Ctrl-C still quits
// as QEMU's ISIG does, with `mon:stdio` it goes to the guest.

import { ChardevBase } from './chardev.js';
import { enterRawMode } from './terminal-mode.js';

const CTRL_C = 0x03;

export class StdioChardev extends ChardevBase {
  private readonly onData = (chunk: Buffer) => {
    if (this.signalKeys && chunk.includes(CTRL_C)) {
      this.onInterrupt('SIGINT');
      return;
    }
    this.deliver(chunk);
  };

  /** `onInterrupt` ends the emulator for terminating signals (and Ctrl-C with signal=on). */
  constructor(id: string, private readonly signalKeys: boolean, private readonly onInterrupt: (signal: NodeJS.Signals) => void) {
    super(id);
    enterRawMode(onInterrupt);
    process.stdin.on('data', this.onData);
    process.stdin.resume();
  }

  filename(): string {
    return 'stdio';
  }

  write(data: Uint8Array): void {
    process.stdout.write(data);
  }

  close(): void {
    process.stdin.off('data', this.onData);
    process.stdin.pause();
  }
}
