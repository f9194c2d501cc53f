// The human monitor (HMP) as a frontend of any chardev: banner, `(qemu) ` prompt, the
// line editor, and command dispatch through hmp-commands.ts. Behind a mux it holds its
// banner until it first gets the focus, as QEMU does.

import type { Chardev, ChardevEvent, ChardevFrontend } from '../vm/chardev/chardev.js';
import { QEMU_COMPAT_VERSION, runLine, type HmpContext, type HmpSession } from './hmp-commands.js';
import { completeLine } from './completion.js';
import { Readline } from './readline.js';
import type { VmControl } from './vm-control.js';

const PROMPT = '(qemu) ';

export class Hmp implements ChardevFrontend {
  private readonly readline: Readline;
  private readonly ctx: HmpContext;
  private muxedOut = false;
  private bannerPending = false;
  private opened = false;
  /** Input that arrives while a command is still running waits here. */
  private queue: number[] = [];
  private busy = false;
  private readonly encoder = new TextEncoder();
  private readonly session: HmpSession & { history: string[] } = { history: [] };

  constructor(private readonly chardev: Chardev, vm: VmControl) {
    this.ctx = { vm, print: (t) => this.print(t), session: this.session };
    this.readline = new Readline((t) => this.print(t), (line) => this.execute(line), { complete: completeLine, showPrompt: () => this.showPrompt() });
    chardev.attach(this);
  }

  private print(text: string): void {
    this.chardev.write(this.encoder.encode(text.replace(/\n/g, '\r\n')));
  }

  private showPrompt(): void {
    this.print(PROMPT);
    this.readline.redrawAfterPrompt();
  }

  private banner(): void {
    this.print(`QEMU ${QEMU_COMPAT_VERSION} monitor - type 'help' for more information\n`);
    this.readline.restart();
    this.showPrompt();
  }

  event(e: ChardevEvent): void {
    switch (e) {
      case 'opened':
        this.opened = true;
        if (this.muxedOut) this.bannerPending = true;
        else this.banner();
        break;
      case 'focus-out':
        if (this.opened && !this.muxedOut && !this.bannerPending) this.print('\n');
        this.muxedOut = true;
        break;
      case 'focus-in':
        this.muxedOut = false;
        if (this.bannerPending) {
          this.bannerPending = false;
          this.banner();
        } else if (this.opened) this.showPrompt();
        break;
      case 'closed':
        this.opened = false;
        break;
      case 'break':
        break;
    }
  }

  receive(data: Uint8Array): void {
    for (const b of data) this.queue.push(b);
    this.drain();
  }

  private drain(): void {
    while (!this.busy && this.queue.length > 0) this.readline.handleByte(this.queue.shift()!);
  }

  private execute(line: string): void {
    if (line !== '') this.session.history.push(line);
    if (line.trim() === '') {
      this.showPrompt();
      return;
    }
    this.busy = true;
    const done = () => {
      this.busy = false;
      if (!this.muxedOut) this.showPrompt();
      this.drain();
    };
    Promise.resolve()
      .then(() => runLine(this.ctx, line))
      .catch((e: unknown) => this.print(`Error: ${e instanceof Error ? e.message : String(e)}\n`))
      .finally(done);
  }
}
