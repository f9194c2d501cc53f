// qcow2 reference counts: the refcount table, bounded cache of refcount blocks, and the
// cluster allocator. Every change is written through immediately, and allocation always
// raises a refcount before the caller writes data or links the cluster into a table, so
// a crash can leave leaked clusters but never a cluster referenced with too low a count.
import { BlockError } from '../block-error.js';
import type { HostFile } from '../host-file.js';
import { LruTables, type CachedTable } from './lru-tables.js';
import { MAX_REFTABLE_BYTES, readU64, writeU64 } from './qcow2-header.js';
import { isZero } from '../raw-driver.js';

/** Refcount table entries checked for zeros at once when the table is read. */
const ZERO_SKIP = 64;

export interface RefcountLayout {
  clusterBits: number;
  refcountOrder: number;
  tableOffset: number;
  tableClusters: number;
}

export class Refcounts {
  readonly clusterSize: number;
  readonly refcountBits: number;
  /** Largest value an entry can hold (2^53−1 for 64-bit entries, JavaScript's limit). */
  readonly maxRefcount: number;
  /** Refcount entries per refcount block. */
  readonly blockEntries: number;
  tableOffset: number;
  tableClusters: number;
  /** Refcount table: host offsets of the refcount blocks (0 = none). */
  table: Float64Array;
  private readonly cache: LruTables;
  /** First cluster that may be free; allocation scans from here. */
  private freeHint = 0;
  /** Clusters below this index are being handed out and must not be picked again. */
  private reservedEnd = 0;

  constructor(
    private readonly file: HostFile,
    layout: RefcountLayout,
    cacheBytes: number,
    /** Persists a moved refcount table in the image header. */
    private readonly onTableMoved: (offset: number, clusters: number) => void,
  ) {
    this.clusterSize = 2 ** layout.clusterBits;
    this.refcountBits = 1 << layout.refcountOrder;
    this.maxRefcount = this.refcountBits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** this.refcountBits - 1;
    this.blockEntries = (this.clusterSize * 8) / this.refcountBits;
    this.tableOffset = layout.tableOffset;
    this.tableClusters = layout.tableClusters;
    this.table = this.readTable(layout.tableOffset, layout.tableClusters);
    this.cache = new LruTables(Math.max(4, Math.floor(cacheBytes / this.clusterSize)));
  }

  private readTable(offset: number, clusters: number): Float64Array {
    const bytes = new Uint8Array(clusters * this.clusterSize);
    this.file.readAt(offset, bytes);
    const dv = new DataView(bytes.buffer);
    const t = new Float64Array(bytes.length / 8);
    // Bits 0–8 are reserved; the check reports them, the allocator must ignore them. Tables
    // are mostly zeros: runs of empty entries are skipped by a native compare, since this
    // loop runs cold (interpreted) once per image opened, ~3 ms for a 64 KiB table otherwise.
    for (let from = 0; from < t.length; from += ZERO_SKIP) {
      const to = Math.min(from + ZERO_SKIP, t.length);
      if (isZero(bytes, from * 8, to * 8)) continue;
      for (let i = from; i < to; i++) t[i] = readU64(dv, i * 8) - (dv.getUint32(i * 8 + 4) & 0x1ff);
    }
    return t;
  }

  private loadBlock(offset: number): CachedTable {
    let b = this.cache.get(offset);
    if (b === undefined) {
      if (offset % this.clusterSize !== 0) throw new BlockError(`Refblock offset ${hex(offset)} unaligned`, 'EIO');
      const bytes = new Uint8Array(this.clusterSize);
      this.file.readAt(offset, bytes);
      b = this.cache.put(offset, bytes);
    }
    return b;
  }

  get(cluster: number): number {
    const rt = Math.floor(cluster / this.blockEntries);
    if (rt >= this.table.length) return 0;
    const off = this.table[rt];
    if (off === 0) return 0;
    return this.entry(this.loadBlock(off), cluster % this.blockEntries);
  }

  private entry(b: CachedTable, i: number): number {
    switch (this.refcountBits) {
      case 16: return b.view.getUint16(i * 2);
      case 8: return b.bytes[i];
      case 32: return b.view.getUint32(i * 4);
      case 64: return readU64(b.view, i * 8);
      default: {
        const perByte = 8 / this.refcountBits;
        const shift = (i % perByte) * this.refcountBits;
        return (b.bytes[Math.floor(i / perByte)] >> shift) & ((1 << this.refcountBits) - 1);
      }
    }
  }

  private setEntry(b: CachedTable, i: number, v: number): void {
    switch (this.refcountBits) {
      case 16: b.view.setUint16(i * 2, v); return;
      case 8: b.bytes[i] = v; return;
      case 32: b.view.setUint32(i * 4, v); return;
      case 64: writeU64(b.view, i * 8, v); return;
      default: {
        const perByte = 8 / this.refcountBits;
        const shift = (i % perByte) * this.refcountBits;
        const mask = ((1 << this.refcountBits) - 1) << shift;
        const byte = Math.floor(i / perByte);
        b.bytes[byte] = (b.bytes[byte] & ~mask) | (v << shift);
      }
    }
  }

  /** Byte range of the block holding entries [first, first+count). */
  private entryBytes(first: number, count: number): [number, number] {
    const startBit = first * this.refcountBits;
    const endBit = (first + count) * this.refcountBits;
    return [Math.floor(startBit / 8), Math.ceil(endBit / 8)];
  }

  /** Sets the refcount of `count` clusters from `first` to `value`, writing through. */
  setRange(first: number, count: number, value: number): void {
    if (value > this.maxRefcount) throw new BlockError('Refcount overflow', 'ERANGE');
    let c = first;
    const end = first + count;
    while (c < end) {
      const b = this.blockFor(c, value !== 0);
      const inBlock = c % this.blockEntries;
      const n = Math.min(end - c, this.blockEntries - inBlock);
      if (b !== null) {
        for (let i = 0; i < n; i++) this.setEntry(b, inBlock + i, value);
        const [s, e] = this.entryBytes(inBlock, n);
        this.file.writeAt(b.offset + s, b.bytes.subarray(s, e));
      }
      c += n;
    }
    if (value === 0 && first < this.freeHint) this.freeHint = first;
  }

  set(cluster: number, value: number): void {
    this.setRange(cluster, 1, value);
  }

  /** Adds `delta` to the refcount of every cluster overlapping [offset, offset+bytes). */
  addToRange(offset: number, bytes: number, delta: number): void {
    if (bytes <= 0) return;
    const first = Math.floor(offset / this.clusterSize);
    const last = Math.floor((offset + bytes - 1) / this.clusterSize);
    for (let c = first; c <= last; c++) {
      const v = this.get(c) + delta;
      if (v < 0) throw new BlockError(`Refcount of cluster ${c} would become negative`, 'EIO');
      this.set(c, v);
    }
  }

  /** Finds `count` contiguous free clusters, gives them refcount 1, returns the first index. */
  allocate(count: number): number {
    const outer = this.reservedEnd === 0;
    const fromHint = this.reservedEnd <= Math.max(this.freeHint, 1);
    const start = this.findFree(count);
    // Every cluster from the hint to the run is in use unless the scan passed a free one
    // (a gap shorter than `count`): the hint then moves past the run, so the next scan
    // does not walk every allocated cluster again (quadratic in a growing image).
    const packed = fromHint && !this.passedFree;
    this.reservedEnd = Math.max(this.reservedEnd, start + count);
    try {
      this.setRange(start, count, 1);
    } finally {
      if (outer) this.reservedEnd = 0;
    }
    if (packed || start <= this.freeHint) this.freeHint = Math.max(this.freeHint, start + count);
    return start;
  }

  /** The last findFree() skipped a free cluster (in a gap too short for its run). */
  private passedFree = false;

  private findFree(count: number): number {
    let c = Math.max(this.freeHint, this.reservedEnd, 1);
    this.passedFree = false;
    for (;;) {
      let i = 0;
      while (i < count && this.get(c + i) === 0) i++;
      if (i === count) return c;
      if (i > 0) this.passedFree = true;
      c += i + 1;
    }
  }

  /** The refcount block covering `cluster`, created (self-describing when possible) if asked. */
  private blockFor(cluster: number, create: boolean): CachedTable | null {
    const rt = Math.floor(cluster / this.blockEntries);
    if (rt < this.table.length && this.table[rt] !== 0) return this.loadBlock(this.table[rt]);
    if (!create) return null;
    if (rt >= this.table.length) this.growTable(rt);
    if (this.table[rt] !== 0) return this.loadBlock(this.table[rt]);

    const at = this.findFree(1);
    this.reservedEnd = Math.max(this.reservedEnd, at + 1);
    const offset = at * this.clusterSize;
    const bytes = new Uint8Array(this.clusterSize);
    const block = this.cache.put(offset, bytes);
    if (Math.floor(at / this.blockEntries) === rt) {
      this.setEntry(block, at % this.blockEntries, 1);
      this.file.writeAt(offset, bytes);
    } else {
      this.file.writeAt(offset, bytes);
      this.set(at, 1);
    }
    this.setTableEntry(rt, offset);
    return this.loadBlock(offset);
  }

  private setTableEntry(rt: number, offset: number): void {
    this.table[rt] = offset;
    const e = new Uint8Array(8);
    writeU64(new DataView(e.buffer), 0, offset);
    this.file.writeAt(this.tableOffset + rt * 8, e);
  }

  /**
   * Moves the refcount table to the end of the file, bigger, together with the refcount
   * blocks that describe the new table itself; the header is switched only once both are
   * written, then the old table is freed.
   */
  private growTable(neededIndex: number): void {
    const cs = this.clusterSize;
    const start = Math.max(Math.ceil(this.file.size / cs), this.reservedEnd, 1);
    let blocks = 0;
    let tableClusters = 0;
    let entries = 0;
    for (;;) {
      const end = start + blocks + tableClusters; // exclusive
      const lastRt = Math.floor((Math.max(end, start + 1) - 1) / this.blockEntries);
      entries = Math.max(neededIndex + 1, lastRt + 1, this.table.length * 2);
      const needClusters = Math.ceil((entries * 8) / cs);
      let needBlocks = 0;
      for (let rt = Math.floor(start / this.blockEntries); rt <= lastRt; rt++) {
        if (rt >= this.table.length || this.table[rt] === 0) needBlocks++;
      }
      if (needClusters === tableClusters && needBlocks === blocks) break;
      tableClusters = Math.max(tableClusters, needClusters);
      blocks = Math.max(blocks, needBlocks);
    }
    if (tableClusters * cs > MAX_REFTABLE_BYTES) throw new BlockError('File too large', 'EFBIG');

    const areaEnd = start + blocks + tableClusters;
    const newTable = new Float64Array((tableClusters * cs) / 8);
    newTable.set(this.table);
    // New blocks for uncovered ranges of the area, each counting the area's clusters.
    const fresh = new Map<number, Uint8Array>();
    let nextBlock = start;
    for (let rt = Math.floor(start / this.blockEntries); rt <= Math.floor((areaEnd - 1) / this.blockEntries); rt++) {
      if (newTable[rt] === 0) {
        newTable[rt] = nextBlock * cs;
        fresh.set(rt, new Uint8Array(cs));
        nextBlock++;
      }
    }
    for (let c = start; c < areaEnd; c++) {
      const rt = Math.floor(c / this.blockEntries);
      const bytes = fresh.get(rt);
      if (bytes) {
        const t = { offset: 0, bytes, view: new DataView(bytes.buffer) };
        this.setEntry(t, c % this.blockEntries, 1);
      } else {
        this.set(c, 1);
      }
    }
    for (const [rt, bytes] of fresh) this.file.writeAt(newTable[rt], bytes);
    const tableBytes = new Uint8Array(tableClusters * cs);
    const dv = new DataView(tableBytes.buffer);
    for (let i = 0; i < newTable.length; i++) if (newTable[i]) writeU64(dv, i * 8, newTable[i]);
    const tableOffset = (start + blocks) * cs;
    this.file.writeAt(tableOffset, tableBytes);

    const oldOffset = this.tableOffset;
    const oldClusters = this.tableClusters;
    this.onTableMoved(tableOffset, tableClusters);
    this.table = newTable;
    this.tableOffset = tableOffset;
    this.tableClusters = tableClusters;
    this.reservedEnd = Math.max(this.reservedEnd, areaEnd);
    this.setRange(oldOffset / cs, oldClusters, 0);
  }

  /** Drops cached blocks (after the on-disk structures were rebuilt behind our back). */
  reload(layout: RefcountLayout): void {
    this.cache.clear();
    this.tableOffset = layout.tableOffset;
    this.tableClusters = layout.tableClusters;
    this.table = this.readTable(layout.tableOffset, layout.tableClusters);
    this.freeHint = 0;
  }
}

export function hex(v: number): string {
  return '0x' + v.toString(16);
}
