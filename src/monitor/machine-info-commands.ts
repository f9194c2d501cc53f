// The `info` subcommands about the machine's hardware and guest state, with QEMU 7.2's
// help lines. Those that need the guest's state ask the worker (VmControl.machineInfo);
// `info jit` is termu's own (the JIT's code cache statistics).

import type { InfoTopic } from '../vm/machine/machine-info.js';
import type { HmpCommand } from './hmp-commands.js';

/** QEMU's UUID when -uuid is not given. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

function fromMachine(names: string, topic: InfoTopic, help: string): HmpCommand {
  return { names, params: '', args: '', help, run: async (ctx) => ctx.print(await ctx.vm.machineInfo(topic)) };
}

export const machineInfoCommands: HmpCommand[] = [
  {
    names: 'block',
    params: '[-n] [-v] [device]',
    args: 'device:B?',
    help: 'show info of one block device or all block devices (-n: show named nodes; -v: show details)',
    run: async (ctx, _words, values) => ctx.print(await ctx.vm.machineInfo('block', values!.get('device') as string | undefined)),
  },
  fromMachine('blockstats', 'blockstats', 'show block device statistics'),
  {
    names: 'cpus',
    params: '',
    args: '',
    help: 'show infos for each CPU',
    // One vCPU, run by termu's guest thread inside this process.
    run: (ctx) => ctx.print(`* CPU #0: thread_id=${process.pid}\n`),
  },
  fromMachine('irq', 'irq', 'show the interrupts statistics (if available)'),
  fromMachine('jit', 'jit', 'show dynamic compiler info'),
  fromMachine('mem', 'mem', 'show the active virtual memory mappings'),
  {
    names: 'mtree',
    params: '[-f][-d][-o][-D]',
    args: 'flatview:-f,dispatch_tree:-d,owner:-o,disabled:-D',
    help: 'show memory tree (-f: dump flat view for address spaces;-d: dump dispatch tree, valid with -f only);-o: dump region owners/parents;-D: dump disabled regions',
    run: async (ctx, _words, values) => ctx.print(await ctx.vm.machineInfo(values!.get('flatview') ? 'mtree-flat' : 'mtree')),
  },
  {
    names: 'network',
    params: '',
    args: '',
    help: 'show the network state',
    // termu has no network devices or backends yet: QEMU prints nothing then.
    run: () => {},
  },
  fromMachine('pci', 'pci', 'show PCI info'),
  fromMachine('pic', 'pic', 'show PIC state'),
  fromMachine('roms', 'roms', 'show roms'),
  fromMachine('qtree', 'qtree', 'show device tree'),
  fromMachine('tlb', 'tlb', 'show virtual to physical memory mappings'),
  {
    names: 'uuid',
    params: '',
    args: '',
    help: 'show the current VM UUID',
    run: (ctx) => ctx.print(`${ctx.vm.uuid?.() ?? NIL_UUID}\n`),
  },
];
