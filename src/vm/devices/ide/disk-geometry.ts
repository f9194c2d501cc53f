// The CHS geometry an IDE disk reports, guessed the way QEMU's hd_geometry_guess does so
// that guests (and SeaBIOS's translation) see the same numbers under termu and QEMU: a
// partition table's end heads/sectors win if they describe a sane physical geometry,
// otherwise 16 heads and 63 sectors with as many cylinders as fit (at most 16383).

import type { BlockDriver } from '../../block/block-driver.js';

export interface DiskGeometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

export function guessDiskGeometry(disk: BlockDriver): DiskGeometry {
  const totalSectors = Math.floor(disk.length / 512);
  const fromTable = geometryFromPartitionTable(disk, totalSectors);
  if (fromTable && fromTable.heads <= 16) return fromTable;
  return geometryForSize(totalSectors);
}

function geometryForSize(totalSectors: number): DiskGeometry {
  const cylinders = Math.min(16383, Math.max(2, Math.floor(totalSectors / (16 * 63))));
  return { cylinders, heads: 16, sectors: 63 };
}

function geometryFromPartitionTable(disk: BlockDriver, totalSectors: number): DiskGeometry | undefined {
  if (disk.length < 512) return undefined;
  const mbr = new Uint8Array(512);
  disk.read(0, mbr);
  if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) return undefined;
  for (let i = 0; i < 4; i++) {
    const e = 446 + i * 16;
    const count = (mbr[e + 12] | (mbr[e + 13] << 8) | (mbr[e + 14] << 16) | (mbr[e + 15] << 24)) >>> 0;
    const endHead = mbr[e + 5];
    const endSector = mbr[e + 6] & 63;
    if (count === 0 || endSector === 0) continue;
    const heads = endHead + 1;
    const cylinders = Math.floor(totalSectors / (heads * endSector));
    if (cylinders < 1 || cylinders > 16383) continue;
    return { cylinders, heads, sectors: endSector };
  }
  return undefined;
}
