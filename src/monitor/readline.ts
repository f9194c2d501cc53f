// The monitor's line editor, redrawing the way QEMU's util/readline.c does (move back,
// reprint the line, erase to the end, move to the cursor), with history, the usual
// Emacs keys and Tab completion. Output goes through `print`.

import type { Completion } from './completion.js';

const ESC = 0x1b;
const TAB = 0x09;

/** Tab completion: what completes the text before the cursor, and how to show the prompt again after a list. */
export interface CompletionSource {
  complete(line: string): Completion;
  showPrompt(): void;
}

export class Readline {
  private line = '';
  private cursor = 0;
  private shownLine = '';
  private shownCursor = 0;
  private readonly history: string[] = [];
  private historyIndex = -1;
  /** 0 = normal, 1 = after ESC, 2 = inside CSI (with `param` digits). */
  private escState = 0;
  private param = '';

  constructor(
    private readonly print: (text: string) => void,
    private readonly onLine: (line: string) => void,
    private readonly completion?: CompletionSource,
  ) {}

  /** Starts a fresh line after the prompt has been printed. */
  restart(): void {
    this.line = '';
    this.cursor = 0;
    this.shownLine = '';
    this.shownCursor = 0;
    this.historyIndex = -1;
  }

  /** The line typed so far is shown again (after the prompt is reprinted). */
  redrawAfterPrompt(): void {
    this.shownLine = '';
    this.shownCursor = 0;
    this.update();
  }

  handleByte(b: number): void {
    if (this.escState === 1) {
      this.escState = b === 0x5b || b === 0x4f ? 2 : 0;
      this.param = '';
      return;
    }
    if (this.escState === 2) {
      if (b >= 0x30 && b <= 0x39) {
        this.param += String.fromCharCode(b);
        return;
      }
      this.escState = 0;
      this.csi(b);
      this.update();
      return;
    }
    switch (b) {
      case ESC:
        this.escState = 1;
        return;
      case TAB:
        this.complete();
        return;
      case 0x17:
        this.deleteWordBackward();
        break;
      case 0x0a:
      case 0x0d: {
        const line = this.line;
        if (line !== '' && this.history.at(-1) !== line) this.history.push(line);
        this.print('\n');
        this.restart();
        this.onLine(line);
        return;
      }
      case 0x01:
        this.cursor = 0;
        break;
      case 0x05:
        this.cursor = this.line.length;
        break;
      case 0x04:
        this.line = this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1);
        break;
      case 0x08:
      case 0x7f:
        if (this.cursor > 0) {
          this.line = this.line.slice(0, this.cursor - 1) + this.line.slice(this.cursor);
          this.cursor--;
        }
        break;
      default:
        if (b < 0x20) return;
        this.line = this.line.slice(0, this.cursor) + String.fromCharCode(b) + this.line.slice(this.cursor);
        this.cursor++;
    }
    this.update();
  }

  private csi(final: number): void {
    switch (String.fromCharCode(final)) {
      case 'A':
        this.recall(-1);
        break;
      case 'B':
        this.recall(1);
        break;
      case 'C':
        if (this.cursor < this.line.length) this.cursor++;
        break;
      case 'D':
        if (this.cursor > 0) this.cursor--;
        break;
      case 'H':
        this.cursor = 0;
        break;
      case 'F':
        this.cursor = this.line.length;
        break;
      case '~':
        if (this.param === '1') this.cursor = 0;
        else if (this.param === '4') this.cursor = this.line.length;
        else if (this.param === '3') this.line = this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1);
        break;
    }
  }

  /** Ctrl-W: the word before the cursor and the blanks after it go, as QEMU's readline_backword. */
  private deleteWordBackward(): void {
    if (this.cursor === 0) return;
    let start = this.cursor - 1;
    while (start > 0 && /\s/.test(this.line[start])) start--;
    while (start > 0 && !/\s/.test(this.line[start])) start--;
    if (start > 0) start++;
    this.line = this.line.slice(0, start) + this.line.slice(this.cursor);
    this.cursor = start;
  }

  private insert(text: string): void {
    this.line = this.line.slice(0, this.cursor) + text + this.line.slice(this.cursor);
    this.cursor += text.length;
  }

  /**
   * QEMU's readline_completion: one candidate is inserted (with a space unless it ends in
   * '/'); several insert their common prefix and are listed in columns under the line.
   */
  private complete(): void {
    if (!this.completion) return;
    const { typed, candidates } = this.completion.complete(this.line.slice(0, this.cursor));
    if (candidates.length === 0) return;
    if (candidates.length === 1) {
      const [only] = candidates;
      this.insert(only.slice(typed) + (only.endsWith('/') ? '' : ' '));
      this.update();
      return;
    }
    const sorted = [...candidates].sort();
    let prefix = sorted[0].length;
    for (const c of sorted) {
      let j = 0;
      while (j < prefix && j < c.length && c[j] === sorted[0][j]) j++;
      prefix = j;
    }
    this.insert(sorted[0].slice(typed, prefix));
    const width = Math.min(80, Math.max(10, Math.max(...sorted.map((c) => c.length)) + 2));
    const columns = Math.floor(80 / width);
    let out = '\n';
    sorted.forEach((c, i) => {
      out += c.padEnd(width);
      if ((i + 1) % columns === 0 || i === sorted.length - 1) out += '\n';
    });
    this.print(out);
    this.completion.showPrompt();
  }

  private recall(step: number): void {
    if (this.history.length === 0) return;
    let i = this.historyIndex < 0 ? (step < 0 ? this.history.length - 1 : -1) : this.historyIndex + step;
    if (i >= this.history.length) i = -1;
    if (i < -1) i = 0;
    this.historyIndex = i;
    this.line = i < 0 ? '' : this.history[i];
    this.cursor = this.line.length;
  }

  private update(): void {
    let out = '';
    if (this.line !== this.shownLine) {
      out += '\x1b[D'.repeat(this.shownCursor) + this.line + '\x1b[K';
      this.shownLine = this.line;
      this.shownCursor = this.line.length;
    }
    const delta = this.cursor - this.shownCursor;
    if (delta > 0) out += '\x1b[C'.repeat(delta);
    else if (delta < 0) out += '\x1b[D'.repeat(-delta);
    this.shownCursor = this.cursor;
    if (out) this.print(out);
  }
}
