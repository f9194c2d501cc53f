// A chardev for monitor tests: records what the monitor writes, and `type` feeds input.
import { ChardevBase } from '../../src/vm/chardev/chardev.js';

export function wireChardev(filename: string) {
  return class Wire extends ChardevBase {
    out = '';
    filename() {
      return filename;
    }
    write(d: Uint8Array) {
      this.out += Buffer.from(d).toString('latin1');
    }
    close() {}
    type(s: string) {
      this.deliver(Buffer.from(s, 'latin1'));
    }
  };
}
