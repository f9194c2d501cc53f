// A floppy drive and its medium: the geometry chosen from the image size (QEMU's format
// table, restricted to what 3.5" 1.44/2.88 MB drives read), the head position and the
// disk-change line.

import type { BlockDriver } from '../../block/block-driver.js';

/** Data rates as the DSR/CCR encode them. */
export const RATE_500K = 0;
export const RATE_300K = 1;
export const RATE_250K = 2;
export const RATE_1M = 3;

export interface FloppyFormat {
  sectors: number;
  tracks: number;
  heads: number;
  rate: number;
  /** CMOS drive type of the drive that reads it: 4 = 1.44 MB, 5 = 2.88 MB. */
  driveType: number;
}

const FORMATS: FloppyFormat[] = [
  { sectors: 18, tracks: 80, heads: 2, rate: RATE_500K, driveType: 4 }, // 1.44 MB
  { sectors: 36, tracks: 80, heads: 2, rate: RATE_1M, driveType: 5 }, // 2.88 MB
  { sectors: 9, tracks: 80, heads: 2, rate: RATE_250K, driveType: 4 }, // 720 KB
  { sectors: 20, tracks: 80, heads: 2, rate: RATE_500K, driveType: 4 }, // 1.6 MB
  { sectors: 21, tracks: 80, heads: 2, rate: RATE_500K, driveType: 4 }, // 1.68 MB
  { sectors: 15, tracks: 80, heads: 2, rate: RATE_500K, driveType: 4 }, // 1.2 MB
  { sectors: 9, tracks: 40, heads: 2, rate: RATE_250K, driveType: 4 }, // 360 KB
  { sectors: 8, tracks: 40, heads: 2, rate: RATE_250K, driveType: 4 }, // 320 KB
  { sectors: 9, tracks: 40, heads: 1, rate: RATE_250K, driveType: 4 }, // 180 KB
  { sectors: 8, tracks: 40, heads: 1, rate: RATE_250K, driveType: 4 }, // 160 KB
];

/**
 * The format whose size matches the image; otherwise, like QEMU, the drive's default
 * 1.44 MB geometry (a short image then reads as zeros past its end).
 */
export function floppyFormatFor(bytes: number): FloppyFormat {
  return FORMATS.find((f) => f.sectors * f.tracks * f.heads * 512 === bytes) ?? FORMATS[0];
}

export class FloppyDrive {
  medium: BlockDriver | undefined;
  format: FloppyFormat;
  track = 0;
  head = 0;
  sector = 1;
  /** The DIR disk-change bit: set by a new medium, cleared by a seek that moves the head. */
  mediaChanged = true;
  perpendicular = 0;

  constructor(medium: BlockDriver | undefined) {
    this.medium = medium;
    this.format = floppyFormatFor(medium?.length ?? 1474560);
  }

  get readOnly(): boolean {
    return this.medium?.readOnly ?? false;
  }

  /** Linear sector index of a CHS position. */
  lba(head: number, track: number, sector: number): number {
    return (track * this.format.heads + head) * this.format.sectors + sector - 1;
  }

  recalibrate(): void {
    this.head = 0;
    this.track = 0;
    this.sector = 1;
  }

  /** Inserts (or removes, with undefined) a medium; the guest sees the disk-change line. */
  insert(medium: BlockDriver | undefined): void {
    this.medium = medium;
    if (medium) this.format = floppyFormatFor(medium.length);
    this.mediaChanged = true;
  }
}
