// What termu's built-in "firmware" leaves in memory for a directly booted kernel: the
// ACPI tables (top of RAM, reserved) with the RSDP in the F segment, and a GDT with
// flat code and data descriptors at QEMU's/Linux's boot selectors 0x10 and 0x18.

import { IOAPIC_DEFAULT_BASE } from '../../devices/apic/ioapic.js';
import { APIC_DEFAULT_BASE } from '../../devices/apic/local-apic.js';
import { HPET_BASE, HPET_BLOCK_ID } from '../../devices/hpet.js';
import { enterFlatProtectedMode, type BoardCpu } from '../board-cpu.js';
import type { PhysicalMemory } from '../physical-memory.js';
import { writeAcpiTables, type AcpiHardware } from './acpi-tables.js';
import { BIOS_AREA_START, HIGH_TABLES_SIZE } from './e820.js';

export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;
/** The boot GDT lives in the reserved F segment, after the RSDP. */
const GDT_ADDR = BIOS_AREA_START + 0x100;
const PM_BASE = 0x600;
const GPE0_BASE = 0xafe0;
const SCI_IRQ = 9;

/** The pc board's hardware as its ACPI tables describe it, with or without SeaBIOS. */
export function pcAcpiHardware(ramBelow4g: number): AcpiHardware {
  return {
    pmBase: PM_BASE,
    gpe0Base: GPE0_BASE,
    sciIrq: SCI_IRQ,
    ioapicAddr: IOAPIC_DEFAULT_BASE,
    lapicAddr: APIC_DEFAULT_BASE,
    ramBelow4g,
    hpet: { address: HPET_BASE, blockId: HPET_BLOCK_ID },
  };
}

export function writeFirmwareTables(memory: PhysicalMemory): { rsdp: number } {
  const rsdp = writeAcpiTables(memory, { ...pcAcpiHardware(memory.ramSize), rsdpAddr: BIOS_AREA_START, tablesAddr: memory.ramSize - HIGH_TABLES_SIZE });
  const gdt = new DataView(new ArrayBuffer(32));
  // Entries 2 and 3: base 0, limit 4 GiB, 32-bit; code execute/read, data read/write.
  gdt.setUint32(16, 0x0000ffff, true);
  gdt.setUint32(20, 0x00cf9a00, true);
  gdt.setUint32(24, 0x0000ffff, true);
  gdt.setUint32(28, 0x00cf9200, true);
  memory.writeBytes(GDT_ADDR, new Uint8Array(gdt.buffer));
  return { rsdp };
}

/** 32-bit protected mode, paging off, interrupts off, flat segments from the boot GDT. */
export function enterKernel(cpu: BoardCpu, eip: number): void {
  enterFlatProtectedMode(cpu, BOOT_CS, BOOT_DS, GDT_ADDR, 31);
  cpu.eip = eip;
  cpu.halted = false;
}
