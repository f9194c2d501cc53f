// `npm run bench -- tui [frames]`: the terminal UI's frame cost and bytes per frame.
// Text: an 80×25 VGA screen where every cell changes (full), one row changes (line), or the
// screen scrolls a row (scroll). Graphics: a 640×480 xRGB framebuffer shown as half-blocks,
// every pixel changing (anim) or a 24×24 sprite moving over a still image (sprite, with dirty
// scanlines). Timed per frame: composing the screen into the cell grid and encoding the bytes
// (the guest's own drawing is not timed).
// Reference in the same run: a naive full repaint (every cell with its own SGR), which is what
// a renderer without a diff would send. Targets: < 2 ms per text frame, < 8 ms per graphics frame.
// The shared display: what a frame costs between the guest's VGA and the UI (the worker's
// publish plus the main thread's copy), for a text screen and a VBE 640×480×32 screen that
// change completely every frame.
// Keystroke-to-echo latency on the real machine: bin/termu runs a guest (echo-kernel.asm) that
// keeps the CPU busy and writes each letter key it reads into the VGA text buffer; a key typed
// into the UI's pty is timed until the terminal receives the echoed letter. Target: < 50 ms.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import xterm from '@xterm/headless';
import pty from 'node-pty';
import { CellGrid } from '../src/tui/cell-grid.js';
import { VGA_DEFAULT_PALETTE, sgrColor, type ColorDepth } from '../src/tui/color-depth.js';
import { DiffRenderer, type CursorState } from '../src/tui/diff-renderer.js';
import type { Framebuffer, TextScreen } from '../src/tui/front-end-ports.js';
import { GraphicsDisplay } from '../src/tui/graphics-display.js';
import { drawTextScreen } from '../src/tui/text-display.js';
import { TimerQueue } from '../src/vm/machine/clock.js';
import { IoBus } from '../src/vm/machine/io-bus.js';
import { PhysicalMemory } from '../src/vm/machine/physical-memory.js';
import { DisplayPublisher } from '../src/vm/machine/display-publisher.js';
import { SharedDisplayViews } from '../src/vm/machine/shared-display.js';
import { SharedDisplaySource } from '../src/vm/machine/shared-display-source.js';
import { setBiosTextMode } from '../src/vm/devices/vga/bios-text-mode.js';
import { StdVgaPci } from '../src/vm/devices/vga/std-vga-pci.js';
import { VgaDisplay } from '../src/vm/devices/vga/vga-display.js';
import { Vga } from '../src/vm/devices/vga/vga.js';

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

/** The worker's publish and the main thread's copy of one frame, for a VGA whose screen changes completely. */
function sharedDisplayCost(frames: number, mode: 'text' | 'vbe'): { publishMs: number; takeMs: number; bytes: number } {
  const vga = new Vga();
  const io = new IoBus();
  const memory = new PhysicalMemory(16 << 20);
  new StdVgaPci(vga, memory).attach(io);
  setBiosTextMode(vga);
  if (mode === 'vbe') {
    for (const [index, value] of [[4, 0], [1, 640], [2, 480], [3, 32], [4, 0x41]]) { io.write(0x1ce, 2, index); io.write(0x1cf, 2, value); }
  }
  const buffer = SharedDisplayViews.create();
  const publisher = new DisplayPublisher(buffer, new VgaDisplay(vga, new TimerQueue()));
  const source = new SharedDisplaySource(buffer);
  let publishNs = 0n, takeNs = 0n, bytes = 0;
  for (let f = -10; f < frames; f++) {
    if (mode === 'text') for (let i = 0; i < 2000; i++) vga.legacyWindow.write(0x18000 + i * 2, 2, 0x0700 | ((f + i) & 0xff));
    else for (let i = 0; i < 640 * 480; i++) vga.linearFramebuffer.write(i * 4, 4, (i * 2654435761 + f) >>> 8);
    const t0 = process.hrtime.bigint();
    publisher.publish();
    const t1 = process.hrtime.bigint();
    const screen = source.current();
    const t2 = process.hrtime.bigint();
    if (f < 0) continue;
    publishNs += t1 - t0;
    takeNs += t2 - t1;
    bytes += screen?.kind === 'text' ? screen.cells.byteLength : screen?.kind === 'graphics' ? screen.pixels.byteLength : 0;
  }
  return { publishMs: Number(publishNs) / 1e6 / frames, takeMs: Number(takeNs) / 1e6 / frames, bytes: bytes / frames };
}

const ECHO_TARGET_MS = 50;
const ECHO_KERNEL = fileURLToPath(new URL('../../test/tui/fixtures/echo-kernel.asm', import.meta.url));
/** Letters in an order where no two neighbours are equal, so every echo changes the cell. */
const LETTERS = 'qwertyuiopasdfghjklzxcvbnm';

async function echoLatency(samples: number): Promise<{ latencies: number[]; mips: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'termu-bench-tui-'));
  const kernel = join(dir, 'echo.bin');
  const asm = spawnSync('nasm', ['-f', 'bin', '-o', kernel, ECHO_KERNEL], { encoding: 'utf8' });
  if (asm.status !== 0) throw new Error(`tui bench: nasm failed: ${asm.stderr || asm.error}`);
  const termu = fileURLToPath(new URL('../../bin/termu', import.meta.url));
  const p = pty.spawn(process.execPath, [termu, '-m', '32', '-kernel', kernel], { name: 'xterm-256color', cols: 132, rows: 30, env: { ...process.env, COLORTERM: 'truecolor' } });
  const screen = new xterm.Terminal({ cols: 132, rows: 30, allowProposedApi: true });
  let seen = '';
  let waiter: (() => void) | null = null;
  p.onData((d) => { seen += d; screen.write(d, () => waiter?.()); waiter?.(); });
  const until = (check: () => boolean) => new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => { p.kill('SIGKILL'); reject(new Error('tui bench: no echo within 10 s')); }, 10000);
    waiter = () => { if (check()) { waiter = null; clearTimeout(timeout); resolve(); } };
    waiter();
  });
  try {
    // On the parsed screen: the renderer skips the unchanged blank between the two words.
    const ready = () => Array.from({ length: 30 }, (_, y) => screen.buffer.active.getLine(y)?.translateToString(true) ?? '').some((l) => l.includes('echo ready'));
    await until(() => seen.includes('ready') && ready());
    await new Promise((r) => setTimeout(r, 1500)); // let the status line show the guest's MIPS
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const ch = LETTERS[i % LETTERS.length];
      await new Promise((r) => setTimeout(r, 40)); // typing speed
      seen = '';
      const t0 = performance.now();
      p.write(ch);
      await until(() => seen.includes(ch));
      latencies.push(performance.now() - t0);
    }
    const status = screen.buffer.active.getLine(29)?.translateToString(true) ?? '';
    const mips = /│ ([0-9.]+ MIPS) │/.exec(status)?.[1] ?? 'unknown MIPS';
    p.write('\x01x');
    return { latencies: latencies.sort((a, b) => a - b), mips };
  } finally {
    p.kill('SIGKILL');
    screen.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
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
  for (const mode of ['text', 'vbe'] as const) {
    const c = sharedDisplayCost(Math.min(frames, 100), mode);
    console.log(`shared display ${mode === 'text' ? 'text 80x25' : 'VBE 640x480x32'} full change`.padEnd(44) +
      `publish ${c.publishMs.toFixed(3)} ms + copy ${c.takeMs.toFixed(3)} ms, ${Math.round(c.bytes)} B per frame`);
  }
  const { latencies: lat, mips } = await echoLatency(100);
  const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(1);
  console.log(`keystroke-to-echo (bin/termu, busy guest at ${mips}) median ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${lat[lat.length - 1].toFixed(1)} ms` +
    `   ${lat[Math.floor(0.95 * lat.length)] < ECHO_TARGET_MS ? 'within' : 'OVER'} ${ECHO_TARGET_MS} ms target (p95)`);
}
