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
  FW_CFG_UUID,
  type FwCfg,
} from '../../devices/fw-cfg.js';
import { E820_RAM } from './e820.js';

export interface BiosFwCfgOptions {
  ramBytes: number;
  cpus: number;
  nographic: boolean;
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
  fwCfg.addBytes(FW_CFG_UUID, new Uint8Array(16));
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
