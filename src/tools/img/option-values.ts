// Option values qemu-img parses the same way in several commands: numbers with size
// suffixes (cvtnum) and cache modes (-t/-T), with qemu-img's error texts.
import { ImgError, PROG } from './output.js';
import { parseSize } from './sizes.js';

const INT64_MAX = (1n << 63n) - 1n;

/** qemu-img's cvtnum_full(): a size-suffixed number in [min, max], named `what` in errors. */
export function cvtnum(what: string, text: string, min = 0n, max = INT64_MAX): number {
  const v = parseSize(text);
  if (v === null) {
    throw new ImgError(`Invalid ${what} specified. You may use k, M, G, T, P or E suffixes for\n` +
      `${PROG}: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.`);
  }
  if (v < min || v > max) throw new ImgError(`Invalid ${what} specified. Must be between ${min} and ${max}.`);
  return Number(v);
}

const CACHE_MODES = ['none', 'off', 'writeback', 'unsafe', 'directsync', 'writethrough'];

/** Checks a -t/-T cache mode; termu's synchronous I/O behaves the same under all of them. */
export function checkCacheMode(mode: string): void {
  if (!CACHE_MODES.includes(mode)) throw new ImgError(`Invalid cache option: ${mode}`);
}
