// Creates a qcow2 image with qemu-img's layout: header in cluster 0, refcount table in
// cluster 1, the first refcount block in cluster 2, the L1 table from cluster 3.
import { BlockError } from '../block-error.js';
import { HostFile } from '../host-file.js';
import { COMPAT_LAZY_REFCOUNTS, INCOMPAT_COMPRESSION, serializeHeader, writeU64, type Qcow2Header } from './qcow2-header.js';
import { Qcow2Driver } from './qcow2-driver.js';

export type Preallocation = 'off' | 'metadata' | 'falloc' | 'full';

export interface Qcow2CreateOptions {
  size: number;
  clusterSize: number;
  version: 2 | 3;
  lazyRefcounts: boolean;
  refcountBits: number;
  backingFile: string | null;
  backingFormat: string | null;
  preallocation: Preallocation;
  /** 1 for zstd compressed clusters (version 3 only); zlib when absent. */
  compressionType?: number;
}

export function createQcow2(path: string, o: Qcow2CreateOptions): void {
  const clusterBits = Math.log2(o.clusterSize);
  const cs = o.clusterSize;
  const refcountOrder = Math.log2(o.refcountBits);
  const header: Qcow2Header = {
    version: o.version,
    backingFileOffset: 0,
    backingFileSize: 0,
    clusterBits,
    size: o.size,
    cryptMethod: 0,
    l1Size: Math.ceil(o.size / (cs * (cs / 8))),
    l1TableOffset: 0,
    refcountTableOffset: cs,
    refcountTableClusters: 1,
    nbSnapshots: 0,
    snapshotsOffset: 0,
    incompatible: o.compressionType ? INCOMPAT_COMPRESSION : 0n,
    compatible: o.lazyRefcounts ? COMPAT_LAZY_REFCOUNTS : 0n,
    autoclear: 0n,
    refcountOrder,
    headerLength: o.version === 3 ? 112 : 72,
    compressionType: o.compressionType ?? 0,
    backingFile: o.backingFile,
    backingFormat: o.backingFormat,
    featureTable: [],
    otherExtensions: [],
  };
  const file = HostFile.create(path);
  try {
    const cluster0 = serializeHeader(header);
    file.writeAt(0, cluster0);
    const table = new Uint8Array(cs);
    writeU64(new DataView(table.buffer), 0, 2 * cs);
    file.writeAt(cs, table);
    file.writeAt(2 * cs, new Uint8Array(cs));
    // Open the bare structure (no L1 yet) and let the allocator count and place the rest.
    const drv = new Qcow2Driver(file, { ...header, l1Size: 0 }, { readOnly: false });
    drv.refcounts.setRange(0, 3, 1);
    const l1Clusters = Math.max(1, Math.ceil((header.l1Size * 8) / cs));
    const l1Offset = drv.refcounts.allocate(l1Clusters) * cs;
    file.writeAt(l1Offset, new Uint8Array(Math.max(8, header.l1Size * 8)));
    header.l1TableOffset = l1Offset;
    file.writeAt(0, serializeHeader(header));
    if (o.preallocation !== 'off') preallocate(file, header, o.preallocation);
  } catch (e) {
    file.close();
    throw e;
  }
  file.close();
}

/** Allocates every L2 table and data cluster (qemu's preallocation=metadata/falloc/full). */
function preallocate(file: HostFile, header: Qcow2Header, mode: Preallocation): void {
  const drv = new Qcow2Driver(file, header, { readOnly: false });
  const cs = drv.clusterSize;
  const clusters = Math.ceil(header.size / cs);
  for (let l1i = 0; l1i * drv.l2Entries < clusters; l1i++) {
    const t = drv.l2ForWrite(l1i);
    const count = Math.min(drv.l2Entries, clusters - l1i * drv.l2Entries);
    const host = drv.refcounts.allocate(count) * cs;
    for (let j = 0; j < count; j++) {
      writeU64(t.view, j * 8, host + j * cs);
      t.view.setUint32(j * 8, t.view.getUint32(j * 8) | 0x80000000);
    }
    if (mode === 'full') {
      const zeros = new Uint8Array(Math.min(count * cs, 1 << 20));
      for (let done = 0; done < count * cs; done += zeros.length) {
        file.writeAt(host + done, zeros.subarray(0, Math.min(zeros.length, count * cs - done)));
      }
    }
    file.writeAt(t.offset, t.bytes.subarray(0, count * 8));
    if (mode !== 'full') {
      const end = host + count * cs;
      if (file.size < end) file.truncate(end);
    }
  }
  if (file.size < 0) throw new BlockError('Input/output error', 'EIO');
}
