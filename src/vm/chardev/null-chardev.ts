// `null`: output vanishes, no input (QEMU's char-null).

import { ChardevBase } from './chardev.js';

export class NullChardev extends ChardevBase {
  filename(): string {
    return 'null';
  }
  write(): void {}
  close(): void {}
}
