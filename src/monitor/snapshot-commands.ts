// The HMP's savevm, loadvm, delvm and info snapshots, with QEMU 7.2's arguments, errors
// and tables. The guest's worker does the work (machine-snapshot-store.ts); this side
// parses the tag and prints the reply.

import { snapshotTable } from '../tools/img/image-info.js';
import type { Snapshot } from '../vm/block/qcow2/qcow2-snapshots.js';
import type { SnapshotReply, SnapshotRequest } from '../vm/machine/machine-snapshot-store.js';
import type { HmpCommand, HmpContext } from './hmp-commands.js';

export interface SnapshotControl {
  request(req: SnapshotRequest): Promise<SnapshotReply>;
}

type Control = (ctx: HmpContext) => SnapshotControl | undefined;

const NO_VMSTATE_DRIVE = 'no block device can store vmstate for snapshot';

/** One HMP string argument (`name:s`): a word, or a double-quoted string with escapes. */
function parseTag(command: string, words: string[], optional: boolean): { tag?: string; error?: string } {
  const line = words.join(' ');
  if (line === '') return optional ? {} : { error: `${command}: string expected` };
  let tag = '';
  let i = 0;
  if (line[0] === '"') {
    for (i = 1; i < line.length && line[i] !== '"'; i++) {
      if (line[i] === '\\' && i + 1 < line.length) {
        const c = line[++i];
        tag += c === 'n' ? '\n' : c === 'r' ? '\r' : c;
      } else tag += line[i];
    }
    // QEMU's string reader reports this, then the argument parser gives up on the string.
    if (i >= line.length) return { error: `unterminated string\n${command}: string expected` };
    i++;
  } else {
    for (; i < line.length && line[i] !== ' '; i++) tag += line[i];
  }
  if (line.slice(i).trim() !== '') return { error: `${command}: extraneous characters at the end of line` };
  return { tag };
}

async function run(ctx: HmpContext, control: Control, req: SnapshotRequest): Promise<SnapshotReply | undefined> {
  const c = control(ctx);
  const reply = c ? await c.request(req) : { error: NO_VMSTATE_DRIVE };
  for (const line of reply.context ?? []) ctx.print(`${line}\n`);
  if (reply.error !== undefined) {
    ctx.print(`Error: ${reply.error}\n`);
    return undefined;
  }
  return reply;
}

function tagCommand(name: string, help: string, optional: boolean, request: (tag: string | undefined) => SnapshotRequest, control: Control): HmpCommand {
  return {
    names: name,
    params: 'tag',
    help,
    run: async (ctx, words) => {
      const { tag, error } = parseTag(name, words, optional);
      if (error !== undefined) {
        ctx.print(`${error}\nTry "help ${name}" for more information\n`);
        return;
      }
      await run(ctx, control, request(tag));
    },
  };
}

export function snapshotCommands(control: Control): HmpCommand[] {
  return [
    tagCommand('savevm', 'save a VM snapshot. If no tag is provided, a new snapshot is created', true, (tag) => ({ op: 'save', tag }), control),
    tagCommand('loadvm', 'restore a VM snapshot from its tag', false, (tag) => ({ op: 'load', tag: tag! }), control),
    tagCommand('delvm', 'delete a VM snapshot from its tag', false, (tag) => ({ op: 'delete', tag: tag! }), control),
  ];
}

/** `info snapshots`: the snapshots every drive has (loadable), then each drive's others. */
export function snapshotInfoCommand(control: Control): HmpCommand {
  return {
    names: 'snapshots',
    params: '',
    help: 'show the currently saved VM snapshots',
    run: async (ctx) => {
      const c = control(ctx);
      const reply = c ? await c.request({ op: 'list' }) : { error: NO_VMSTATE_DRIVE };
      // QEMU reports this one without the "Error: " prefix.
      if (reply.error !== undefined) return ctx.print(`${reply.error}\n`);
      ctx.print(formatSnapshotInfo(reply.devices ?? []));
    },
  };
}

function rows(snapshots: Snapshot[]): string {
  // snapshotTable's first line is qemu-img's "Snapshot list:" title.
  return snapshotTable(snapshots).replace(/^[^\n]*\n/, '');
}

export function formatSnapshotInfo(devices: { device: string; snapshots: Snapshot[] }[]): string {
  if (devices.every((d) => d.snapshots.length === 0)) return 'There is no snapshot available.\n';
  const [vmDrive, ...others] = devices;
  const loadable = vmDrive.snapshots.filter((s) => others.every((d) => d.snapshots.some((o) => o.name === s.name)));
  const names = new Set(loadable.map((s) => s.name));
  let out = 'List of snapshots present on all disks:\n';
  out += loadable.length ? rows(loadable.map((s) => ({ ...s, id: '--' }))) : 'None\n';
  for (const d of devices) {
    const partial = d.snapshots.filter((s) => !names.has(s.name));
    if (partial.length) out += `\nList of partial (non-loadable) snapshots on '${d.device}':\n${rows(partial)}`;
  }
  return out;
}
