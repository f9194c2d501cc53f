// `sendkey keys [hold_ms]`: QKeyCode names (or 0x.. keycodes) joined by '-', pressed in
// order and released in reverse, with hold_ms between events, as QEMU's qmp_send_key
// does. The keys reach the guest's PS/2 keyboard through VmControl.sendKeys.

import type { HmpCommand } from './hmp-commands.js';
import { keycodeScancodes, qkeycode } from './qkeycode.js';

/** QEMU's pause between key events when no hold time is given. */
const DEFAULT_DELAY_MS = 10;

/** The keycodes of `keys`, or the name QEMU reports as an invalid parameter. */
export function parseKeys(keys: string): { keycodes: number[] } | { invalid: string } {
  const keycodes: number[] = [];
  let rest = keys;
  for (;;) {
    const dash = rest.indexOf('-');
    let name = dash < 0 ? rest : rest.slice(0, dash);
    // The old interface's '<' names the "less" key.
    if (rest[0] === '<' && name.length === 1) name = 'less';
    let code: number | undefined;
    if (name.startsWith('0x')) code = /^0x[0-9a-fA-F]+$/.test(name) ? parseInt(name, 16) : undefined;
    else code = qkeycode(name);
    if (code === undefined) return { invalid: name };
    keycodes.push(code);
    if (dash < 0) return { keycodes };
    rest = rest.slice(dash + 1);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const inputCommands: HmpCommand[] = [
  {
    names: 'sendkey',
    params: 'keys [hold_ms]',
    help: "send keys to the VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)",
    args: 'keys:s,hold-time:i?',
    run: async (ctx, _words, values) => {
      const parsed = parseKeys(values!.get('keys') as string);
      if ('invalid' in parsed) {
        ctx.print(`invalid parameter: ${parsed.invalid}\n`);
        return;
      }
      const hold = values!.get('hold-time') as number | undefined;
      const delay = hold || DEFAULT_DELAY_MS;
      for (const code of parsed.keycodes) {
        await ctx.vm.sendKeys(keycodeScancodes(code, true));
        await sleep(delay);
      }
      for (const code of parsed.keycodes.reverse()) {
        await ctx.vm.sendKeys(keycodeScancodes(code, false));
        await sleep(delay);
      }
    },
  },
];
