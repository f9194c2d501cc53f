// The contents QEMU's `pc` machine puts in CMOS RAM for the firmware (hw/i386/pc.c,
// pc_cmos_init): memory sizes, equipment byte, CPU count and boot order. The RTC holds
// the bytes; this file only computes them from the board's configuration.

export interface CmosConfig {
  /** RAM below 4 GiB in bytes. */
  ramBelow4g: number;
  /** RAM above 4 GiB in bytes. */
  ramAbove4g?: number;
  cpus?: number;
  /** QEMU's `-boot order=` letters: a (floppy), c (disk), d (CD-ROM), n (network); default "cad". */
  bootOrder?: string;
  /**
   * CMOS drive types of floppy drives A and B (2: 1.2 MB, 3: 720 KB, 4: 1.44 MB, 5: 2.88 MB).
   * QEMU's pc has drive A even without -fda: its empty drive falls back to 2.88 MB, so
   * boards mirroring it pass [FLOPPY_288].
   */
  floppyTypes?: number[];
  /** `-boot strict`-style floppy boot-signature check (QEMU default on). */
  floppyBootCheck?: boolean;
}

export const FLOPPY_144 = 4;
export const FLOPPY_288 = 5;

const KIB = 1024;
const MIB = 1024 * KIB;

const BOOT_DEVICE_CODE: Record<string, number> = { a: 1, b: 1, c: 2, d: 3, n: 4 };

/** Validates a boot order string; returns an error message or undefined. */
export function bootOrderError(order: string): string | undefined {
  if (order.length > 3) return `Too many boot devices for PC`;
  for (const ch of order) if (!(ch in BOOT_DEVICE_CODE)) return `Invalid boot device for PC: '${ch}'`;
  return undefined;
}

/** [index, value] pairs of the CMOS bytes QEMU's pc machine initialises. */
export function pcCmosBytes(config: CmosConfig): [number, number][] {
  const bytes: [number, number][] = [];
  const set16 = (lo: number, value: number) => bytes.push([lo, value & 0xff], [lo + 1, (value >> 8) & 0xff]);
  const below = config.ramBelow4g;
  set16(0x15, 640); // base memory in KiB
  const extended = Math.min(65535, below > MIB ? Math.floor((below - MIB) / KIB) : 0);
  set16(0x17, extended);
  set16(0x30, extended);
  const above16 = Math.min(65535, below > 16 * MIB ? Math.floor((below - 16 * MIB) / (64 * KIB)) : 0);
  set16(0x34, above16);
  const high = Math.floor((config.ramAbove4g ?? 0) / (64 * KIB));
  bytes.push([0x5b, high & 0xff], [0x5c, (high >> 8) & 0xff], [0x5d, (high >> 16) & 0xff]);
  bytes.push([0x5f, (config.cpus ?? 1) - 1]);

  const types = (config.floppyTypes ?? []).slice(0, 2);
  const floppies = types.length;
  bytes.push([0x10, ((types[0] ?? 0) << 4) | (types[1] ?? 0)]);
  let equipment = 0x02 | 0x04; // FPU present, PS/2 mouse installed
  if (floppies === 1) equipment |= 0x01;
  if (floppies >= 2) equipment |= 0x41;
  bytes.push([0x14, equipment]);

  const order = (config.bootOrder ?? 'cad').toLowerCase();
  const code = (i: number) => (i < order.length ? BOOT_DEVICE_CODE[order[i]] ?? 0 : 0);
  bytes.push([0x3d, (code(1) << 4) | code(0)]);
  bytes.push([0x38, (code(2) << 4) | (config.floppyBootCheck === false ? 1 : 0)]);
  return bytes;
}
