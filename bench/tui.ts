// `npm run bench -- tui [frames]`: the terminal UI's frame cost and bytes per frame.
// Text: an 80×25 VGA screen where every cell changes (full), one row changes (line), or the
// screen scrolls a row (scroll). Graphics: a 640×480 xRGB framebuffer shown as half-blocks,
// every pixel changing (anim) or a 24×24 sprite moving over a still image (sprite, with dirty
// scanlines). Timed per frame: composing the screen into the cell grid and encoding the bytes
// (the guest's own drawing is not timed).
// Reference in the same run: a naive full repaint (every cell with its own SGR), which is what
// a renderer without a diff would send. Targets: < 2 ms per text frame, < 8 ms per graphics frame.
// Keystroke-to-echo latency: the UI runs in a pty (the test harness), a key typed on its serial
// console is echoed back by the harness's stand-in guest and timed until it is on the screen.
// Target: < 50 ms. (With the real board this will be measured against a guest in a busy loop.)
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { CellGrid } from '../src/tui/cell-grid.js';
import { VGA_DEFAULT_PALETTE, sgrColor, type ColorDepth } from '../src/tui/color-depth.js';
import { DiffRenderer, type CursorState } from '../src/tui/diff-renderer.js';
import type { Framebuffer, TextScreen } from '../src/tui/front-end-ports.js';
import { GraphicsDisplay } from '../src/tui/graphics-display.js';
import { drawTextScreen } from '../src/tui/text-display.js';

const TEXT_TARGET_MS = 2;
const GRAPHICS_TARGET_MS = 8;

/** The reference: repaint every cell with a cursor move per row and full SGR per cell. */
function naiveRepaint(grid: CellGrid, depth: ColorDepth): string {
  let out = '';
  for (let y = 0; y < grid.rows; y++) {
    out += `\x1b[${y + 1};1H`;
    for (let x = 0; x < grid.columns; x++) {
      const i = y * grid.columns + x;
      out += `\x1b[${sgrColor(grid.fg[i], depth, false)};${sgrColor(grid.bg[i], depth, true)}m${String.fromCodePoint(grid.chars[i])}`;
    }
  }
  return out;
}

interface Result { ms: number; bytes: number; refMs: number; refBytes: number }
/** A scenario: `guest` changes the screen (not timed), `compose` draws it into the grid (timed). */
interface Scenario { grid: CellGrid; guest: (frame: number) => void; compose: () => void }

function measure(frames: number, depth: ColorDepth, make: () => Scenario): Result {
  const cursor: CursorState = { column: 0, row: 0, visible: true, shape: 'underline' };
  const timed = (frame: (s: Scenario) => string | Buffer): { ms: number; bytes: number } => {
    const s = make();
    for (let f = -20; f <= 0; f++) { s.guest(f); s.compose(); frame(s); } // warm up the JIT
    let bytes = 0, ns = 0n;
    for (let f = 1; f <= frames; f++) {
      s.guest(f);
      const t = process.hrtime.bigint();
      s.compose();
      const out = frame(s);
      ns += process.hrtime.bigint() - t;
      bytes += Buffer.byteLength(out);
    }
    return { ms: Number(ns) / 1e6 / frames, bytes: bytes / frames };
  };
  const renderer = new DiffRenderer(depth);
  const diff = timed((s) => renderer.render(s.grid, cursor));
  const naive = timed((s) => naiveRepaint(s.grid, depth));
  return { ms: diff.ms, bytes: diff.bytes, refMs: naive.ms, refBytes: naive.bytes };
}

function textScenario(kind: 'full' | 'line' | 'scroll'): Scenario {
  const cells = new Uint16Array(80 * 25);
  const screen: TextScreen = {
    kind: 'text', columns: 80, rows: 25, cells, cursor: { column: 0, row: 24, visible: true, startLine: 14, endLine: 15 },
    cellHeight: 16, palette: Uint32Array.from(VGA_DEFAULT_PALETTE), blinkEnabled: true,
  };
  const grid = new CellGrid(80, 26);
  const rect = { x: 0, y: 0, width: 80, height: 25 };
  const cursor: CursorState = { column: 0, row: 0, visible: false, shape: 'block' };
  const line = (row: number, seed: number) => {
    for (let x = 0; x < 80; x++) cells[row * 80 + x] = (((seed + x) % 15 + 1) << 8) | (0x21 + ((seed * 7 + x) % 90));
  };
  const guest = (f: number) => {
    if (kind === 'full') for (let i = 0; i < cells.length; i++) cells[i] = ((((f + i) * 37) & 0x7f) << 8) | (0x20 + ((f * 13 + i) % 95));
    else if (kind === 'line') line(f % 25, f);
    else { cells.copyWithin(0, 80); line(24, f); }
  };
  return { grid, guest, compose: () => drawTextScreen(grid, rect, screen, cursor) };
}

function graphicsScenario(kind: 'anim' | 'sprite', columns: number, rows: number): Scenario {
  const width = 640, height = 480;
  const pixels = new Uint32Array(width * height);
  const dirtyLines = new Uint8Array(height);
  const fb: Framebuffer = { kind: 'graphics', width, height, stride: width, format: 'xrgb8888', pixels, dirtyLines };
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = ((x & 255) << 16) | ((y & 255) << 8) | ((x ^ y) & 255);
  const grid = new CellGrid(columns, rows + 1);
  const rect = { x: 0, y: 0, width: columns, height: rows };
  const display = new GraphicsDisplay();
  const guest = (f: number) => {
    if (kind === 'anim') {
      for (let i = 0; i < pixels.length; i++) pixels[i] = (pixels[i] + 0x010203 * (1 + (f & 3))) & 0xffffff;
      dirtyLines.fill(1);
    } else {
      const sx = (f * 7) % (width - 24), sy = (f * 5) % (height - 24);
      for (let y = sy; y < sy + 24; y++) {
        for (let x = sx; x < sx + 24; x++) pixels[y * width + x] = 0xffffff;
        dirtyLines[y] = 1;
      }
    }
  };
  return { grid, guest, compose: () => display.draw(grid, rect, fb) };
}

const ECHO_TARGET_MS = 50;

async function echoLatency(samples: number): Promise<number[]> {
  const harness = fileURLToPath(new URL('../test/tui/fixtures/tui-harness.js', import.meta.url));
  const p = pty.spawn(process.execPath, [harness, 'text'], { name: 'xterm-256color', cols: 132, rows: 30, env: { ...process.env, COLORTERM: 'truecolor' } });
  let seen = '';
  let waiter: (() => void) | null = null;
  p.onData((d) => { seen += d; waiter?.(); });
  const until = (check: () => boolean) => new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => { p.kill(); reject(new Error('tui bench: no echo within 5 s')); }, 5000);
    waiter = () => { if (check()) { waiter = null; clearTimeout(timeout); resolve(); } };
    waiter();
  });
  await until(() => seen.includes('harness'));
  p.write('\x1b3'); // focus the serial console
  await new Promise((r) => setTimeout(r, 300));
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const ch = String.fromCharCode(0x3b1 + (i % 24)); // Greek letters never occur in escape sequences
    await new Promise((r) => setTimeout(r, 40)); // typing speed, under the frame-rate cap
    seen = '';
    const t0 = performance.now();
    p.write(ch);
    await until(() => seen.includes(ch));
    latencies.push(performance.now() - t0);
  }
  p.write('\x01x');
  return latencies.sort((a, b) => a - b);
}

export async function run(args: string[]): Promise<void> {
  const frames = Number(args[0]) > 0 ? Number(args[0]) : 300;
  const row = (name: string, r: Result, target: number) =>
    console.log(
      `${name.padEnd(34)} ${r.ms.toFixed(3).padStart(7)} ms ${String(Math.round(r.bytes)).padStart(8)} B` +
      `   naive ${r.refMs.toFixed(3).padStart(7)} ms ${String(Math.round(r.refBytes)).padStart(8)} B` +
      `   time ×${(r.refMs / r.ms).toFixed(2)} bytes ×${(r.refBytes / Math.max(1, r.bytes)).toFixed(1)}` +
      `   ${r.ms < target ? 'within' : 'OVER'} ${target} ms target`,
    );
  console.log(`termu tui benchmark, ${frames} frames per scenario (ms and bytes per frame; naive = full repaint, no diff)`);
  for (const depth of ['16', '256', 'truecolor'] as ColorDepth[]) {
    for (const kind of ['full', 'line', 'scroll'] as const) {
      row(`text 80x25 ${kind} ${depth}`, measure(frames, depth, () => textScenario(kind)), TEXT_TARGET_MS);
    }
  }
  for (const depth of ['256', 'truecolor'] as ColorDepth[]) {
    for (const [columns, rows] of [[160, 50], [80, 30]]) {
      for (const kind of ['anim', 'sprite'] as const) {
        row(`graphics 640x480→${columns}x${rows} ${kind} ${depth}`,
          measure(Math.min(frames, 100), depth, () => graphicsScenario(kind, columns, rows)), GRAPHICS_TARGET_MS);
      }
    }
  }
  const lat = await echoLatency(100);
  const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(1);
  console.log(`keystroke-to-echo (serial pane, pty) median ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${lat[lat.length - 1].toFixed(1)} ms` +
    `   ${lat[Math.floor(0.95 * lat.length)] < ECHO_TARGET_MS ? 'within' : 'OVER'} ${ECHO_TARGET_MS} ms target`);
}
