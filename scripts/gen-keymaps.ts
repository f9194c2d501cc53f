// Generates termu's QEMU-format keymap files (keymaps/<layout>) from xkeyboard-config, the way
// QEMU's qemu-keymap does with libxkbcommon, but by reading the xkb text files directly:
// the evdev keycodes, the key types and the symbols of `pc + <layout>(<variant>) + inet(evdev)`.
// For every key with a PC scancode it writes the keysym of each reachable level with the
// modifier words that select it (shift, altgr, numlock), then QEMU's quirks block.
// It also writes src/tui/keysym-unicode.ts, the keysym name → Unicode table the runtime keymap
// loader needs, from X11's keysymdef.h (Debian's x11proto-dev) when that header is present.
//
// Usage: node dist/scripts/gen-keymaps.js [--xkb DIR] [--keysymdef FILE] [--out DIR]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_XKB_ROOT = '/usr/share/X11/xkb';
export const DEFAULT_KEYSYMDEF = '/usr/include/X11/keysymdef.h';

/** QEMU's layout names and the xkb layout/variant/model each one is generated from. */
export const LAYOUTS: Record<string, { layout: string; variant?: string; model?: string }> = {
  ar: { layout: 'ara' }, bepo: { layout: 'fr', variant: 'dvorak' }, cz: { layout: 'cz' }, da: { layout: 'dk' },
  de: { layout: 'de', variant: 'nodeadkeys' }, 'de-ch': { layout: 'ch' }, 'en-gb': { layout: 'gb' },
  'en-us': { layout: 'us' }, es: { layout: 'es' }, et: { layout: 'et' }, fi: { layout: 'fi' }, fo: { layout: 'fo' },
  fr: { layout: 'fr', variant: 'nodeadkeys' }, 'fr-be': { layout: 'be' }, 'fr-ca': { layout: 'ca', variant: 'fr' },
  'fr-ch': { layout: 'ch', variant: 'fr' }, hr: { layout: 'hr' }, hu: { layout: 'hu' }, is: { layout: 'is' },
  it: { layout: 'it' }, ja: { layout: 'jp', model: 'jp106' }, lt: { layout: 'lt' }, lv: { layout: 'lv' },
  mk: { layout: 'mk' }, nl: { layout: 'nl' }, no: { layout: 'no' }, pl: { layout: 'pl' }, pt: { layout: 'pt' },
  'pt-br': { layout: 'br' }, ru: { layout: 'ru' }, sl: { layout: 'si' }, sv: { layout: 'se' }, th: { layout: 'th' },
  tr: { layout: 'tr' },
};

// Linux evdev key code → QEMU key number (PC scancode set 1, + 0x80 for E0-prefixed keys).
// Codes 1..83 are identical in both; the rest follow the PC/AT keyboard's assignments.
const EVDEV_TO_SET1 = new Map<number, number>([
  ...Array.from({ length: 83 }, (_, i) => [i + 1, i + 1] as [number, number]),
  [85, 0x76], [86, 0x56], [87, 0x57], [88, 0x58], [89, 0x73], [90, 0x78], [91, 0x77], [92, 0x79], [93, 0x70],
  [94, 0x7b], [95, 0x5c], [96, 0x9c], [97, 0x9d], [98, 0xb5], [99, 0x54], [100, 0xb8], [102, 0xc7], [103, 0xc8],
  [104, 0xc9], [105, 0xcb], [106, 0xcd], [107, 0xcf], [108, 0xd0], [109, 0xd1], [110, 0xd2], [111, 0xd3],
  [113, 0xa0], [114, 0xae], [115, 0xb0], [116, 0xde], [117, 0x59], [119, 0xc6], [121, 0x7e], [122, 0xf2],
  [123, 0xf1], [124, 0x7d], [125, 0xdb], [126, 0xdc], [127, 0xdd],
]);

// ---- xkb text: tokens -----------------------------------------------------------------------

type Token = { kind: 'str' | 'name' | 'ident' | 'punct'; text: string };

function tokenize(source: string): Token[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(\/\/|#).*$/gm, ' ');
  const tokens: Token[] = [];
  const re = /"([^"]*)"|<([^>]+)>|([A-Za-z0-9_+\-]+)|([{}[\](),;=.!])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] !== undefined) tokens.push({ kind: 'str', text: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'ident', text: m[3] });
    else tokens.push({ kind: 'punct', text: m[4] });
  }
  return tokens;
}

class TokenStream {
  pos = 0;
  constructor(readonly tokens: Token[]) {}
  peek(offset = 0): Token | undefined { return this.tokens[this.pos + offset]; }
  next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new Error('unexpected end of xkb file');
    return t;
  }
  accept(text: string): boolean {
    if (this.peek()?.text === text) { this.pos++; return true; }
    return false;
  }
  expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw new Error(`expected '${text}' but found '${t.text}'`);
  }
  /** Skips one value: a balanced bracketed group or a single token. */
  skipValue(): void {
    const open = this.next().text;
    const close = open === '{' ? '}' : open === '[' ? ']' : open === '(' ? ')' : null;
    if (!close) {
      if (this.peek()?.text === '(') this.skipValue(); // an action such as SetMods(...)
      return;
    }
    let depth = 1;
    while (depth > 0) {
      const t = this.next().text;
      if (t === open) depth++;
      else if (t === close) depth--;
    }
  }
  skipStatement(): void {
    while (this.peek() && this.peek()!.text !== ';') {
      if ('{[('.includes(this.peek()!.text)) this.skipValue();
      else this.pos++;
    }
    this.accept(';');
  }
}

/** The sections (`xkb_symbols "name" {…}`, `xkb_keycodes …`, `xkb_types …`) of one xkb file. */
function splitSections(tokens: Token[]): { name: string; isDefault: boolean; body: Token[] }[] {
  const sections: { name: string; isDefault: boolean; body: Token[] }[] = [];
  let i = 0;
  while (i < tokens.length) {
    let isDefault = false;
    while (i < tokens.length && !/^xkb_/.test(tokens[i].text)) { if (tokens[i].text === 'default') isDefault = true; i++; }
    if (i >= tokens.length) break;
    i++;
    const name = tokens[i].kind === 'str' ? tokens[i++].text : '';
    if (tokens[i]?.text !== '{') throw new Error(`xkb section '${name}' has no body`);
    let depth = 0;
    const start = i + 1;
    for (; i < tokens.length; i++) {
      if (tokens[i].text === '{') depth++;
      else if (tokens[i].text === '}' && --depth === 0) break;
    }
    sections.push({ name, isDefault, body: tokens.slice(start, i) });
    i++;
    if (tokens[i]?.text === ';') i++;
  }
  return sections;
}

// ---- keycodes and types ---------------------------------------------------------------------

/** xkb key name → evdev code, and alias → real key name. */
function readKeycodes(root: string): { codes: Map<string, number>; aliases: Map<string, string> } {
  const codes = new Map<string, number>();
  const aliases = new Map<string, string>();
  for (const file of ['evdev', 'aliases']) {
    for (const section of splitSections(tokenize(readFileSync(join(root, 'keycodes', file), 'utf8')))) {
      const ts = new TokenStream(section.body);
      while (ts.peek()) {
        const t = ts.next();
        if (t.kind === 'name' && ts.accept('=')) {
          const v = ts.next();
          if (/^\d+$/.test(v.text)) codes.set(t.text, Number(v.text) - 8);
        } else if (t.text === 'alias') {
          const a = ts.next().text;
          ts.expect('=');
          aliases.set(a, ts.next().text);
        }
      }
    }
  }
  for (const name of codes.keys()) aliases.delete(name);
  return { codes, aliases };
}

/** What the guest must hold to reach one level: the modifier words of the keymap file. */
type LevelModifiers = { shift: boolean; altgr: boolean; numlock: boolean };
const STANDARD_LEVELS: (LevelModifiers | null)[] = [
  { shift: false, altgr: false, numlock: false }, { shift: true, altgr: false, numlock: false },
  { shift: false, altgr: true, numlock: false }, { shift: true, altgr: true, numlock: false },
];
const KEYPAD_LEVELS: (LevelModifiers | null)[] = [
  STANDARD_LEVELS[0], { shift: false, altgr: false, numlock: true }, STANDARD_LEVELS[2], STANDARD_LEVELS[3],
];

/** Key type name → the simplest Shift/LevelThree/NumLock combination selecting each level. */
function readTypes(root: string): Map<string, (LevelModifiers | null)[]> {
  const types = new Map<string, (LevelModifiers | null)[]>();
  for (const file of ['basic', 'pc', 'extra', 'numpad', 'iso9995', 'level5', 'caps', 'mousekeys', 'nokia', 'cancel']) {
    const path = join(root, 'types', file);
    if (!existsSync(path)) continue;
    for (const section of splitSections(tokenize(readFileSync(path, 'utf8')))) {
      const ts = new TokenStream(section.body);
      while (ts.peek()) {
        if (ts.next().text !== 'type' || ts.peek()?.kind !== 'str') continue;
        const name = ts.next().text;
        const levels: (LevelModifiers | null)[] = [STANDARD_LEVELS[0]];
        const cost: number[] = [0];
        ts.expect('{');
        while (!ts.accept('}')) {
          if (ts.peek()?.text !== 'map') { ts.skipStatement(); continue; }
          ts.next(); ts.expect('[');
          const mods: string[] = [];
          while (!ts.accept(']')) { const m = ts.next().text; if (m !== '+') mods.push(...m.split('+').filter(Boolean)); }
          ts.expect('=');
          const level = Number(ts.next().text.replace(/^level/i, '')) - 1;
          ts.accept(';');
          if (!mods.every((m) => m === 'Shift' || m === 'LevelThree' || m === 'NumLock' || m === 'None')) continue;
          const entry = { shift: mods.includes('Shift'), altgr: mods.includes('LevelThree'), numlock: mods.includes('NumLock') };
          // NumLock alone wins for keypad levels (QEMU writes those as "numlock"); else fewest modifiers.
          const c = entry.numlock && !entry.shift && !entry.altgr ? 0.5 : mods.filter((m) => m !== 'None').length;
          if (levels[level] === undefined || c < cost[level]) { levels[level] = entry; cost[level] = c; }
        }
        for (let i = 0; i < levels.length; i++) if (levels[i] === undefined) levels[i] = null;
        types.set(name, levels);
      }
    }
  }
  return types;
}

// ---- symbols --------------------------------------------------------------------------------

type MergeMode = 'override' | 'augment' | 'replace';
interface KeyDef { type?: string; levels: (string | null)[] }
type KeyTable = Map<string, KeyDef>;

function mergeKey(into: KeyTable, name: string, from: KeyDef, mode: MergeMode): void {
  const old = into.get(name);
  if (!old || mode === 'replace') { into.set(name, { type: from.type, levels: [...from.levels] }); return; }
  const levels = [...old.levels];
  for (let i = 0; i < from.levels.length; i++) {
    const sym = from.levels[i];
    if (sym === null) continue;
    if (mode === 'override' || levels[i] === undefined || levels[i] === null) levels[i] = sym;
  }
  const type = mode === 'override' ? from.type ?? old.type : old.type ?? from.type;
  into.set(name, { type, levels });
}

function mergeTable(into: KeyTable, from: KeyTable, mode: MergeMode): void {
  for (const [name, def] of from) mergeKey(into, name, def, mode);
}

class SymbolsReader {
  private readonly files = new Map<string, ReturnType<typeof splitSections>>();
  constructor(private readonly root: string, private readonly aliases: Map<string, string>) {}

  /** Resolves an include spec such as `pc+de(nodeadkeys)+inet(evdev)` into one table. */
  include(spec: string, table: KeyTable, mode: MergeMode): void {
    const parts = spec.match(/[+|]?[^+|]+/g) ?? [];
    for (const raw of parts) {
      const partMode: MergeMode = raw.startsWith('|') ? 'augment' : mode;
      const m = /^[+|]?([^():]+)(?:\(([^)]*)\))?(?::(\d+))?$/.exec(raw.trim());
      if (!m) throw new Error(`bad xkb include '${raw}'`);
      if (m[3] && m[3] !== '1') continue; // only group 1 matters for a single-layout keymap
      mergeTable(table, this.section(m[1], m[2]), partMode);
    }
  }

  private section(file: string, name: string | undefined): KeyTable {
    let sections = this.files.get(file);
    if (!sections) {
      sections = splitSections(tokenize(readFileSync(join(this.root, 'symbols', file), 'utf8')));
      this.files.set(file, sections);
    }
    const section = name ? sections.find((s) => s.name === name) : sections.find((s) => s.isDefault) ?? sections[0];
    if (!section) throw new Error(`xkb symbols '${file}(${name ?? ''})' not found`);
    return this.readBody(section.body);
  }

  private readBody(body: Token[]): KeyTable {
    const table: KeyTable = new Map();
    const ts = new TokenStream(body);
    let defaultType: string | undefined;
    while (ts.peek()) {
      let mode: MergeMode = 'override';
      let word = ts.peek()!.text;
      if (word === 'override' || word === 'augment' || word === 'replace' || word === 'include') {
        ts.next();
        if (ts.peek()?.kind === 'str') {
          this.include(ts.next().text, table, word === 'include' ? 'override' : word);
          continue;
        }
        mode = word === 'include' ? 'override' : word;
        word = ts.peek()!.text;
      }
      if (word === 'key' && ts.peek(1)?.text === '.') {
        ts.next(); ts.next();
        const field = ts.next().text;
        if (ts.accept('[')) { ts.next(); ts.expect(']'); }
        ts.expect('=');
        const value = ts.next().text;
        ts.accept(';');
        if (field === 'type') defaultType = value || undefined;
        continue;
      }
      if (word === 'key' && ts.peek(1)?.kind === 'name') {
        ts.next();
        const written = ts.next().text;
        const name = this.aliases.get(written) ?? written;
        const def = this.readKey(ts);
        if (def.type === undefined && defaultType) def.type = defaultType;
        mergeKey(table, name, def, mode);
        continue;
      }
      ts.skipStatement();
    }
    return table;
  }

  private readKey(ts: TokenStream): KeyDef {
    const def: KeyDef = { levels: [] };
    let unnamedGroups = 0;
    ts.expect('{');
    while (!ts.accept('}')) {
      if (ts.accept(',')) continue;
      if (ts.peek()?.text === '[') {
        const levels = this.readLevels(ts);
        if (unnamedGroups++ === 0) def.levels = levels;
        continue;
      }
      const field = ts.next().text.toLowerCase();
      let group = 1;
      if (ts.accept('[')) { group = Number(ts.next().text.replace(/^group/i, '')) || 1; ts.expect(']'); }
      ts.expect('=');
      if (field === 'type') {
        const value = ts.next().text;
        if (group === 1) def.type = value;
      } else if (field === 'symbols' && ts.peek()?.text === '[') {
        const levels = this.readLevels(ts);
        if (group === 1) def.levels = levels;
      } else {
        ts.skipValue();
      }
    }
    ts.accept(';');
    return def;
  }

  /** `[ a, A, { x, y }, NoSymbol ]` → per-level keysym names (null where nothing is set). */
  private readLevels(ts: TokenStream): (string | null)[] {
    const levels: (string | null)[] = [];
    ts.expect('[');
    let expectValue = true;
    while (!ts.accept(']')) {
      if (ts.accept(',')) { if (expectValue) levels.push(null); expectValue = true; continue; }
      if (ts.peek()?.text === '{') { ts.skipValue(); levels.push(null); expectValue = false; continue; }
      const sym = ts.next().text;
      levels.push(sym === 'NoSymbol' || sym === 'any' ? null : sym);
      expectValue = false;
    }
    return levels;
  }
}

// ---- keymap file ----------------------------------------------------------------------------

/** A keysym name as the keymap file writes it; numeric Unicode keysyms become `Uxxxx`. */
function keysymName(sym: string): string | null {
  if (sym === 'VoidSymbol') return null;
  const hex = /^0x([0-9a-fA-F]+)$/.exec(sym);
  if (!hex) return /^\d+$/.test(sym) && sym.length > 1 ? null : sym;
  const value = parseInt(hex[1], 16);
  if (value >= 0x1000100 && value <= 0x100ffff) return 'U' + (value - 0x1000000).toString(16).toUpperCase().padStart(4, '0');
  return null;
}

const isKeypadSym = (s: string | null) => s !== null && s.startsWith('KP_');

function levelsFor(def: KeyDef, types: Map<string, (LevelModifiers | null)[]>): (LevelModifiers | null)[] {
  if (def.type !== undefined) return types.get(def.type) ?? [STANDARD_LEVELS[0]];
  if (def.levels.length <= 1) return [STANDARD_LEVELS[0]];
  if (isKeypadSym(def.levels[0]) || isKeypadSym(def.levels[1])) return KEYPAD_LEVELS;
  // The implicit ALPHABETIC / FOUR_LEVEL* types all select levels the standard way.
  return STANDARD_LEVELS;
}

export function generateKeymap(xkbRoot: string, layoutName: string): string {
  const spec = LAYOUTS[layoutName];
  if (!spec) throw new Error(`unknown layout '${layoutName}'`);
  const { codes, aliases } = readKeycodes(xkbRoot);
  const types = readTypes(xkbRoot);
  const reader = new SymbolsReader(xkbRoot, aliases);
  const table: KeyTable = new Map();
  const layoutPart = spec.variant ? `${spec.layout}(${spec.variant})` : spec.layout;
  reader.include(`pc+${layoutPart}+inet(evdev)`, table, 'override');

  const keys: { number: number; evdev: number; name: string; def: KeyDef }[] = [];
  for (const [name, def] of table) {
    const evdev = codes.get(name);
    const number = evdev === undefined ? undefined : EVDEV_TO_SET1.get(evdev);
    if (number !== undefined) keys.push({ number, evdev: evdev!, name, def });
  }
  keys.sort((a, b) => a.number - b.number || a.evdev - b.evdev);

  const lines = [
    '# generated by termu scripts/gen-keymaps.ts from xkeyboard-config',
    `#    model   : ${spec.model ?? 'pc105'}`,
    `#    layout  : ${spec.layout}`,
    `#    variant : ${spec.variant ?? '-'}`,
    '#    options : -',
    '',
  ];
  for (const k of keys) {
    const levelMods = levelsFor(k.def, types);
    const seen = new Set<string>();
    const body: string[] = [];
    for (let level = 0; level < Math.min(4, k.def.levels.length); level++) {
      const mods = levelMods[level];
      const sym = k.def.levels[level];
      if (!mods || sym === null) continue;
      const name = keysymName(sym);
      if (name === null || seen.has(name)) continue;
      seen.add(name);
      const words = [mods.shift ? ' shift' : '', mods.altgr ? ' altgr' : '', mods.numlock ? ' numlock' : ''].join('');
      body.push(`${name} 0x${k.number.toString(16).padStart(2, '0')}${words}`);
    }
    if (body.length === 0) continue;
    lines.push(`# <${k.name}> evdev ${k.evdev}, key number 0x${k.number.toString(16).padStart(2, '0')}`, ...body);
  }
  lines.push(
    '', '#', '# quirks section start', '#',
    '# Sometimes multiple keysyms map to the same keycodes.', '# The keycode -> keysym lookup finds only one of them.', '#',
    'Print 0x54', 'Sys_Req 0x54', 'Execute 0x54', 'KP_Decimal 0x53 numlock', 'KP_Separator 0x53 numlock',
    'Alt_R 0xb8', 'ISO_Level3_Shift 0xb8', 'Mode_switch 0xb8', '',
  );
  return lines.join('\n');
}

/** The keysym name → Unicode table for the names used in the given keymap files. */
export function generateKeysymTable(keysymdef: string, keymapTexts: string[]): string {
  const unicode = new Map<string, number>();
  const re = /^#define XK_(\w+)\s+0x([0-9a-fA-F]+)\s*(?:\/\*\s*(?:\(?U\+([0-9A-F]{4,6}))?)?/gm;
  const source = readFileSync(keysymdef, 'utf8');
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const value = parseInt(m[2], 16);
    if (m[3]) unicode.set(m[1], parseInt(m[3], 16));
    else if (value >= 0x20 && value <= 0xff && value !== 0x7f) unicode.set(m[1], value);
  }
  const used = new Set<string>();
  for (const text of keymapTexts) {
    for (const line of text.split('\n')) {
      const name = line.split(' ')[0];
      if (line && !line.startsWith('#') && unicode.has(name)) used.add(name);
    }
  }
  const entries = [...used].sort().map((n) => `  ${/^[A-Za-z_]\w*$/.test(n) ? n : JSON.stringify(n)}: 0x${unicode.get(n)!.toString(16)},`);
  return [
    '// Generated by scripts/gen-keymaps.ts from X11 keysymdef.h: the Unicode character each keysym',
    '// name used in keymaps/ stands for. Names of the form Uxxxx are decoded directly and not listed.',
    'export const KEYSYM_UNICODE: Readonly<Record<string, number>> = {',
    ...entries,
    '};',
    '',
  ].join('\n');
}

export interface GeneratedFiles { keymaps: Map<string, string>; keysymTable: string | null }

export function generateAll(xkbRoot = DEFAULT_XKB_ROOT, keysymdef = DEFAULT_KEYSYMDEF): GeneratedFiles {
  const keymaps = new Map<string, string>();
  for (const name of Object.keys(LAYOUTS).sort()) keymaps.set(name, generateKeymap(xkbRoot, name));
  const keysymTable = existsSync(keysymdef) ? generateKeysymTable(keysymdef, [...keymaps.values()]) : null;
  return { keymaps, keysymTable };
}

function main(argv: string[]): void {
  const opt = (flag: string, dflt: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : dflt; };
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const outDir = opt('--out', repo);
  const files = generateAll(opt('--xkb', DEFAULT_XKB_ROOT), opt('--keysymdef', DEFAULT_KEYSYMDEF));
  mkdirSync(join(outDir, 'keymaps'), { recursive: true });
  for (const [name, text] of files.keymaps) writeFileSync(join(outDir, 'keymaps', name), text);
  if (files.keysymTable) writeFileSync(join(outDir, 'src', 'tui', 'keysym-unicode.ts'), files.keysymTable);
  else console.error('gen-keymaps: keysymdef.h not found; src/tui/keysym-unicode.ts left unchanged');
  console.log(`gen-keymaps: wrote ${files.keymaps.size} keymaps to ${join(outDir, 'keymaps')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
