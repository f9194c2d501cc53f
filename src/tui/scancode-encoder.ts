// Key events from the terminal → PS/2 scancodes (set 1, as the i8042 delivers them translated,
// with E0 prefixes) through the guest's keymap. Terminals have no key-up events, so every key is
// a press and a release, wrapped in synthetic modifier presses and releases as QEMU's curses
// display does: Ctrl 1d, Shift 2a, Alt 38, AltGr E0 38.
import type { KeyEvent, SpecialKeyName } from './input-tokenizer.js';
import type { Keymap, KeyMapping } from './keymap.js';

const KEY_CTRL = 0x1d;
const KEY_SHIFT = 0x2a;
const KEY_ALT = 0x38;
const KEY_ALTGR = 0xb8;

/** Layout-independent keys (QEMU key numbers). */
export const SPECIAL_KEY_NUMBERS: Readonly<Record<SpecialKeyName, number>> = {
  Escape: 0x01, Backspace: 0x0e, Tab: 0x0f, Enter: 0x1c,
  F1: 0x3b, F2: 0x3c, F3: 0x3d, F4: 0x3e, F5: 0x3f, F6: 0x40, F7: 0x41, F8: 0x42, F9: 0x43, F10: 0x44,
  F11: 0x57, F12: 0x58,
  Home: 0xc7, Up: 0xc8, PageUp: 0xc9, Left: 0xcb, Right: 0xcd, End: 0xcf, Down: 0xd0, PageDown: 0xd1,
  Insert: 0xd2, Delete: 0xd3, Begin: 0x4c,
};

/** Appends the make (or break) bytes of one key number. */
export function pushKey(out: number[], key: number, release: boolean): void {
  if (key & 0x80) out.push(0xe0);
  out.push((key & 0x7f) | (release ? 0x80 : 0));
}

interface Modifiers { ctrl: boolean; shift: boolean; alt: boolean; altgr: boolean }

function pushWithModifiers(out: number[], key: number, mods: Modifiers): void {
  const held: number[] = [];
  if (mods.ctrl) held.push(KEY_CTRL);
  if (mods.shift) held.push(KEY_SHIFT);
  if (mods.alt) held.push(KEY_ALT);
  if (mods.altgr) held.push(KEY_ALTGR);
  for (const m of held) pushKey(out, m, false);
  pushKey(out, key, false);
  pushKey(out, key, true);
  for (let i = held.length - 1; i >= 0; i--) pushKey(out, held[i], true);
}

export class ScancodeEncoder {
  /**
   * @param keymap the guest's layout (`-k`)
   * @param controlFallback where Ctrl+letter finds letters the layout lacks (en-us), so Ctrl+C
   *        still works on a Cyrillic or Greek layout
   */
  constructor(readonly keymap: Keymap, private readonly controlFallback: Keymap | null = null) {}

  /** Scancodes for one character typed as text; [] when the layout cannot produce it. */
  encodeChar(ch: string, extra: Partial<Modifiers> = {}): number[] {
    const cp = ch.codePointAt(0)!;
    const out: number[] = [];
    if (cp === 0x0a || cp === 0x0d) { pushWithModifiers(out, SPECIAL_KEY_NUMBERS.Enter, this.mods(null, extra)); return out; }
    if (cp === 0x09) { pushWithModifiers(out, SPECIAL_KEY_NUMBERS.Tab, this.mods(null, extra)); return out; }
    if (cp === 0x7f || cp === 0x08) { pushWithModifiers(out, SPECIAL_KEY_NUMBERS.Backspace, this.mods(null, extra)); return out; }
    if (cp === 0x1b) { pushWithModifiers(out, SPECIAL_KEY_NUMBERS.Escape, this.mods(null, extra)); return out; }
    if (cp < 0x20) {
      // Control characters are Ctrl + the letter (or @ [ \ ] ^ _).
      return this.encodeChar(String.fromCharCode(cp + 0x40).toLowerCase(), { ...extra, ctrl: true });
    }
    let mappings = this.keymap.mappingsForChar(cp);
    if (!mappings && extra.ctrl && this.controlFallback) mappings = this.controlFallback.mappingsForChar(cp);
    if (!mappings) return out;
    for (let i = 0; i < mappings.length; i++) {
      // Extra modifiers apply to the final key only, not to a dead key before it.
      pushWithModifiers(out, mappings[i].key, this.mods(mappings[i], i === mappings.length - 1 ? extra : {}));
    }
    return out;
  }

  /** Scancodes for a key event from the terminal. */
  encodeKey(event: KeyEvent): number[] {
    const extra = { ctrl: event.ctrl, alt: event.alt, shift: event.shift };
    const special = SPECIAL_KEY_NUMBERS[event.key as SpecialKeyName];
    if (special !== undefined && event.key.length > 1) {
      const out: number[] = [];
      pushWithModifiers(out, special, this.mods(null, extra));
      return out;
    }
    return this.encodeChar(event.key, extra);
  }

  /** Scancodes for pasted text, character by character (characters the layout lacks are skipped). */
  encodeText(text: string): number[] {
    const out: number[] = [];
    for (const ch of text.replace(/\r\n/g, '\r')) out.push(...this.encodeChar(ch));
    return out;
  }

  private mods(mapping: KeyMapping | null, extra: Partial<Modifiers>): Modifiers {
    return {
      ctrl: (mapping?.ctrl ?? false) || !!extra.ctrl,
      shift: (mapping?.shift ?? false) || !!extra.shift,
      alt: !!extra.alt,
      altgr: (mapping?.altgr ?? false) || !!extra.altgr,
    };
  }
}
