import test from 'node:test';
import assert from 'node:assert/strict';
import { InputTokenizer, type KeyEvent } from '../../src/tui/input-tokenizer.js';
import { LineEditor, type EditResult } from '../../src/tui/line-editor.js';
import { computeLayout } from '../../src/tui/pane-layout.js';

/** Types terminal bytes into the editor; returns the last non-trivial result. */
function type(editor: LineEditor, bytes: string): EditResult {
  let last: EditResult = { kind: 'none' };
  const t = new InputTokenizer((e) => { const r = editor.key(e as KeyEvent); if (r.kind !== 'none') last = r; });
  t.feed(bytes);
  t.flush();
  return last;
}

test('editing keys, history and submit', () => {
  const ed = new LineEditor(() => []);
  assert.deepEqual(type(ed, 'info statsu\x7f\x7fus\r'), { kind: 'submit', line: 'info status' });
  assert.deepEqual(type(ed, 'x\x1b[Dyz\x01a\x05b\r'), { kind: 'submit', line: 'ayzxb' });
  type(ed, 'hello world\x17');
  assert.equal(ed.text, 'hello ');
  type(ed, '\x15');
  assert.equal(ed.text, '');
  type(ed, '\x1b[A');
  assert.equal(ed.text, 'ayzxb');
  type(ed, '\x1b[A');
  assert.equal(ed.text, 'info status');
  type(ed, '\x1b[B\x1b[B');
  assert.equal(ed.text, '');
});

test('tab completes a unique command and lists ambiguous ones', () => {
  const ed = new LineEditor(() => ['info', 'quit', 'system_reset', 'system_powerdown', 'stop']);
  type(ed, 'inf\t');
  assert.equal(ed.text, 'info ');
  type(ed, '\x15sys\t');
  assert.equal(ed.text, 'system_');
  assert.deepEqual(type(ed, '\t'), { kind: 'candidates', names: ['system_powerdown', 'system_reset'] });
});

test('the side pane goes beside a wide display and under a narrow one', () => {
  assert.deepEqual(computeLayout(132, 30, true, 'auto', 80), {
    display: { x: 0, y: 0, width: 80, height: 29 }, side: { x: 81, y: 0, width: 51, height: 29 }, separatorColumn: 80, statusRow: 29,
  });
  const below = computeLayout(80, 25, true, 'auto', 80);
  assert.deepEqual(below.side, { x: 0, y: 16, width: 80, height: 8 });
  assert.equal(below.display.height, 16);
  assert.equal(computeLayout(80, 25, false, 'auto', 80).side, null);
});
