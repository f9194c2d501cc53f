// The terminal front end: the guest display, the monitor and serial panes, the status line,
// and the keys. The board creates one with its display, monitor, `vc` serial ports and
// keyboard (see front-end-ports.ts), calls start(), and stop() on shutdown.
//
// Keys: Ctrl+Alt+Shift+2 toggles the monitor pane (kitty protocol or modifyOtherKeys);
// Alt+1/2/3 select display/monitor/serial as QEMU's curses display does; the mux escape
// (Ctrl-a, or `-echr`) followed by c rotates the focus, x quits, s commits, b sends a break,
// h shows the help, and a second escape passes the escape through. Every other key goes to the
// focused pane: the display sends it to the guest as scancodes through the keymap.
import type { Readable, Writable } from 'node:stream';
import { CELL_INVERSE, CellGrid, DEFAULT_COLOR } from './cell-grid.js';
import { detectColorDepth, type ColorDepth } from './color-depth.js';
import { DiffRenderer, type CursorState } from './diff-renderer.js';
import type { DisplaySource, KeyboardSink, MachineStatus, MonitorPort, SerialPort } from './front-end-ports.js';
import { GraphicsDisplay } from './graphics-display.js';
import { InputTokenizer, type InputEvent, type KeyEvent } from './input-tokenizer.js';
import { Keymap } from './keymap.js';
import { MonitorPane } from './monitor-pane.js';
import { computeLayout, type SidePlacement } from './pane-layout.js';
import { ScancodeEncoder } from './scancode-encoder.js';
import { SerialPane } from './serial-pane.js';
import { drawStatusLine } from './status-line.js';
import { TerminalSession } from './terminal-session.js';
import { drawTextScreen } from './text-display.js';

type TtyInput = Readable & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
type TtyOutput = Writable & { columns?: number; rows?: number; fd?: number };

export interface TerminalUiOptions {
  input: TtyInput;
  output: TtyOutput;
  display: DisplaySource;
  keyboard: KeyboardSink;
  monitor?: MonitorPort;
  /** Serial ports whose chardev is `vc`, in port order. */
  serials?: SerialPort[];
  /** `-k` layout name (default en-us) or a loaded keymap. */
  keymap?: string | Keymap;
  /** `-name`. */
  name?: string;
  status?: () => MachineStatus;
  /** `-echr`: the mux escape as a control code, 1..31 (default 1 = Ctrl-a). */
  escapeChar?: number;
  maxFps?: number;
  placement?: SidePlacement;
  colorDepth?: ColorDepth;
  env?: NodeJS.ProcessEnv;
  /** Ctrl-a x. Default: restore the terminal and exit. */
  onQuit?: () => void;
  /** Ctrl-a s: commit -snapshot changes. */
  onCommit?: () => void;
  /** Ctrl-a b on a serial console. */
  onBreak?: (port: SerialPort) => void;
  /** SIGINT/SIGTERM/SIGHUP, after the terminal is restored. Default: exit with 128 + the signal number. */
  onShutdownSignal?: (signal: NodeJS.Signals) => void;
}

export type Focus = 'display' | 'monitor' | `serial${number}`;

/** Frames are skipped while this much output is still queued (a slow SSH link). */
const BACKLOG_LIMIT = 256 * 1024;
const MESSAGE_MS = 3000;
const DISPLAY_WIDTH = 80;

export class TerminalUi {
  readonly grid = new CellGrid(0, 0);
  readonly renderer: DiffRenderer;
  readonly session: TerminalSession;
  readonly encoder: ScancodeEncoder;
  readonly monitorPane: MonitorPane | null;
  readonly serialPanes: SerialPane[];
  private readonly tokenizer: InputTokenizer;
  private readonly graphics = new GraphicsDisplay();
  private readonly cursor: CursorState = { column: 0, row: 0, visible: false, shape: 'block' };
  private readonly escapeKey: string;
  private readonly escapeName: string;
  private focusValue: Focus = 'display';
  private escapePending = false;
  private helpVisible = false;
  private message = '';
  private messageUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private pendingFrame: NodeJS.Timeout | null = null;
  private lastFrameAt = 0;
  private readonly frameInterval: number;
  private readonly hiddenCursor: CursorState = { column: 0, row: 0, visible: false, shape: 'block' };
  private framesThisSecond = 0;
  private fps = 0;
  private fpsSecond = 0;
  private lastMode: 'text' | 'graphics' | 'none' = 'none';
  private running = false;
  private readonly onData = (chunk: Buffer | string) => this.tokenizer.feed(chunk);
  private readonly onResize = () => { this.renderer.invalidate(); this.graphics.invalidate(); this.frame(); };

  constructor(private readonly options: TerminalUiOptions) {
    const env = options.env ?? process.env;
    this.renderer = new DiffRenderer(options.colorDepth ?? detectColorDepth(env), (env.TERM ?? '') !== 'linux');
    this.session = new TerminalSession(options.input, options.output, options.onShutdownSignal);
    const keymap = typeof options.keymap === 'object' ? options.keymap : Keymap.load(options.keymap ?? 'en-us');
    this.encoder = new ScancodeEncoder(keymap, keymap.name === 'en-us' ? null : Keymap.load('en-us'));
    this.tokenizer = new InputTokenizer((e) => this.handleEvent(e));
    this.monitorPane = options.monitor ? new MonitorPane(options.monitor, () => this.requestFrame()) : null;
    this.serialPanes = (options.serials ?? []).map((p) => new SerialPane(p, () => this.requestFrame()));
    const echr = options.escapeChar ?? 1;
    this.escapeKey = echr >= 1 && echr <= 26 ? String.fromCharCode(0x60 + echr) : String.fromCharCode(0x40 + echr);
    this.escapeName = echr >= 1 && echr <= 26 ? `C-${this.escapeKey}` : 'Escape-Char';
    this.frameInterval = Math.max(1, Math.round(1000 / (options.maxFps ?? 30)));
  }

  get focus(): Focus { return this.focusValue; }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.session.start();
    this.options.input.on('data', this.onData);
    this.options.output.on('resize', this.onResize);
    this.options.input.resume?.();
    this.timer = setInterval(() => this.frame(), this.frameInterval);
    this.frame();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.pendingFrame) clearTimeout(this.pendingFrame);
    this.timer = this.pendingFrame = null;
    this.tokenizer.dispose();
    this.options.input.off('data', this.onData);
    this.options.output.off('resize', this.onResize);
    this.session.restore();
    this.options.input.pause?.();
  }

  /** Switches focus; the side pane shows the focused monitor or serial console. */
  setFocus(focus: Focus): void {
    if (focus === 'monitor' && !this.monitorPane) return this.flash('no monitor on this display');
    if (focus.startsWith('serial') && !this.serialPanes[Number(focus.slice(6))]) return this.flash('no serial console on this display');
    this.focusValue = focus;
    if (focus === 'monitor') this.monitorPane!.opened();
    this.requestFrame();
  }

  /**
   * Asks for a frame as soon as the frame-rate cap allows, for lower latency than the polling
   * interval; the panes call it on new output, and the display device may call it on changes.
   */
  requestFrame(): void {
    if (this.pendingFrame || !this.running) return;
    const wait = Math.max(0, this.lastFrameAt + this.frameInterval - performance.now());
    this.pendingFrame = setTimeout(() => { this.pendingFrame = null; this.frame(); }, wait);
  }

  /** Composes and writes one frame if anything changed. */
  frame(): void {
    if (!this.running) return;
    const out = this.options.output;
    if (out.writableLength > BACKLOG_LIMIT) return;
    const columns = out.columns ?? 80, rows = out.rows ?? 24;
    if (this.grid.columns !== columns || this.grid.rows !== rows) this.grid.resize(columns, rows);
    this.compose();
    const bytes = this.renderer.render(this.grid, this.cursor);
    if (bytes.length === 0) return;
    out.write(bytes);
    this.lastFrameAt = performance.now();
    this.countFrame();
  }

  private compose(): void {
    const grid = this.grid;
    const side = this.focusValue !== 'display';
    const layout = computeLayout(grid.columns, grid.rows, side, this.options.placement ?? 'auto', DISPLAY_WIDTH);
    this.cursor.visible = false;
    const screen = this.options.display.current();
    const mode = screen ? screen.kind : 'none';
    if (mode !== this.lastMode) { this.graphics.invalidate(); this.lastMode = mode; }
    const dcursor = this.focusValue === 'display' ? this.cursor : this.hiddenCursor;
    if (screen?.kind === 'text') {
      drawTextScreen(grid, layout.display, screen, dcursor);
      screen.dirtyRows?.fill(0);
    } else if (screen?.kind === 'graphics') {
      this.graphics.draw(grid, layout.display, screen);
      dcursor.visible = false;
    } else {
      const r = layout.display;
      grid.fill(r.x, r.y, r.width, r.height, 0x20, DEFAULT_COLOR, DEFAULT_COLOR, 0);
      const note = 'Guest has no display';
      grid.text(r.x + Math.max(0, (r.width - note.length) >> 1), r.y + (r.height >> 1), note, DEFAULT_COLOR, DEFAULT_COLOR, 0);
    }
    if (layout.separatorColumn !== null) {
      grid.fill(layout.separatorColumn, 0, 1, layout.display.height, 0x2502, DEFAULT_COLOR, DEFAULT_COLOR, 0);
    }
    if (layout.side) {
      if (this.focusValue === 'monitor') this.monitorPane!.draw(grid, layout.side, true, this.cursor);
      else this.serialPanes[Number(this.focusValue.slice(6))].draw(grid, layout.side, true, this.cursor);
    }
    if (this.helpVisible) this.drawHelp(layout.display.x, layout.display.y, layout.display.width, layout.display.height);
    const status = this.options.status?.() ?? { running: true, mips: 0 };
    if (this.message && Date.now() > this.messageUntil) this.message = '';
    drawStatusLine(grid, layout.statusRow, {
      name: this.options.name ?? 'termu', running: status.running, mips: status.mips, fps: this.fps,
      keymap: this.encoder.keymap.name, message: this.message, escapeName: this.escapeName,
    });
  }

  /** QEMU's mux help text (char-mux.c), shown over the display until the next key. */
  private helpLines(): string[] {
    const e = this.escapeName;
    const pad = (s: string) => s.padEnd(e.length + 6);
    return [
      `${pad(`${e} h`)}print this help`, `${pad(`${e} x`)}exit emulator`,
      `${pad(`${e} s`)}save disk data back to file (if -snapshot)`, `${pad(`${e} t`)}toggle console timestamps`,
      `${pad(`${e} b`)}send break (magic sysrq)`, `${pad(`${e} c`)}switch between console and monitor`,
      `${pad(`${e} ${e}`)}sends ${e}`,
    ];
  }

  private drawHelp(x: number, y: number, width: number, height: number): void {
    const lines = this.helpLines();
    const w = Math.min(width, Math.max(...lines.map((l) => l.length)) + 4);
    const top = y + Math.max(0, (height - lines.length - 2) >> 1), left = x + Math.max(0, (width - w) >> 1);
    this.grid.fill(left, top, w, lines.length + 2, 0x20, DEFAULT_COLOR, DEFAULT_COLOR, CELL_INVERSE);
    lines.forEach((l, i) => this.grid.text(left + 2, top + 1 + i, l, DEFAULT_COLOR, DEFAULT_COLOR, CELL_INVERSE, w - 2));
  }

  private countFrame(): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.fpsSecond) { this.fps = this.framesThisSecond; this.framesThisSecond = 0; this.fpsSecond = second; }
    this.framesThisSecond++;
  }

  private flash(text: string): void {
    this.message = text;
    this.messageUntil = Date.now() + MESSAGE_MS;
    this.requestFrame();
  }

  private handleEvent(e: InputEvent): void {
    if (this.session.handleReply(e)) return;
    if (e.type === 'mouse') return;
    if (e.type === 'paste') { this.paste(e.text); return; }
    if (e.type !== 'key' || e.event === 3) return;
    if (this.helpVisible) { this.helpVisible = false; this.requestFrame(); return; }
    if (this.escapePending) { this.escapePending = false; this.muxCommand(e); return; }
    if (e.ctrl && !e.alt && e.key === this.escapeKey) { this.escapePending = true; return; }
    if (e.ctrl && e.alt && e.shift && this.isDigitTwoKey(e.key)) { this.toggle('monitor'); return; }
    if (e.alt && !e.ctrl && (e.key === '1' || e.key === '2' || e.key === '3')) {
      if (e.key === '1') this.setFocus('display');
      else this.toggle(e.key === '2' ? 'monitor' : 'serial0');
      return;
    }
    this.sendKey(e);
  }

  /**
   * Whether a reported key is the "2" key: kitty reports the unshifted key ('2'), xterm's
   * modifyOtherKeys the shifted character, which depends on the layout ('@' on en-us, '"' on de),
   * so that is looked up in the keymap (key number 0x03 is the 2 key).
   */
  private isDigitTwoKey(key: string): boolean {
    if (key === '2' || key === '@') return true;
    const mappings = [...key].length === 1 ? this.encoder.keymap.mappingsForChar(key.codePointAt(0)!) : null;
    return mappings !== null && mappings.length === 1 && mappings[0].key === 0x03;
  }

  private toggle(target: Focus): void {
    this.setFocus(this.focusValue === target ? 'display' : target);
  }

  private muxCommand(e: KeyEvent): void {
    if (e.ctrl && e.key === this.escapeKey) { this.sendKey(e); return; }
    if (e.ctrl || e.alt) return; // anything else: both keys are dropped, as in QEMU
    switch (e.key) {
      case 'c': this.rotateFocus(); break;
      case 'x':
        if (this.options.onQuit) this.options.onQuit();
        else { this.stop(); process.exit(0); }
        break;
      case 's': this.options.onCommit?.(); break;
      case 'b':
        if (this.focusValue.startsWith('serial')) this.options.onBreak?.(this.serialPanes[Number(this.focusValue.slice(6))].port);
        break;
      case 'h': case '?': this.helpVisible = true; this.requestFrame(); break;
    }
  }

  /** display → monitor → serial 0 → … → display, skipping what this UI does not have. */
  private rotateFocus(): void {
    const order: Focus[] = ['display'];
    if (this.monitorPane) order.push('monitor');
    this.serialPanes.forEach((_, i) => order.push(`serial${i}`));
    this.setFocus(order[(order.indexOf(this.focusValue) + 1) % order.length]);
  }

  private sendKey(e: KeyEvent): void {
    if (this.focusValue === 'display') {
      const codes = this.encoder.encodeKey(e);
      if (codes.length > 0) this.options.keyboard(codes);
    } else if (this.focusValue === 'monitor') {
      this.monitorPane!.key(e);
      this.requestFrame();
    } else {
      this.serialPanes[Number(this.focusValue.slice(6))].key(e);
    }
  }

  private paste(text: string): void {
    if (this.focusValue === 'display') {
      const codes = this.encoder.encodeText(text);
      if (codes.length > 0) this.options.keyboard(codes);
    } else if (this.focusValue === 'monitor') {
      this.monitorPane!.paste(text);
      this.requestFrame();
    } else {
      this.serialPanes[Number(this.focusValue.slice(6))].paste(text);
    }
  }
}
