// Keys typed from the host (the terminal front end, the monitor's sendkey) arrive as
// PS/2 set-1 scancode bytes, the form the guest sees through the i8042's translation.
// They are decoded back into key presses and releases so the keyboard emits them in
// whatever scancode set the guest has selected.

import type { I8042 } from '../devices/i8042.js';

/** Pause has no release code: set 1 sends E1 1D 45 E1 9D C5 on press. */
const PAUSE_SET1 = [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5];
const PAUSE_SET2 = [0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77];

/** Feeds set-1 bytes to the keyboard as key events; a dangling E0 prefix is dropped. */
export function injectScancodes(i8042: I8042, bytes: readonly number[]): void {
  const keyboard = i8042.keyboard;
  let extended = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] & 0xff;
    if (b === 0xe0) {
      extended = true;
      continue;
    }
    if (b === 0xe1) {
      // The whole Pause sequence, in the set the keyboard is in.
      if (bytes[i + 1] === 0x1d) keyboard.sendBytes(keyboard.scancodeSet === 1 ? PAUSE_SET1 : PAUSE_SET2);
      i += PAUSE_SET1.length - 1;
      extended = false;
      continue;
    }
    i8042.keyEvent((b & 0x7f) | (extended ? 0x80 : 0), (b & 0x80) === 0);
    extended = false;
  }
}
