// End to end: the TerminalUi runs in a real pseudo-terminal (node-pty) and its output is read
// back through @xterm/headless, which also answers the UI's terminal queries.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { CP437_TO_UNICODE } from '../../src/tui/cp437.js';
import { halfBlockSize } from '../../src/tui/graphics-display.js';
import { cellRgb, createTerminal, screenLine, type HeadlessTerminal } from './headless-terminal.js';
import { syntheticFramebuffer, syntheticTextScreen } from './fixtures/synthetic-machine.js';

const HARNESS = fileURLToPath(new URL('./fixtures/tui-harness.js', import.meta.url));
const COLS = 132, ROWS = 30;

interface Session {
  term: HeadlessTerminal;
  proc: pty.IPty;
  logFile: string;
  raw: string[];
  exited: Promise<number>;
}

/** `kittyTerminal` answers the kitty keyboard query as kitty does (xterm.js itself does not). */
/** Every harness started, so none outlives a failed test. */
const running = new Set<pty.IPty>();
test.afterEach(() => {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
});

function launch(mode: 'text' | 'graphics', env: Record<string, string> = {}, kittyTerminal = false): Session {
  const logFile = join(mkdtempSync(join(tmpdir(), 'termu-tui-')), 'log');
  const term = createTerminal(COLS, ROWS);
  const proc = pty.spawn(process.execPath, [HARNESS, mode], {
    name: 'xterm-256color', cols: COLS, rows: ROWS,
    env: { ...process.env, COLORTERM: 'truecolor', TERM: 'xterm-256color', TUI_HARNESS_LOG: logFile, ...env },
  });
  const raw: string[] = [];
  let answered = false;
  proc.onData((d) => {
    raw.push(d);
    if (kittyTerminal && !answered && raw.join('').includes('\x1b[?u')) { answered = true; proc.write('\x1b[?0u'); }
    term.write(d);
  });
  term.onData((d) => proc.write(d)); // the headless terminal's replies to DA1 and friends
  running.add(proc);
  const exited = new Promise<number>((resolve) => proc.onExit((e) => { running.delete(proc); resolve(e.exitCode); }));
  return { term, proc, logFile, raw, exited };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10000, session?: Session): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) {
      const tail = session ? `; last output ${JSON.stringify(session.raw.join('').slice(-300))}` : '';
      throw new Error(`timed out waiting for ${what}${tail}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
/** Resolves once the headless terminal has parsed everything received so far. */
const parsed = (s: Session) => new Promise<void>((resolve) => s.term.write('', resolve));
const lines = (s: Session) => Array.from({ length: ROWS }, (_, y) => screenLine(s.term, y));
const sideOpen = (s: Session) => screenLine(s.term, 0).slice(81).includes(' monitor ');
const log = (s: Session) => (existsSync(s.logFile) ? readFileSync(s.logFile, 'utf8') : '');

async function quit(s: Session): Promise<void> {
  s.proc.write('\x01x');
  assert.equal(await s.exited, 0);
  s.term.dispose();
}

test('the display pane shows the VGA text buffer: glyphs, DAC colours and the cursor', async () => {
  const s = launch('text');
  const screen = syntheticTextScreen();
  const expected = (y: number) => Array.from({ length: 80 }, (_, x) => String.fromCodePoint(CP437_TO_UNICODE[screen.cells[y * 80 + x] & 0xff])).join('');
  // The 80×25 screen is centred in the 132×29 display area.
  const ox = (COLS - 80) >> 1, oy = (ROWS - 1 - 25) >> 1;
  // The frame may arrive in several chunks: wait until its last part, the cursor move, is parsed too.
  await waitFor('the text screen and cursor', () => screenLine(s.term, oy + 24).slice(ox, ox + 80) === expected(24) && s.term.buffer.active.cursorX === ox + 7 && s.term.buffer.active.cursorY === oy + 24);
  for (let y = 0; y < 25; y++) assert.equal(screenLine(s.term, oy + y).slice(ox, ox + 80), expected(y), `row ${y}`);
  for (const [x, y] of [[0, 0], [5, 8], [20, 15], [3, 22], [10, 24]]) {
    const attr = screen.cells[y * 80 + x] >> 8;
    const c = cellRgb(s.term, ox + x, oy + y);
    assert.equal(c.fg, screen.palette[attr & 15], `fg at ${x},${y}`);
    assert.equal(c.bg, screen.palette[attr >> 4], `bg at ${x},${y}`);
  }
  assert.equal(s.term.buffer.active.cursorX, ox + 7);
  assert.equal(s.term.buffer.active.cursorY, oy + 24);
  assert.match(screenLine(s.term, ROWS - 1), /harness │ running │ 0\.0 MIPS/);
  assert.equal(s.term.buffer.active.type, 'alternate');
  // A resize re-centres the screen (and clips it when the terminal is smaller).
  s.term.resize(90, 20);
  s.proc.resize(90, 20);
  await waitFor('the redraw after a resize', () => screenLine(s.term, 18).slice(5, 85) === expected(24));
  assert.equal(screenLine(s.term, 0).slice(5, 85), expected(6));
  await quit(s);
});

test('Ctrl+Alt+Shift+2 (kitty and modifyOtherKeys), Ctrl-a c and Alt+2 open and close the monitor', async () => {
  const s = launch('text');
  await waitFor('the status line', () => screenLine(s.term, ROWS - 1).includes('harness'));
  for (const [name, keys] of [['kitty CSI 50;8u', '\x1b[50;8u'], ['modifyOtherKeys CSI 27;8;64~', '\x1b[27;8;64~'],
    ['Ctrl-a c', '\x01c'], ['Alt+2', '\x1b2']]) {
    s.proc.write(keys);
    await waitFor(`${name} to open the monitor`, () => sideOpen(s));
    s.proc.write(keys);
    await waitFor(`${name} to close the monitor`, () => !sideOpen(s));
  }
  s.proc.write('\x1b[50;8u');
  await waitFor('the banner', () => lines(s).some((l) => l.includes("QEMU 7.2.0 monitor - type 'help'")));
  s.proc.write('info status\r');
  await waitFor('info status output', () => lines(s).some((l) => l.slice(81).startsWith('VM status: running')));
  s.proc.write('inf\t st');
  await waitFor('tab completion', () => lines(s).some((l) => l.slice(81).startsWith('(qemu) info st')));
  assert.doesNotMatch(log(s), /^keys/m, 'no key reached the guest while the monitor had focus');
  await quit(s);
});

test('keys typed on the display pane reach the guest as scancodes through the keymap', async () => {
  const s = launch('text', { TUI_HARNESS_KEYMAP: 'de' });
  await waitFor('the status line', () => screenLine(s.term, ROWS - 1).includes(' de '));
  s.proc.write('z@');
  await waitFor('two keys', () => (log(s).match(/^keys/gm) ?? []).length >= 2);
  s.proc.write('\x1b[A');
  await waitFor('the cursor key', () => (log(s).match(/^keys/gm) ?? []).length >= 3);
  assert.deepEqual(log(s).split('\n').filter((l) => l.startsWith('keys')), [
    'keys 15 95', 'keys e0 38 10 90 e0 b8', 'keys e0 48 e0 c8',
  ]);
  await quit(s);
});

test('a graphics framebuffer appears as half-blocks coloured with the area averages', async () => {
  const s = launch('graphics');
  const fb = syntheticFramebuffer();
  const size = halfBlockSize(fb.width, fb.height, { x: 0, y: 0, width: COLS, height: ROWS - 1 });
  const ox = (COLS - size.width) >> 1, oy = (ROWS - 1 - size.height / 2) >> 1;
  await waitFor('the picture', () => cellRgb(s.term, ox + size.width - 1, oy + size.height / 2 - 1).ch === '▀');
  const average = (i: number, j: number) => {
    const x0 = Math.floor((i * fb.width) / size.width), x1 = Math.floor(((i + 1) * fb.width) / size.width);
    const y0 = Math.floor((j * fb.height) / size.height), y1 = Math.floor(((j + 1) * fb.height) / size.height);
    let r = 0, g = 0, b = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      const p = fb.pixels[y * fb.stride + x];
      r += p >> 16; g += (p >> 8) & 255; b += p & 255;
    }
    const n = (x1 - x0) * (y1 - y0);
    return (Math.round(r / n) << 16) | (Math.round(g / n) << 8) | Math.round(b / n);
  };
  let checked = 0;
  for (let cy = 0; cy < size.height / 2; cy++) {
    for (let cx = 0; cx < size.width; cx++) {
      const c = cellRgb(s.term, ox + cx, oy + cy);
      assert.equal(c.ch, '▀');
      assert.equal(c.fg, average(cx, 2 * cy), `upper half of cell ${cx},${cy}`);
      assert.equal(c.bg, average(cx, 2 * cy + 1), `lower half of cell ${cx},${cy}`);
      checked++;
    }
  }
  assert.ok(checked > 1000);
  await quit(s);
});

test('the key protocol follows the terminal and everything is restored on quit, SIGTERM and a crash', async () => {
  for (const kitty of [false, true]) {
    const s = launch('text', {}, kitty);
    await waitFor(`the key protocol choice (kitty terminal: ${kitty})`, () => /protocol (pending|kitty|modifyOtherKeys)/.test(log(s)), 10000, s);
    const out = () => s.raw.join('');
    assert.match(log(s), kitty ? /protocol kitty/ : /protocol modifyOtherKeys/);
    assert.ok(out().includes(kitty ? '\x1b[>1u' : '\x1b[>4;2m'));
    assert.ok(!out().includes(kitty ? '\x1b[>4;2m' : '\x1b[>1u'));
    s.proc.write('\x01x');
    assert.equal(await s.exited, 0);
    await parsed(s);
    assert.equal(s.term.buffer.active.type, 'normal');
    const undo = kitty ? '\x1b[<u' : '\x1b[>4m';
    assert.ok(out().endsWith(`${undo}\x1b[?2004l\x1b[0m\x1b[ q\x1b[?25h\x1b[?1049lharness stopped, raw mode off\r\n`));
    s.term.dispose();
  }

  const t = launch('text');
  await waitFor('the status line', () => screenLine(t.term, ROWS - 1).includes('harness'));
  t.proc.kill('SIGTERM');
  assert.equal(await t.exited, 143);
  await parsed(t);
  assert.equal(t.term.buffer.active.type, 'normal');
  assert.ok(t.raw.join('').includes('\x1b[?1049l'));
  t.term.dispose();

  const c = launch('text', { TUI_HARNESS_CRASH_AFTER_MS: '400' });
  assert.equal(await c.exited, 1);
  await parsed(c);
  assert.equal(c.term.buffer.active.type, 'normal');
  assert.match(c.raw.join(''), /\x1b\[\?1049l[^]*termu: Error: harness crashed on purpose/);
  c.term.dispose();
});
