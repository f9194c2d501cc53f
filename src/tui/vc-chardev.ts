// A `vc` chardev when the terminal UI is the display: QEMU's virtual console. What the
// guest's side (a serial port) writes goes to the UI's serial pane through `port`; keys
// typed in the pane come back through `port.write` as the guest's input.

import { ChardevBase } from '../vm/chardev/chardev.js';
import type { SerialPort } from './front-end-ports.js';

export class VcChardev extends ChardevBase {
  private readonly listeners: ((bytes: Uint8Array) => void)[] = [];
  /** The pane's view: the chardev's output is the pane's input and the other way round. */
  readonly port: SerialPort = {
    label: this.id,
    onOutput: (listener) => void this.listeners.push(listener),
    write: (bytes) => this.deliver(bytes),
  };

  filename(): string {
    return 'vc';
  }

  write(data: Uint8Array): void {
    for (const l of this.listeners) l(data);
  }

  close(): void {}
}
