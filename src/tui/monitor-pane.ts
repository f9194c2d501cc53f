// The monitor pane: the HMP's output log with the `(qemu) ` prompt and the line being edited.
// Commands run one at a time through MonitorPort.execute; keys typed meanwhile are edited
// into the next line.
import { CellGrid } from './cell-grid.js';
import type { CursorState } from './diff-renderer.js';
import type { MonitorPort } from './front-end-ports.js';
import type { KeyEvent } from './input-tokenizer.js';
import { LineEditor } from './line-editor.js';
import { drawTitle, PANE_BG, PANE_FG } from './pane-frame.js';
import type { Rect } from './text-display.js';

export const MONITOR_PROMPT = '(qemu) ';
const LOG_LIMIT = 2000;

export class MonitorPane {
  private readonly log: string[] = [];
  private partial = '';
  private bannerShown = false;
  private busy = false;
  readonly editor: LineEditor;

  /** @param changed called when new output arrives, so the UI can redraw soon */
  constructor(private readonly monitor: MonitorPort, private readonly changed: () => void = () => {}) {
    this.editor = new LineEditor(() => monitor.commandNames());
    monitor.onOutput?.((text) => this.print(text));
  }

  /** Shows the banner the first time the pane opens, as QEMU does on the first Ctrl-a c. */
  opened(): void {
    if (!this.bannerShown && this.monitor.banner) this.print(this.monitor.banner + '\n');
    this.bannerShown = true;
  }

  print(text: string): void {
    const parts = (this.partial + text.replace(/\r\n/g, '\n').replace(/\r/g, '')).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.log.push(line);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    this.changed();
  }

  key(e: KeyEvent): void {
    const result = this.editor.key(e);
    if (result.kind === 'submit') this.run(result.line);
    else if (result.kind === 'candidates') this.print(MONITOR_PROMPT + this.editor.text + '\n' + result.names.join('  ') + '\n');
  }

  paste(text: string): void {
    const lines = text.replace(/\r\n?/g, '\n').split('\n');
    for (let i = 0; i < lines.length; i++) {
      this.editor.insert(lines[i]);
      if (i < lines.length - 1) this.key({ type: 'key', key: 'Enter', shift: false, alt: false, ctrl: false, meta: false, event: 1 });
    }
  }

  private run(line: string): void {
    this.print(MONITOR_PROMPT + line + '\n');
    if (line.trim() === '') return;
    this.busy = true;
    this.monitor.execute(line).then(
      (out) => { this.busy = false; this.print(out); },
      (err: unknown) => { this.busy = false; this.print(`${err instanceof Error ? err.message : String(err)}\n`); },
    );
  }

  draw(grid: CellGrid, rect: Rect, focused: boolean, cursor: CursorState): void {
    const body = drawTitle(grid, rect, 'monitor', focused);
    grid.fill(body.x, body.y, body.width, body.height, 0x20, PANE_FG, PANE_BG, 0);
    if (body.height <= 0 || body.width <= 0) return;
    const w = body.width;
    // Wrap the log lines (and any partial output line) to the pane width, newest at the bottom.
    const rows: string[] = [];
    const source = this.partial ? [...this.log, this.partial] : this.log;
    for (let i = source.length - 1; i >= 0 && rows.length < body.height; i--) {
      const line = source[i];
      const chunks: string[] = [];
      for (let p = 0; p < line.length || p === 0; p += w) chunks.push(line.slice(p, p + w));
      for (let k = chunks.length - 1; k >= 0 && rows.length < body.height; k--) rows.unshift(chunks[k]);
    }
    // The prompt line, scrolled horizontally to keep the cursor in view.
    const promptLine = this.busy ? '' : MONITOR_PROMPT + this.editor.text;
    const cursorAt = MONITOR_PROMPT.length + this.editor.cursor;
    const scroll = Math.max(0, cursorAt - w + 1);
    if (rows.length >= body.height) rows.shift();
    const top = body.y + body.height - rows.length - 1;
    for (let r = 0; r < rows.length; r++) grid.text(body.x, top + r, rows[r], PANE_FG, PANE_BG, 0, w);
    const promptRow = top + rows.length;
    grid.text(body.x, promptRow, promptLine.slice(scroll), PANE_FG, PANE_BG, 0, w);
    if (focused && !this.busy) {
      cursor.visible = true;
      cursor.column = body.x + cursorAt - scroll;
      cursor.row = promptRow;
      cursor.shape = 'block';
    }
  }
}
