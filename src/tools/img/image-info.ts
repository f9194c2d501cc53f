// `info`: what qemu's bdrv_image_info_dump prints (human) and ImageInfo (JSON).
import type { BlockDriver } from '../../vm/block/block-driver.js';
import type { HostFile } from '../../vm/block/host-file.js';
import { resolveBackingPath } from '../../vm/block/open-image.js';
import { Qcow2Driver } from '../../vm/block/qcow2/qcow2-driver.js';
import { COMPAT_LAZY_REFCOUNTS, INCOMPAT_CORRUPT, INCOMPAT_DIRTY } from '../../vm/block/qcow2/qcow2-header.js';
import { readSnapshots, type Snapshot } from '../../vm/block/qcow2/qcow2-snapshots.js';
import type { Json } from './json.js';
import { sizeToStr } from './sizes.js';

export function hostFileOf(d: BlockDriver): HostFile {
  return (d as unknown as { file: HostFile }).file;
}

export function infoJson(d: BlockDriver, filename: string): Json {
  const file = hostFileOf(d);
  const actual = file.allocatedBytes();
  if (!(d instanceof Qcow2Driver)) {
    return { 'virtual-size': d.length, filename, format: d.format, 'actual-size': actual, 'dirty-flag': false };
  }
  const h = d.header;
  const snaps = readSnapshots(d);
  const data: Record<string, Json> = h.version >= 3
    ? {
      compat: '1.1',
      'compression-type': h.compressionType ? 'zstd' : 'zlib',
      'lazy-refcounts': (h.compatible & COMPAT_LAZY_REFCOUNTS) !== 0n,
      'refcount-bits': 1 << h.refcountOrder,
      corrupt: (h.incompatible & INCOMPAT_CORRUPT) !== 0n,
      'extended-l2': false,
    }
    : { compat: '0.10', 'compression-type': 'zlib', 'refcount-bits': 16 };
  const backing = h.backingFile;
  const full = backing ? resolveBackingPath(filename, backing) : undefined;
  return {
    snapshots: snaps.length ? snaps.map(snapshotJson) : undefined,
    'backing-filename-format': backing && h.backingFormat ? h.backingFormat : undefined,
    'virtual-size': d.length,
    filename,
    'cluster-size': d.clusterSize,
    format: 'qcow2',
    'actual-size': actual,
    'format-specific': { type: 'qcow2', data },
    'full-backing-filename': full,
    'backing-filename': backing || undefined,
    'dirty-flag': (h.incompatible & INCOMPAT_DIRTY) !== 0n,
  };
}

function snapshotJson(s: Snapshot): Json {
  return {
    icount: s.icount !== null && s.icount >= 0 ? s.icount : undefined,
    'vm-clock-nsec': s.vmClockNsec % 1e9,
    name: s.name,
    'date-sec': s.dateSec,
    'date-nsec': s.dateNsec,
    'vm-clock-sec': Math.floor(s.vmClockNsec / 1e9),
    id: s.id,
    'vm-state-size': s.vmStateSize,
  };
}

const two = (n: number) => String(n).padStart(2, '0');

/** The "Snapshot list:" table (bdrv_snapshot_dump). */
export function snapshotTable(snaps: Snapshot[]): string {
  let s = 'Snapshot list:\n';
  s += `${'ID'.padEnd(10)}${'TAG'.padEnd(17)}${'VM SIZE'.padStart(8)}${'DATE'.padStart(20)}${'VM CLOCK'.padStart(13)}${'ICOUNT'.padStart(11)}\n`;
  for (const sn of snaps) {
    const t = new Date(sn.dateSec * 1000);
    const date = `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
    const secs = Math.floor(sn.vmClockNsec / 1e9);
    const clock = `${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}.${String(Math.floor((sn.vmClockNsec % 1e9) / 1e6)).padStart(3, '0')}`;
    const icount = sn.icount !== null && sn.icount >= 0 ? String(sn.icount) : '';
    s += `${sn.id.padEnd(9)} ${sn.name.padEnd(16)} ${sizeToStr(sn.vmStateSize).padStart(8)}${date.padStart(20)}${clock.padStart(13)}${icount.padStart(11)}\n`;
  }
  return s;
}

export function infoHuman(d: BlockDriver, filename: string): string {
  const actual = hostFileOf(d).allocatedBytes();
  let s = `image: ${filename}\nfile format: ${d.format}\n`;
  s += `virtual size: ${sizeToStr(d.length)} (${d.length} bytes)\n`;
  s += `disk size: ${sizeToStr(actual)}\n`;
  if (!(d instanceof Qcow2Driver)) return s;
  const h = d.header;
  s += `cluster_size: ${d.clusterSize}\n`;
  if (h.incompatible & INCOMPAT_DIRTY) s += 'cleanly shut down: no\n';
  if (h.backingFile) {
    const full = resolveBackingPath(filename, h.backingFile);
    s += `backing file: ${h.backingFile}${full !== h.backingFile ? ` (actual path: ${full})` : ''}\n`;
    if (h.backingFormat) s += `backing file format: ${h.backingFormat}\n`;
  }
  const snaps = readSnapshots(d);
  if (snaps.length) s += snapshotTable(snaps);
  s += 'Format specific information:\n';
  if (h.version >= 3) {
    s += '    compat: 1.1\n';
    s += `    compression type: ${h.compressionType ? 'zstd' : 'zlib'}\n`;
    s += `    lazy refcounts: ${(h.compatible & COMPAT_LAZY_REFCOUNTS) !== 0n}\n`;
    s += `    refcount bits: ${1 << h.refcountOrder}\n`;
    s += `    corrupt: ${(h.incompatible & INCOMPAT_CORRUPT) !== 0n}\n`;
    s += '    extended l2: false\n';
  } else {
    s += '    compat: 0.10\n    compression type: zlib\n    refcount bits: 16\n';
  }
  return s;
}
