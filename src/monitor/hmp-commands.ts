// The HMP command table: names (with `|` aliases), parameter summary and help line as
// QEMU's hmp-commands.hx / hmp-commands-info.hx spell them, and what each does. New
// commands are added here; the monitor loop in hmp.ts does not change.

import { formatRegisters, registerValue } from './cpu-registers.js';
import { deviceCommands } from './device-commands.js';
import { FORMAT_DEFAULTS, HmpArgumentError, parseArguments, type ArgValues } from './hmp-args.js';
import { inputCommands } from './input-commands.js';
import { machineInfoCommands } from './machine-info-commands.js';
import { memoryCommands } from './memory-commands.js';
import { snapshotCommands, snapshotInfoCommand } from './snapshot-commands.js';
import type { VmControl } from './vm-control.js';

/** What one monitor remembers between commands. */
export interface HmpSession {
  /** The lines entered, oldest first (`info history`). */
  history: readonly string[];
}

export interface HmpContext {
  vm: VmControl;
  /** Prints text; `\n` becomes `\r\n` on the wire. */
  print(text: string): void;
  session?: HmpSession;
}

export interface HmpCommand {
  /** `quit|q`: the first is the name, the rest aliases. */
  names: string;
  params: string;
  help: string;
  /** QEMU's args_type; when set, the line is parsed with it and the values passed to `run`. */
  args?: string;
  /** Which argument (0 = the first) Tab completes as a file name. */
  fileArgument?: number;
  run(ctx: HmpContext, args: string[], values?: ArgValues): void | Promise<void>;
}

export const QEMU_COMPAT_VERSION = '7.2.0';

export const INFO_COMMANDS: HmpCommand[] = [
  {
    names: 'chardev',
    params: '',
    args: '',
    help: 'show the character devices',
    run: (ctx) => {
      for (const c of ctx.vm.chardevs()) ctx.print(`${c.label}: filename=${c.filename}\n`);
    },
  },
  {
    names: 'kvm',
    params: '',
    args: '',
    help: 'show KVM information',
    run: (ctx) => ctx.print(`kvm support: ${ctx.vm.kvmEnabled() ? 'enabled' : 'disabled'}\n`),
  },
  {
    names: 'name',
    params: '',
    args: '',
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
    args: '',
    help: 'show the current VM status (running|paused)',
    run: (ctx) => {
      const state = ctx.vm.runState();
      ctx.print(state === 'running' ? 'VM status: running\n' : state === 'paused' ? 'VM status: paused\n' : `VM status: paused (${state})\n`);
    },
  },
  {
    names: 'version',
    params: '',
    args: '',
    help: 'show the version of QEMU',
    run: (ctx) => ctx.print(`${QEMU_COMPAT_VERSION}\n`),
  },
  {
    names: 'history',
    params: '',
    args: '',
    help: 'show the command line history',
    run: (ctx) => (ctx.session?.history ?? []).forEach((line, i) => ctx.print(`${i}: '${line}'\n`)),
  },
  ...machineInfoCommands,
  snapshotInfoCommand((ctx) => ctx.vm.snapshots?.()),
];
INFO_COMMANDS.sort((a, b) => a.names.localeCompare(b.names));

export const COMMANDS: HmpCommand[] = [
  {
    names: 'cont|c',
    params: '',
    args: '',
    help: 'resume emulation',
    run: (ctx) => ctx.vm.cont(),
  },
  {
    names: 'help|?',
    params: '[cmd]',
    help: 'show the help',
    run: (ctx, args) => printHelp(ctx, args[0], args[1]),
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
    args: '',
    help: 'quit the emulator',
    run: (ctx) => ctx.vm.quit(),
  },
  {
    names: 'stop|s',
    params: '',
    args: '',
    help: 'stop emulation',
    run: (ctx) => ctx.vm.stop(),
  },
  {
    names: 'system_powerdown',
    params: '',
    args: '',
    help: 'send system power down event',
    run: (ctx) => ctx.vm.systemPowerdown(),
  },
  {
    names: 'system_reset',
    params: '',
    args: '',
    help: 'reset the system',
    run: (ctx) => ctx.vm.systemReset(),
  },
  ...deviceCommands((ctx) => ctx.vm.devices?.()),
  ...snapshotCommands((ctx) => ctx.vm.snapshots?.()),
  ...inputCommands,
  ...memoryCommands,
];
// Help lists commands by name, as QEMU's does.
COMMANDS.sort((a, b) => a.names.localeCompare(b.names));

function find(table: HmpCommand[], name: string): HmpCommand | undefined {
  return table.find((c) => c.names.split('|').includes(name));
}

export function findCommand(name: string): HmpCommand | undefined {
  return find(COMMANDS, name);
}

/** Runs one command line: QEMU's command name ends at white space or at the '/' of a format (`x/4xw`). */
export async function runLine(ctx: HmpContext, line: string): Promise<void> {
  const [, name, rest] = /^\s*([^\s/]*)(.*)$/s.exec(line)!;
  if (name === '') return;
  const command = findCommand(name);
  if (!command) ctx.print(`unknown command: '${name}'\n`);
  else await runCommand(ctx, command, name, rest);
}

/**
 * Runs `command` (typed as `path`, e.g. `info status`) with the rest of its line: parsed
 * against its args_type when it has one, with QEMU's error and help pointer on bad input.
 */
export async function runCommand(ctx: HmpContext, command: HmpCommand, path: string, rest: string): Promise<void> {
  let values: ArgValues = new Map();
  if (command.args !== undefined) {
    const registers = rest.includes('$') ? await ctx.vm.registers() : undefined;
    try {
      values = parseArguments(command.names, command.args, rest, { defaults: FORMAT_DEFAULTS, register: (name) => registers && registerValue(registers, name) });
    } catch (e) {
      if (!(e instanceof HmpArgumentError)) throw e;
      ctx.print(`${e.message}\nTry "help ${path}" for more information\n`);
      return;
    }
  }
  await command.run(ctx, rest.trim().split(/\s+/).filter((w) => w !== ''), values);
}

function helpLine(c: HmpCommand, prefix = ''): string {
  return `${prefix}${c.names} ${c.params} -- ${c.help}\n`;
}

function printInfoHelp(ctx: HmpContext): void {
  for (const c of INFO_COMMANDS) ctx.print(helpLine(c, 'info '));
}

function printHelp(ctx: HmpContext, topic?: string, subtopic?: string): void {
  if (topic === undefined) {
    for (const c of COMMANDS) ctx.print(helpLine(c));
    return;
  }
  if (topic === 'info' && subtopic !== undefined) {
    const c = find(INFO_COMMANDS, subtopic);
    ctx.print(c ? helpLine(c, 'info ') : `unknown command: 'info ${subtopic}'\n`);
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
  await runCommand(ctx, c, `info ${args[0]}`, args.slice(1).join(' '));
}
