// qcow2 internal snapshots: the snapshot table, and creating, deleting and applying
// snapshots by moving references between L1 tables. A snapshot shares clusters with the
// active image; the COPIED flags in the active tables are resynchronised afterwards.
import { BlockError } from '../block-error.js';
import { readU64, writeU64, MAX_L1_BYTES } from './qcow2-header.js';
import { ClusterKind, Qcow2Driver } from './qcow2-driver.js';
import { discardVmState } from './qcow2-vmstate.js';

export interface Snapshot {
  l1TableOffset: number;
  l1Size: number;
  id: string;
  name: string;
  dateSec: number;
  dateNsec: number;
  vmClockNsec: number;
  vmStateSize: number;
  /** Guest size when the snapshot was taken (v3 extra data), or null. */
  diskSize: number | null;
  icount: number | null;
}

const MAX_TABLE_BYTES = 64 << 20;
const MAX_EXTRA = 1024;

export function readSnapshots(drv: Qcow2Driver): Snapshot[] {
  const h = drv.header;
  const list: Snapshot[] = [];
  let off = h.snapshotsOffset;
  const fixed = new Uint8Array(40);
  const dv = new DataView(fixed.buffer);
  for (let i = 0; i < h.nbSnapshots; i++) {
    if (off - h.snapshotsOffset > MAX_TABLE_BYTES) throw new BlockError('Snapshot table too large');
    drv.file.readAt(off, fixed);
    const idLen = dv.getUint16(12);
    const nameLen = dv.getUint16(14);
    const extraSize = dv.getUint32(36);
    if (extraSize > MAX_EXTRA) throw new BlockError(`Too much extra metadata in snapshot table entry ${i}`);
    const rest = new Uint8Array(extraSize + idLen + nameLen);
    drv.file.readAt(off + 40, rest);
    const ev = new DataView(rest.buffer);
    const sn: Snapshot = {
      l1TableOffset: readU64(dv, 0),
      l1Size: dv.getUint32(8),
      dateSec: dv.getUint32(16),
      dateNsec: dv.getUint32(20),
      vmClockNsec: readU64(dv, 24),
      vmStateSize: dv.getUint32(32),
      diskSize: extraSize >= 16 ? readU64(ev, 8) : null,
      icount: extraSize >= 24 ? (ev.getInt32(16) === -1 && ev.getInt32(20) === -1 ? -1 : readU64(ev, 16)) : null,
      id: Buffer.from(rest.subarray(extraSize, extraSize + idLen)).toString('utf8'),
      name: Buffer.from(rest.subarray(extraSize + idLen)).toString('utf8'),
    };
    if (extraSize >= 8) sn.vmStateSize = readU64(ev, 0);
    list.push(sn);
    off += Math.ceil((40 + rest.length) / 8) * 8;
  }
  return list;
}

function serializeSnapshots(list: Snapshot[]): Uint8Array {
  const parts = list.map((sn) => {
    const id = Buffer.from(sn.id, 'utf8');
    const name = Buffer.from(sn.name, 'utf8');
    const extra = 24;
    const b = new Uint8Array(Math.ceil((40 + extra + id.length + name.length) / 8) * 8);
    const dv = new DataView(b.buffer);
    writeU64(dv, 0, sn.l1TableOffset);
    dv.setUint32(8, sn.l1Size);
    dv.setUint16(12, id.length);
    dv.setUint16(14, name.length);
    dv.setUint32(16, sn.dateSec);
    dv.setUint32(20, sn.dateNsec);
    writeU64(dv, 24, sn.vmClockNsec);
    dv.setUint32(32, Math.min(sn.vmStateSize, 0xffffffff));
    dv.setUint32(36, extra);
    writeU64(dv, 40, sn.vmStateSize);
    writeU64(dv, 48, sn.diskSize ?? 0);
    if (sn.icount === null || sn.icount < 0) { dv.setInt32(56, -1); dv.setInt32(60, -1); } else writeU64(dv, 56, sn.icount);
    b.set(id, 64);
    b.set(name, 64 + id.length);
    return b;
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function tableBytes(list: Snapshot[]): number {
  return list.length ? serializeSnapshots(list).length : 0;
}

/** Writes a new snapshot table, switches the header to it, then frees the old one. */
function writeSnapshotTable(drv: Qcow2Driver, list: Snapshot[], oldBytes: number): void {
  const cs = drv.clusterSize;
  const bytes = serializeSnapshots(list);
  let offset = 0;
  if (bytes.length) {
    offset = drv.refcounts.allocate(Math.ceil(bytes.length / cs)) * cs;
    drv.file.writeAt(offset, bytes);
  }
  const oldOffset = drv.header.snapshotsOffset;
  drv.writeHeaderField(60, 12, (dv) => { dv.setUint32(0, list.length); writeU64(dv, 4, offset); });
  drv.header.nbSnapshots = list.length;
  drv.header.snapshotsOffset = offset;
  if (oldBytes > 0) drv.refcounts.addToRange(oldOffset, oldBytes, -1);
}

function readL1(drv: Qcow2Driver, offset: number, size: number): Uint8Array {
  if (size * 8 > MAX_L1_BYTES || offset % drv.clusterSize !== 0) throw new BlockError('Snapshot L1 table is invalid', 'EFBIG');
  const l1 = new Uint8Array(size * 8);
  // Past the end of the file the table reads as zeros; skip reading what is not there.
  drv.file.readAt(offset, l1.subarray(0, Math.max(0, Math.min(l1.length, drv.file.size - offset))));
  return l1;
}

/** Adds `delta` to the refcount of every L2 table and data cluster reachable from `l1`. */
function adjustReferences(drv: Qcow2Driver, l1: Uint8Array, delta: number): void {
  const cs = drv.clusterSize;
  const lv = new DataView(l1.buffer, l1.byteOffset, l1.length);
  const l2 = new Uint8Array(cs);
  const v = new DataView(l2.buffer);
  for (let i = 0; i < l1.length / 8; i++) {
    const l2Off = Qcow2Driver.hostOffset(lv.getUint32(i * 8), lv.getUint32(i * 8 + 4));
    if (l2Off === 0) continue;
    drv.file.readAt(l2Off, l2);
    for (let j = 0; j < drv.l2Entries; j++) {
      const hi = v.getUint32(j * 8);
      const lo = v.getUint32(j * 8 + 4);
      const kind = Qcow2Driver.kind(hi, lo);
      if (kind === ClusterKind.Normal || kind === ClusterKind.ZeroAlloc) {
        drv.refcounts.addToRange(Qcow2Driver.hostOffset(hi, lo), cs, delta);
      } else if (kind === ClusterKind.Compressed) {
        const r = drv.compressedRange(hi, lo);
        drv.refcounts.addToRange(r.start, r.bytes, delta);
      }
    }
    drv.refcounts.addToRange(l2Off, cs, delta);
  }
}

/** Makes every COPIED flag in the active L1 and its L2 tables match "refcount is 1". */
export function syncCopiedFlags(drv: Qcow2Driver): void {
  const cs = drv.clusterSize;
  for (let i = 0; i < drv.header.l1Size; i++) {
    const l2Off = drv.l1Offset(i);
    if (l2Off === 0) continue;
    const owned = drv.refcounts.get(l2Off / cs) === 1;
    if (owned !== drv.l1Copied(i)) drv.setL1Entry(i, l2Off, owned);
    const t = drv.l2Table(i)!;
    let changed = false;
    for (let j = 0; j < drv.l2Entries; j++) {
      const hi = t.view.getUint32(j * 8);
      const lo = t.view.getUint32(j * 8 + 4);
      const kind = Qcow2Driver.kind(hi, lo);
      if (kind !== ClusterKind.Normal && kind !== ClusterKind.ZeroAlloc) continue;
      const one = drv.refcounts.get(Qcow2Driver.hostOffset(hi, lo) / cs) === 1;
      if (one !== ((hi & 0x80000000) !== 0)) {
        t.view.setUint32(j * 8, one ? (hi | 0x80000000) >>> 0 : hi & 0x7fffffff);
        changed = true;
      }
    }
    if (changed) drv.file.writeAt(t.offset, t.bytes);
  }
}

export function findSnapshot(list: Snapshot[], nameOrId: string): number {
  const byId = list.findIndex((s) => s.id === nameOrId);
  return byId >= 0 ? byId : list.findIndex((s) => s.name === nameOrId);
}

/** What savevm records with a snapshot; `qemu-img snapshot -c` records none of it. */
export interface SnapshotVmInfo {
  /** Bytes of VM state the caller has written at vmStateOffset() (qcow2-vmstate.ts). */
  vmStateSize: number;
  vmClockNsec: number;
  /** -1: not recorded (QEMU records it only when replaying). */
  icount: number;
}

export function createSnapshot(drv: Qcow2Driver, name: string, now: Date, vm?: SnapshotVmInfo): void {
  const cs = drv.clusterSize;
  const list = readSnapshots(drv);
  const oldBytes = tableBytes(list);
  const l1Bytes = drv.header.l1Size * 8;
  const l1Offset = l1Bytes ? drv.refcounts.allocate(Math.ceil(l1Bytes / cs)) * cs : 0;
  if (l1Bytes) drv.file.writeAt(l1Offset, drv.l1);
  adjustReferences(drv, drv.l1, 1);
  const maxId = list.reduce((m, s) => Math.max(m, Number.parseInt(s.id, 10) || 0), 0);
  const ms = now.getTime();
  list.push({
    l1TableOffset: l1Offset,
    l1Size: drv.header.l1Size,
    id: String(maxId + 1),
    name,
    dateSec: Math.floor(ms / 1000),
    dateNsec: (ms % 1000) * 1e6,
    vmClockNsec: vm?.vmClockNsec ?? 0,
    vmStateSize: vm?.vmStateSize ?? 0,
    diskSize: drv.header.size,
    icount: vm?.icount ?? 0,
  });
  writeSnapshotTable(drv, list, oldBytes);
  syncCopiedFlags(drv);
  // Only after the COPIED flags say the tables are shared: the discard must copy, not edit, them.
  if (vm) discardVmState(drv, vm.vmStateSize);
}

export function deleteSnapshot(drv: Qcow2Driver, nameOrId: string): boolean {
  const list = readSnapshots(drv);
  const i = findSnapshot(list, nameOrId);
  if (i < 0) return false;
  const oldBytes = tableBytes(list);
  const [sn] = list.splice(i, 1);
  const l1 = readL1(drv, sn.l1TableOffset, sn.l1Size);
  writeSnapshotTable(drv, list, oldBytes);
  adjustReferences(drv, l1, -1);
  if (l1.length) drv.refcounts.addToRange(sn.l1TableOffset, l1.length, -1);
  drv.forgetCachedTables();
  syncCopiedFlags(drv);
  return true;
}

export function applySnapshot(drv: Qcow2Driver, nameOrId: string): boolean {
  const list = readSnapshots(drv);
  const i = findSnapshot(list, nameOrId);
  if (i < 0) return false;
  const sn = list[i];
  const snapL1 = readL1(drv, sn.l1TableOffset, sn.l1Size);
  adjustReferences(drv, snapL1, 1);
  const oldActive = drv.l1.slice();
  if (sn.l1Size > drv.header.l1Size) drv.growL1(sn.l1Size);
  const next = new Uint8Array(drv.header.l1Size * 8);
  next.set(snapL1.subarray(0, next.length));
  drv.l1.set(next);
  drv.file.writeAt(drv.header.l1TableOffset, drv.l1);
  adjustReferences(drv, oldActive, -1);
  if (sn.diskSize !== null && sn.diskSize !== drv.header.size) {
    drv.header.size = sn.diskSize;
    drv.writeHeaderField(24, 8, (dv) => writeU64(dv, 0, sn.diskSize!));
  }
  drv.forgetCachedTables();
  syncCopiedFlags(drv);
  return true;
}
