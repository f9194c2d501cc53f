// The QMP command table: each command's argument schema (checked as QEMU's QAPI visitor
// checks it, with its error texts) and what it does through VmControl. New commands are
// added here; the protocol loop in qmp-server.ts does not change.

import { QEMU_COMPAT_VERSION, runLine } from './hmp-commands.js';
import { NIL_UUID } from './machine-info-commands.js';
import type { VmControl } from './vm-control.js';

/** A command failure that QMP reports with the given class and description. */
export class QmpError extends Error {
  constructor(readonly errorClass: string, desc: string) {
    super(desc);
  }
}

type ArgType = 'str' | 'bool' | 'int';

interface ArgSpec {
  type: ArgType;
  optional?: boolean;
}

export interface QmpContext {
  vm: VmControl;
}

export interface QmpCommand {
  args: Record<string, ArgSpec>;
  run(ctx: QmpContext, args: Record<string, unknown>): unknown | Promise<unknown>;
}

const EMPTY = {};

/** What termu reports where QEMU reports its build's package string. */
export const QMP_PACKAGE = 'termu';

/** The version object of the greeting and of query-version. */
export function qmpVersion(): { qemu: { micro: number; minor: number; major: number }; package: string } {
  const [major, minor, micro] = QEMU_COMPAT_VERSION.split('.').map(Number);
  return { qemu: { micro, minor, major }, package: QMP_PACKAGE };
}

const COMMANDS: Record<string, QmpCommand> = {
  'query-version': {
    args: {},
    run: () => qmpVersion(),
  },
  'query-commands': {
    args: {},
    run: () => ['qmp_capabilities', ...Object.keys(COMMANDS)].map((name) => ({ name })),
  },
  'query-status': {
    args: {},
    run: (ctx) => {
      const status = ctx.vm.runState();
      return { status, singlestep: false, running: status === 'running' };
    },
  },
  'query-chardev': {
    args: {},
    run: (ctx) => ctx.vm.chardevs().map((c) => ({ 'frontend-open': true, filename: c.filename, label: c.label })),
  },
  'query-kvm': {
    args: {},
    run: (ctx) => ({ enabled: ctx.vm.kvmEnabled(), present: false }),
  },
  'query-name': {
    args: {},
    run: (ctx) => {
      const name = ctx.vm.name();
      return name === undefined ? {} : { name };
    },
  },
  'query-uuid': {
    args: {},
    run: (ctx) => ({ UUID: ctx.vm.uuid?.() ?? NIL_UUID }),
  },
  // termu does not yet expose its drives to the monitor: no block devices are listed.
  'query-block': {
    args: {},
    run: () => [],
  },
  stop: {
    args: {},
    run: async (ctx) => {
      await ctx.vm.stop();
      return EMPTY;
    },
  },
  cont: {
    args: {},
    run: async (ctx) => {
      await ctx.vm.cont();
      return EMPTY;
    },
  },
  system_reset: {
    args: {},
    run: async (ctx) => {
      await ctx.vm.systemReset();
      return EMPTY;
    },
  },
  system_powerdown: {
    args: {},
    run: async (ctx) => {
      await ctx.vm.systemPowerdown();
      return EMPTY;
    },
  },
  quit: {
    args: {},
    run: (ctx) => {
      ctx.vm.quit();
      return EMPTY;
    },
  },
  // termu has one CPU, so `cpu-index` is checked but selects nothing.
  'human-monitor-command': {
    args: { 'command-line': { type: 'str' }, 'cpu-index': { type: 'int', optional: true } },
    run: (ctx, args) => runHmpLine(ctx.vm, args['command-line'] as string),
  },
};

export function findQmpCommand(name: string): QmpCommand | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

/** Checks `arguments` against the schema; throws QEMU's GenericError texts. */
export function checkArguments(command: QmpCommand, args: Record<string, unknown>): void {
  for (const key of Object.keys(args)) {
    if (!Object.hasOwn(command.args, key)) throw new QmpError('GenericError', `Parameter '${key}' is unexpected`);
  }
  for (const [key, spec] of Object.entries(command.args)) {
    if (!Object.hasOwn(args, key)) {
      if (spec.optional) continue;
      throw new QmpError('GenericError', `Parameter '${key}' is missing`);
    }
    if (!hasType(args[key], spec.type)) throw new QmpError('GenericError', `Invalid parameter type for '${key}', expected: ${TYPE_NAMES[spec.type]}`);
  }
}

const TYPE_NAMES: Record<ArgType, string> = { str: 'string', bool: 'boolean', int: 'integer' };

function hasType(value: unknown, type: ArgType): boolean {
  switch (type) {
    case 'str':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'int':
      return typeof value === 'number' && Number.isInteger(value);
  }
}

/** Runs one HMP command line and returns what it printed, with HMP's `\r\n` line ends. */
async function runHmpLine(vm: VmControl, line: string): Promise<string> {
  let out = '';
  const ctx = { vm, print: (t: string) => void (out += t) };
  try {
    await runLine(ctx, line);
  } catch (e) {
    out += `Error: ${e instanceof Error ? e.message : String(e)}\n`;
  }
  return out.replace(/\n/g, '\r\n');
}
