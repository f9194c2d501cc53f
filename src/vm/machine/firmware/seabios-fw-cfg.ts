// The fw_cfg items QEMU 7.2's pc machine gives SeaBIOS (hw/i386/fw_cfg.c fw_cfg_arch_create,
// hw/nvram/fw_cfg.c's boot-menu and reboot items): CPU counts, RAM size, the e820 map,
// IRQ0 override, the NUMA word list, and the boot menu / boot order files.

import {
  FW_CFG_BOOT_MENU,
  FW_CFG_E820_TABLE,
  FW_CFG_IRQ0_OVERRIDE,
  FW_CFG_MAX_CPUS,
  FW_CFG_NB_CPUS,
  FW_CFG_NOGRAPHIC,
  FW_CFG_NUMA,
  FW_CFG_RAM_SIZE,
  FW_CFG_SMBIOS_ENTRIES,
  FW_CFG_UUID,
  type FwCfg,
} from '../../devices/fw-cfg.js';
import { E820_RAM } from './e820.js';

export interface BiosFwCfgOptions {
  ramBytes: number;
  cpus: number;
  nographic: boolean;
  /** -uuid; SeaBIOS puts it in its SMBIOS type 1 table. The nil UUID when absent. */
  uuid?: string;
  /** `-boot menu=on`. */
  bootMenu: boolean;
  /** `-boot splash-time=` in ms, only when given (QEMU adds etc/boot-menu-wait only then). */
  splashTimeMs?: number;
  /** `-boot reboot-timeout=` in ms; -1 (never) by default. */
  rebootTimeoutMs: number;
  /** OpenFirmware device paths in bootindex order; empty without bootindex properties. */
  bootOrder: readonly string[];
}

/** QEMU's legacy e820 reservation table: a count and 16 entries of 20 bytes, all unused. */
const E820_RESERVE_BYTES = 4 + 16 * 20;

export function addSeaBiosFwCfg(fwCfg: FwCfg, o: BiosFwCfgOptions): void {
  // The UUID's 16 bytes in the order its text spells them, as QEMU stores it.
  const uuid = Uint8Array.from(Buffer.from((o.uuid ?? '').replaceAll('-', '').padEnd(32, '0'), 'hex'));
  fwCfg.addBytes(FW_CFG_UUID, uuid);
  if (o.uuid !== undefined) fwCfg.addBytes(FW_CFG_SMBIOS_ENTRIES, smbiosUuidField(uuid));
  fwCfg.addU16(FW_CFG_NOGRAPHIC, o.nographic ? 1 : 0);
  fwCfg.addU16(FW_CFG_NB_CPUS, o.cpus);
  fwCfg.addU16(FW_CFG_MAX_CPUS, o.cpus);
  fwCfg.addU64(FW_CFG_RAM_SIZE, BigInt(o.ramBytes));
  fwCfg.addU32(FW_CFG_IRQ0_OVERRIDE, 1);
  fwCfg.addBytes(FW_CFG_E820_TABLE, new Uint8Array(E820_RESERVE_BYTES));
  // One word for the node count, one per possible APIC ID (no NUMA nodes).
  fwCfg.addBytes(FW_CFG_NUMA, new Uint8Array(8 * (1 + o.cpus)));
  fwCfg.addU16(FW_CFG_BOOT_MENU, o.bootMenu ? 1 : 0);

  fwCfg.addFile('etc/e820', e820File(o.ramBytes));
  if (o.bootMenu && o.splashTimeMs !== undefined) fwCfg.addFile('etc/boot-menu-wait', le(o.splashTimeMs, 2));
  fwCfg.addFile('etc/boot-fail-wait', le(o.rebootTimeoutMs, 4));
  const order = o.bootOrder.length ? new TextEncoder().encode(o.bootOrder.join('\n') + '\0') : new Uint8Array(0);
  fwCfg.addFile('bootorder', order);
}

/** SMBIOS type 1 (system) and the offset of its UUID field. */
const SMBIOS_TYPE_SYSTEM = 1;
const SMBIOS_UUID_OFFSET = 8;

/**
 * The legacy SMBIOS entry list SeaBIOS reads (a count, then fields: length, kind 0 = field,
 * table type, offset, data) with one field: the UUID of type 1. QEMU 7.2 hands SeaBIOS whole
 * tables instead and stores the UUID there in SMBIOS 2.6's encoding (the first three fields
 * little-endian); SeaBIOS copies a legacy field as it is, so termu encodes it the same way
 * and the guest reads the UUID QEMU's guests read.
 */
function smbiosUuidField(uuid: Uint8Array): Uint8Array {
  const encoded = Uint8Array.from([3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15], (i) => uuid[i]);
  const field = new DataView(new ArrayBuffer(2 + 3 + 3 + 16));
  field.setUint16(0, 1, true);
  field.setUint16(2, field.byteLength - 2, true);
  field.setUint8(4, 0);
  field.setUint8(5, SMBIOS_TYPE_SYSTEM);
  field.setUint16(6, SMBIOS_UUID_OFFSET, true);
  const out = new Uint8Array(field.buffer);
  out.set(encoded, 8);
  return out;
}

/** All RAM below 4 GiB as one entry: the firmware carves out its own reservations. */
function e820File(ramBytes: number): Uint8Array {
  const out = new DataView(new ArrayBuffer(20));
  out.setBigUint64(0, 0n, true);
  out.setBigUint64(8, BigInt(ramBytes), true);
  out.setUint32(16, E820_RAM, true);
  return new Uint8Array(out.buffer);
}

function le(value: number, bytes: 2 | 4): Uint8Array {
  const out = new DataView(new ArrayBuffer(bytes));
  if (bytes === 2) out.setUint16(0, value & 0xffff, true);
  else out.setUint32(0, value >>> 0, true);
  return new Uint8Array(out.buffer);
}
