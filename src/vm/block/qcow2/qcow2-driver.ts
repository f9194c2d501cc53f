// The qcow2 format driver: guest reads and writes through the L1/L2 tables, copy-on-write
// for clusters shared with snapshots, zero and compressed clusters, backing files.
//
// Write ordering (what crash safety rests on; every step is a separate pwrite, issued in
// this order, so a process killed at any point leaves at worst leaked clusters):
//   1. a new cluster's refcount is raised before anything points at it;
//   2. its content (data, or a full L2 table) is written before the entry linking it;
//   3. an L1/L2 entry is switched to a new cluster before the old one's refcount drops;
//   4. the header moves to a new table only after that table is fully written.
import { createRequire } from 'node:module';
import type { BlockDriver, BlockStatus } from '../block-driver.js';
import { BlockError } from '../block-error.js';
import type { HostFile } from '../host-file.js';
import { LruTables, type CachedTable } from './lru-tables.js';
import {
  COMPAT_LAZY_REFCOUNTS, INCOMPAT_DIRTY, MAX_L1_BYTES, readQcow2Header, serializeHeader, writeU64,
  type Qcow2Header,
} from './qcow2-header.js';
import { Refcounts, hex } from './refcounts.js';
import { compressZstdCluster, decompressZstdCluster } from './zstd-cluster.js';

export const enum ClusterKind { Unallocated, ZeroPlain, ZeroAlloc, Normal, Compressed }

const COPIED_HI = 0x80000000;
const COMPRESSED_HI = 0x40000000;
const DEFAULT_L2_CACHE = 4 << 20;
const DEFAULT_REFCOUNT_CACHE = 1 << 20;

// zlib (and the stream modules it pulls in) loads on the first compressed cluster.
let zlibModule: typeof import('node:zlib') | null = null;
const zlib = () => (zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib'));

export interface Qcow2OpenOptions {
  readOnly: boolean;
  /** Opened by `check -r`: a corrupt image may be opened read-write. */
  repair?: boolean;
  l2CacheBytes?: number;
  refcountCacheBytes?: number;
}

export class Qcow2Driver implements BlockDriver {
  readonly format = 'qcow2';
  readonly clusterSize: number;
  readonly clusterBits: number;
  /** Entries per L2 table. */
  readonly l2Entries: number;
  backing: BlockDriver | null = null;
  l1: Uint8Array;
  l1View: DataView;
  readonly refcounts: Refcounts;
  private readonly l2Cache: LruTables;
  private dirtyMarked = false;
  /** Host byte offset where the next compressed cluster may be packed (0 = none). */
  private compressedTail = 0;
  private decompressedKeyHi = -1;
  private decompressedKeyLo = -1;
  private readonly decompressed: Uint8Array;
  private readonly zeroCluster: Uint8Array;

  constructor(readonly file: HostFile, public header: Qcow2Header, opts: Qcow2OpenOptions) {
    this.clusterBits = header.clusterBits;
    this.clusterSize = 2 ** header.clusterBits;
    this.l2Entries = this.clusterSize / 8;
    this.l1 = new Uint8Array(header.l1Size * 8);
    file.readAt(header.l1TableOffset, this.l1);
    this.l1View = new DataView(this.l1.buffer);
    this.refcounts = new Refcounts(file, {
      clusterBits: header.clusterBits,
      refcountOrder: header.refcountOrder,
      tableOffset: header.refcountTableOffset,
      tableClusters: header.refcountTableClusters,
    }, opts.refcountCacheBytes ?? DEFAULT_REFCOUNT_CACHE, (offset, clusters) => this.moveRefcountTable(offset, clusters));
    this.l2Cache = new LruTables(Math.max(2, Math.floor((opts.l2CacheBytes ?? DEFAULT_L2_CACHE) / this.clusterSize)));
    this.decompressed = new Uint8Array(this.clusterSize);
    this.zeroCluster = new Uint8Array(this.clusterSize);
    if (!file.readOnly && header.autoclear !== 0n) {
      // A writer must clear the autoclear bits it does not maintain.
      header.autoclear = 0n;
      this.writeHeaderField(88, 8, (dv) => dv.setBigUint64(0, 0n));
    }
  }

  static open(file: HostFile, opts: Qcow2OpenOptions): Qcow2Driver {
    return new Qcow2Driver(file, readQcow2Header(file, { readOnly: file.readOnly, repair: opts.repair ?? false }), opts);
  }

  get length(): number {
    return this.header.size;
  }

  get readOnly(): boolean {
    return this.file.readOnly;
  }

  // ---- L1 / L2 access -------------------------------------------------------------------

  l1Offset(i: number): number {
    return (this.l1View.getUint32(i * 8) & 0x00ffffff) * 0x100000000 + ((this.l1View.getUint32(i * 8 + 4) & 0xfffffe00) >>> 0);
  }

  l1Copied(i: number): boolean {
    return (this.l1View.getUint32(i * 8) & COPIED_HI) !== 0;
  }

  /** The L2 table of L1 entry `i`, or null when none is allocated. */
  l2Table(i: number): CachedTable | null {
    if (i >= this.header.l1Size) return null;
    const off = this.l1Offset(i);
    if (off === 0) return null;
    let t = this.l2Cache.get(off);
    if (t === undefined) {
      if (off % this.clusterSize !== 0) {
        throw new BlockError(`L2 table offset ${hex(off)} unaligned (L1 index: ${hex(i)})`, 'EIO');
      }
      const bytes = new Uint8Array(this.clusterSize);
      this.file.readAt(off, bytes);
      t = this.l2Cache.put(off, bytes);
    }
    return t;
  }

  /** Forgets cached L2 tables after operations that free or rewrite them wholesale. */
  forgetCachedTables(): void {
    this.l2Cache.clear();
    this.decompressedKeyHi = -1;
  }

  static kind(hi: number, lo: number): ClusterKind {
    if (hi & COMPRESSED_HI) return ClusterKind.Compressed;
    const hasOffset = (hi & 0x00ffffff) !== 0 || (lo & 0xfffffe00) !== 0;
    if (lo & 1) return hasOffset ? ClusterKind.ZeroAlloc : ClusterKind.ZeroPlain;
    return hasOffset ? ClusterKind.Normal : ClusterKind.Unallocated;
  }

  static hostOffset(hi: number, lo: number): number {
    return (hi & 0x00ffffff) * 0x100000000 + ((lo & 0xfffffe00) >>> 0);
  }

  /** Byte range [start, start+bytes) a compressed entry references, as qemu counts it. */
  compressedRange(hi: number, lo: number): { offset: number; start: number; bytes: number } {
    const shift = 62 - (this.clusterBits - 8) - 32;
    const offset = (hi & ((1 << shift) - 1)) * 0x100000000 + (lo >>> 0);
    const sectors = ((hi & 0x3fffffff) >>> shift) + 1;
    const start = offset - (offset % 512);
    return { offset, start, bytes: sectors * 512 };
  }

  // ---- reads ----------------------------------------------------------------------------

  read(offset: number, buf: Uint8Array): void {
    this.checkRange(offset, buf.length);
    const cs = this.clusterSize;
    let pos = 0;
    while (pos < buf.length) {
      const guest = offset + pos;
      const ci = Math.floor(guest / cs);
      const l1i = Math.floor(ci / this.l2Entries);
      let idx = ci % this.l2Entries;
      const inCluster = guest - ci * cs;
      const t = this.l2Table(l1i);
      let n = Math.min(buf.length - pos, cs - inCluster);
      if (t === null) {
        // Whole L2 range unallocated: extend to its end.
        n = Math.min(buf.length - pos, (l1i + 1) * this.l2Entries * cs - guest);
        this.readBacking(guest, buf.subarray(pos, pos + n));
        pos += n;
        continue;
      }
      const hi = t.view.getUint32(idx * 8);
      const lo = t.view.getUint32(idx * 8 + 4);
      const kind = Qcow2Driver.kind(hi, lo);
      if (kind === ClusterKind.Normal) {
        const host = Qcow2Driver.hostOffset(hi, lo);
        if (host % cs !== 0) throw new BlockError(`Cluster allocation offset ${hex(host)} unaligned (L2 offset: ${hex(t.offset)}, L2 index: ${hex(idx)})`, 'EIO');
        // Coalesce following clusters that are contiguous on the host.
        let next = host + cs;
        while (pos + n < buf.length && idx + 1 < this.l2Entries) {
          const h2 = t.view.getUint32((idx + 1) * 8);
          const l2 = t.view.getUint32((idx + 1) * 8 + 4);
          if (Qcow2Driver.kind(h2, l2) !== ClusterKind.Normal || Qcow2Driver.hostOffset(h2, l2) !== next) break;
          idx++;
          next += cs;
          n = Math.min(buf.length - pos, n + cs);
        }
        this.file.readAt(host + inCluster, buf.subarray(pos, pos + n));
      } else if (kind === ClusterKind.Unallocated) {
        this.readBacking(guest, buf.subarray(pos, pos + n));
      } else if (kind === ClusterKind.Compressed) {
        this.decompress(hi, lo);
        buf.set(this.decompressed.subarray(inCluster, inCluster + n), pos);
      } else {
        buf.fill(0, pos, pos + n);
      }
      pos += n;
    }
  }

  private readBacking(guest: number, out: Uint8Array): void {
    const b = this.backing;
    if (b === null || guest >= b.length) {
      out.fill(0);
      return;
    }
    const avail = Math.min(out.length, b.length - guest);
    b.read(guest, avail === out.length ? out : out.subarray(0, avail));
    if (avail < out.length) out.fill(0, avail);
  }

  private decompress(hi: number, lo: number): void {
    if (hi === this.decompressedKeyHi && lo === this.decompressedKeyLo) return;
    const r = this.compressedRange(hi, lo);
    const raw = new Uint8Array(r.bytes);
    this.file.readAt(r.start, raw);
    const input = raw.subarray(r.offset - r.start);
    this.decompressedKeyHi = -1;
    if (this.header.compressionType !== 0) {
      if (!decompressZstdCluster(input, this.decompressed)) throw new BlockError('Input/output error', 'EIO');
    } else {
      let out: Buffer;
      try {
        out = zlib().inflateRawSync(input, { finishFlush: zlib().constants.Z_SYNC_FLUSH, maxOutputLength: this.clusterSize * 2 });
      } catch {
        throw new BlockError('Input/output error', 'EIO');
      }
      if (out.length < this.clusterSize) throw new BlockError('Input/output error', 'EIO');
      this.decompressed.set(out.subarray(0, this.clusterSize));
    }
    this.decompressedKeyHi = hi;
    this.decompressedKeyLo = lo;
  }

  /** True when the cluster at guest offset `g` with entry (hi, lo) reads as zeros without I/O. */
  private readsAsZero(hi: number, lo: number, g: number): boolean {
    const kind = Qcow2Driver.kind(hi, lo);
    if (kind === ClusterKind.ZeroPlain || kind === ClusterKind.ZeroAlloc) return true;
    return kind === ClusterKind.Unallocated && (this.backing === null || g >= this.backing.length);
  }

  /** Reads guest cluster `ci` as currently visible, from the entry (hi, lo). */
  private readClusterAs(ci: number, hi: number, lo: number, out: Uint8Array): void {
    switch (Qcow2Driver.kind(hi, lo)) {
      case ClusterKind.Normal: this.file.readAt(Qcow2Driver.hostOffset(hi, lo), out); break;
      case ClusterKind.Compressed: this.decompress(hi, lo); out.set(this.decompressed); break;
      case ClusterKind.Unallocated: this.readBacking(ci * this.clusterSize, out); break;
      default: out.fill(0);
    }
  }

  // ---- writes ---------------------------------------------------------------------------

  private checkRange(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.header.size) {
      throw new BlockError(`Access beyond the end of the image (offset ${offset}, length ${length})`, 'EINVAL');
    }
  }

  /** Checks writability and, with lazy refcounts, sets the dirty bit before the first write. */
  private beginWrite(): void {
    if (this.file.readOnly) throw new BlockError('Permission denied', 'EACCES');
    if (!this.dirtyMarked && (this.header.compatible & COMPAT_LAZY_REFCOUNTS) && this.header.version >= 3) {
      this.header.incompatible |= INCOMPAT_DIRTY;
      this.writeHeaderField(72, 8, (dv) => dv.setBigUint64(0, this.header.incompatible));
      this.dirtyMarked = true;
    }
  }

  write(offset: number, data: Uint8Array): void {
    this.checkRange(offset, data.length);
    this.beginWrite();
    const cs = this.clusterSize;
    const end = offset + data.length;
    let g = offset;
    while (g < end) {
      const ci = Math.floor(g / cs);
      const l1i = Math.floor(ci / this.l2Entries);
      const t = this.l2ForWrite(l1i);
      const tableEnd = Math.min(end, (l1i + 1) * this.l2Entries * cs);
      while (g < tableEnd) {
        const idx = Math.floor(g / cs) % this.l2Entries;
        const hi = t.view.getUint32(idx * 8);
        const lo = t.view.getUint32(idx * 8 + 4);
        const kind = Qcow2Driver.kind(hi, lo);
        if (kind === ClusterKind.Normal && (hi & COPIED_HI)) {
          g = this.writeInPlace(t, idx, g, tableEnd, data, offset);
        } else {
          g = this.writeAllocating(t, idx, g, tableEnd, data, offset);
        }
      }
    }
  }

  /** Overwrites clusters this image owns alone, coalescing host-contiguous ones. */
  private writeInPlace(t: CachedTable, idx: number, g: number, end: number, data: Uint8Array, base: number): number {
    const cs = this.clusterSize;
    const host = Qcow2Driver.hostOffset(t.view.getUint32(idx * 8), t.view.getUint32(idx * 8 + 4));
    if (host % cs !== 0) throw new BlockError(`Cluster allocation offset ${hex(host)} unaligned (L2 offset: ${hex(t.offset)}, L2 index: ${hex(idx)})`, 'EIO');
    let stop = Math.min(end, (Math.floor(g / cs) + 1) * cs);
    let next = host + cs;
    let i = idx + 1;
    while (stop < end && i < this.l2Entries) {
      const h2 = t.view.getUint32(i * 8);
      const l2 = t.view.getUint32(i * 8 + 4);
      if (Qcow2Driver.kind(h2, l2) !== ClusterKind.Normal || !(h2 & COPIED_HI) || Qcow2Driver.hostOffset(h2, l2) !== next) break;
      stop = Math.min(end, stop + cs);
      next += cs;
      i++;
    }
    this.file.writeAt(host + (g % cs), data.subarray(g - base, stop - base));
    return stop;
  }

  /**
   * Writes into clusters that need a new host cluster (unallocated, zero, compressed, or
   * shared with a snapshot): allocates a contiguous run, fills partial clusters from their
   * old content, links the run, then releases what the old entries held.
   */
  private writeAllocating(t: CachedTable, idx: number, g: number, end: number, data: Uint8Array, base: number): number {
    const cs = this.clusterSize;
    let count = 1;
    while (g + count * cs - (g % cs) < end && idx + count < this.l2Entries) {
      const h2 = t.view.getUint32((idx + count) * 8);
      if (Qcow2Driver.kind(h2, t.view.getUint32((idx + count) * 8 + 4)) === ClusterKind.Normal && (h2 & COPIED_HI)) break;
      count++;
    }
    const firstCluster = Math.floor(g / cs);
    const stop = Math.min(end, (firstCluster + count) * cs);
    const hostStart = this.refcounts.allocate(count) * cs;

    let directFrom = -1;
    const flushDirect = (upTo: number) => {
      if (directFrom >= 0) {
        this.file.writeAt(hostStart + (directFrom - firstCluster) * cs, data.subarray(directFrom * cs - base, upTo * cs - base));
        directFrom = -1;
      }
    };
    for (let j = 0; j < count; j++) {
      const c = firstCluster + j;
      const cStart = c * cs;
      const from = Math.max(g, cStart);
      const to = Math.min(stop, cStart + cs);
      if (from === cStart && to === cStart + cs) {
        if (directFrom < 0) directFrom = c;
        continue;
      }
      flushDirect(c);
      const ohi = t.view.getUint32((idx + j) * 8);
      const olo = t.view.getUint32((idx + j) * 8 + 4);
      // Partial clusters are written whole, zeros included, as qemu writes them (a hole in
      // the file would map as zeros); old content that reads as zeros needs no read.
      const buf = new Uint8Array(cs);
      if (!this.readsAsZero(ohi, olo, cStart)) this.readClusterAs(c, ohi, olo, buf);
      buf.set(data.subarray(from - base, to - base), from - cStart);
      this.file.writeAt(hostStart + j * cs, buf);
    }
    flushDirect(firstCluster + count);

    const old = this.replaceEntries(t, idx, count, (j, view, at) => {
      writeU64(view, at, hostStart + j * cs);
      view.setUint32(at, view.getUint32(at) | COPIED_HI);
    });
    this.releaseEntries(old);
    return stop;
  }

  // ---- streaming writes into an empty image (convert) -------------------------------------
  // The caller writes the data itself (on the thread pool, overlapped with its reads) between
  // reserveClusters() and linkClusters(), which keeps the crash-safety order: refcounts
  // raised, then data written, then the L2 entries.

  /** True when no L2 table exists (a new image without preallocation): every cluster is unallocated. */
  isUnmapped(): boolean {
    for (let i = 0; i < this.l1.length; i++) if (this.l1[i] !== 0) return false;
    return true;
  }

  /**
   * Gives `count` guest clusters from `first` (unallocated, all in one L2 table) a run of
   * host clusters whose refcounts are raised on disk, creating their L2 table first as
   * write() does; returns the run's host byte offset.
   */
  reserveClusters(first: number, count: number): number {
    this.beginWrite();
    const l1i = Math.floor(first / this.l2Entries);
    if (count <= 0 || Math.floor((first + count - 1) / this.l2Entries) !== l1i) {
      throw new BlockError('Reserved clusters must lie in one L2 table', 'EINVAL');
    }
    this.checkRange(first * this.clusterSize, Math.min(count * this.clusterSize, this.header.size - first * this.clusterSize));
    this.l2ForWrite(l1i);
    return this.refcounts.allocate(count) * this.clusterSize;
  }

  /**
   * Points the L2 entries of reserved runs at their host clusters once their data is written:
   * `runs[from..to)` are (first guest cluster, count, host offset) triples in guest order, all
   * in one L2 table, and the entries from the first run to the last go out in one pwrite.
   */
  linkClusters(runs: Float64Array, from: number, to: number): void {
    if (to <= from) return;
    const cs = this.clusterSize;
    const first = runs[from * 3];
    const l1i = Math.floor(first / this.l2Entries);
    const base = l1i * this.l2Entries;
    const t = this.l2ForWrite(l1i);
    let last = first;
    for (let r = from; r < to; r++) {
      const c = runs[r * 3];
      const count = runs[r * 3 + 1];
      if (c < last || c + count > base + this.l2Entries) throw new BlockError('Linked runs must be ordered and in one L2 table', 'EINVAL');
      for (let at = (c - base) * 8; at < (c - base + count) * 8; at += 8) {
        if (t.view.getUint32(at) !== 0 || t.view.getUint32(at + 4) !== 0) throw new BlockError('Linked cluster is already allocated', 'EIO');
      }
      last = c + count;
    }
    for (let r = from; r < to; r++) {
      const at = (runs[r * 3] - base) * 8;
      const host = runs[r * 3 + 2];
      for (let j = 0; j < runs[r * 3 + 1]; j++) {
        writeU64(t.view, at + j * 8, host + j * cs);
        t.view.setUint32(at + j * 8, t.view.getUint32(at + j * 8) | COPIED_HI);
      }
    }
    this.file.writeAt(t.offset + (first - base) * 8, t.bytes.subarray((first - base) * 8, (last - base) * 8));
  }

  /**
   * Rewrites `count` entries of an L2 table in memory and on disk (one pwrite) and returns
   * the old entries as (hi, lo) pairs so the caller can release what they referenced.
   */
  private replaceEntries(t: CachedTable, idx: number, count: number,
    make: (j: number, view: DataView, at: number) => void): Uint32Array {
    const old = new Uint32Array(count * 2);
    for (let j = 0; j < count; j++) {
      const at = (idx + j) * 8;
      old[j * 2] = t.view.getUint32(at);
      old[j * 2 + 1] = t.view.getUint32(at + 4);
      make(j, t.view, at);
    }
    this.file.writeAt(t.offset + idx * 8, t.bytes.subarray(idx * 8, (idx + count) * 8));
    return old;
  }

  /** Drops one reference from every host cluster the given old entries pointed to. */
  private releaseEntries(old: Uint32Array, keepHost?: (j: number) => boolean): void {
    const cs = this.clusterSize;
    for (let j = 0; j < old.length / 2; j++) {
      const hi = old[j * 2];
      const lo = old[j * 2 + 1];
      const kind = Qcow2Driver.kind(hi, lo);
      if (kind === ClusterKind.Normal || kind === ClusterKind.ZeroAlloc) {
        if (keepHost && keepHost(j)) continue;
        this.releaseRange(Qcow2Driver.hostOffset(hi, lo), cs);
      } else if (kind === ClusterKind.Compressed) {
        const r = this.compressedRange(hi, lo);
        this.releaseRange(r.start, r.bytes);
        if (hi === this.decompressedKeyHi && lo === this.decompressedKeyLo) this.decompressedKeyHi = -1;
      }
    }
  }

  private releaseRange(offset: number, bytes: number): void {
    this.refcounts.addToRange(offset, bytes, -1);
    const cs = this.clusterSize;
    const tailCluster = Math.floor((this.compressedTail - 1) / cs);
    if (this.compressedTail && tailCluster >= Math.floor(offset / cs) && tailCluster <= Math.floor((offset + bytes - 1) / cs)) {
      this.compressedTail = 0;
    }
  }

  /** The L2 table for L1 entry `i`, allocated or copied (if shared) so it can be modified. */
  l2ForWrite(i: number): CachedTable {
    const old = this.l1Offset(i);
    if (old !== 0 && this.l1Copied(i)) return this.l2Table(i)!;
    const cs = this.clusterSize;
    const bytes = new Uint8Array(cs);
    if (old !== 0) bytes.set(this.l2Table(i)!.bytes);
    const fresh = this.refcounts.allocate(1) * cs;
    this.file.writeAt(fresh, bytes);
    this.setL1Entry(i, fresh, true);
    if (old !== 0) {
      this.refcounts.addToRange(old, cs, -1);
      this.l2Cache.drop(old);
    }
    return this.l2Cache.put(fresh, bytes);
  }

  setL1Entry(i: number, offset: number, copied: boolean): void {
    writeU64(this.l1View, i * 8, offset);
    if (copied) this.l1View.setUint32(i * 8, this.l1View.getUint32(i * 8) | COPIED_HI);
    this.file.writeAt(this.header.l1TableOffset + i * 8, this.l1.subarray(i * 8, i * 8 + 8));
  }

  /** Stores one guest cluster compressed (for `convert -c`); falls back to a plain write. */
  writeCompressed(offset: number, data: Uint8Array): void {
    const cs = this.clusterSize;
    if (offset % cs !== 0 || data.length !== cs) throw new BlockError('Compressed writes must cover one whole cluster', 'EINVAL');
    this.checkRange(offset, cs);
    this.beginWrite();
    const packed = this.header.compressionType !== 0 ? compressZstdCluster(data) : zlib().deflateRawSync(data, { windowBits: 12 });
    if (packed.length >= cs - 512) {
      this.write(offset, data);
      return;
    }
    const len = packed.length;
    let host: number;
    const tail = this.compressedTail;
    if (tail && (tail % cs) + len <= cs && this.refcounts.get(Math.floor(tail / cs)) > 0) {
      host = tail;
      this.refcounts.addToRange(host, len, 1);
    } else {
      host = this.refcounts.allocate(1) * cs;
    }
    this.file.writeAt(host, packed);
    this.compressedTail = (host + len) % cs === 0 ? 0 : host + len;
    const ci = offset / cs;
    const t = this.l2ForWrite(Math.floor(ci / this.l2Entries));
    const sectors = Math.floor((host + len - 1) / 512) - Math.floor(host / 512);
    const shift = 62 - (this.clusterBits - 8) - 32;
    const old = this.replaceEntries(t, ci % this.l2Entries, 1, (_j, view, at) => {
      view.setUint32(at, (COMPRESSED_HI | (sectors << shift) | Math.floor(host / 0x100000000)) >>> 0);
      view.setUint32(at + 4, host >>> 0);
    });
    this.releaseEntries(old);
  }

  flush(): void {
    this.file.sync();
  }

  /** Unallocates every cluster of the active image (after `commit`). */
  makeEmpty(): void {
    this.beginWrite();
    for (let i = 0; i < this.header.l1Size; i++) {
      if (this.l1Offset(i) === 0) continue;
      const t = this.l2ForWrite(i);
      const old = this.replaceEntries(t, 0, this.l2Entries, (_j, view, at) => { view.setUint32(at, 0); view.setUint32(at + 4, 0); });
      this.releaseEntries(old);
    }
  }

  /**
   * Turns zero clusters into plain ones so the image can become version 2: zeros read
   * through unallocated clusters without a backing file, else through written zeros.
   */
  expandZeroClusters(): void {
    const cs = this.clusterSize;
    for (let i = 0; i < this.header.l1Size; i++) {
      if (this.l1Offset(i) === 0) continue;
      const t = this.l2Table(i)!;
      for (let j = 0; j < this.l2Entries; j++) {
        const hi = t.view.getUint32(j * 8);
        const lo = t.view.getUint32(j * 8 + 4);
        const kind = Qcow2Driver.kind(hi, lo);
        if (kind !== ClusterKind.ZeroPlain && kind !== ClusterKind.ZeroAlloc) continue;
        const guest = (i * this.l2Entries + j) * cs;
        const w = this.l2ForWrite(i);
        if (kind === ClusterKind.ZeroAlloc && (hi & COPIED_HI)) {
          this.file.writeAt(Qcow2Driver.hostOffset(hi, lo), this.zeroCluster);
          this.replaceEntries(w, j, 1, (_k, view, at) => view.setUint32(at + 4, (lo & ~1) >>> 0));
        } else if (this.backing === null) {
          this.releaseEntries(this.replaceEntries(w, j, 1, (_k, view, at) => { view.setUint32(at, 0); view.setUint32(at + 4, 0); }));
        } else if (guest < this.header.size) {
          this.releaseEntries(this.replaceEntries(w, j, 1, (_k, view, at) => { view.setUint32(at, 0); view.setUint32(at + 4, 0); }));
          this.write(guest, this.zeroCluster.subarray(0, Math.min(cs, this.header.size - guest)));
        }
      }
    }
  }

  writeZeroes(offset: number, length: number, unmap: boolean): void {
    this.changeRange(offset, length, unmap ? 'zero-unmap' : 'zero-keep');
  }

  discard(offset: number, length: number): void {
    this.changeRange(offset, length, 'discard');
  }

  private changeRange(offset: number, length: number, mode: 'zero-unmap' | 'zero-keep' | 'discard'): void {
    this.checkRange(offset, length);
    this.beginWrite();
    const cs = this.clusterSize;
    const end = offset + length;
    const firstFull = Math.ceil(offset / cs) * cs;
    const lastFull = Math.min(Math.floor(end / cs) * cs, end);
    const zeroing = mode !== 'discard';
    if (firstFull >= lastFull) {
      if (zeroing) this.writeZeroBytes(offset, end);
      return;
    }
    if (zeroing) {
      this.writeZeroBytes(offset, firstFull);
      this.writeZeroBytes(lastFull, end);
    }
    const v3 = this.header.version >= 3;
    let g = firstFull;
    while (g < lastFull) {
      const ci = g / cs;
      const l1i = Math.floor(ci / this.l2Entries);
      const tableEnd = Math.min(lastFull, (l1i + 1) * this.l2Entries * cs);
      const count = (tableEnd - g) / cs;
      if (this.l1Offset(l1i) === 0 && (this.backing === null || mode === 'discard')) {
        g = tableEnd;
        continue;
      }
      if (!v3 && zeroing && this.backing !== null) {
        // v2 has no zero flag: zeros over a backing file must be real data.
        for (let c = g; c < tableEnd; c += cs) this.write(c, this.zeroCluster);
        g = tableEnd;
        continue;
      }
      const t = this.l2ForWrite(l1i);
      const idx = ci % this.l2Entries;
      const keep = new Uint8Array(count);
      let changed = false;
      const next = new Uint32Array(count * 2);
      for (let j = 0; j < count; j++) {
        const hi = t.view.getUint32((idx + j) * 8);
        const lo = t.view.getUint32((idx + j) * 8 + 4);
        const kind = Qcow2Driver.kind(hi, lo);
        let nhi = 0;
        let nlo = 0;
        if (!v3) {
          nhi = 0; nlo = 0;
        } else if (mode === 'zero-keep' && (kind === ClusterKind.Normal || kind === ClusterKind.ZeroAlloc) && (hi & COPIED_HI)) {
          nhi = hi; nlo = (lo | 1) >>> 0; keep[j] = 1;
        } else if (mode === 'discard' && this.backing === null && kind === ClusterKind.Unallocated) {
          nhi = 0; nlo = 0;
        } else if (mode === 'discard' && this.backing === null && kind === ClusterKind.ZeroPlain) {
          nhi = hi; nlo = lo;
        } else {
          nhi = 0; nlo = 1;
        }
        next[j * 2] = nhi;
        next[j * 2 + 1] = nlo;
        if (nhi !== hi || nlo !== lo) changed = true;
      }
      if (changed) {
        const old = this.replaceEntries(t, idx, count, (j, view, at) => {
          view.setUint32(at, next[j * 2]);
          view.setUint32(at + 4, next[j * 2 + 1]);
        });
        this.releaseEntries(old, (j) => keep[j] === 1);
      }
      g = tableEnd;
    }
  }

  private writeZeroBytes(from: number, to: number): void {
    for (let at = from; at < to; at += this.clusterSize) {
      this.write(at, this.zeroCluster.subarray(0, Math.min(this.clusterSize, to - at)));
    }
  }

  // ---- block status ---------------------------------------------------------------------

  blockStatus(offset: number, length: number): BlockStatus {
    const cs = this.clusterSize;
    const end = Math.min(offset + length, this.header.size);
    const kind = this.statusAt(offset);
    const host = this.statusHost;
    let g = (Math.floor(offset / cs) + 1) * cs;
    if (kind === ClusterKind.Unallocated && this.statusWholeTable) g = this.nextTableStart(offset);
    let expectHost = host >= 0 ? host + cs : -1;
    while (g < end) {
      const k = this.statusAt(g);
      if (k !== kind || (expectHost >= 0 && this.statusHost !== expectHost)) break;
      if (expectHost >= 0) expectHost += cs;
      g = k === ClusterKind.Unallocated && this.statusWholeTable ? this.nextTableStart(g) : g + cs;
    }
    const len = Math.min(g, end) - offset;
    const inCluster = offset % cs;
    switch (kind) {
      case ClusterKind.Normal:
        return { length: len, allocated: true, zero: false, hostOffset: host + inCluster, depth: 0 };
      case ClusterKind.Compressed:
        return { length: len, allocated: true, zero: false, depth: 0, compressed: true };
      case ClusterKind.ZeroAlloc:
        return { length: len, allocated: true, zero: true, hostOffset: host + inCluster, depth: 0 };
      case ClusterKind.ZeroPlain:
        return { length: len, allocated: true, zero: true, depth: 0 };
      default: {
        const b = this.backing;
        if (b === null) return { length: len, allocated: false, zero: true, depth: 0 };
        if (offset >= b.length) return { length: len, allocated: false, zero: true, depth: 0 };
        const s = b.blockStatus(offset, Math.min(len, b.length - offset));
        return { ...s, depth: s.depth + 1 };
      }
    }
  }

  private nextTableStart(g: number): number {
    const span = this.l2Entries * this.clusterSize;
    return (Math.floor(g / span) + 1) * span;
  }

  /** Host offset of the cluster last classified by statusAt (−1 if none). */
  private statusHost = -1;
  /** The last statusAt found no L2 table at all for its range. */
  private statusWholeTable = false;

  private statusAt(g: number): ClusterKind {
    const ci = Math.floor(g / this.clusterSize);
    const t = this.l2Table(Math.floor(ci / this.l2Entries));
    this.statusHost = -1;
    this.statusWholeTable = t === null;
    if (t === null) return ClusterKind.Unallocated;
    const idx = ci % this.l2Entries;
    const hi = t.view.getUint32(idx * 8);
    const lo = t.view.getUint32(idx * 8 + 4);
    const kind = Qcow2Driver.kind(hi, lo);
    if (kind === ClusterKind.Normal || kind === ClusterKind.ZeroAlloc) this.statusHost = Qcow2Driver.hostOffset(hi, lo);
    return kind;
  }

  // ---- resize ---------------------------------------------------------------------------

  resize(newLength: number): void {
    if (this.file.readOnly) throw new BlockError('Permission denied', 'EACCES');
    if (newLength % 512 !== 0) throw new BlockError('The new size must be a multiple of 512', 'EINVAL');
    const cs = this.clusterSize;
    const coverage = this.l2Entries * cs;
    const oldLength = this.header.size;
    if (newLength < oldLength) {
      // Free everything past the new end: whole L2 tables, then whole clusters.
      const keepTables = Math.ceil(newLength / coverage);
      for (let i = keepTables; i < this.header.l1Size; i++) {
        const off = this.l1Offset(i);
        if (off === 0) continue;
        const t = this.l2Table(i)!;
        const copied = this.l1Copied(i);
        if (copied) {
          const old = this.replaceEntries(t, 0, this.l2Entries, (_j, view, at) => { view.setUint32(at, 0); view.setUint32(at + 4, 0); });
          this.releaseEntries(old);
        }
        this.setL1Entry(i, 0, false);
        this.refcounts.addToRange(off, cs, -1);
        this.l2Cache.drop(off);
      }
      const firstFree = Math.ceil(newLength / cs) * cs;
      const tableEnd = Math.min(keepTables * coverage, oldLength);
      if (firstFree < tableEnd) {
        const ci = firstFree / cs;
        const l1i = Math.floor(ci / this.l2Entries);
        if (this.l1Offset(l1i) !== 0) {
          const t = this.l2ForWrite(l1i);
          const idx = ci % this.l2Entries;
          const count = Math.min(this.l2Entries - idx, Math.ceil((tableEnd - firstFree) / cs));
          const old = this.replaceEntries(t, idx, count, (_j, view, at) => { view.setUint32(at, 0); view.setUint32(at + 4, 0); });
          this.releaseEntries(old);
        }
      }
    } else {
      const needed = Math.ceil(newLength / coverage);
      if (needed > this.header.l1Size) this.growL1(needed);
    }
    this.header.size = newLength;
    this.writeHeaderField(24, 8, (dv) => writeU64(dv, 0, newLength));
    if (newLength < oldLength) this.truncateToLastCluster();
  }

  /** Replaces the active L1 table with a bigger copy; the header switches once it is written. */
  growL1(entries: number): void {
    if (entries * 8 > MAX_L1_BYTES) throw new BlockError('Failed to grow the L1 table: File too large', 'EFBIG');
    const cs = this.clusterSize;
    const bytes = new Uint8Array(Math.ceil((entries * 8) / cs) * cs);
    bytes.set(this.l1);
    const clusters = bytes.length / cs;
    const offset = this.refcounts.allocate(clusters) * cs;
    this.file.writeAt(offset, bytes);
    const oldOffset = this.header.l1TableOffset;
    const oldBytes = this.header.l1Size * 8;
    this.writeHeaderField(36, 12, (dv) => { dv.setUint32(0, entries); writeU64(dv, 4, offset); });
    this.header.l1Size = entries;
    this.header.l1TableOffset = offset;
    this.l1 = bytes.slice(0, entries * 8);
    this.l1View = new DataView(this.l1.buffer);
    if (oldBytes > 0) this.refcounts.addToRange(oldOffset, oldBytes, -1);
  }

  /** Cuts the file after the last cluster that still has a reference count. */
  private truncateToLastCluster(): void {
    const cs = this.clusterSize;
    let last = Math.ceil(this.file.size / cs) - 1;
    while (last > 0 && this.refcounts.get(last) === 0) last--;
    if ((last + 1) * cs < this.file.size) this.file.truncate((last + 1) * cs);
  }

  // ---- header ---------------------------------------------------------------------------

  /** Writes `len` bytes of the header at `at`, filled by `fill`, in one pwrite. */
  writeHeaderField(at: number, len: number, fill: (dv: DataView) => void): void {
    const b = new Uint8Array(len);
    fill(new DataView(b.buffer));
    this.file.writeAt(at, b);
  }

  /** Rewrites all of cluster 0 from `this.header` (backing file, features, extensions). */
  rewriteHeader(): void {
    const bytes = serializeHeader(this.header);
    this.file.writeAt(0, bytes);
  }

  private moveRefcountTable(offset: number, clusters: number): void {
    this.writeHeaderField(48, 12, (dv) => { writeU64(dv, 0, offset); dv.setUint32(8, clusters); });
    this.header.refcountTableOffset = offset;
    this.header.refcountTableClusters = clusters;
  }

  /** Clears the dirty bit once refcounts are known to be consistent. */
  markClean(): void {
    if (this.header.incompatible & INCOMPAT_DIRTY) {
      this.file.sync();
      this.header.incompatible &= ~INCOMPAT_DIRTY;
      this.writeHeaderField(72, 8, (dv) => dv.setBigUint64(0, this.header.incompatible));
    }
    this.dirtyMarked = false;
  }

  /** Reloads cached metadata after the check rebuilt structures on disk. */
  reloadMetadata(): void {
    this.header = readQcow2Header(this.file, { readOnly: this.file.readOnly, repair: true });
    this.l1 = new Uint8Array(this.header.l1Size * 8);
    this.file.readAt(this.header.l1TableOffset, this.l1);
    this.l1View = new DataView(this.l1.buffer);
    this.l2Cache.clear();
    this.refcounts.reload({
      clusterBits: this.header.clusterBits,
      refcountOrder: this.header.refcountOrder,
      tableOffset: this.header.refcountTableOffset,
      tableClusters: this.header.refcountTableClusters,
    });
    this.decompressedKeyHi = -1;
  }

  close(): void {
    try {
      if (!this.file.readOnly && this.dirtyMarked) this.markClean();
    } finally {
      this.backing?.close();
      this.file.close();
    }
  }
}
