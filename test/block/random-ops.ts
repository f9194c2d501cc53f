// Random guest I/O through the block layer, mirrored into a flat reference buffer, for
// interop and crash tests. Deterministic for a given seed.
import type { BlockDriver } from '../../src/vm/block/block-driver.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

export interface OpMix {
  /** Largest single request in bytes. */
  maxLength: number;
  /** Cluster size of the image, for discards (which only act on whole clusters). */
  clusterSize: number;
}

/** Performs one random write, zero-write or discard; `ref` (if given) tracks the expected content. */
export function randomOp(d: BlockDriver, ref: Uint8Array | null, next: () => number, mix: OpMix, tag: number): void {
  const len = 1 + Math.floor(next() * mix.maxLength);
  const off = Math.floor(next() * Math.max(1, d.length - len));
  const kind = next();
  if (kind < 0.7) {
    const data = new Uint8Array(len);
    const fill = 1 + (tag % 251);
    for (let i = 0; i < len; i += 509) data.fill(fill, i, Math.min(len, i + 500));
    d.write(off, data);
    ref?.set(data, off);
  } else if (kind < 0.85) {
    d.writeZeroes(off, len, next() < 0.5);
    ref?.fill(0, off, off + len);
  } else {
    d.discard(off, len);
    const a = Math.ceil(off / mix.clusterSize) * mix.clusterSize;
    const e = Math.floor((off + len) / mix.clusterSize) * mix.clusterSize;
    // Discarded clusters read as zeros in v3 images (zero flag), as tested images are.
    if (e > a) ref?.fill(0, a, e);
  }
}
