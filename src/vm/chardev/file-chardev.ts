// `file:PATH`: output written to a file (truncated at open, as QEMU does), no input.

import { closeSync, openSync, writeSync } from 'node:fs';
import { ChardevBase } from './chardev.js';
import { openErrorText } from './open-error.js';

export class FileChardev extends ChardevBase {
  private fd: number;

  constructor(id: string, path: string) {
    super(id);
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new Error(openErrorText(path, e));
    }
  }

  filename(): string {
    return 'file';
  }

  write(data: Uint8Array): void {
    if (this.fd >= 0) writeSync(this.fd, data);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
