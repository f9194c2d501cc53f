// QEMU's way of handing SeaBIOS its ACPI tables (hw/acpi/bios-linker-loader.c): the tables
// travel as fw_cfg files laid out from address 0, and `etc/table-loader` is a list of
// 128-byte commands telling the firmware where to allocate each file, which fields are
// pointers to relocate, and which checksums to fix afterwards. SeaBIOS then uses these
// tables instead of building its own, and (seeing the file) moves the PIIX4 PM block to
// 0x600, where QEMU's tables, and termu's, put it.

import type { FwCfg } from '../../devices/fw-cfg.js';
import { buildAcpiTables, RSDP_CHECKSUM_FIELD, RSDP_CHECKSUM_LENGTH, RSDP_RSDT_FIELD, type AcpiHardware } from './acpi-tables.js';

const TABLES_FILE = 'etc/acpi/tables';
const RSDP_FILE = 'etc/acpi/rsdp';
const LOADER_FILE = 'etc/table-loader';

const COMMAND_BYTES = 128;
const FILE_NAME_BYTES = 56;
const ALLOCATE = 1;
const ADD_POINTER = 2;
const ADD_CHECKSUM = 3;
/** Allocation zones: anywhere in high memory, or the F segment (where the RSDP is searched for). */
const ZONE_HIGH = 1;
const ZONE_FSEG = 2;

class LoaderScript {
  private readonly commands: Uint8Array[] = [];

  private command(kind: number): DataView {
    const bytes = new Uint8Array(COMMAND_BYTES);
    this.commands.push(bytes);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, kind, true);
    return view;
  }

  private static name(view: DataView, at: number, file: string): void {
    for (let i = 0; i < file.length; i++) view.setUint8(at + i, file.charCodeAt(i));
  }

  allocate(file: string, align: number, zone: number): void {
    const v = this.command(ALLOCATE);
    LoaderScript.name(v, 4, file);
    v.setUint32(4 + FILE_NAME_BYTES, align, true);
    v.setUint8(8 + FILE_NAME_BYTES, zone);
  }

  /** Adds `source`'s load address to the `size`-byte field at `offset` in `destination`. */
  addPointer(destination: string, source: string, offset: number, size: number): void {
    const v = this.command(ADD_POINTER);
    LoaderScript.name(v, 4, destination);
    LoaderScript.name(v, 4 + FILE_NAME_BYTES, source);
    v.setUint32(4 + 2 * FILE_NAME_BYTES, offset, true);
    v.setUint8(8 + 2 * FILE_NAME_BYTES, size);
  }

  /** Makes the bytes [start, start + length) of `file` sum to zero by adjusting the byte at `offset`. */
  addChecksum(file: string, offset: number, start: number, length: number): void {
    const v = this.command(ADD_CHECKSUM);
    LoaderScript.name(v, 4, file);
    v.setUint32(4 + FILE_NAME_BYTES, offset, true);
    v.setUint32(8 + FILE_NAME_BYTES, start, true);
    v.setUint32(12 + FILE_NAME_BYTES, length, true);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.commands.length * COMMAND_BYTES);
    this.commands.forEach((c, i) => out.set(c, i * COMMAND_BYTES));
    return out;
  }
}

/** Adds the ACPI tables and the loader script SeaBIOS runs to place them. */
export function addAcpiTableLoader(fwCfg: FwCfg, hardware: AcpiHardware): void {
  const blob = buildAcpiTables(hardware, 0);
  const script = new LoaderScript();
  // Every allocation first: a pointer can only be relocated once both files have addresses.
  script.allocate(RSDP_FILE, 16, ZONE_FSEG);
  script.allocate(TABLES_FILE, 64, ZONE_HIGH);
  for (const offset of blob.pointers) script.addPointer(TABLES_FILE, TABLES_FILE, offset, 4);
  script.addPointer(RSDP_FILE, TABLES_FILE, RSDP_RSDT_FIELD, 4);
  // Checksums last, over the relocated bytes (the checksum is subtracted from what is there).
  for (const [start, length] of blob.checksummed) script.addChecksum(TABLES_FILE, start + 9, start, length);
  script.addChecksum(RSDP_FILE, RSDP_CHECKSUM_FIELD, 0, RSDP_CHECKSUM_LENGTH);
  fwCfg.addFile(TABLES_FILE, blob.tables);
  fwCfg.addFile(RSDP_FILE, blob.rsdp);
  fwCfg.addFile(LOADER_FILE, script.bytes());
}
