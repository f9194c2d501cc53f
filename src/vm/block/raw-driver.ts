// The raw format: guest offset = file offset. The virtual size is the file length
// rounded up to 512, as QEMU reports it; reads past the file's end return zeros.
import type { BlockDriver, BlockStatus } from './block-driver.js';
import { BlockError } from './block-error.js';
import { HostFile } from './host-file.js';

/** Granularity at which the fallback block status looks for runs of zeros. */
const ZERO_SCAN = 4096;
/** Bytes read per system call while scanning. */
const SCAN_READ = 256 * 1024;
const ZEROS = Buffer.alloc(SCAN_READ);

export class RawDriver implements BlockDriver {
  readonly format = 'raw';
  private scratch = new Uint8Array(SCAN_READ);

  constructor(readonly file: HostFile) {}

  get readOnly(): boolean {
    return this.file.readOnly;
  }

  get length(): number {
    return Math.ceil(this.file.size / 512) * 512;
  }

  read(offset: number, buf: Uint8Array): void {
    this.file.readAt(offset, buf);
  }

  write(offset: number, data: Uint8Array): void {
    this.file.writeAt(offset, data);
  }

  flush(): void {
    this.file.sync();
  }

  writeZeroes(offset: number, length: number, _unmap: boolean): void {
    const end = Math.min(offset + length, this.file.size);
    const zeros = new Uint8Array(Math.min(1 << 20, Math.max(0, end - offset)));
    for (let pos = offset; pos < end; pos += zeros.length) {
      this.file.writeAt(pos, zeros.subarray(0, Math.min(zeros.length, end - pos)));
    }
  }

  discard(offset: number, length: number): void {
    this.writeZeroes(offset, length, true);
  }

  /**
   * As qemu's file driver: data runs are data (even when they hold zeros) and holes read as
   * zero, found with SEEK_DATA/SEEK_HOLE; the tail between the file's end and the next
   * 512-byte boundary reads as zero.
   */
  blockStatus(offset: number, length: number): BlockStatus {
    const fileEnd = this.file.size;
    const end = Math.min(offset + length, this.length);
    if (offset >= fileEnd) return { length: Math.max(end - offset, 0), allocated: true, zero: true, hostOffset: offset, depth: 0 };
    const extent = this.file.extentAt(offset);
    if (!extent) return this.scanForZeros(offset, end);
    return { length: Math.min(extent.end, end) - offset, allocated: true, zero: !extent.data, hostOffset: offset, depth: 0 };
  }

  /**
   * The fallback where the host cannot report holes (seek-data addon not built): runs of
   * all-zero 4 KiB blocks are reported as zero, the rest as data.
   */
  private scanForZeros(offset: number, end: number): BlockStatus {
    const fileEnd = this.file.size;
    const dataEnd = Math.min(end, fileEnd);
    let pos = offset;
    let zero: boolean | undefined;
    scan: while (pos < dataEnd) {
      const n = Math.min(SCAN_READ - (pos % ZERO_SCAN), dataEnd - pos);
      this.file.readAt(pos, this.scratch.subarray(0, n));
      for (let i = 0; i < n;) {
        const m = Math.min(ZERO_SCAN - ((pos + i) % ZERO_SCAN), n - i);
        const z = isZero(this.scratch.subarray(i, i + m));
        if (zero === undefined) zero = z;
        else if (z !== zero) {
          pos += i;
          break scan;
        }
        i += m;
      }
      pos += n;
    }
    if (pos === fileEnd && zero === true) pos = end;
    return { length: pos - offset, allocated: true, zero: zero ?? true, hostOffset: offset, depth: 0 };
  }

  resize(newLength: number): void {
    if (this.readOnly) throw new BlockError('Permission denied', 'EACCES');
    if (newLength > Number.MAX_SAFE_INTEGER) throw new BlockError('Could not resize file: File too large', 'EFBIG');
    try {
      this.file.truncate(newLength);
    } catch (e) {
      if (e instanceof BlockError) throw new BlockError(`Could not resize file: ${e.message}`, e.code);
      throw e;
    }
  }

  close(): void {
    this.file.close();
  }
}

/** True when every byte of buf[from, to) is zero (compared natively, 256 KiB at a time, without allocating). */
export function isZero(buf: Uint8Array, from = 0, to = buf.length): boolean {
  for (let at = from; at < to; at += SCAN_READ) {
    const n = Math.min(SCAN_READ, to - at);
    if (ZEROS.compare(buf, at, at + n, 0, n) !== 0) return false;
  }
  return true;
}
