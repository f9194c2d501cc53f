// `info blockstats`: what the guest's disk, CD-ROM and floppy devices asked of their media,
// as QEMU's block accounting counts it (bytes and operations per direction, flushes, time
// spent, and time since the last request). Each drive's medium is wrapped in a counting
// BlockDriver when the machine is built, and again when `change` inserts a new one.

import type { BlockDriver, BlockStatus } from '../block/block-driver.js';
import type { BiosHardware } from './bios-hardware.js';
import { deviceName } from './pc-storage.js';

export interface IoStats {
  rdBytes: number;
  wrBytes: number;
  rdOperations: number;
  wrOperations: number;
  flushOperations: number;
  rdTotalNs: bigint;
  wrTotalNs: bigint;
  flushTotalNs: bigint;
  /** hrtime of the last request, 0n before the first. */
  lastAccessNs: bigint;
}

const newStats = (): IoStats => ({ rdBytes: 0, wrBytes: 0, rdOperations: 0, wrOperations: 0, flushOperations: 0, rdTotalNs: 0n, wrTotalNs: 0n, flushTotalNs: 0n, lastAccessNs: 0n });

/** A medium that counts the requests it passes on; the statistics belong to the drive, not the medium. */
export class CountingMedium implements BlockDriver {
  constructor(readonly inner: BlockDriver, private readonly stats: IoStats) {}

  get format(): string {
    return this.inner.format;
  }

  get length(): number {
    return this.inner.length;
  }

  get readOnly(): boolean {
    return this.inner.readOnly;
  }

  read(offset: number, buf: Uint8Array): void {
    const t = process.hrtime.bigint();
    this.inner.read(offset, buf);
    const s = this.stats;
    s.lastAccessNs = process.hrtime.bigint();
    s.rdTotalNs += s.lastAccessNs - t;
    s.rdBytes += buf.length;
    s.rdOperations++;
  }

  write(offset: number, data: Uint8Array): void {
    const t = process.hrtime.bigint();
    this.inner.write(offset, data);
    const s = this.stats;
    s.lastAccessNs = process.hrtime.bigint();
    s.wrTotalNs += s.lastAccessNs - t;
    s.wrBytes += data.length;
    s.wrOperations++;
  }

  flush(): void {
    const t = process.hrtime.bigint();
    this.inner.flush();
    const s = this.stats;
    s.lastAccessNs = process.hrtime.bigint();
    s.flushTotalNs += s.lastAccessNs - t;
    s.flushOperations++;
  }

  writeZeroes(offset: number, length: number, unmap: boolean): void {
    this.inner.writeZeroes(offset, length, unmap);
  }

  discard(offset: number, length: number): void {
    this.inner.discard(offset, length);
  }

  blockStatus(offset: number, length: number): BlockStatus {
    return this.inner.blockStatus(offset, length);
  }

  resize(newLength: number): void {
    this.inner.resize(newLength);
  }

  close(): void {
    this.inner.close();
  }
}

/** Per drive name; a drive keeps its counts across media changes, as QEMU's BlockBackend does. */
const statsByDrive = new Map<string, IoStats>();

function statsFor(name: string): IoStats {
  let s = statsByDrive.get(name);
  if (!s) statsByDrive.set(name, (s = newStats()));
  return s;
}

/** Wraps `medium` (a new one from `change`, or the one a drive starts with) to count for drive `name`. */
export function countedMedium(name: string, medium: BlockDriver): BlockDriver {
  return new CountingMedium(medium, statsFor(name));
}

/** The medium behind a counting wrapper. */
export function uncounted(medium: BlockDriver | undefined): BlockDriver | undefined {
  return medium instanceof CountingMedium ? medium.inner : medium;
}

/** Puts every drive's medium behind a counter; called once the machine's hardware is built. */
export function countBlockIo(hw: BiosHardware): void {
  for (const d of hw.storage.drives) {
    const name = deviceName(d);
    const { interface: iface, index } = d.config;
    const drive = iface === 'floppy' ? hw.storage.fdc.drives[index] : hw.storage.ide.driveAt(index >> 1, index & 1);
    if (drive?.medium) drive.medium = countedMedium(name, drive.medium);
  }
}

export function blockStats(hw: BiosHardware | undefined): string {
  if (!hw) return '';
  const now = process.hrtime.bigint();
  return hw.storage.drives
    .map((d) => {
      const name = deviceName(d);
      const s = statsFor(name);
      const idle = s.lastAccessNs === 0n ? 0n : now - s.lastAccessNs;
      return `${name}: rd_bytes=${s.rdBytes} wr_bytes=${s.wrBytes} rd_operations=${s.rdOperations} wr_operations=${s.wrOperations} flush_operations=${s.flushOperations} wr_total_time_ns=${s.wrTotalNs} rd_total_time_ns=${s.rdTotalNs} flush_total_time_ns=${s.flushTotalNs} rd_merged=0 wr_merged=0 idle_time_ns=${idle}\n`;
    })
    .join('');
}
