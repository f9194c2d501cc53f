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

/** HMP string arguments may be double-quoted (needed for paths that would read as an expression). */
function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** HMP's argument errors: the message, then a pointer to the command's help. */
function usage(ctx: HmpContext, command: string, message: string): void {
  ctx.print(`${message}\nTry "help ${command}" for more information\n`);
}

/** Prints a failed command's error; QEMU's `commit` prints it without the "Error: " prefix. */
async function report(ctx: HmpContext, result: Promise<string | undefined> | undefined, prefix = 'Error: '): Promise<void> {
  const error = result ? await result : 'this machine has no such devices';
  if (error) ctx.print(`${prefix}${error}\n`);
}

/** The first character HMP's expression parser rejects, for its "invalid char" message. */
function expressionError(text: string | undefined): string {
  if (text === undefined) return 'unexpected end of expression';
  const bad = /^(0x[0-9a-f]*|[0-9]*)(.?)/i.exec(text)![2];
  return `invalid char '${bad}' in expression`;
}

export function deviceCommands(devices: (ctx: HmpContext) => DeviceControl | undefined): HmpCommand[] {
  return [
    {
      names: 'change',
      params: 'device [-f] filename [format [read-only-mode]]',
      help: 'change a removable medium, optional format, use -f to force the operation',
      fileArgument: 1,
      run: async (ctx, args) => {
        if (args.length < 1) return usage(ctx, 'change', 'change: block device name expected');
        if (args.length < 2) return usage(ctx, 'change', 'change: filename expected');
        await report(ctx, devices(ctx)?.change(unquote(args[0]), unquote(args[1]), args[2] && unquote(args[2])));
      },
    },
    {
      names: 'commit',
      params: 'device|all',
      help: 'commit changes to the disk images (if -snapshot is used) or backing files',
      run: async (ctx, args) => {
        if (args.length < 1) return usage(ctx, 'commit', 'commit: block device name expected');
        await report(ctx, devices(ctx)?.commit(unquote(args[0])), '');
      },
    },
    {
      names: 'eject',
      params: '[-f] device',
      help: 'eject a removable medium (use -f to force it)',
      run: async (ctx, args) => {
        const force = args[0] === '-f';
        const device = force ? args[1] : args[0];
        if (device === undefined) return usage(ctx, 'eject', 'eject: block device name expected');
        await report(ctx, devices(ctx)?.eject(unquote(device), force));
      },
    },
    {
      names: 'pmemsave',
      params: 'addr size file',
      fileArgument: 2,
      help: "save to disk physical memory dump starting at 'addr' of size 'size'",
      run: async (ctx, args) => {
        const addr = parseValue(args[0] ?? '');
        const size = parseValue(args[1] ?? '');
        if (addr === undefined) return usage(ctx, 'pmemsave', expressionError(args[0]));
        if (size === undefined) return usage(ctx, 'pmemsave', expressionError(args[1]));
        if (args.length < 3) return usage(ctx, 'pmemsave', 'pmemsave: string expected');
        await report(ctx, devices(ctx)?.pmemsave(addr, size, unquote(args[2])));
      },
    },
    {
      names: 'screendump',
      params: 'filename [-f format] [device [head]]',
      help: "save screen from head 'head' of display device 'device'in specified format 'format' as image 'filename'.Currently only 'png' and 'ppm' formats are supported.",
      fileArgument: 0,
      run: async (ctx, args) => {
        if (args.length < 1) return usage(ctx, 'screendump', 'screendump: filename expected');
        await report(ctx, devices(ctx)?.screendump(unquote(args[0])));
      },
    },
  ];
}
