// One device on an IDE channel: an ATA hard disk or an ATAPI CD-ROM over the block layer,
// with the IDENTIFY (PACKET) DEVICE data it reports. Strings and capability words follow
// QEMU's ide_identify/ide_atapi_identify so guests see a familiar drive.

import type { BlockDriver } from '../../block/block-driver.js';
import { type DiskGeometry, guessDiskGeometry } from './disk-geometry.js';
import { loadFields, saveFields } from './saved-fields.js';

export const SECTOR_SIZE = 512;
export const CD_SECTOR_SIZE = 2048;
/** Sectors per block in READ/WRITE MULTIPLE that the disk offers (QEMU's MAX_MULT_SECTORS). */
export const MAX_MULTIPLE_SECTORS = 16;
const FIRMWARE_REVISION = '2.5+';

export type DriveKind = 'disk' | 'cdrom';

/** What a drive remembers besides its medium (the medium itself is the block layer's). */
const DRIVE_FIELDS = ['trayOpen', 'trayLocked', 'mediaChangeStage', 'newMediaEvent', 'ejectRequestEvent', 'senseKey', 'asc', 'identifyData'];

export class IdeDrive {
  /** Disks: CHS geometry. CD-ROMs: unused. */
  readonly geometry: DiskGeometry;
  /** Media for a CD-ROM (undefined when empty); always set for a disk. */
  medium: BlockDriver | undefined;
  /** ATAPI state that survives commands: tray, lock, media-change bookkeeping. */
  trayOpen = false;
  trayLocked = false;
  /** 1: report "no medium" on the next command, 2: then unit attention (QEMU's cdrom_changed). */
  mediaChangeStage = 0;
  newMediaEvent = false;
  ejectRequestEvent = false;
  /** Sense data of the last ATAPI command, for REQUEST SENSE. */
  senseKey = 0;
  asc = 0;

  constructor(
    readonly kind: DriveKind,
    medium: BlockDriver | undefined,
    /** 1-based index shown in the serial number ("QM00001"), like QEMU's unit numbering. */
    readonly serialIndex: number,
  ) {
    this.medium = medium;
    this.geometry = kind === 'disk' && medium ? guessDiskGeometry(medium) : { cylinders: 0, heads: 0, sectors: 0 };
  }

  saveState(): object {
    return saveFields(this, DRIVE_FIELDS);
  }

  loadState(state: object): void {
    const st = state as Record<string, unknown>;
    loadFields(this, st, DRIVE_FIELDS.filter((k) => k !== 'identifyData'));
    this.identifyData = st.identifyData instanceof Uint8Array ? st.identifyData.slice() : undefined;
  }

  get readOnly(): boolean {
    return this.kind === 'cdrom' || (this.medium?.readOnly ?? true);
  }

  /** Capacity in 512-byte sectors (disks) or 2048-byte blocks (CD-ROMs). */
  get sectorCount(): number {
    if (!this.medium) return 0;
    return Math.floor(this.medium.length / (this.kind === 'disk' ? SECTOR_SIZE : CD_SECTOR_SIZE));
  }

  get mediumPresent(): boolean {
    return this.medium !== undefined && !this.trayOpen;
  }

  /**
   * The 256-word IDENTIFY DEVICE (disk) or IDENTIFY PACKET DEVICE (CD-ROM) block. Like
   * QEMU, it is built once and later changed only by SET FEATURES, so word 59 keeps the
   * multiple count of the first IDENTIFY.
   */
  identify(multipleSectors: number): Uint8Array {
    this.identifyData ??= this.buildIdentify(multipleSectors);
    return this.identifyData;
  }

  /** SET FEATURES 03h: records the selected PIO/DMA/UDMA mode in words 62, 63 and 88. */
  setTransferMode(nsector: number): boolean {
    const words = new Uint16Array(this.identify(MAX_MULTIPLE_SECTORS).buffer);
    const bit = 1 << ((nsector & 7) + 8);
    let [w62, w63, w88] = [0x07, 0x07, 0x3f];
    switch (nsector >>> 3) {
      case 0x00:
      case 0x01:
        break;
      case 0x02:
        w62 |= bit;
        break;
      case 0x04:
        w63 |= bit;
        break;
      case 0x08:
        w88 |= bit;
        break;
      default:
        return false;
    }
    words[62] = w62;
    words[63] = w63;
    words[88] = w88;
    return true;
  }

  /** SET FEATURES 02h/82h: the write cache bit in word 85. */
  setWriteCache(enabled: boolean): void {
    const words = new Uint16Array(this.identify(MAX_MULTIPLE_SECTORS).buffer);
    words[85] = enabled ? words[85] | (1 << 5) : words[85] & ~(1 << 5);
  }

  private identifyData: Uint8Array | undefined;

  private buildIdentify(multipleSectors: number): Uint8Array {
    const words = new Uint16Array(256);
    const put = (i: number, v: number) => (words[i] = v & 0xffff);
    putString(words, 10, 20, `QM${String(this.serialIndex).padStart(5, '0')}`);
    putString(words, 23, 8, FIRMWARE_REVISION);
    if (this.kind === 'cdrom') {
      put(0, (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5)); // ATAPI, CD-ROM, removable, 50 us DRQ, 12-byte packets
      put(20, 3);
      put(21, 512);
      put(22, 4);
      putString(words, 27, 40, 'QEMU DVD-ROM');
      put(48, 1);
      put(49, (1 << 9) | (1 << 8)); // LBA, DMA
      put(53, 7);
      put(62, 7);
      put(63, 7);
      put(64, 3);
      put(65, 0xb4);
      put(66, 0xb4);
      put(67, 0x12c);
      put(68, 0xb4);
      put(71, 30);
      put(72, 30);
      put(80, 0x1e); // ATAPI-1 to ATAPI-4
      put(88, 0x3f | (1 << 13));
      return new Uint8Array(words.buffer);
    }
    const { cylinders, heads, sectors } = this.geometry;
    const total = this.sectorCount;
    const chsCapacity = cylinders * heads * sectors;
    const lba28 = Math.min(total, 0x0fffffff);
    put(0, 0x0040); // fixed, non-removable
    put(1, cylinders);
    put(3, heads);
    put(4, SECTOR_SIZE * sectors);
    put(5, SECTOR_SIZE);
    put(6, sectors);
    put(20, 3);
    put(21, 512);
    put(22, 4);
    putString(words, 27, 40, 'QEMU HARDDISK');
    put(47, 0x8000 | MAX_MULTIPLE_SECTORS);
    put(48, 1);
    put(49, (1 << 11) | (1 << 9) | (1 << 8)); // IORDY, LBA, DMA
    put(51, 0x200);
    put(52, 0x200);
    put(53, 1 | (1 << 1) | (1 << 2)); // words 54-58, 64-70 and 88 are valid
    put(54, cylinders);
    put(55, heads);
    put(56, sectors);
    put(57, chsCapacity);
    put(58, chsCapacity >>> 16);
    if (multipleSectors) put(59, 0x100 | multipleSectors);
    put(60, lba28);
    put(61, lba28 >>> 16);
    put(62, 0x07);
    put(63, 0x07);
    put(64, 0x03);
    put(65, 120);
    put(66, 120);
    put(67, 120);
    put(68, 120);
    put(69, 1 << 14); // deterministic read after TRIM
    put(80, 0xf0); // ATA-4 to ATA-7
    put(81, 0x16);
    put(82, (1 << 14) | (1 << 5) | 1); // NOP, write cache, SMART
    put(83, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10)); // FLUSH CACHE EXT, FLUSH CACHE, LBA48
    put(84, 1 << 14);
    put(85, (1 << 14) | (1 << 5) | 1);
    put(86, (1 << 13) | (1 << 12) | (1 << 10));
    put(87, 1 << 14);
    put(88, 0x3f | (1 << 13)); // UDMA 0-5, UDMA5 selected
    put(93, 1 | (1 << 14) | 0x2000);
    put(100, total);
    put(101, total / 0x10000);
    put(102, total / 0x100000000);
    put(103, total / 0x1000000000000);
    put(106, 0x6000); // valid; one logical sector per physical sector
    put(169, 1); // DATA SET MANAGEMENT (TRIM)
    return new Uint8Array(words.buffer);
  }
}

/** ATA strings: space padded, two characters per word, the first in the high byte. */
function putString(words: Uint16Array, first: number, length: number, text: string): void {
  for (let i = 0; i < length; i += 2) {
    const hi = i < text.length ? text.charCodeAt(i) : 0x20;
    const lo = i + 1 < text.length ? text.charCodeAt(i + 1) : 0x20;
    words[first + i / 2] = (hi << 8) | lo;
  }
}
