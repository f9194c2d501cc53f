// savevm / loadvm / delvm / info snapshots as the guest's worker carries them out, over
// the machine's drives as QEMU 7.2's migration/savevm.c does: every writable drive must
// support internal snapshots (qcow2); each gets a snapshot of the same name; the machine
// state goes into the first of them (the "vmstate" drive), in the clusters past its
// virtual disk. loadvm reverts every drive, then loads the machine from that state.

import { BlockError } from '../block/block-error.js';
import { Qcow2Driver } from '../block/qcow2/qcow2-driver.js';
import { applySnapshot, createSnapshot, deleteSnapshot, readSnapshots, type Snapshot } from '../block/qcow2/qcow2-snapshots.js';
import { readVmState, writeVmState } from '../block/qcow2/qcow2-vmstate.js';
import { decodeVmState, encodeVmState } from './machine-snapshot-codec.js';
import { collectMachineState, restoreMachineState, VmStateLoadError, type MachineParts } from './machine-snapshot.js';
import type { OpenedDrive } from './open-drives.js';
import { deviceName } from './pc-storage.js';

export type SnapshotRequest =
  /** No tag: QEMU names the snapshot vm-YYYYMMDDhhmmss (local time). */
  | { op: 'save'; tag?: string }
  | { op: 'load'; tag: string }
  | { op: 'delete'; tag: string }
  | { op: 'list' };

export interface DeviceSnapshots {
  device: string;
  snapshots: Snapshot[];
}

export interface SnapshotReply {
  /** QEMU's error, printed as "Error: …", after the `context` lines. */
  error?: string;
  context?: string[];
  /** For `list`: each snapshot-capable drive's table, the vmstate drive first. */
  devices?: DeviceSnapshots[];
  /** A loadvm failed: as in QEMU, a VM that was running stays stopped ("restore-vm"). */
  mustStayStopped?: boolean;
}

const NO_VMSTATE_DRIVE = 'no block device can store vmstate for snapshot';

interface SnapshotDrive {
  name: string;
  drv: Qcow2Driver;
}

/** Thrown for QEMU's plain errors before anything changed. */
class SnapshotError extends Error {}

/**
 * The writable drives that take snapshots. With `all`, every writable drive must
 * (bdrv_all_can_snapshot); `info snapshots` just leaves the others out.
 */
function snapshotDrives(drives: readonly OpenedDrive[], all: boolean): SnapshotDrive[] {
  const out: SnapshotDrive[] = [];
  for (const d of drives) {
    if (d.medium.readOnly) continue;
    if (d.medium instanceof Qcow2Driver) out.push({ name: deviceName(d), drv: d.medium });
    else if (all) throw new SnapshotError(`Device '${deviceName(d)}' is writable but does not support snapshots`);
  }
  return out;
}

function vmStateDrive(drives: SnapshotDrive[]): SnapshotDrive {
  if (drives.length === 0) throw new SnapshotError(NO_VMSTATE_DRIVE);
  return drives[0];
}

function byName(drv: Qcow2Driver, name: string): Snapshot | undefined {
  return readSnapshots(drv).find((s) => s.name === name);
}

export function runSnapshotRequest(req: SnapshotRequest, parts: MachineParts): SnapshotReply {
  try {
    const drives = snapshotDrives(parts.hw.storage.drives, req.op !== 'list');
    switch (req.op) {
      case 'save':
        return save(parts, drives, req.tag ?? defaultTag(new Date()));
      case 'load':
        return load(parts, drives, req.tag);
      case 'delete':
        for (const d of drives) deleteByName(d.drv, req.tag);
        return {};
      case 'list':
        vmStateDrive(drives);
        return { devices: drives.map((d) => ({ device: d.name, snapshots: readSnapshots(d.drv) })) };
    }
  } catch (e) {
    // A damaged image (snapshot table, L1/L2 tables) or a failing host file: QEMU's error, not a crash.
    if (e instanceof SnapshotError || e instanceof BlockError) return { error: e.message, mustStayStopped: req.op === 'load' || undefined };
    throw e;
  }
}

function deleteByName(drv: Qcow2Driver, name: string): void {
  // Tags need not be unique in an image (qemu-img can make duplicates): drop them all.
  for (let sn = byName(drv, name); sn; sn = byName(drv, name)) deleteSnapshot(drv, sn.id);
}

function save(parts: MachineParts, drives: SnapshotDrive[], tag: string): SnapshotReply {
  // HMP's savevm overwrites a snapshot of the same name.
  for (const d of drives) deleteByName(d.drv, tag);
  const vmDrive = vmStateDrive(drives);
  const now = new Date();
  const vmClockNsec = Math.max(0, Math.floor(parts.clock.nowNs()));
  const { chunks, length } = encodeVmState(collectMachineState(parts));
  let at = 0;
  for (const c of chunks) {
    writeVmState(vmDrive.drv, at, c);
    at += c.length;
  }
  for (const d of drives) {
    const vm = { vmStateSize: d === vmDrive ? length : 0, vmClockNsec, icount: -1 };
    createSnapshot(d.drv, tag, now, vm);
    d.drv.flush();
  }
  return {};
}

function load(parts: MachineParts, drives: SnapshotDrive[], tag: string): SnapshotReply {
  if (drives.some((d) => !byName(d.drv, tag))) throw new SnapshotError(`Snapshot '${tag}' does not exist in one or more devices`);
  const vmDrive = vmStateDrive(drives);
  const sn = byName(vmDrive.drv, tag)!;
  if (sn.vmStateSize === 0) throw new SnapshotError('This is a disk-only snapshot. Revert to it  offline using qemu-img');
  for (const d of drives) applySnapshot(d.drv, byName(d.drv, tag)!.id);
  try {
    const data = new Uint8Array(sn.vmStateSize);
    readVmState(vmDrive.drv, 0, data);
    restoreMachineState(parts, decodeVmState(data));
  } catch (e) {
    if (e instanceof VmStateLoadError) return { context: e.context, error: e.message, mustStayStopped: true };
    // A stream that is not ours or is damaged (a device met fields it cannot take) is refused as QEMU refuses one.
    const why = e instanceof Error ? e.message : String(e);
    return { context: [why], error: 'Error -22 while loading VM state', mustStayStopped: true };
  }
  return {};
}

/** QEMU's name for an untagged savevm: vm-%Y%m%d%H%M%S in local time. */
export function defaultTag(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `vm-${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
}
