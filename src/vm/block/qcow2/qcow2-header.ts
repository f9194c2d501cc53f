// The qcow2 header (cluster 0): parsing with qemu's open-time validation and messages,
// and serialisation in the layout qemu-img 7.2 writes (header, backing-format extension,
// feature name table, end marker, backing file name).
import { BlockError } from '../block-error.js';
import type { HostFile } from '../host-file.js';

export const QCOW2_MAGIC = 0x514649fb;
export const EXT_BACKING_FORMAT = 0xe2792aca;
export const EXT_FEATURE_TABLE = 0x6803f857;
export const EXT_DATA_FILE = 0x44415441;

export const INCOMPAT_DIRTY = 1n;
export const INCOMPAT_CORRUPT = 2n;
export const INCOMPAT_DATA_FILE = 4n;
export const INCOMPAT_COMPRESSION = 8n;
export const INCOMPAT_EXTL2 = 16n;
export const COMPAT_LAZY_REFCOUNTS = 1n;

/** Incompatible bits termu understands; the others are refused at open. */
const SUPPORTED_INCOMPAT = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION;

/** qemu's limits (block/qcow2.h). */
export const MAX_L1_BYTES = 32 << 20;
export const MAX_REFTABLE_BYTES = 8 << 20;
export const MAX_SNAPSHOTS = 65536;
const MAX_IMAGE_SIZE = 2 ** 53; // JavaScript's exact-integer range; qemu allows a little more

export interface FeatureName { type: number; bit: number; name: string }
export interface HeaderExtension { type: number; data: Uint8Array }

export interface Qcow2Header {
  version: number;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatible: bigint;
  compatible: bigint;
  autoclear: bigint;
  refcountOrder: number;
  headerLength: number;
  compressionType: number;
  backingFile: string | null;
  backingFormat: string | null;
  featureTable: FeatureName[];
  /** Extensions termu does not interpret, kept when the header is rewritten. */
  otherExtensions: HeaderExtension[];
}

/** The feature names qemu-img 7.2 writes into every v3 image. */
export const QEMU_FEATURE_TABLE: FeatureName[] = [
  { type: 0, bit: 0, name: 'dirty bit' },
  { type: 0, bit: 1, name: 'corrupt bit' },
  { type: 0, bit: 2, name: 'external data file' },
  { type: 0, bit: 3, name: 'compression type' },
  { type: 0, bit: 4, name: 'extended L2 entries' },
  { type: 1, bit: 0, name: 'lazy refcounts' },
  { type: 2, bit: 0, name: 'bitmaps' },
  { type: 2, bit: 1, name: 'raw external data' },
];

export function readU64(dv: DataView, off: number): number {
  return dv.getUint32(off) * 0x100000000 + dv.getUint32(off + 4);
}

export function writeU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, Math.floor(v / 0x100000000));
  dv.setUint32(off + 4, v >>> 0);
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export interface OpenChecks {
  readOnly: boolean;
  /** Opening to repair with `check -r`: a corrupt image may then be opened read-write. */
  repair: boolean;
}

/** Reads and validates cluster 0 the way qcow2_do_open does, with its messages. */
export function readQcow2Header(file: HostFile, checks: OpenChecks): Qcow2Header {
  const fixed = new Uint8Array(112);
  file.readAt(0, fixed);
  const dv = new DataView(fixed.buffer);
  if (dv.getUint32(0) !== QCOW2_MAGIC) throw new BlockError('Image is not in qcow2 format');
  const version = dv.getUint32(4);
  if (version < 2 || version > 3) throw new BlockError(`Unsupported qcow2 version ${version}`, 'ENOTSUP');
  const clusterBits = dv.getUint32(20);
  if (clusterBits < 9 || clusterBits > 21) throw new BlockError(`Unsupported cluster size: 2^${clusterBits}`);
  const clusterSize = 2 ** clusterBits;
  const h: Qcow2Header = {
    version,
    backingFileOffset: readU64(dv, 8),
    backingFileSize: dv.getUint32(16),
    clusterBits,
    size: readU64(dv, 24),
    cryptMethod: dv.getUint32(32),
    l1Size: dv.getUint32(36),
    l1TableOffset: readU64(dv, 40),
    refcountTableOffset: readU64(dv, 48),
    refcountTableClusters: dv.getUint32(56),
    nbSnapshots: dv.getUint32(60),
    snapshotsOffset: readU64(dv, 64),
    incompatible: 0n,
    compatible: 0n,
    autoclear: 0n,
    refcountOrder: 4,
    headerLength: 72,
    compressionType: 0,
    backingFile: null,
    backingFormat: null,
    featureTable: [],
    otherExtensions: [],
  };
  if (version === 3) {
    h.incompatible = dv.getBigUint64(72);
    h.compatible = dv.getBigUint64(80);
    h.autoclear = dv.getBigUint64(88);
    h.refcountOrder = dv.getUint32(96);
    h.headerLength = dv.getUint32(100);
    if (h.headerLength < 104) throw new BlockError('qcow2 header too short');
    if (h.headerLength > clusterSize) throw new BlockError('qcow2 header exceeds cluster size');
    if (h.headerLength > 104) h.compressionType = fixed[104];
  }
  if (h.backingFileOffset > clusterSize) throw new BlockError('Invalid backing file offset');

  const extEnd = h.backingFileOffset ? h.backingFileOffset : clusterSize;
  readExtensions(file, h, extEnd);

  const unsupported = h.incompatible & ~SUPPORTED_INCOMPAT;
  if (unsupported) throw new BlockError(`Unsupported qcow2 feature(s): ${describeFeatures(h, unsupported)}`, 'ENOTSUP');
  if ((h.incompatible & INCOMPAT_CORRUPT) && !checks.readOnly && !checks.repair) {
    throw new BlockError('qcow2: Image is corrupt; cannot be opened read/write', 'EACCES');
  }
  if (h.refcountOrder > 6) throw new BlockError('Reference count entry width too large; may not exceed 64 bits');
  const compressionFlag = (h.incompatible & INCOMPAT_COMPRESSION) !== 0n;
  if (h.compressionType > 1) throw new BlockError(`Unknown compression type '${h.compressionType}'`);
  if (compressionFlag !== (h.compressionType !== 0)) {
    throw new BlockError(compressionFlag
      ? 'Compression type incompatible feature bit must not be set when compression type is zlib'
      : 'Compression type incompatible feature bit must be set when compression type is not zlib');
  }
  if (h.cryptMethod !== 0) {
    throw new BlockError(h.cryptMethod > 2 ? `Unsupported encryption method: ${h.cryptMethod}` : 'Encrypted qcow2 images are not supported', 'ENOTSUP');
  }
  if (h.refcountTableClusters === 0) throw new BlockError('Image does not contain a reference count table');
  if (h.refcountTableClusters * clusterSize > MAX_REFTABLE_BYTES) throw new BlockError('Reference count table too large');
  if (!validTable(h.refcountTableOffset, h.refcountTableClusters * clusterSize, clusterSize)) {
    throw new BlockError('Invalid reference count table offset');
  }
  if (h.nbSnapshots > MAX_SNAPSHOTS) throw new BlockError('Too many snapshots');
  if (h.nbSnapshots && !validTable(h.snapshotsOffset, 40 * h.nbSnapshots, clusterSize)) {
    throw new BlockError('Invalid snapshot table offset');
  }
  if (h.l1Size * 8 > MAX_L1_BYTES) throw new BlockError('Active L1 table too large');
  if (h.size > MAX_IMAGE_SIZE) throw new BlockError('Image is too big');
  const l2Coverage = clusterSize * (clusterSize / 8);
  if (h.l1Size < Math.ceil(h.size / l2Coverage)) throw new BlockError('L1 table is too small');
  if (h.l1Size && !validTable(h.l1TableOffset, h.l1Size * 8, clusterSize)) throw new BlockError('Invalid L1 table offset');

  if (h.backingFileOffset) {
    if (h.backingFileSize > 1023 || h.backingFileSize > clusterSize - h.backingFileOffset) {
      throw new BlockError('Backing file name too long');
    }
    const name = new Uint8Array(h.backingFileSize);
    file.readAt(h.backingFileOffset, name);
    h.backingFile = Buffer.from(name).toString('utf8');
  }
  return h;
}

function validTable(offset: number, bytes: number, clusterSize: number): boolean {
  return offset % clusterSize === 0 && offset + bytes <= 2 ** 56;
}

function readExtensions(file: HostFile, h: Qcow2Header, extEnd: number): void {
  const clusterSize = 2 ** h.clusterBits;
  const area = new Uint8Array(Math.max(0, Math.min(extEnd, clusterSize) - h.headerLength));
  file.readAt(h.headerLength, area);
  const dv = new DataView(area.buffer);
  let off = 0;
  const seen = new Set<number>();
  while (off + 8 <= area.length) {
    const type = dv.getUint32(off);
    const len = dv.getUint32(off + 4);
    off += 8;
    if (type === 0) return;
    if (len > area.length - off) throw new BlockError('Invalid extension length');
    const data = area.slice(off, off + len);
    off += Math.ceil(len / 8) * 8;
    if (seen.has(type)) continue;
    seen.add(type);
    if (type === EXT_BACKING_FORMAT) {
      if (len > 15) throw new BlockError(`ERROR: ext_backing_format: len=${len} too large (>=16)`);
      h.backingFormat = latin1(data);
    } else if (type === EXT_FEATURE_TABLE) {
      for (let i = 0; i + 48 <= data.length; i += 48) {
        const raw = data.subarray(i + 2, i + 48);
        const nul = raw.indexOf(0);
        h.featureTable.push({ type: data[i], bit: data[i + 1], name: latin1(nul < 0 ? raw : raw.subarray(0, nul)) });
      }
    } else {
      h.otherExtensions.push({ type, data });
    }
  }
}

/** qemu's report_unsupported_feature(): names from the image's table, then the unknown mask. */
function describeFeatures(h: Qcow2Header, mask: bigint): string {
  const parts: string[] = [];
  for (const f of h.featureTable) {
    const bit = 1n << BigInt(f.bit);
    if (f.type === 0 && f.bit < 64 && (mask & bit) && f.name) {
      parts.push(f.name);
      mask &= ~bit;
    }
  }
  if (mask) parts.push(`Unknown incompatible feature: ${mask.toString(16)}`);
  return parts.join(', ');
}

/**
 * Builds cluster 0's content: header, extensions, backing file name. Throws when it does
 * not fit the first cluster (qemu: "No space left in the file header").
 */
export function serializeHeader(h: Qcow2Header, withFeatureTable = true): Uint8Array {
  const clusterSize = 2 ** h.clusterBits;
  const headerLength = h.version === 2 ? 72 : Math.max(112, h.headerLength);
  const parts: Uint8Array[] = [];
  const ext = (type: number, data: Uint8Array) => {
    const e = new Uint8Array(8 + Math.ceil(data.length / 8) * 8);
    const dv = new DataView(e.buffer);
    dv.setUint32(0, type);
    dv.setUint32(4, data.length);
    e.set(data, 8);
    parts.push(e);
  };
  if (h.backingFormat) ext(EXT_BACKING_FORMAT, Buffer.from(h.backingFormat, 'latin1'));
  if (h.version === 3 && withFeatureTable) {
    const table = new Uint8Array(48 * QEMU_FEATURE_TABLE.length);
    QEMU_FEATURE_TABLE.forEach((f, i) => {
      table[i * 48] = f.type;
      table[i * 48 + 1] = f.bit;
      table.set(Buffer.from(f.name, 'latin1'), i * 48 + 2);
    });
    ext(EXT_FEATURE_TABLE, table);
  }
  for (const o of h.otherExtensions) ext(o.type, o.data);
  parts.push(new Uint8Array(8)); // end of extensions
  const extBytes = parts.reduce((n, p) => n + p.length, 0);
  const name = h.backingFile !== null ? Buffer.from(h.backingFile, 'utf8') : new Uint8Array(0);
  const backingOffset = h.backingFile !== null ? headerLength + extBytes : 0;
  const total = headerLength + extBytes + name.length;
  if (total > clusterSize || name.length > 1023) {
    // Like qemu, drop the optional feature name table when small clusters leave no room.
    if (withFeatureTable && h.version === 3 && name.length <= 1023) return serializeHeader(h, false);
    throw new BlockError('No space left in the file header', 'ENOSPC');
  }

  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, QCOW2_MAGIC);
  dv.setUint32(4, h.version);
  writeU64(dv, 8, backingOffset);
  dv.setUint32(16, name.length);
  dv.setUint32(20, h.clusterBits);
  writeU64(dv, 24, h.size);
  dv.setUint32(32, h.cryptMethod);
  dv.setUint32(36, h.l1Size);
  writeU64(dv, 40, h.l1TableOffset);
  writeU64(dv, 48, h.refcountTableOffset);
  dv.setUint32(56, h.refcountTableClusters);
  dv.setUint32(60, h.nbSnapshots);
  writeU64(dv, 64, h.snapshotsOffset);
  if (h.version === 3) {
    dv.setBigUint64(72, h.incompatible);
    dv.setBigUint64(80, h.compatible);
    dv.setBigUint64(88, h.autoclear);
    dv.setUint32(96, h.refcountOrder);
    dv.setUint32(100, headerLength);
    out[104] = h.compressionType;
  }
  let off = headerLength;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  out.set(name, off);
  h.headerLength = headerLength;
  h.backingFileOffset = backingOffset;
  h.backingFileSize = name.length;
  return out;
}
