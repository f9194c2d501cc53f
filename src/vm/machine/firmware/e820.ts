// The BIOS memory map (INT 15h E820) termu reports to kernels, the same as QEMU + SeaBIOS
// give on the pc machine: conventional memory below the EBDA, the F segment reserved,
// RAM from 1 MiB up to the last 128 KiB (where the ACPI tables live), and the BIOS flash
// window below 4 GiB.

export const E820_RAM = 1;
export const E820_RESERVED = 2;

export interface E820Entry {
  addr: number;
  size: number;
  type: number;
}

/** Conventional memory ends where SeaBIOS puts the EBDA. */
export const LOW_MEMORY_END = 0x9fc00;
/** The F segment: SeaBIOS's code and the RSDP. */
export const BIOS_AREA_START = 0xf0000;
/** SeaBIOS keeps the top 128 KiB of RAM for its tables (ACPI included). */
export const HIGH_TABLES_SIZE = 0x20000;

export function pcE820Map(ramBytes: number): E820Entry[] {
  return [
    { addr: 0, size: LOW_MEMORY_END, type: E820_RAM },
    { addr: LOW_MEMORY_END, size: 0xa0000 - LOW_MEMORY_END, type: E820_RESERVED },
    { addr: BIOS_AREA_START, size: 0x100000 - BIOS_AREA_START, type: E820_RESERVED },
    { addr: 0x100000, size: ramBytes - HIGH_TABLES_SIZE - 0x100000, type: E820_RAM },
    { addr: ramBytes - HIGH_TABLES_SIZE, size: HIGH_TABLES_SIZE, type: E820_RESERVED },
    { addr: 0xfffc0000, size: 0x40000, type: E820_RESERVED },
  ];
}
