// The multiplexer (QEMU's char-mux): several frontends (serial port, monitor) share one
// backend. Input goes to the focused frontend; the escape character (Ctrl-a) followed by
// a command key controls the mux itself. Output from every frontend goes straight out.

import type { Chardev, ChardevEvent, ChardevFrontend } from './chardev.js';

export interface MuxActions {
  /** Ctrl-a x: the emulator terminates. */
  quit(): void;
  /** Ctrl-a s: commit -snapshot changes to the disk images. */
  commitSnapshots(): void;
}

const HELP_LINES: [string, string][] = [
  ['h', 'print this help'],
  ['x', 'exit emulator'],
  ['s', 'save disk data back to file (if -snapshot)'],
  ['t', 'toggle console timestamps'],
  ['b', 'send break (magic sysrq)'],
  ['c', 'switch between console and monitor'],
];

/** QEMU's name for the escape key in the help text: `C-a`, or `Escape-Char` when not a control letter. */
function escapeName(escape: number): string {
  return escape >= 1 && escape <= 26 ? `C-${String.fromCharCode(0x60 + escape)}` : 'Escape-Char';
}

/** The exact bytes QEMU prints for the help command. */
export function muxHelpText(escape: number): string {
  const name = escapeName(escape);
  let text = escape >= 1 && escape <= 25 ? '\n\r' : `\n\rEscape-Char set to Ascii: 0x${escape.toString(16).padStart(2, '0')}\n\r\n\r`;
  for (const [key, help] of HELP_LINES) text += `${name} ${key}    ${help}\n\r`;
  // The last line pads the two-key command to the same column.
  text += `${name} ${name}  sends ${name}\n\r`;
  return text;
}

export class MuxChardev implements Chardev {
  private readonly frontends: ChardevFrontend[] = [];
  private focus = -1;
  private escapePending = false;
  private timestampsSince = 0;
  private lineStart = true;
  private backendOpen = false;
  private started = false;
  private readonly encoder = new TextEncoder();

  constructor(
    readonly id: string,
    private readonly backend: Chardev,
    private readonly actions: MuxActions,
    private readonly escape = 0x01,
  ) {
    backend.attach({
      receive: (data) => this.receive(data),
      event: (e) => {
        if (e === 'opened') this.backendOpen = true;
        if (e === 'closed') this.backendOpen = false;
        if (this.started) this.broadcast(e);
      },
    });
  }

  /**
   * Called once every frontend is attached (QEMU: when machine init is done): frontends
   * then see the open event, so the monitor, not focused, holds its banner back.
   */
  start(): void {
    this.started = true;
    if (this.backendOpen) this.broadcast('opened');
  }

  filename(): string {
    return 'mux';
  }

  /** Each new frontend takes the focus, so the last one attached has it (QEMU's order). */
  attach(frontend: ChardevFrontend): void {
    if (this.focus >= 0) this.frontends[this.focus].event?.('focus-out');
    this.frontends.push(frontend);
    this.focus = this.frontends.length - 1;
    frontend.event?.('focus-in');
  }

  write(data: Uint8Array): void {
    if (this.timestampsSince === 0) {
      this.backend.write(data);
      return;
    }
    // With timestamps on, every output line starts with the time since they were enabled.
    let from = 0;
    for (let i = 0; i < data.length; i++) {
      if (this.lineStart) {
        if (i > from) this.backend.write(data.subarray(from, i));
        from = i;
        this.backend.write(this.encoder.encode(this.timestamp()));
        this.lineStart = false;
      }
      if (data[i] === 0x0a) this.lineStart = true;
    }
    this.backend.write(data.subarray(from));
  }

  close(): void {
    this.backend.close();
  }

  /** The focused frontend's index (0 = first attached). */
  get focusIndex(): number {
    return this.focus;
  }

  private timestamp(): string {
    const ms = Date.now() - this.timestampsSince;
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const h = Math.floor(ms / 3600000);
    const m = Math.floor(ms / 60000) % 60;
    const s = Math.floor(ms / 1000) % 60;
    return `[${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}] `;
  }

  private broadcast(event: ChardevEvent): void {
    if (event === 'break') this.frontends[this.focus]?.event?.('break');
    else for (const f of this.frontends) f.event?.(event);
  }

  private receive(data: Uint8Array): void {
    let from = 0;
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      if (!this.escapePending && b !== this.escape) continue;
      this.deliver(data.subarray(from, i));
      from = i + 1;
      if (!this.escapePending) {
        this.escapePending = true;
        continue;
      }
      this.escapePending = false;
      this.command(b);
    }
    this.deliver(data.subarray(from));
  }

  private deliver(data: Uint8Array): void {
    if (data.length > 0 && this.focus >= 0) this.frontends[this.focus].receive(data);
  }

  private command(key: number): void {
    switch (String.fromCharCode(key)) {
      case 'h':
      case '?':
        this.backend.write(this.encoder.encode(muxHelpText(this.escape)));
        break;
      case 'x':
        this.backend.write(this.encoder.encode('QEMU: Terminated\n\r'));
        this.actions.quit();
        break;
      case 's':
        this.actions.commitSnapshots();
        break;
      case 't':
        this.timestampsSince = this.timestampsSince ? 0 : Date.now();
        this.lineStart = true;
        break;
      case 'b':
        this.frontends[this.focus]?.event?.('break');
        break;
      case 'c':
        if (this.frontends.length === 0) break;
        this.frontends[this.focus].event?.('focus-out');
        this.focus = (this.focus + 1) % this.frontends.length;
        this.frontends[this.focus].event?.('focus-in');
        break;
      default:
        if (key === this.escape) this.deliver(Uint8Array.of(key));
      // Any other key: both bytes are dropped, as QEMU does.
    }
  }
}
