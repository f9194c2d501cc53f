// A QEMU-format keymap file (keymaps/<layout>, see scripts/gen-keymaps.ts) loaded for `-k`, and
// the conversion of a typed character into the key (and the Shift/AltGr/Ctrl it needs) that makes
// a guest using that layout produce the same character.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYSYM_UNICODE } from './keysym-unicode.js';

/** One way to produce a keysym: QEMU key number (set 1, + 0x80 for E0 keys) and modifiers. */
export interface KeyMapping {
  readonly key: number;
  readonly shift: boolean;
  readonly altgr: boolean;
  readonly ctrl: boolean;
  readonly numlock: boolean;
}

/** QEMU keeps at most this many mappings per keysym. */
const MAX_MAPPINGS = 4;

// Dead keys and the combining mark they add, for characters the layout has no key for.
const DEAD_KEY_MARKS: Readonly<Record<string, number>> = {
  dead_grave: 0x300, dead_acute: 0x301, dead_circumflex: 0x302, dead_tilde: 0x303, dead_macron: 0x304,
  dead_breve: 0x306, dead_abovedot: 0x307, dead_diaeresis: 0x308, dead_abovering: 0x30a,
  dead_doubleacute: 0x30b, dead_caron: 0x30c, dead_cedilla: 0x327, dead_ogonek: 0x328,
};

export class KeymapError extends Error {}

/** The default keymap directory: keymaps/ at the top of the repository. */
export function defaultKeymapDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'keymaps');
}

/** The Unicode character a keysym name stands for, or -1. */
export function keysymToCodePoint(name: string): number {
  if (name.length === 5 && name[0] === 'U') {
    const v = parseInt(name.slice(1), 16);
    return Number.isNaN(v) ? -1 : v;
  }
  return KEYSYM_UNICODE[name] ?? -1;
}

const modifierCount = (m: KeyMapping) => (m.shift ? 1 : 0) + (m.altgr ? 2 : 0) + (m.ctrl ? 4 : 0) + (m.numlock ? 8 : 0);

export class Keymap {
  /** keysym name → mappings, in file order. */
  readonly byKeysym = new Map<string, KeyMapping[]>();
  /** Unicode code point → mappings, fewest modifiers first. */
  readonly byCodePoint = new Map<number, KeyMapping[]>();
  private readonly deadKeyByMark = new Map<number, KeyMapping>();

  private constructor(readonly name: string) {}

  /** Loads keymaps/<name>; unknown layouts fail with QEMU's message. */
  static load(name: string, dir = defaultKeymapDir()): Keymap {
    let text: string;
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new KeymapError(`could not read keymap file: '${name}'`);
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      throw new KeymapError(`could not read keymap file: '${name}'`);
    }
    return Keymap.parse(name, text);
  }

  static parse(name: string, text: string): Keymap {
    const map = new Keymap(name);
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('map ')) continue;
      if (line.startsWith('include ')) throw new KeymapError('keymap include files are not supported any more');
      const words = line.split(/\s+/);
      const key = Number(words[1]);
      if (words.length < 2 || !Number.isInteger(key) || key < 0 || key > 0xff) continue;
      const rest = words.slice(2);
      map.add(words[0], {
        key, shift: rest.includes('shift'), altgr: rest.includes('altgr'), ctrl: rest.includes('ctrl'),
        numlock: rest.includes('numlock'),
      });
    }
    for (const list of map.byCodePoint.values()) list.sort((a, b) => modifierCount(a) - modifierCount(b));
    return map;
  }

  private add(keysym: string, mapping: KeyMapping): void {
    const list = this.byKeysym.get(keysym) ?? [];
    if (list.length >= MAX_MAPPINGS) return;
    list.push(mapping);
    this.byKeysym.set(keysym, list);
    const mark = DEAD_KEY_MARKS[keysym];
    if (mark !== undefined && !this.deadKeyByMark.has(mark)) this.deadKeyByMark.set(mark, mapping);
    const cp = keysymToCodePoint(keysym);
    if (cp >= 0) {
      const byCp = this.byCodePoint.get(cp) ?? [];
      byCp.push(mapping);
      this.byCodePoint.set(cp, byCp);
    }
  }

  /**
   * The keys to press for one character: usually one mapping, or a dead key then the base
   * character. Keypad (numlock) mappings are used only when nothing else produces it, because
   * the guest's NumLock state is unknown. Returns null when the layout cannot type it.
   */
  mappingsForChar(cp: number): KeyMapping[] | null {
    const direct = this.byCodePoint.get(cp);
    if (direct) return [direct.find((m) => !m.numlock) ?? direct[0]];
    const parts = [...String.fromCodePoint(cp).normalize('NFD')];
    if (parts.length === 2) {
      const dead = this.deadKeyByMark.get(parts[1].codePointAt(0)!);
      const base = this.byCodePoint.get(parts[0].codePointAt(0)!);
      if (dead && base) return [dead, base.find((m) => !m.numlock) ?? base[0]];
    }
    return null;
  }
}
