// A host file opened for positioned synchronous I/O. Reads past the end return zeros,
// as QEMU's file driver does, so format drivers never see short reads.
import * as fs from 'node:fs';
import { BlockError, errnoText } from './block-error.js';
import { hostExtents } from './host-extents.js';

/** A run of data or of a hole in a host file, as lseek(SEEK_DATA/SEEK_HOLE) finds it. */
export interface HostExtent {
  data: boolean;
  /** Where the run ends; Infinity for the hole that runs past the end of the file. */
  end: number;
}

export class HostFile {
  private fd: number;
  private cachedSize: number;

  private constructor(readonly path: string, fd: number, readonly readOnly: boolean) {
    this.fd = fd;
    this.cachedSize = fs.fstatSync(fd).size;
  }

  /** Opens an existing regular file; errors read as qemu's file driver words them. */
  static open(path: string, readOnly: boolean): HostFile {
    if (path === '') throw new BlockError("The 'file' block driver requires a file name", 'EINVAL');
    let st: fs.Stats;
    try {
      st = fs.statSync(path);
    } catch (e) {
      throw new BlockError(`Could not open '${path}': ${errnoText((e as NodeJS.ErrnoException).code)}`, (e as NodeJS.ErrnoException).code);
    }
    if (!st.isFile() && !st.isBlockDevice()) {
      throw new BlockError(`'file' driver requires '${path}' to be a regular file`, 'EINVAL');
    }
    try {
      return new HostFile(path, fs.openSync(path, readOnly ? 'r' : 'r+'), readOnly);
    } catch (e) {
      throw new BlockError(`Could not open '${path}': ${errnoText((e as NodeJS.ErrnoException).code)}`, (e as NodeJS.ErrnoException).code);
    }
  }

  /** Creates (or truncates) a file for a new image. */
  static create(path: string): HostFile {
    try {
      return new HostFile(path, fs.openSync(path, 'w+'), false);
    } catch (e) {
      throw new BlockError(`Could not create '${path}': ${errnoText((e as NodeJS.ErrnoException).code)}`, (e as NodeJS.ErrnoException).code);
    }
  }

  get size(): number {
    return this.cachedSize;
  }

  /** Bytes the file occupies on the host (st_blocks × 512). */
  allocatedBytes(): number {
    return fs.fstatSync(this.fd).blocks * 512;
  }

  /**
   * The data run or hole that `offset` lies in, found as qemu's find_allocation() finds it;
   * null where the host cannot tell (the seek-data addon is not built, or the filesystem
   * refuses the query), so callers look for zeros by reading instead.
   */
  extentAt(offset: number): HostExtent | null {
    if (!hostExtents) return null;
    try {
      const data = hostExtents.seekData(this.fd, offset);
      if (data < 0) return { data: false, end: Infinity };
      if (data > offset) return { data: false, end: data };
      const hole = hostExtents.seekHole(this.fd, offset);
      // A hole appearing under our feet (hole == offset) is a race qemu also gives up on.
      return hole > offset ? { data: true, end: hole } : null;
    } catch {
      return null;
    }
  }

  readAt(offset: number, buf: Uint8Array): void {
    let done = 0;
    const want = buf.length;
    while (done < want) {
      const pos = offset + done;
      if (pos >= this.cachedSize) break;
      const n = fs.readSync(this.fd, buf, done, want - done, pos);
      if (n === 0) break;
      done += n;
    }
    if (done < want) buf.fill(0, done);
  }

  /** readAt() on libuv's thread pool, so a caller can overlap it with its own writes. */
  readAtAsync(offset: number, buf: Uint8Array): Promise<void> {
    const want = Math.max(0, Math.min(buf.length, this.cachedSize - offset));
    return new Promise((resolve, reject) => {
      const step = (done: number) => {
        if (done >= want) {
          buf.fill(0, done);
          resolve();
          return;
        }
        fs.read(this.fd, buf, done, want - done, offset + done, (e, n) => {
          if (e) reject(new BlockError(errnoText(e.code), e.code));
          else if (n === 0) step(want);
          else step(done + n);
        });
      };
      step(0);
    });
  }

  /** writeAt() on libuv's thread pool, so a caller can overlap it with its own reads. */
  writeAtAsync(offset: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) return Promise.reject(new BlockError('Permission denied', 'EACCES'));
    if (offset + data.length > this.cachedSize) this.cachedSize = offset + data.length;
    return new Promise((resolve, reject) => {
      const step = (done: number) => {
        if (done >= data.length) {
          resolve();
          return;
        }
        fs.write(this.fd, data, done, data.length - done, offset + done, (e, n) => {
          if (e) reject(new BlockError(errnoText(e.code), e.code));
          else step(done + n);
        });
      };
      step(0);
    });
  }

  /**
   * Writes `parts` back to back from `offset` with one pwritev on the thread pool (a short
   * write continues with what is left), so scattered buffers land in one system call.
   */
  writevAtAsync(offset: number, parts: Uint8Array[]): Promise<void> {
    if (this.readOnly) return Promise.reject(new BlockError('Permission denied', 'EACCES'));
    let total = 0;
    for (const p of parts) total += p.length;
    if (offset + total > this.cachedSize) this.cachedSize = offset + total;
    return new Promise((resolve, reject) => {
      const step = (done: number, rest: Uint8Array[]) => {
        if (done >= total) {
          resolve();
          return;
        }
        fs.writev(this.fd, rest, offset + done, (e, n) => {
          if (e || n === 0) {
            reject(new BlockError(errnoText(e?.code ?? 'EIO'), e?.code ?? 'EIO'));
            return;
          }
          let skip = n;
          let i = 0;
          while (i < rest.length && skip >= rest[i].length) skip -= rest[i++].length;
          const left = rest.slice(i);
          if (skip > 0) left[0] = left[0].subarray(skip);
          step(done + n, left);
        });
      };
      step(0, parts);
    });
  }

  writeAt(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new BlockError('Permission denied', 'EACCES');
    let done = 0;
    try {
      while (done < data.length) done += fs.writeSync(this.fd, data, done, data.length - done, offset + done);
    } catch (e) {
      throw new BlockError(errnoText((e as NodeJS.ErrnoException).code), (e as NodeJS.ErrnoException).code);
    }
    if (offset + data.length > this.cachedSize) this.cachedSize = offset + data.length;
  }

  truncate(length: number): void {
    try {
      fs.ftruncateSync(this.fd, length);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === 'ERR_OUT_OF_RANGE' ? 'EFBIG' : (e as NodeJS.ErrnoException).code;
      throw new BlockError(errnoText(code), code);
    }
    this.cachedSize = length;
  }

  sync(): void {
    if (!this.readOnly) fs.fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
