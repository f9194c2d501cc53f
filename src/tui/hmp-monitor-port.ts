// The monitor pane's MonitorPort over the HMP's own command table: the same commands, parser,
// texts and session state (history) as a monitor on a chardev; the pane does
// the line editing and shows what a command printed.

import { COMMANDS, QEMU_COMPAT_VERSION, runLine, type HmpSession } from '../monitor/hmp-commands.js';
import type { VmControl } from '../monitor/vm-control.js';
import type { MonitorPort } from './front-end-ports.js';

export class HmpMonitorPort implements MonitorPort {
  readonly banner = `QEMU ${QEMU_COMPAT_VERSION} monitor - type 'help' for more information`;
  private readonly session: HmpSession & { history: string[] } = { history: [] };
  private readonly names = COMMANDS.flatMap((c) => c.names.split('|'));

  constructor(private readonly vm: VmControl) {}

  async execute(line: string): Promise<string> {
    if (line !== '') this.session.history.push(line);
    let out = '';
    const ctx = { vm: this.vm, print: (text: string) => void (out += text), session: this.session };
    try {
      await runLine(ctx, line);
    } catch (e) {
      out += `Error: ${e instanceof Error ? e.message : String(e)}\n`;
    }
    return out;
  }

  commandNames(): readonly string[] {
    return this.names;
  }
}
