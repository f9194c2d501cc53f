// Puts the user's terminal into the state the UI needs and restores it on exit, on a crash and
// on fatal signals: alternate screen, raw input, hidden cursor, bracketed paste; the kitty
// keyboard protocol when the terminal answers the `CSI ? u` query (before its DA1 reply), else
// xterm's modifyOtherKeys level 2 (ignored by terminals without it).
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { InputEvent } from './input-tokenizer.js';

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[H\x1b[2J';
const QUERY_KITTY = '\x1b[?u\x1b[c';
const KITTY_PUSH = '\x1b[>1u';
const KITTY_POP = '\x1b[<u';
const MODIFY_OTHER_KEYS_ON = '\x1b[>4;2m';
const MODIFY_OTHER_KEYS_OFF = '\x1b[>4m';
const LEAVE = '\x1b[?2004l\x1b[0m\x1b[ q\x1b[?25h\x1b[?1049l';
/** If the terminal never answers DA1, assume a plain xterm. */
const REPLY_TIMEOUT_MS = 500;
const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
/** The signals QEMU turns into a clean shutdown (SHUTDOWN host-signal, exit status 0). */
const SHUTDOWN_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);

type RawInput = Readable & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
type Output = Writable & { fd?: number };

export type KeyProtocol = 'pending' | 'kitty' | 'modifyOtherKeys';

export class TerminalSession {
  protocol: KeyProtocol = 'pending';
  private active = false;
  private replyTimer: NodeJS.Timeout | null = null;
  private readonly signalHandlers = new Map<string, () => void>();
  private readonly onExit = () => this.restore();
  private readonly onCrash = (err: unknown) => {
    this.restore();
    process.stderr.write(`termu: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  };

  /**
   * `onShutdownSignal` runs, after the terminal is restored, for SIGINT/SIGTERM/SIGHUP; without
   * it (and for SIGQUIT) the process exits with 128 + the signal number.
   */
  constructor(
    private readonly input: RawInput,
    private readonly output: Output,
    private readonly onShutdownSignal?: (signal: NodeJS.Signals) => void,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    if (this.input.isTTY && this.input.setRawMode) this.input.setRawMode(true);
    this.output.write(ENTER + QUERY_KITTY);
    this.replyTimer = setTimeout(() => this.chooseProtocol(false), REPLY_TIMEOUT_MS);
    process.on('exit', this.onExit);
    process.on('uncaughtException', this.onCrash);
    for (const sig of FATAL_SIGNALS) {
      const handler = () => {
        this.restore();
        if (this.onShutdownSignal && SHUTDOWN_SIGNALS.has(sig)) this.onShutdownSignal(sig);
        else process.exit(128 + constants.signals[sig]);
      };
      this.signalHandlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  /** Feeds the replies to the start-up queries; returns true if the event was one. */
  handleReply(event: InputEvent): boolean {
    if (event.type === 'kitty-flags') {
      if (this.protocol === 'pending') this.chooseProtocol(true);
      return true;
    }
    if (event.type === 'device-attributes') {
      if (this.protocol === 'pending') this.chooseProtocol(false);
      return true;
    }
    return event.type === 'modify-keys';
  }

  private chooseProtocol(kitty: boolean): void {
    if (this.replyTimer) { clearTimeout(this.replyTimer); this.replyTimer = null; }
    if (!this.active || this.protocol !== 'pending') return;
    this.protocol = kitty ? 'kitty' : 'modifyOtherKeys';
    this.output.write(kitty ? KITTY_PUSH : MODIFY_OTHER_KEYS_ON);
  }

  /** Restores the terminal; safe to call more than once, and from exit and crash handlers. */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    if (this.replyTimer) { clearTimeout(this.replyTimer); this.replyTimer = null; }
    const undo = (this.protocol === 'kitty' ? KITTY_POP : this.protocol === 'modifyOtherKeys' ? MODIFY_OTHER_KEYS_OFF : '') + LEAVE;
    // Synchronous where possible: on exit or a crash the event loop will not flush a stream.
    if (typeof this.output.fd === 'number') {
      try { writeSync(this.output.fd, undo); } catch { this.output.write(undo); }
    } else {
      this.output.write(undo);
    }
    if (this.input.isTTY && this.input.setRawMode) this.input.setRawMode(false);
    process.off('exit', this.onExit);
    process.off('uncaughtException', this.onCrash);
    for (const [sig, handler] of this.signalHandlers) process.off(sig, handler);
    this.signalHandlers.clear();
  }
}
