// The ACPI tables of the pc machine, written by termu itself: RSDP, RSDT, FADT (PIIX4 PM
// block, PM timer, SCI, APM port for ACPI_ENABLE, fixed power button), FACS, MADT (LAPIC,
// IOAPIC, QEMU's interrupt overrides, LINT1 NMI), HPET and a DSDT whose AML declares the PCI
// root bridge, the PS/2 keyboard and mouse, and \_S5 (so the kernel can power off). A direct
// kernel boot gets them in memory (RSDP in the F segment, where the kernel scans); SeaBIOS
// gets them through fw_cfg's table loader (acpi-table-loader.ts), laid out from address 0.

import type { PhysicalMemory } from '../physical-memory.js';
import { buffer, device, eisaId, integer, name, pkg, resource, scope, type Aml } from './aml.js';

/** What the tables describe: the board's ACPI-visible hardware. */
export interface AcpiHardware {
  pmBase: number;
  gpe0Base: number;
  sciIrq: number;
  ioapicAddr: number;
  lapicAddr: number;
  /** Where the PCI hole starts. */
  ramBelow4g: number;
  /** The HPET's register block and its capabilities word (the event timer block ID). */
  hpet: { address: number; blockId: number };
}

/** Where a boot without firmware puts the tables. */
export interface AcpiLayout extends AcpiHardware {
  /** Where the RSDP goes (16-byte aligned, 0xe0000-0xfffff). */
  rsdpAddr: number;
  /** Where the other tables go (64-byte aligned, reserved in the e820 map). */
  tablesAddr: number;
}

const OEM_ID = 'TERMU ';
const OEM_TABLE_ID = 'TERMUPC ';

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

class TableWriter {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  ascii(at: number, s: string): void {
    for (let i = 0; i < s.length; i++) this.bytes[at + i] = s.charCodeAt(i);
  }
  u8(at: number, v: number): void {
    this.view.setUint8(at, v);
  }
  u16(at: number, v: number): void {
    this.view.setUint16(at, v, true);
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
}

/** A table with the standard 36-byte header; the checksum is filled at the end. */
function sdt(signature: string, revision: number, body: Uint8Array): Uint8Array {
  const t = new TableWriter(36 + body.length);
  t.ascii(0, signature);
  t.u32(4, t.bytes.length);
  t.u8(8, revision);
  t.ascii(10, OEM_ID);
  t.ascii(16, OEM_TABLE_ID);
  t.u32(24, 1);
  t.ascii(28, 'TRMU');
  t.u32(32, 1);
  t.bytes.set(body, 36);
  t.u8(9, checksum(t.bytes));
  return t.bytes;
}

/** The root bridge's windows, as QEMU's pc declares them: buses 0-255, I/O around the config ports, VGA memory and the PCI hole. */
function rootBridgeResources(ramBelow4g: number): Aml {
  return buffer([
    ...resource.word(2, 0x00, 0xff),
    ...resource.io(0xcf8, 8),
    ...resource.word(1, 0x0000, 0x0cf7),
    ...resource.word(1, 0x0d00, 0xffff),
    ...resource.memory32(0x000a0000, 0x000bffff),
    ...resource.memory32(ramBelow4g, 0xfebfffff),
    ...resource.endTag(),
  ]);
}

/**
 * The PIIX3 ISA bridge's PS/2 keyboard and mouse, as QEMU declares them. SeaBIOS reads the
 * DSDT it is given and skips its PS/2 setup when no PNP0303 keyboard is declared.
 */
function isaBridge(): Aml {
  const present = name('_STA', integer(0x0f));
  return device('ISA', [
    name('_ADR', integer(0x00010000)),
    device('KBD', [name('_HID', eisaId('PNP0303')), present, name('_CRS', buffer([...resource.io(0x60, 1), ...resource.io(0x64, 1), ...resource.irq(1), ...resource.endTag()]))]),
    device('MOU', [name('_HID', eisaId('PNP0F13')), present, name('_CRS', buffer([...resource.irq(12), ...resource.endTag()]))]),
  ]);
}

function dsdt(ramBelow4g: number): Uint8Array {
  const aml = [
    // With ACPI, Linux finds PCI buses, and the windows their BARs live in, only through root bridges declared here.
    ...scope('\\_SB', [
      device('PCI0', [name('_HID', eisaId('PNP0A03')), name('_ADR', integer(0)), name('_UID', integer(0)), name('_CRS', rootBridgeResources(ramBelow4g)), isaBridge()]),
    ]),
    // PIIX4's PM1 sleep type for soft-off is 0 (QEMU's \_S5 is the same).
    ...scope('\\', [name('_S5', pkg([integer(0), integer(0), integer(0), integer(0)]))]),
  ];
  return sdt('DSDT', 1, Uint8Array.from(aml));
}

function facs(): Uint8Array {
  const t = new TableWriter(64);
  t.ascii(0, 'FACS');
  t.u32(4, 64);
  return t.bytes;
}

function fadt(l: AcpiHardware, facsAddr: number, dsdtAddr: number): Uint8Array {
  const t = new TableWriter(116 - 36);
  const at = (offset: number) => offset - 36;
  t.u32(at(36), facsAddr);
  t.u32(at(40), dsdtAddr);
  t.u16(at(46), l.sciIrq);
  t.u32(at(48), 0xb2); // SMI_CMD: PIIX4's APM control port
  t.u8(at(52), 0xf1); // ACPI_ENABLE
  t.u8(at(53), 0xf0); // ACPI_DISABLE
  t.u32(at(56), l.pmBase); // PM1a_EVT_BLK
  t.u32(at(64), l.pmBase + 4); // PM1a_CNT_BLK
  t.u32(at(76), l.pmBase + 8); // PM_TMR_BLK
  t.u32(at(80), l.gpe0Base); // GPE0_BLK
  t.u8(at(88), 4); // PM1_EVT_LEN
  t.u8(at(89), 2); // PM1_CNT_LEN
  t.u8(at(91), 4); // PM_TMR_LEN
  t.u8(at(92), 4); // GPE0_BLK_LEN
  t.u16(at(96), 0xfff); // P_LVL2_LAT: C2 not supported
  t.u16(at(98), 0xfff); // P_LVL3_LAT: C3 not supported
  t.u8(at(108), 0x32); // CENTURY register in CMOS
  // WBINVD, PROC_C1, SLP_BUTTON (no sleep button), RTC_S4; PWR_BUTTON clear = fixed power button.
  t.u32(at(112), (1 << 0) | (1 << 2) | (1 << 5) | (1 << 7));
  return sdt('FACP', 1, t.bytes);
}

function madt(l: AcpiHardware): Uint8Array {
  const entries: number[][] = [];
  entries.push([0, 8, 0, 0, 1, 0, 0, 0]); // processor 0, APIC id 0, enabled
  const io = l.ioapicAddr;
  entries.push([1, 12, 0, 0, io & 0xff, (io >> 8) & 0xff, (io >> 16) & 0xff, io >>> 24, 0, 0, 0, 0]);
  // The PIT's IRQ0 arrives on IOAPIC pin 2; the SCI and the PCI IRQs are level, active high.
  const override = (irq: number, gsi: number, flags: number) => [2, 10, 0, irq, gsi, 0, 0, 0, flags, 0];
  entries.push(override(0, 2, 0));
  for (const irq of [5, 9, 10, 11]) entries.push(override(irq, irq, 0x0d));
  entries.push([4, 6, 0xff, 0, 0, 1]); // LINT1 of every processor is the NMI
  const body = new TableWriter(8 + entries.reduce((n, e) => n + e.length, 0));
  body.u32(0, l.lapicAddr);
  body.u32(4, 1); // PCAT_COMPAT: 8259s are present
  let o = 8;
  for (const e of entries) {
    body.bytes.set(e, o);
    o += e.length;
  }
  return sdt('APIC', 1, body.bytes);
}

/** The HPET description table: Linux finds the HPET only through it. */
function hpet(l: AcpiHardware): Uint8Array {
  const t = new TableWriter(20);
  t.u32(0, l.hpet.blockId);
  // Base address as a Generic Address Structure: system memory, then the 64-bit address.
  t.u32(8, l.hpet.address);
  return sdt('HPET', 1, t.bytes);
}

function rsdp(rsdtAddr: number): Uint8Array {
  const t = new TableWriter(20);
  t.ascii(0, 'RSD PTR ');
  t.ascii(9, OEM_ID);
  t.u32(16, rsdtAddr);
  t.u8(8, checksum(t.bytes));
  return t.bytes;
}

/** The tables as one blob whose addresses assume it is loaded at `base`, and the RSDP. */
export interface AcpiTableBlob {
  /** Every table but the RSDP. */
  tables: Uint8Array;
  /** The RSDP, pointing at the RSDT inside `tables`. */
  rsdp: Uint8Array;
  /** Offsets in `tables` of the 32-bit fields that hold addresses inside `tables`. */
  pointers: number[];
  /** [start, length] of each table with a header checksum (at start + 9). */
  checksummed: [number, number][];
}

/** RSDP field holding the RSDT's address, and its checksum over the first 20 bytes. */
export const RSDP_RSDT_FIELD = 16;
export const RSDP_CHECKSUM_FIELD = 8;
export const RSDP_CHECKSUM_LENGTH = 20;
const FADT_FACS_FIELD = 36;
const FADT_DSDT_FIELD = 40;
const SDT_HEADER_BYTES = 36;

/** Lays the tables out from `base` (64-byte aligned). */
export function buildAcpiTables(l: AcpiHardware, base: number): AcpiTableBlob {
  const pieces: { at: number; bytes: Uint8Array }[] = [];
  const checksummed: [number, number][] = [];
  let next = 0;
  const place = (table: Uint8Array, align: number, hasChecksum = true) => {
    next = Math.ceil(next / align) * align;
    pieces.push({ at: next, bytes: table });
    if (hasChecksum) checksummed.push([next, table.length]);
    next += table.length;
    return pieces[pieces.length - 1].at;
  };
  const facsAt = place(facs(), 64, false);
  const dsdtAt = place(dsdt(l.ramBelow4g), 16);
  const fadtAt = place(fadt(l, base + facsAt, base + dsdtAt), 16);
  const madtAt = place(madt(l), 16);
  const hpetAt = place(hpet(l), 16);
  const rsdtBody = new TableWriter(12);
  rsdtBody.u32(0, base + fadtAt);
  rsdtBody.u32(4, base + madtAt);
  rsdtBody.u32(8, base + hpetAt);
  const rsdtAt = place(sdt('RSDT', 1, rsdtBody.bytes), 16);
  const tables = new Uint8Array(next);
  for (const p of pieces) tables.set(p.bytes, p.at);
  const pointers = [fadtAt + FADT_FACS_FIELD, fadtAt + FADT_DSDT_FIELD, ...[0, 4, 8].map((i) => rsdtAt + SDT_HEADER_BYTES + i)];
  return { tables, rsdp: rsdp(base + rsdtAt), pointers, checksummed };
}

/** Writes every table for a boot without firmware; returns the RSDP's address. */
export function writeAcpiTables(memory: PhysicalMemory, l: AcpiLayout): number {
  const blob = buildAcpiTables(l, l.tablesAddr);
  memory.writeBytes(l.tablesAddr, blob.tables);
  memory.writeBytes(l.rsdpAddr, blob.rsdp);
  return l.rsdpAddr;
}
