// Where a host file's data and holes lie, through lseek(SEEK_DATA/SEEK_HOLE) as qemu's file
// driver asks. Node's fs has no SEEK_DATA, so this uses the small native addon in
// native/seek-data (built by node-gyp at `npm ci`); without it, `hostExtents` is null and
// callers fall back to finding zeros by reading.
import { createRequire } from 'node:module';

export interface HostExtents {
  /** First offset ≥ `offset` holding data, or -1 when only a hole follows (or offset ≥ EOF). */
  seekData(fd: number, offset: number): number;
  /** First offset ≥ `offset` in a hole (EOF counts as one), or -1 when offset ≥ EOF. */
  seekHole(fd: number, offset: number): number;
}

function load(): HostExtents | null {
  try {
    return createRequire(import.meta.url)('termu-seek-data') as HostExtents;
  } catch {
    return null;
  }
}

export const hostExtents: HostExtents | null = load();
