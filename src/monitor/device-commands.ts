// The HMP commands for displays and removable media, as QEMU's hmp-commands.hx names and
// describes them: screendump, pmemsave, commit, eject and change. The machine carries
// them out through DeviceControl (a request to the guest's worker).

import type { HmpCommand, HmpContext } from './hmp-commands.js';

export interface DeviceControl {
  /** Each resolves to QEMU's error message, or undefined on success. */
  screendump(file: string): Promise<string | undefined>;
  pmemsave(addr: number, size: number, file: string): Promise<string | undefined>;
  commit(device: string): Promise<string | undefined>;
  eject(device: string, force: boolean): Promise<string | undefined>;
  change(device: string, file: string, format?: string): Promise<string | undefined>;
}

/** HMP's integer expressions for pmemsave: decimal, 0x hex, or 0 octal. */
function parseValue(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return parseInt(text, 10);
  return undefined;
}

async function report(ctx: HmpContext, result: Promise<string | undefined> | undefined): Promise<void> {
  if (!result) {
    ctx.print('Error: this machine has no such devices\n');
    return;
  }
  const error = await result;
  if (error) ctx.print(`Error: ${error}\n`);
}

export function deviceCommands(devices: (ctx: HmpContext) => DeviceControl | undefined): HmpCommand[] {
  return [
    {
      names: 'change',
      params: 'device [target] [arg]',
      help: 'change a removable medium, optional format, use force or read-only',
      run: async (ctx, args) => {
        if (args.length < 2) return ctx.print("Error: Parameter 'target' is missing\n");
        await report(ctx, devices(ctx)?.change(args[0], args[1], args[2]));
      },
    },
    {
      names: 'commit',
      params: 'device|all',
      help: 'commit changes to the disk images (if -snapshot is used) or backing files',
      run: async (ctx, args) => {
        if (args.length < 1) return ctx.print("Error: Parameter 'device' is missing\n");
        await report(ctx, devices(ctx)?.commit(args[0]));
      },
    },
    {
      names: 'eject',
      params: '[-f] device',
      help: 'eject a removable medium (use -f to force it)',
      run: async (ctx, args) => {
        const force = args[0] === '-f';
        const device = force ? args[1] : args[0];
        if (device === undefined) return ctx.print("Error: Parameter 'device' is missing\n");
        await report(ctx, devices(ctx)?.eject(device, force));
      },
    },
    {
      names: 'pmemsave',
      params: 'addr size file',
      help: "save to disk physical memory dump starting at 'addr' of size 'size'",
      run: async (ctx, args) => {
        const names = ['val', 'size', 'filename'];
        if (args.length < 3) return ctx.print(`Error: Parameter '${names[args.length]}' is missing\n`);
        const addr = parseValue(args[0]);
        const size = parseValue(args[1]);
        if (addr === undefined || size === undefined) return ctx.print(`Error: invalid char in expression\n`);
        await report(ctx, devices(ctx)?.pmemsave(addr, size, args[2]));
      },
    },
    {
      names: 'screendump',
      params: 'filename [-d device] [-p head]',
      help: "save screen from head 'head' of display device 'device' in PPM format to 'filename'",
      run: async (ctx, args) => {
        if (args.length < 1) return ctx.print("Error: Parameter 'filename' is missing\n");
        await report(ctx, devices(ctx)?.screendump(args[0]));
      },
    },
  ];
}
