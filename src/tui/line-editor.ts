// The monitor's input line: editing keys as in QEMU's readline (Emacs-style), history on
// Up/Down, and tab completion of command names.
import type { KeyEvent } from './input-tokenizer.js';

export type EditResult = { kind: 'none' } | { kind: 'submit'; line: string } | { kind: 'candidates'; names: string[] };

const HISTORY_LIMIT = 64;

export class LineEditor {
  text = '';
  cursor = 0;
  readonly history: string[] = [];
  private historyIndex = -1;
  private draft = '';

  constructor(private readonly completions: () => readonly string[]) {}

  insert(s: string): void {
    const clean = s.replace(/[\x00-\x1f\x7f]/g, '');
    this.text = this.text.slice(0, this.cursor) + clean + this.text.slice(this.cursor);
    this.cursor += clean.length;
  }

  key(e: KeyEvent): EditResult {
    if (e.ctrl && !e.alt && e.key.length === 1) return this.controlKey(e.key);
    switch (e.key) {
      case 'Enter': return this.submit();
      case 'Backspace':
        if (this.cursor > 0) { this.text = this.text.slice(0, this.cursor - 1) + this.text.slice(this.cursor); this.cursor--; }
        break;
      case 'Delete': this.text = this.text.slice(0, this.cursor) + this.text.slice(this.cursor + 1); break;
      case 'Left': this.cursor = Math.max(0, this.cursor - 1); break;
      case 'Right': this.cursor = Math.min(this.text.length, this.cursor + 1); break;
      case 'Home': this.cursor = 0; break;
      case 'End': this.cursor = this.text.length; break;
      case 'Up': this.recall(1); break;
      case 'Down': this.recall(-1); break;
      case 'Tab': return this.complete();
      default:
        if (e.key.length <= 2 && !e.alt && !e.ctrl && [...e.key].length === 1) this.insert(e.key);
    }
    return { kind: 'none' };
  }

  private controlKey(k: string): EditResult {
    switch (k) {
      case 'a': this.cursor = 0; break;
      case 'e': this.cursor = this.text.length; break;
      case 'b': this.cursor = Math.max(0, this.cursor - 1); break;
      case 'f': this.cursor = Math.min(this.text.length, this.cursor + 1); break;
      case 'k': this.text = this.text.slice(0, this.cursor); break;
      case 'u': this.text = this.text.slice(this.cursor); this.cursor = 0; break;
      case 'w': {
        const before = this.text.slice(0, this.cursor).replace(/\S+\s*$/, '');
        this.text = before + this.text.slice(this.cursor);
        this.cursor = before.length;
        break;
      }
      case 'p': this.recall(1); break;
      case 'n': this.recall(-1); break;
      case 'h': return this.key({ type: 'key', key: 'Backspace', shift: false, alt: false, ctrl: false, meta: false, event: 1 });
      case 'j': case 'm': return this.submit();
    }
    return { kind: 'none' };
  }

  private submit(): EditResult {
    const line = this.text;
    if (line.trim() !== '' && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      if (this.history.length > HISTORY_LIMIT) this.history.shift();
    }
    this.text = '';
    this.cursor = 0;
    this.historyIndex = -1;
    return { kind: 'submit', line };
  }

  private recall(direction: 1 | -1): void {
    if (this.history.length === 0) return;
    if (this.historyIndex === -1) {
      if (direction < 0) return;
      this.draft = this.text;
    }
    const next = this.historyIndex + direction;
    if (next >= this.history.length) return;
    this.historyIndex = next;
    this.text = next < 0 ? this.draft : this.history[this.history.length - 1 - next];
    this.cursor = this.text.length;
  }

  /** Completes the command name under the cursor; lists the candidates when ambiguous. */
  private complete(): EditResult {
    const before = this.text.slice(0, this.cursor);
    if (/\s/.test(before.trimStart())) return { kind: 'none' }; // only the command word completes
    const prefix = before.trimStart();
    const names = this.completions().filter((n) => n.startsWith(prefix)).sort();
    if (names.length === 0) return { kind: 'none' };
    let common = names[0];
    for (const n of names) while (!n.startsWith(common)) common = common.slice(0, -1);
    if (names.length === 1) common += ' ';
    this.insert(common.slice(prefix.length));
    return names.length > 1 && common === prefix ? { kind: 'candidates', names } : { kind: 'none' };
  }
}
