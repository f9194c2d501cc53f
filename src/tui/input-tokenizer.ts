// Turns the bytes a terminal sends into key, paste and reply events.
// Accepts UTF-8 text, C0 controls, ESC-prefixed Alt keys, CSI/SS3 function keys with xterm
// modifier parameters, the kitty keyboard protocol (CSI key[:alts];mods[:event][;text] u),
// xterm modifyOtherKeys (CSI 27;mods;char ~), bracketed paste (CSI 200~ … CSI 201~), SGR mouse
// reports, and the replies to our capability queries (CSI ? flags u, DA1, XTMODKEYS).
// Sequences split across reads are held until complete; a lone ESC (or an unfinished sequence)
// is resolved after a short timeout, as QEMU's curses display does (25 ms).
import { StringDecoder } from 'node:string_decoder';

/** A key press. `key` is one character (unshifted where the terminal says so) or a key name. */
export interface KeyEvent {
  readonly type: 'key';
  readonly key: string;
  readonly shift: boolean;
  readonly alt: boolean;
  readonly ctrl: boolean;
  readonly meta: boolean;
  /** kitty flag 2: 1 press, 2 repeat, 3 release. Always 1 for legacy input. */
  readonly event: 1 | 2 | 3;
}
export interface PasteEvent { readonly type: 'paste'; readonly text: string }
export interface KittyFlagsReply { readonly type: 'kitty-flags'; readonly flags: number }
export interface DeviceAttributesReply { readonly type: 'device-attributes'; readonly params: readonly number[] }
export interface ModifyKeysReply { readonly type: 'modify-keys'; readonly resource: number; readonly value: number }
export interface MouseEvent {
  readonly type: 'mouse'; readonly button: number; readonly column: number; readonly row: number; readonly release: boolean;
}
export type InputEvent = KeyEvent | PasteEvent | KittyFlagsReply | DeviceAttributesReply | ModifyKeysReply | MouseEvent;

/** Names used for non-character keys. */
export type SpecialKeyName =
  | 'Escape' | 'Enter' | 'Tab' | 'Backspace' | 'Up' | 'Down' | 'Left' | 'Right' | 'Home' | 'End'
  | 'PageUp' | 'PageDown' | 'Insert' | 'Delete' | 'Begin'
  | 'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7' | 'F8' | 'F9' | 'F10' | 'F11' | 'F12';

const ESC = '\x1b';
export const DEFAULT_ESCAPE_TIMEOUT_MS = 25;

const SS3_KEYS: Record<string, SpecialKeyName> = {
  A: 'Up', B: 'Down', C: 'Right', D: 'Left', H: 'Home', F: 'End', E: 'Begin',
  P: 'F1', Q: 'F2', R: 'F3', S: 'F4', M: 'Enter',
};
const CSI_LETTER_KEYS: Record<string, SpecialKeyName> = {
  A: 'Up', B: 'Down', C: 'Right', D: 'Left', H: 'Home', F: 'End', E: 'Begin',
  P: 'F1', Q: 'F2', R: 'F3', S: 'F4',
};
const CSI_TILDE_KEYS: Record<number, SpecialKeyName> = {
  1: 'Home', 2: 'Insert', 3: 'Delete', 4: 'End', 5: 'PageUp', 6: 'PageDown', 7: 'Home', 8: 'End',
  11: 'F1', 12: 'F2', 13: 'F3', 14: 'F4', 15: 'F5', 17: 'F6', 18: 'F7', 19: 'F8', 20: 'F9', 21: 'F10',
  23: 'F11', 24: 'F12',
};
// kitty's codes for keys without a Unicode value (the functional keys it reports as CSI u).
const KITTY_FUNCTIONAL_KEYS: Record<number, SpecialKeyName> = {
  9: 'Tab', 13: 'Enter', 27: 'Escape', 127: 'Backspace',
  57348: 'Insert', 57349: 'Delete', 57350: 'Left', 57351: 'Right', 57352: 'Up', 57353: 'Down',
  57354: 'PageUp', 57355: 'PageDown', 57356: 'Home', 57357: 'End',
  57364: 'F1', 57365: 'F2', 57366: 'F3', 57367: 'F4', 57368: 'F5', 57369: 'F6', 57370: 'F7',
  57371: 'F8', 57372: 'F9', 57373: 'F10', 57374: 'F11', 57375: 'F12',
};
const PASTE_END = '\x1b[201~';

function key(name: string, modifierParam = 1, event: 1 | 2 | 3 = 1): KeyEvent {
  const bits = modifierParam > 0 ? modifierParam - 1 : 0;
  return {
    type: 'key', key: name, shift: (bits & 1) !== 0, alt: (bits & 2) !== 0, ctrl: (bits & 4) !== 0,
    meta: (bits & 8) !== 0 || (bits & 32) !== 0, event,
  };
}

/** Decodes one C0 control or DEL into the key a terminal meant by it. */
function controlKey(code: number, alt: boolean): KeyEvent {
  const mods = alt ? 3 : 1;
  switch (code) {
    case 0x09: return key('Tab', mods);
    case 0x0d: return key('Enter', mods);
    case 0x1b: return key('Escape', mods);
    case 0x7f: case 0x08: return key('Backspace', mods);
    case 0x00: return key(' ', mods + 4);
  }
  // Ctrl+letter sends letter & 0x1f; 0x1c..0x1f are Ctrl+\ ] ^ _.
  const base = code <= 0x1a ? String.fromCharCode(code + 0x60) : String.fromCharCode(code + 0x40);
  return key(base, mods + 4);
}

export class InputTokenizer {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private pasting: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly emit: (event: InputEvent) => void,
    private readonly escapeTimeoutMs = DEFAULT_ESCAPE_TIMEOUT_MS,
  ) {}

  /** Feeds raw bytes (or already decoded text) from the terminal. */
  feed(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    this.cancelTimer();
    this.drain(false);
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flush(), this.escapeTimeoutMs);
  }

  /** Resolves whatever is pending as if the escape timeout had expired. */
  flush(): void {
    this.cancelTimer();
    this.drain(true);
  }

  dispose(): void { this.cancelTimer(); }

  private cancelTimer(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
  }

  private drain(final: boolean): void {
    const s = this.pending;
    let i = 0;
    while (i < s.length) {
      if (this.pasting !== null) {
        const end = s.indexOf(PASTE_END, i);
        if (end < 0) {
          // Keep a possible partial end marker for the next read.
          const keep = Math.min(PASTE_END.length - 1, s.length - i);
          let cut = s.length;
          for (let k = keep; k > 0; k--) if (PASTE_END.startsWith(s.slice(s.length - k))) { cut = s.length - k; break; }
          this.pasting += s.slice(i, cut);
          i = cut;
          if (final) { this.pasting += s.slice(i); i = s.length; this.endPaste(); }
          break;
        }
        this.pasting += s.slice(i, end);
        i = end + PASTE_END.length;
        this.endPaste();
        continue;
      }
      const used = this.parseOne(s, i, final);
      if (used === 0) break;
      i += used;
    }
    this.pending = s.slice(i);
  }

  private endPaste(): void {
    const text = this.pasting ?? '';
    this.pasting = null;
    this.emit({ type: 'paste', text });
  }

  /** Parses one event at s[i]; returns characters consumed, or 0 if more input is needed. */
  private parseOne(s: string, i: number, final: boolean): number {
    const c = s.charCodeAt(i);
    if (c !== 0x1b) {
      const cp = s.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      if (cp < 0x20 || cp === 0x7f) this.emit(controlKey(cp, false));
      else this.emit(key(String.fromCodePoint(cp)));
      return len;
    }
    if (i + 1 >= s.length) {
      if (!final) return 0;
      this.emit(key('Escape'));
      return 1;
    }
    const next = s[i + 1];
    if (next === '[') {
      const n = this.parseCsi(s, i);
      if (n > 0) return n;
      if (!final) return 0;
      this.emit(key('[', 3)); // ESC [ that never completed: Alt+[
      return 2;
    }
    if (next === 'O') {
      if (i + 2 >= s.length) {
        if (!final) return 0;
        this.emit(key('O', 3));
        return 2;
      }
      const name = SS3_KEYS[s[i + 2]];
      if (name) { this.emit(key(name)); return 3; }
      this.emit(key('O', 3));
      return 2;
    }
    // ESC + anything else is Alt + that key.
    const cp = s.codePointAt(i + 1)!;
    const len = cp > 0xffff ? 2 : 1;
    if (cp < 0x20 || cp === 0x7f) this.emit(controlKey(cp, true));
    else this.emit(key(String.fromCodePoint(cp), 3));
    return 1 + len;
  }

  /** Parses CSI at s[i]; returns its length, or 0 if incomplete. */
  private parseCsi(s: string, i: number): number {
    let j = i + 2;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c >= 0x40 && c <= 0x7e) break;
      // A control character inside means the sequence was cut short: drop what we had.
      if (c < 0x20 || c > 0x7e) return j - i;
      j++;
    }
    if (j >= s.length) return 0;
    const body = s.slice(i + 2, j);
    const final = s[j];
    this.dispatchCsi(body, final);
    return j + 1 - i;
  }

  private dispatchCsi(body: string, final: string): void {
    const prefix = body.length > 0 && '<=>?'.includes(body[0]) ? body[0] : '';
    const params = (prefix ? body.slice(1) : body).split(';');
    const num = (k: number, dflt: number): number => {
      const v = parseInt(params[k]?.split(':')[0] ?? '', 10);
      return Number.isFinite(v) ? v : dflt;
    };
    if (prefix === '?') {
      if (final === 'u') this.emit({ type: 'kitty-flags', flags: num(0, 0) });
      else if (final === 'c') this.emit({ type: 'device-attributes', params: params.map((p) => parseInt(p, 10) || 0) });
      return;
    }
    if (prefix === '>' && final === 'm') {
      this.emit({ type: 'modify-keys', resource: num(0, 0), value: num(1, 0) });
      return;
    }
    if (prefix === '<' && (final === 'M' || final === 'm')) {
      this.emit({ type: 'mouse', button: num(0, 0), column: num(1, 1) - 1, row: num(2, 1) - 1, release: final === 'm' });
      return;
    }
    if (prefix !== '') return;
    if (final === 'u') {
      // The key code is the unshifted key; alternates after ':' are only hints.
      const code = parseInt((params[0] ?? '').split(':')[0], 10);
      const [modText, eventText] = (params[1] ?? '1').split(':');
      const mods = parseInt(modText, 10) || 1;
      const event = (parseInt(eventText ?? '1', 10) || 1) as 1 | 2 | 3;
      if (!Number.isFinite(code)) return;
      const special = KITTY_FUNCTIONAL_KEYS[code];
      if (special) { this.emit(key(special, mods, event)); return; }
      if (code >= 57344 && code <= 63743) return; // other kitty private-use keys (modifiers, media)
      this.emit(key(String.fromCodePoint(code), mods, event));
      return;
    }
    if (final === '~') {
      const first = num(0, 0);
      if (first === 200) { this.pasting = ''; return; }
      if (first === 27) {
        // xterm modifyOtherKeys: CSI 27 ; mods ; char ~ (the character is after Shift).
        const code = num(2, 0);
        const special = KITTY_FUNCTIONAL_KEYS[code];
        this.emit(key(special ?? String.fromCodePoint(code), num(1, 1)));
        return;
      }
      const name = CSI_TILDE_KEYS[first];
      if (name) this.emit(key(name, num(1, 1)));
      return;
    }
    if (final === 'Z') { this.emit(key('Tab', 2)); return; }
    const name = CSI_LETTER_KEYS[final];
    if (name) this.emit(key(name, num(1, 1)));
  }
}
