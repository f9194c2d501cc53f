// qcow2 consistency check and repair, following qemu's qcow2_check_refcounts: rebuild the
// reference counts by walking every structure, compare them with the on-disk refcounts,
// then verify the COPIED flags. Messages go to `log` (qemu prints them on stderr).
import { BlockError } from '../block-error.js';
import { INCOMPAT_CORRUPT, INCOMPAT_DIRTY, MAX_L1_BYTES, writeU64 } from './qcow2-header.js';
import { ClusterKind, Qcow2Driver } from './qcow2-driver.js';
import { readSnapshots, type Snapshot } from './qcow2-snapshots.js';

export interface CheckResult {
  corruptions: number;
  leaks: number;
  checkErrors: number;
  corruptionsFixed: number;
  leaksFixed: number;
  imageEndOffset: number;
  totalClusters: number;
  allocatedClusters: number;
  fragmentedClusters: number;
  compressedClusters: number;
}

export interface CheckFix {
  leaks: boolean;
  errors: boolean;
}

const L1_RESERVED_HI = 0x7f000000;
const L1_RESERVED_LO = 0x1ff;
const L2_RESERVED_HI = 0x3f000000;
const L2_RESERVED_LO = 0x1fe;

export function emptyResult(): CheckResult {
  return {
    corruptions: 0, leaks: 0, checkErrors: 0, corruptionsFixed: 0, leaksFixed: 0,
    imageEndOffset: 0, totalClusters: 0, allocatedClusters: 0, fragmentedClusters: 0, compressedClusters: 0,
  };
}

const hexs = (v: number) => v.toString(16);

/** Reference counts computed from the metadata, one counter per cluster of the file. */
class Counted {
  counts: Float64Array;
  /** A refcount block itself is broken: only rebuilding the structure can fix it. */
  rebuild = false;
  constructor(readonly clusterSize: number, clusters: number, private readonly fileSize: number, private readonly log: (s: string) => void) {
    this.counts = new Float64Array(clusters);
  }

  add(res: CheckResult, offset: number, size: number): void {
    if (size <= 0) return;
    if (offset + size > this.fileSize && offset + size - this.fileSize >= this.clusterSize) {
      this.log(`ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x${hexs(offset)} size 0x${hexs(size)}`);
      res.corruptions++;
      return;
    }
    const first = Math.floor(offset / this.clusterSize);
    const last = Math.floor((offset + size - 1) / this.clusterSize);
    if (last >= this.counts.length) {
      const grown = new Float64Array(last + 1);
      grown.set(this.counts);
      this.counts = grown;
    }
    for (let c = first; c <= last; c++) this.counts[c]++;
  }
}

export function checkQcow2(drv: Qcow2Driver, fix: CheckFix, log: (s: string) => void): CheckResult {
  const res = emptyResult();
  const cs = drv.clusterSize;
  res.totalClusters = Math.ceil(drv.header.size / cs);
  let counted = calculate(drv, res, log, true);
  const preCompare = { ...res };
  let state = compare(drv, res, { leaks: false, errors: false }, counted, log);

  if (state.rebuild && fix.errors) {
    const old = { ...res };
    log('Rebuilding refcount structure');
    rebuildRefcounts(drv, counted);
    res.corruptions = 0;
    res.leaks = 0;
    const again = emptyResult();
    again.totalClusters = res.totalClusters;
    counted = calculate(drv, again, log, false);
    res.corruptions = again.corruptions;
    const leakPass = emptyResult();
    state = compare(drv, leakPass, { leaks: true, errors: false }, counted, log);
    if (state.rebuild) {
      log('ERROR rebuilt refcount structure is still broken');
      res.checkErrors++;
    }
    if (res.corruptions < old.corruptions) res.corruptionsFixed += old.corruptions - res.corruptions;
    if (res.leaks < old.leaks) res.leaksFixed += old.leaks - res.leaks;
    res.leaks += leakPass.leaks;
  } else if (fix.leaks || fix.errors) {
    if (state.rebuild) {
      log('ERROR need to rebuild refcount structures');
      res.checkErrors++;
      throw new CheckFailed(res);
    }
    if (res.leaks || res.corruptions) {
      Object.assign(res, preCompare);
      state = compare(drv, res, fix, counted, log);
    }
  }
  checkCopiedFlags(drv, res, fix.errors, log);
  res.imageEndOffset = (state.highest + 1) * cs;

  if ((fix.leaks || fix.errors) && res.checkErrors === 0 && res.corruptions === 0) {
    let h = drv.header.incompatible;
    if (h & INCOMPAT_DIRTY) h &= ~INCOMPAT_DIRTY;
    if (fix.errors && (h & INCOMPAT_CORRUPT)) h &= ~INCOMPAT_CORRUPT;
    if (h !== drv.header.incompatible) {
      drv.file.sync();
      drv.header.incompatible = h;
      drv.writeHeaderField(72, 8, (dv) => dv.setBigUint64(0, h));
    }
  }
  return res;
}

/** `check -r leaks` found damage only `-r all` can repair (qemu: -EIO). */
export class CheckFailed extends BlockError {
  constructor(readonly result: CheckResult) {
    super('Input/output error', 'EIO');
  }
}

function calculate(drv: Qcow2Driver, res: CheckResult, log: (s: string) => void, fragInfo: boolean): Counted {
  const cs = drv.clusterSize;
  const h = drv.header;
  const fileSize = drv.file.size;
  const counted = new Counted(cs, Math.ceil(fileSize / cs), fileSize, log);
  counted.add(res, 0, cs);
  walkL1(drv, res, counted, h.l1TableOffset, h.l1Size, fragInfo, log);
  let snapshots: Snapshot[] = [];
  try {
    snapshots = readSnapshots(drv);
  } catch (e) {
    log(`ERROR: ${(e as Error).message}`);
    res.checkErrors++;
  }
  for (const sn of snapshots) {
    if (sn.l1TableOffset % cs !== 0) {
      log(`ERROR snapshot ${sn.id} (${sn.name}) l1_offset=0x${hexs(sn.l1TableOffset)}: L1 table is not cluster aligned; snapshot table entry corrupted`);
      res.corruptions++;
      continue;
    }
    if (sn.l1Size > MAX_L1_BYTES / 8) {
      log(`ERROR snapshot ${sn.id} (${sn.name}) l1_size=0x${hexs(sn.l1Size)}: L1 table is too large; snapshot table entry corrupted`);
      res.corruptions++;
      continue;
    }
    walkL1(drv, res, counted, sn.l1TableOffset, sn.l1Size, false, log);
  }
  if (h.nbSnapshots) counted.add(res, h.snapshotsOffset, snapshotTableSize(drv));
  counted.add(res, h.refcountTableOffset, h.refcountTableClusters * cs);
  const rc = drv.refcounts;
  for (let i = 0; i < rc.table.length; i++) {
    const off = rc.table[i];
    if (off === 0) continue;
    if (off % cs !== 0) {
      log(`ERROR refcount block ${i} is not cluster aligned; refcount table entry corrupted`);
      res.corruptions++;
      counted.rebuild = true;
      continue;
    }
    if (off / cs >= Math.ceil(fileSize / cs)) {
      log(`ERROR refcount block ${i} is outside image`);
      res.corruptions++;
      counted.rebuild = true;
      continue;
    }
    counted.add(res, off, cs);
    if (counted.counts[off / cs] !== 1) {
      log(`ERROR refcount block ${i} refcount=${counted.counts[off / cs]}`);
      res.corruptions++;
      counted.rebuild = true;
    }
  }
  return counted;
}

/** Bytes the snapshot table occupies, from the entries as stored. */
function snapshotTableSize(drv: Qcow2Driver): number {
  const h = drv.header;
  const fixed = new Uint8Array(40);
  const dv = new DataView(fixed.buffer);
  let off = h.snapshotsOffset;
  for (let i = 0; i < h.nbSnapshots; i++) {
    drv.file.readAt(off, fixed);
    off += Math.ceil((40 + dv.getUint32(36) + dv.getUint16(12) + dv.getUint16(14)) / 8) * 8;
    if (off - h.snapshotsOffset > 64 << 20) break;
  }
  return off - h.snapshotsOffset;
}

function walkL1(drv: Qcow2Driver, res: CheckResult, counted: Counted, l1Offset: number, l1Size: number,
  fragInfo: boolean, log: (s: string) => void): void {
  const cs = drv.clusterSize;
  counted.add(res, l1Offset, l1Size * 8);
  // Entries past the end of the file read as zero: only the part inside the file matters.
  const inFile = Math.max(0, Math.min(l1Size, Math.ceil((drv.file.size - l1Offset) / 8)));
  const l1 = new Uint8Array(inFile * 8);
  drv.file.readAt(l1Offset, l1);
  const lv = new DataView(l1.buffer);
  const l2 = new Uint8Array(cs);
  const v = new DataView(l2.buffer);
  for (let i = 0; i < inFile; i++) {
    const hi = lv.getUint32(i * 8);
    const lo = lv.getUint32(i * 8 + 4);
    if ((hi & L1_RESERVED_HI) || (lo & L1_RESERVED_LO)) {
      log(`ERROR found L1 entry with reserved bits set: ${hex64(hi, lo)}`);
      res.corruptions++;
    }
    const l2Off = Qcow2Driver.hostOffset(hi, lo);
    if (l2Off === 0) continue;
    counted.add(res, l2Off, cs);
    if (l2Off % cs !== 0) {
      log(`ERROR l2_offset=${hexs(l2Off)}: Table is not cluster aligned; L1 entry corrupted`);
      res.corruptions++;
    }
    drv.file.readAt(l2Off, l2);
    let nextContiguous = 0;
    for (let j = 0; j < drv.l2Entries; j++) {
      let ehi = v.getUint32(j * 8);
      const elo = v.getUint32(j * 8 + 4);
      const kind = Qcow2Driver.kind(ehi, elo);
      if (kind === ClusterKind.Compressed) {
        if (ehi & 0x80000000) {
          log(`ERROR: coffset=0x${hexs(drv.compressedRange(ehi, elo).offset)}: copied flag must never be set for compressed clusters`);
          ehi &= 0x7fffffff;
          res.corruptions++;
        }
        const r = drv.compressedRange(ehi, elo);
        counted.add(res, r.offset, r.bytes - (r.offset - r.start));
        if (fragInfo) {
          res.allocatedClusters++;
          res.compressedClusters++;
          res.fragmentedClusters++;
        }
        continue;
      }
      if ((ehi & L2_RESERVED_HI) || (elo & L2_RESERVED_LO)) {
        log(`ERROR found l2 entry with reserved bits set: ${hex64(ehi, elo)}`);
        res.corruptions++;
      }
      if (kind !== ClusterKind.Normal && kind !== ClusterKind.ZeroAlloc) continue;
      const off = Qcow2Driver.hostOffset(ehi, elo);
      if (fragInfo) {
        res.allocatedClusters++;
        if (nextContiguous && off !== nextContiguous) res.fragmentedClusters++;
        nextContiguous = off + cs;
      }
      if (off % cs !== 0) {
        log(kind === ClusterKind.ZeroAlloc
          ? `ERROR offset=${hexs(off)}: Preallocated cluster is not properly aligned; L2 entry corrupted.`
          : `ERROR offset=${hexs(off)}: Data cluster is not properly aligned; L2 entry corrupted.`);
        res.corruptions++;
        continue;
      }
      counted.add(res, off, cs);
    }
  }
}

function hex64(hi: number, lo: number): string {
  return hi ? hi.toString(16) + (lo >>> 0).toString(16).padStart(8, '0') : (lo >>> 0).toString(16);
}

function compare(drv: Qcow2Driver, res: CheckResult, fix: CheckFix, counted: Counted, log: (s: string) => void): { rebuild: boolean; highest: number } {
  let rebuild = counted.rebuild;
  let highest = -1;
  const rc = drv.refcounts;
  for (let i = 0; i < counted.counts.length; i++) {
    let onDisk: number;
    try {
      onDisk = rc.get(i);
    } catch (e) {
      log(`Can't get refcount for cluster ${i}: ${(e as Error).message}`);
      res.checkErrors++;
      continue;
    }
    const computed = counted.counts[i];
    if (onDisk > 0 || computed > 0) highest = i;
    if (onDisk === computed) continue;
    let fixing: 'leaks' | 'errors' | null = null;
    if (onDisk === 0) rebuild = true;
    else if (onDisk > computed && fix.leaks) fixing = 'leaks';
    else if (onDisk < computed && fix.errors) fixing = 'errors';
    log(`${fixing ? 'Repairing' : onDisk < computed ? 'ERROR' : 'Leaked'} cluster ${i} refcount=${onDisk} reference=${computed}`);
    if (fixing) {
      try {
        rc.set(i, computed);
        if (fixing === 'leaks') res.leaksFixed++;
        else res.corruptionsFixed++;
        continue;
      } catch (e) {
        log(`ERROR: Could not update refcount: ${(e as Error).message}`);
        res.checkErrors++;
      }
    }
    if (onDisk < computed) res.corruptions++;
    else res.leaks++;
  }
  return { rebuild, highest };
}

function checkCopiedFlags(drv: Qcow2Driver, res: CheckResult, repair: boolean, log: (s: string) => void): void {
  const cs = drv.clusterSize;
  const rc = drv.refcounts;
  const l2 = new Uint8Array(cs);
  const v = new DataView(l2.buffer);
  const refOf = (off: number): number | null => {
    try {
      return rc.get(Math.floor(off / cs));
    } catch {
      return null;
    }
  };
  for (let i = 0; i < drv.header.l1Size; i++) {
    const hi = drv.l1View.getUint32(i * 8);
    const lo = drv.l1View.getUint32(i * 8 + 4);
    const l2Off = Qcow2Driver.hostOffset(hi, lo);
    if (l2Off === 0) continue;
    const r = refOf(l2Off);
    if (r === null) continue;
    if ((r === 1) !== ((hi & 0x80000000) !== 0)) {
      log(`${repair ? 'Repairing' : 'ERROR'} OFLAG_COPIED L2 cluster: l1_index=${i} l1_entry=${hex64(hi, lo)} refcount=${r}`);
      if (repair) {
        drv.setL1Entry(i, l2Off, r === 1);
        res.corruptionsFixed++;
      } else {
        res.corruptions++;
      }
    }
    drv.file.readAt(l2Off, l2);
    let dirty = false;
    for (let j = 0; j < drv.l2Entries; j++) {
      const ehi = v.getUint32(j * 8);
      const elo = v.getUint32(j * 8 + 4);
      const kind = Qcow2Driver.kind(ehi, elo);
      if (kind !== ClusterKind.Normal && kind !== ClusterKind.ZeroAlloc) continue;
      const dr = refOf(Qcow2Driver.hostOffset(ehi, elo));
      if (dr === null) continue;
      if ((dr === 1) !== ((ehi & 0x80000000) !== 0)) {
        log(`${repair ? 'Repairing' : 'ERROR'} OFLAG_COPIED data cluster: l2_entry=${hex64(ehi, elo)} refcount=${dr}`);
        if (repair) {
          v.setUint32(j * 8, dr === 1 ? (ehi | 0x80000000) >>> 0 : ehi & 0x7fffffff);
          dirty = true;
          res.corruptionsFixed++;
        } else {
          res.corruptions++;
        }
      }
    }
    if (dirty) drv.file.writeAt(l2Off, l2);
  }
  if (repair) drv.forgetCachedTables();
}

/**
 * Writes fresh refcount blocks and a fresh refcount table from the computed counts, placed
 * first-fit in clusters the counts show free, then switches the header to them.
 */
function rebuildRefcounts(drv: Qcow2Driver, counted: Counted): void {
  const cs = drv.clusterSize;
  const rc = drv.refcounts;
  const perBlock = rc.blockEntries;
  let counts = counted.counts;
  const ensure = (n: number) => {
    if (n > counts.length) {
      const g = new Float64Array(n);
      g.set(counts);
      counts = g;
    }
  };
  let firstFree = 0;
  const allocate = (n: number): number => {
    let c = firstFree;
    for (;;) {
      ensure(c + n);
      let k = 0;
      while (k < n && counts[c + k] === 0) k++;
      if (k === n) break;
      c += k + 1;
    }
    for (let k = 0; k < n; k++) counts[c + k] = 1;
    if (c === firstFree) firstFree = c + n;
    return c;
  };
  const blocks = new Map<number, number>(); // reftable index → block cluster
  let tableClusters = 0;
  let tableAt = -1;
  for (;;) {
    let changed = false;
    for (let c = 0; c < counts.length; c++) {
      if (counts[c] === 0) continue;
      const rt = Math.floor(c / perBlock);
      if (!blocks.has(rt)) {
        blocks.set(rt, allocate(1));
        changed = true;
      }
      c = (rt + 1) * perBlock - 1;
    }
    const entries = Math.max(...blocks.keys()) + 1;
    const need = Math.ceil((entries * 8) / cs);
    if (need > tableClusters) {
      if (tableAt >= 0) for (let k = 0; k < tableClusters; k++) counts[tableAt + k] = 0;
      tableClusters = need;
      tableAt = allocate(need);
      changed = true;
    }
    if (!changed) break;
  }
  const block = new Uint8Array(cs);
  const bv = new DataView(block.buffer);
  for (const [rt, at] of blocks) {
    block.fill(0);
    for (let k = 0; k < perBlock; k++) {
      const c = rt * perBlock + k;
      if (c >= counts.length) break;
      const value = counts[c];
      if (value) setEntry(block, bv, k, value, rc.refcountBits);
    }
    drv.file.writeAt(at * cs, block);
  }
  const table = new Uint8Array(tableClusters * cs);
  const tv = new DataView(table.buffer);
  for (const [rt, at] of blocks) writeU64(tv, rt * 8, at * cs);
  drv.file.writeAt(tableAt * cs, table);
  drv.file.sync();
  drv.writeHeaderField(48, 12, (dv) => { writeU64(dv, 0, tableAt * cs); dv.setUint32(8, tableClusters); });
  drv.reloadMetadata();
}

function setEntry(b: Uint8Array, dv: DataView, i: number, v: number, bits: number): void {
  switch (bits) {
    case 16: dv.setUint16(i * 2, v); return;
    case 8: b[i] = v; return;
    case 32: dv.setUint32(i * 4, v); return;
    case 64: writeU64(dv, i * 8, v); return;
    default: {
      const perByte = 8 / bits;
      b[Math.floor(i / perByte)] |= v << ((i % perByte) * bits);
    }
  }
}
