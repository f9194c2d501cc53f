// End to end on the real machine: bin/termu runs a guest in a pseudo-terminal without
// -nographic, so the terminal UI is the display: a busy-looping kernel that echoes keys, and
// the Linux test guest with console=tty0 (boot messages and shell in the display pane, a typed
// command runs). In both the pane shows exactly the VGA text buffer (read back with the monitor
// pane's pmemsave), the monitor opens and closes on every hotkey, and Ctrl-a x leaves the
// terminal as it was.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CP437_TO_UNICODE } from '../../src/tui/cp437.js';
import { ensureLinuxGuest } from '../guests/linux.js';
import { cellRgb, screenLine } from './headless-terminal.js';
import { parsed, screenLines, spawnTermu, waitFor, type TermuPty } from './termu-pty.js';

const COLS = 132, ROWS = 30;
/** The 80×25 screen centred in the 132×29 display area (the last row is the status line). */
const OX = (COLS - 80) >> 1, OY = (ROWS - 1 - 25) >> 1;
const BOOT_MS = 8 * 60_000;
const ECHO_KERNEL = fileURLToPath(new URL('../../../test/tui/fixtures/echo-kernel.asm', import.meta.url));
const nasmMissing = () => (spawnSync('nasm', ['-v']).status === 0 ? false : 'nasm is not installed');
const PROMPT = 'termu-guest:/# ';
/**
 * The text colours of the BIOS's DAC (6-bit 0, 21, 42, 63) as QEMU widens them to 8 bits
 * (0x00, 0x57, 0xa8, 0xff: what its screendump shows), by attribute index.
 */
const VGA_COLOURS = [0x000000, 0x0000a8, 0x00a800, 0x00a8a8, 0xa80000, 0xa800a8, 0xa85700, 0xa8a8a8,
  0x575757, 0x5757ff, 0x57ff57, 0x57ffff, 0xff5757, 0xff57ff, 0xffff57, 0xffffff];

const displayRows = (s: TermuPty) => screenLines(s).slice(OY, OY + 25).map((l) => l.slice(OX, OX + 80));
const sideTitle = (s: TermuPty) => screenLine(s.term, 0).slice(81);
const sideOpen = (s: TermuPty) => sideTitle(s).includes(' monitor ');
const sideText = (s: TermuPty) => screenLines(s).map((l) => l.slice(81));

/** Where the 25 rows of `rows` start in the text buffer `cells` (char | attr << 8), or -1. */
function findScreen(cells: Uint16Array, rows: string[]): number {
  const text = (cell: number) => String.fromCodePoint(CP437_TO_UNICODE[cell & 0xff]);
  for (let start = 0; start + 80 * 25 <= cells.length; start++) {
    let ok = true;
    for (let y = 0; y < 25 && ok; y++) {
      for (let x = 0; x < 80; x++) if (text(cells[start + y * 80 + x]) !== rows[y][x]) { ok = false; break; }
    }
    if (ok) return start;
  }
  return -1;
}

/** Every hotkey opens and closes the monitor pane; Ctrl-a c rotates display → monitor → COM1 → display. */
async function checkHotkeys(s: TermuPty): Promise<void> {
  for (const [name, keys] of [['kitty CSI 50;8u', '\x1b[50;8u'], ['modifyOtherKeys CSI 27;8;64~', '\x1b[27;8;64~'], ['Alt+2', '\x1b2']]) {
    s.proc.write(keys);
    await waitFor(`${name} to open the monitor`, () => sideOpen(s), 10_000, s);
    s.proc.write(keys);
    await waitFor(`${name} to close the monitor`, () => !sideOpen(s), 10_000, s);
  }
  s.proc.write('\x01c');
  await waitFor('Ctrl-a c to open the monitor', () => sideOpen(s), 10_000, s);
  s.proc.write('\x01c');
  await waitFor('Ctrl-a c to show COM1', () => sideTitle(s).includes('serial0'), 10_000, s);
  s.proc.write('\x01c');
  await waitFor('Ctrl-a c back to the display', () => !sideTitle(s).trim(), 10_000, s);
  s.proc.write('\x1b[50;8u');
  await waitFor('the banner', () => sideText(s).some((l) => l.includes("QEMU 7.2.0 monitor - type 'help'")), 10_000, s);
  s.proc.write('info status\r');
  await waitFor('info status', () => sideText(s).some((l) => l.startsWith('VM status: running')), 10_000, s);
  s.proc.write('\x1b[50;8u');
  await waitFor('the monitor to close', () => !sideOpen(s), 10_000, s);
}

/**
 * The display pane equals the guest's VGA text buffer: the monitor pane's pmemsave reads the
 * 32 KiB text window (Linux's vgacon scrolls inside it), and the pane's 25 rows must be 25
 * consecutive rows of it, in the VGA's colours. Retried if the guest printed in between.
 */
async function checkPaneIsVgaBuffer(s: TermuPty, dir: string): Promise<void> {
  let matched = -1;
  for (let attempt = 0; attempt < 3 && matched < 0; attempt++) {
    const file = join(dir, `vga${attempt}.bin`);
    s.proc.write('\x1b[50;8u');
    await waitFor('the monitor to open', () => sideOpen(s), 10_000, s);
    s.proc.write(`pmemsave 0xb8000 32768 ${file}\r`);
    await waitFor('pmemsave', () => existsSync(file) && statSync(file).size === 32768, 10_000, s);
    s.proc.write('\x1b[50;8u');
    await waitFor('the monitor to close', () => !sideOpen(s), 10_000, s);
    await new Promise((r) => setTimeout(r, 300));
    await parsed(s);
    const bytes = readFileSync(file);
    const cells = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    matched = findScreen(cells, displayRows(s));
    if (matched < 0) continue;
    for (let y = 0; y < 25; y++) {
      for (let x = 0; x < 80; x += 7) {
        const attr = cells[matched + y * 80 + x] >> 8;
        const c = cellRgb(s.term, OX + x, OY + y);
        assert.equal(c.fg, VGA_COLOURS[attr & 15], `foreground at ${x},${y}`);
        assert.equal(c.bg, VGA_COLOURS[attr >> 4], `background at ${x},${y}`);
      }
    }
  }
  assert.ok(matched >= 0, `the display pane is 25 consecutive rows of the VGA text buffer:\n${displayRows(s).join('\n')}`);
}

async function quit(s: TermuPty): Promise<void> {
  s.proc.write('\x01x');
  assert.equal(await s.exited, 0);
  await parsed(s);
  assert.equal(s.term.buffer.active.type, 'normal', 'the alternate screen was left');
}

test('a busy guest in the terminal UI: typed keys reach it, the pane is its VGA text buffer, the monitor hotkeys work', { skip: nasmMissing(), timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-tui-echo-'));
  const asm = spawnSync('nasm', ['-f', 'bin', '-o', join(dir, 'echo.bin'), ECHO_KERNEL], { encoding: 'utf8' });
  assert.equal(asm.status, 0, asm.stderr);
  const s = spawnTermu(['-m', '32', '-kernel', join(dir, 'echo.bin')], COLS, ROWS);
  try {
    await waitFor('the guest on the display', () => displayRows(s)[0].startsWith('echo ready'), 60_000, s);
    s.proc.write('k');
    await waitFor('the echo of k', () => displayRows(s)[12][40] === 'k', 10_000, s);
    await checkHotkeys(s);
    assert.equal(displayRows(s)[12][40], 'k', 'keys typed into the monitor did not reach the guest');
    s.proc.write('\x1b[27;5;109~'); // Ctrl+m as modifyOtherKeys: not a letter, the guest ignores it
    s.proc.write('z');
    await waitFor('the echo of z', () => displayRows(s)[12][40] === 'z', 10_000, s);
    await checkPaneIsVgaBuffer(s, dir);
    await quit(s);
  } finally {
    s.proc.kill('SIGKILL');
    s.term.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Linux with console=tty0 in the terminal UI: boot messages and shell on the display, the pane is the VGA text buffer', { timeout: BOOT_MS + 120_000 }, async () => {
  const guest = await ensureLinuxGuest();
  const dir = mkdtempSync(join(tmpdir(), 'termu-tui-linux-'));
  const s = spawnTermu(['-m', '256', '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', 'console=tty0 cryptomgr.notests noisapnp'], COLS, ROWS);
  try {
    await waitFor('the shell prompt on the VGA console', () => displayRows(s).some((l) => l.startsWith(PROMPT)), BOOT_MS, s);
    assert.ok(displayRows(s).some((l) => /^\[ *[0-9]+\.[0-9]+\] /.test(l)), 'kernel messages on the display');
    assert.match(screenLine(s.term, ROWS - 1), /termu │ running │ [0-9.]+ MIPS/);
    s.proc.write('echo $((6*7))\r');
    await waitFor('the command to run', () => displayRows(s).some((l, i, a) => l.trimEnd() === '42' && a[i + 1]?.startsWith(PROMPT)), 60_000, s);
    await checkHotkeys(s);
    await checkPaneIsVgaBuffer(s, dir);
    // The terminal's cursor is the VGA cursor: after the last prompt.
    const promptRow = displayRows(s).map((l) => l.startsWith(PROMPT)).lastIndexOf(true);
    assert.equal(s.term.buffer.active.cursorY, OY + promptRow);
    assert.equal(s.term.buffer.active.cursorX, OX + PROMPT.length);
    await quit(s);
  } finally {
    s.proc.kill('SIGKILL');
    s.term.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-k picks the layout the terminal UI types with; an unknown layout fails as QEMU does', { skip: nasmMissing(), timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-tui-keymap-'));
  const kernel = join(dir, 'echo.bin');
  assert.equal(spawnSync('nasm', ['-f', 'bin', '-o', kernel, ECHO_KERNEL]).status, 0);
  const bad = spawnTermu(['-k', 'xx', '-m', '32', '-kernel', kernel], COLS, ROWS);
  const s = spawnTermu(['-k', 'de', '-m', '32', '-kernel', kernel], COLS, ROWS);
  try {
    assert.equal(await bad.exited, 1);
    assert.match(bad.raw.join(''), /^termu: could not read keymap file: 'xx'\r\n$/);
    await waitFor('the guest on the display', () => displayRows(s)[0].startsWith('echo ready'), 60_000, s);
    assert.match(screenLine(s.term, ROWS - 1), / de /);
    // A German keyboard has Z where a US one has Y: the guest's US table reads the key as 'y'.
    s.proc.write('z');
    await waitFor('the key at the German Z position', () => displayRows(s)[12][40] === 'y', 10_000, s);
    await quit(s);
  } finally {
    bad.proc.kill('SIGKILL');
    s.proc.kill('SIGKILL');
    bad.term.dispose();
    s.term.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
