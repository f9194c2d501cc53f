import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultKeymapDir, Keymap, keysymToCodePoint } from '../../src/tui/keymap.js';
import { ScancodeEncoder } from '../../src/tui/scancode-encoder.js';
import { DEFAULT_KEYSYMDEF, DEFAULT_XKB_ROOT, generateAll, LAYOUTS } from '../../scripts/gen-keymaps.js';

const dir = defaultKeymapDir();
const layouts = readdirSync(dir).sort();
const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

test('keymaps/ holds every layout QEMU ships', () => {
  assert.deepEqual(layouts, Object.keys(LAYOUTS).sort());
  assert.equal(layouts.length, 34);
});

test('regenerating the keymaps from xkeyboard-config gives the committed files', { skip: !existsSync(DEFAULT_XKB_ROOT) && 'xkb-data is not installed' }, () => {
  const files = generateAll();
  for (const [name, text] of files.keymaps) assert.equal(readFileSync(join(dir, name), 'utf8'), text, `keymaps/${name}`);
  if (existsSync(DEFAULT_KEYSYMDEF)) {
    assert.equal(readFileSync(new URL('../../../src/tui/keysym-unicode.ts', import.meta.url), 'utf8'), files.keysymTable);
  }
});

test('the German file has the lines QEMU documents', () => {
  const text = readFileSync(join(dir, 'de'), 'utf8');
  for (const line of ['2 0x03', 'quotedbl 0x03 shift', 'twosuperior 0x03 altgr', 'oneeighth 0x03 shift altgr',
    'at 0x10 altgr', 'EuroSign 0x12 altgr', 'U1E9E 0x1f shift altgr', 'KP_7 0x47 numlock', 'ISO_Level3_Shift 0xb8']) {
    assert.ok(text.split('\n').includes(line), line);
  }
});

test('typing a character sends the documented scancode sequence', () => {
  const us = new ScancodeEncoder(Keymap.load('en-us'));
  assert.equal(hex(us.encodeChar('@')), '2a 03 83 aa');
  assert.equal(hex(us.encodeChar('a')), '1e 9e');
  assert.equal(hex(us.encodeChar('\x03')), '1d 2e ae 9d'); // Ctrl-C
  const de = new ScancodeEncoder(Keymap.load('de'));
  assert.equal(hex(de.encodeChar('@')), 'e0 38 10 90 e0 b8');
  assert.equal(hex(de.encodeChar('z')), '15 95');
  assert.equal(hex(de.encodeChar('€')), 'e0 38 12 92 e0 b8');
  const fr = new ScancodeEncoder(Keymap.load('fr'));
  assert.equal(hex(fr.encodeChar('a')), '10 90');
  assert.equal(hex(fr.encodeChar('1')), '2a 02 82 aa');
  const ru = new ScancodeEncoder(Keymap.load('ru'), Keymap.load('en-us'));
  assert.equal(hex(ru.encodeChar('ф')), '1e 9e');
  assert.equal(hex(ru.encodeChar('\x03')), '1d 2e ae 9d'); // Ctrl-C through the en-us fallback
  assert.deepEqual(ru.encodeChar('q'), []); // a Russian guest cannot type a Latin q
  const es = new ScancodeEncoder(Keymap.load('es'));
  // é has no key on es: dead acute, then e.
  assert.equal(hex(es.encodeChar('é')), '28 a8 12 92');
});

test('every character of every layout maps to the key and modifiers its file gives', () => {
  let checked = 0;
  for (const name of layouts) {
    const encoder = new ScancodeEncoder(Keymap.load(name));
    // Read the file independently: each character's candidate keys in file order.
    const candidates = new Map<number, { key: number; words: string[] }[]>();
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const [sym, code, ...words] = line.split(' ');
      const cp = keysymToCodePoint(sym);
      if (cp < 0x20 || cp === 0x7f) continue;
      const list = candidates.get(cp) ?? [];
      if (list.length < 4) list.push({ key: Number(code), words });
      candidates.set(cp, list);
    }
    for (const [cp, list] of candidates) {
      const cost = (c: { words: string[] }) =>
        (c.words.includes('numlock') ? 8 : 0) + (c.words.includes('altgr') ? 2 : 0) + (c.words.includes('shift') ? 1 : 0);
      const best = [...list].sort((a, b) => cost(a) - cost(b))[0];
      const expected: number[] = [];
      const mods = [best.words.includes('shift') ? 0x2a : 0, best.words.includes('altgr') ? 0xb8 : 0].filter(Boolean);
      const key = (k: number, up: boolean) => [...(k & 0x80 ? [0xe0] : []), (k & 0x7f) | (up ? 0x80 : 0)];
      for (const m of mods) expected.push(...key(m, false));
      expected.push(...key(best.key, false), ...key(best.key, true));
      for (const m of mods.reverse()) expected.push(...key(m, true));
      assert.equal(hex(encoder.encodeChar(String.fromCodePoint(cp))), hex(expected), `${name} U+${cp.toString(16)}`);
      checked++;
    }
  }
  assert.ok(checked > 4500, `checked ${checked}`);
});

const QEMU_KEYMAPS = '/usr/share/qemu/keymaps';
test('printable ASCII matches the keymaps QEMU generates with libxkbcommon', { skip: !existsSync(QEMU_KEYMAPS) && 'QEMU keymaps are not installed' }, () => {
  // Differences that come from the xkb-data version QEMU's files were built from, not from us.
  const dataVersionDifferences: Record<string, string> = { is: '|' };
  let compared = 0;
  for (const name of layouts) {
    const reference = readFileSync(join(QEMU_KEYMAPS, name), 'utf8');
    if (!reference.includes('generated by qemu-keymap')) continue; // sl and sv are hand-made there
    const ours = Keymap.load(name), theirs = Keymap.parse(name, reference);
    for (let cp = 0x20; cp < 0x7f; cp++) {
      if (dataVersionDifferences[name]?.includes(String.fromCharCode(cp))) continue;
      const a = ours.mappingsForChar(cp), b = theirs.mappingsForChar(cp);
      assert.deepEqual(a, b, `${name} '${String.fromCharCode(cp)}'`);
      compared++;
    }
  }
  assert.ok(compared > 2500, `compared ${compared}`);
});

test('unknown layouts and old include files fail with QEMU\'s messages', () => {
  assert.throws(() => Keymap.load('xx'), { message: "could not read keymap file: 'xx'" });
  assert.throws(() => Keymap.load('../etc/passwd'), { message: "could not read keymap file: '../etc/passwd'" });
  assert.throws(() => Keymap.parse('old', 'include common\n'), { message: 'keymap include files are not supported any more' });
});
