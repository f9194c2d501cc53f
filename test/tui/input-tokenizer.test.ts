import test from 'node:test';
import assert from 'node:assert/strict';
import { InputTokenizer, type InputEvent, type KeyEvent } from '../../src/tui/input-tokenizer.js';

function tokenize(...chunks: string[]): InputEvent[] {
  const events: InputEvent[] = [];
  const t = new InputTokenizer((e) => events.push(e));
  for (const c of chunks) t.feed(Buffer.from(c, 'utf8'));
  t.flush();
  return events;
}
const keys = (events: InputEvent[]) =>
  events.map((e) => {
    const k = e as KeyEvent;
    return `${k.ctrl ? 'C-' : ''}${k.alt ? 'A-' : ''}${k.shift ? 'S-' : ''}${k.key}`;
  });

test('text, UTF-8 split across reads, and C0 controls', () => {
  const bytes = Buffer.from('aé€😀', 'utf8');
  const events: InputEvent[] = [];
  const t = new InputTokenizer((e) => events.push(e));
  for (const b of bytes) t.feed(Buffer.from([b]));
  t.flush();
  assert.deepEqual(keys(events), ['a', 'é', '€', '😀']);
  assert.deepEqual(keys(tokenize('\x01\r\t\x7f\x00\x1c')), ['C-a', 'Enter', 'Tab', 'Backspace', 'C- ', 'C-\\']);
});

test('Alt keys, lone ESC and ESC timeout', async () => {
  assert.deepEqual(keys(tokenize('\x1b2', '\x1bx', '\x1b\x00')), ['A-2', 'A-x', 'C-A- ']);
  const events: InputEvent[] = [];
  const t = new InputTokenizer((e) => events.push(e), 10);
  t.feed('\x1b');
  assert.equal(events.length, 0);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(keys(events), ['Escape']);
});

test('legacy cursor and function keys with xterm modifiers', () => {
  assert.deepEqual(
    keys(tokenize('\x1b[A\x1bOB\x1b[1;5C\x1b[3~\x1b[5;2~\x1bOP\x1b[15~\x1b[24;3~\x1b[Z\x1b[H\x1b[1;2P')),
    ['Up', 'Down', 'C-Right', 'Delete', 'S-PageUp', 'F1', 'F5', 'A-F12', 'S-Tab', 'Home', 'S-F1'],
  );
});

test('kitty keyboard protocol, including Ctrl+Alt+Shift+2 and release events', () => {
  const events = tokenize('\x1b[50;8u\x1b[50:64;8u\x1b[27u\x1b[97;5u\x1b[97;5:3u\x1b[57352;5u');
  assert.deepEqual(keys(events), ['C-A-S-2', 'C-A-S-2', 'Escape', 'C-a', 'C-a', 'C-Up']);
  assert.equal((events[4] as KeyEvent).event, 3);
});

test('xterm modifyOtherKeys reports the shifted character', () => {
  assert.deepEqual(keys(tokenize('\x1b[27;8;64~\x1b[27;5;9~')), ['C-A-S-@', 'C-Tab']);
});

test('sequences split at every byte still parse', () => {
  const seq = '\x1b[27;8;64~\x1b[50;8u\x1b[1;5A';
  const events: InputEvent[] = [];
  const t = new InputTokenizer((e) => events.push(e));
  for (const ch of seq) t.feed(ch);
  t.flush();
  assert.deepEqual(keys(events), ['C-A-S-@', 'C-A-S-2', 'C-Up']);
});

test('bracketed paste keeps escapes literally, even when the end marker is split', () => {
  const events = tokenize('x\x1b[200~ab\x1b[Ac\x1b[20', '1~y');
  assert.equal(events.length, 3);
  assert.deepEqual(events[1], { type: 'paste', text: 'ab\x1b[Ac' });
  assert.deepEqual(keys([events[0], events[2]]), ['x', 'y']);
});

test('capability replies and mouse reports', () => {
  assert.deepEqual(tokenize('\x1b[?1u\x1b[?62;4;22c\x1b[>4;2m\x1b[<0;10;5M'), [
    { type: 'kitty-flags', flags: 1 },
    { type: 'device-attributes', params: [62, 4, 22] },
    { type: 'modify-keys', resource: 4, value: 2 },
    { type: 'mouse', button: 0, column: 9, row: 4, release: false },
  ]);
});

test('an unfinished CSI resolves to Alt+[ on timeout', () => {
  assert.deepEqual(keys(tokenize('\x1b[')), ['A-[']);
});
