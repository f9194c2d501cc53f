// The raw format: guest offset = file offset. The virtual size is the file length
// rounded up to 512, as QEMU reports it; reads past the file's end return zeros.
import type { BlockDriver, BlockStatus } from './block-driver.js';
import { BlockError } from './block-error.js';
import { HostFile } from './host-file.js';

/** Granularity at which block status looks for runs of zeros (Node has no SEEK_HOLE). */
const ZERO_SCAN = 4096;

export class RawDriver implements BlockDriver {
  readonly format = 'raw';
  private scratch = new Uint8Array(ZERO_SCAN);

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
   * Reports runs of all-zero 4 KiB blocks as zero and the rest as data (Node cannot ask for
   * holes); the tail between the file's end and the next 512-byte boundary reads as zero.
   */
  blockStatus(offset: number, length: number): BlockStatus {
    const fileEnd = this.file.size;
    const end = Math.min(offset + length, this.length);
    if (offset >= fileEnd) return { length: Math.max(end - offset, 0), allocated: true, zero: true, hostOffset: offset, depth: 0 };
    const dataEnd = Math.min(end, fileEnd);
    let pos = offset;
    let zero: boolean | undefined;
    while (pos < dataEnd) {
      const n = Math.min(ZERO_SCAN - (pos % ZERO_SCAN), dataEnd - pos);
      const chunk = this.scratch.subarray(0, n);
      this.file.readAt(pos, chunk);
      const z = isZero(chunk);
      if (zero === undefined) zero = z;
      else if (z !== zero) break;
      pos += n;
    }
    if (pos === fileEnd && zero === true) pos = end;
    return { length: pos - offset, allocated: true, zero: zero ?? true, hostOffset: offset, depth: 0 };
  }

  resize(newLength: number): void {
    if (this.readOnly) throw new BlockError('Permission denied', 'EACCES');
    this.file.truncate(newLength);
  }

  close(): void {
    this.file.close();
  }
}

export function isZero(buf: Uint8Array): boolean {
  // Compare 32 bits at a time where the view is aligned; most buffers are.
  if ((buf.byteOffset & 3) === 0) {
    const words = buf.length >>> 2;
    const w = new Uint32Array(buf.buffer, buf.byteOffset, words);
    for (let i = 0; i < words; i++) if (w[i] !== 0) return false;
    for (let i = words << 2; i < buf.length; i++) if (buf[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
