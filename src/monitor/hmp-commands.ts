// The HMP command table: names (with `|` aliases), parameter summary and help line as
// QEMU's hmp-commands.hx / hmp-commands-info.hx spell them, and what each does. New
// commands are added here; the monitor loop in hmp.ts does not change.

import { formatRegisters } from './cpu-registers.js';
import { deviceCommands } from './device-commands.js';
import type { VmControl } from './vm-control.js';

export interface HmpContext {
  vm: VmControl;
  /** Prints text; `\n` becomes `\r\n` on the wire. */
  print(text: string): void;
}

export interface HmpCommand {
  /** `quit|q`: the first is the name, the rest aliases. */
  names: string;
  params: string;
  help: string;
  run(ctx: HmpContext, args: string[]): void | Promise<void>;
}

export const QEMU_COMPAT_VERSION = '7.2.0';

export const INFO_COMMANDS: HmpCommand[] = [
  {
    names: 'chardev',
    params: '',
    help: 'show the character devices',
    run: (ctx) => {
      for (const c of ctx.vm.chardevs()) ctx.print(`${c.label}: filename=${c.filename}\n`);
    },
  },
  {
    names: 'kvm',
    params: '',
    help: 'show KVM information',
    run: (ctx) => ctx.print(`kvm support: ${ctx.vm.kvmEnabled() ? 'enabled' : 'disabled'}\n`),
  },
  {
    names: 'name',
    params: '',
    help: 'show the current VM name',
    run: (ctx) => {
      const name = ctx.vm.name();
      if (name !== undefined) ctx.print(`${name}\n`);
    },
  },
  {
    names: 'registers',
    params: '[-a|vcpu]',
    help: "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)",
    run: async (ctx) => ctx.print(formatRegisters(await ctx.vm.registers())),
  },
  {
    names: 'status',
    params: '',
    help: 'show the current VM status (running|paused)',
    run: (ctx) => {
      const state = ctx.vm.runState();
      ctx.print(state === 'running' ? 'VM status: running\n' : state === 'paused' ? 'VM status: paused\n' : `VM status: paused (${state})\n`);
    },
  },
  {
    names: 'version',
    params: '',
    help: 'show the version of QEMU',
    run: (ctx) => ctx.print(`${QEMU_COMPAT_VERSION}\n`),
  },
];

export const COMMANDS: HmpCommand[] = [
  {
    names: 'cont|c',
    params: '',
    help: 'resume emulation',
    run: (ctx) => ctx.vm.cont(),
  },
  {
    names: 'help|?',
    params: '[cmd]',
    help: 'show the help',
    run: (ctx, args) => printHelp(ctx, args[0]),
  },
  {
    names: 'info',
    params: '[subcommand]',
    help: 'show various information about the system state',
    run: (ctx, args) => runInfo(ctx, args),
  },
  {
    names: 'quit|q',
    params: '',
    help: 'quit the emulator',
    run: (ctx) => ctx.vm.quit(),
  },
  {
    names: 'stop|s',
    params: '',
    help: 'stop emulation',
    run: (ctx) => ctx.vm.stop(),
  },
  {
    names: 'system_powerdown',
    params: '',
    help: 'send system power down event',
    run: (ctx) => ctx.vm.systemPowerdown(),
  },
  {
    names: 'system_reset',
    params: '',
    help: 'reset the system',
    run: (ctx) => ctx.vm.systemReset(),
  },
  ...deviceCommands((ctx) => ctx.vm.devices?.()),
];
// Help lists commands by name, as QEMU's does.
COMMANDS.sort((a, b) => a.names.localeCompare(b.names));

function find(table: HmpCommand[], name: string): HmpCommand | undefined {
  return table.find((c) => c.names.split('|').includes(name));
}

export function findCommand(name: string): HmpCommand | undefined {
  return find(COMMANDS, name);
}

function helpLine(c: HmpCommand, prefix = ''): string {
  return `${prefix}${c.names} ${c.params} -- ${c.help}\n`;
}

function printInfoHelp(ctx: HmpContext): void {
  for (const c of INFO_COMMANDS) ctx.print(helpLine(c, 'info '));
}

function printHelp(ctx: HmpContext, topic?: string): void {
  if (topic === undefined) {
    for (const c of COMMANDS) ctx.print(helpLine(c));
    return;
  }
  if (topic === 'info') {
    printInfoHelp(ctx);
    return;
  }
  const c = findCommand(topic);
  if (c) ctx.print(helpLine(c));
  else ctx.print(`unknown command: '${topic}'\n`);
}

async function runInfo(ctx: HmpContext, args: string[]): Promise<void> {
  if (args.length === 0) {
    printInfoHelp(ctx);
    return;
  }
  const c = find(INFO_COMMANDS, args[0]);
  if (!c) {
    ctx.print(`unknown command: 'info ${args[0]}'\n`);
    return;
  }
  await c.run(ctx, args.slice(1));
}
