// The ACPI tables handed to SeaBIOS through fw_cfg's etc/table-loader: running the loader
// script as SeaBIOS does (romfile_loader.c: allocate, add pointers, fix checksums) at any
// addresses must give valid tables identical to the ones termu writes for a direct boot.

import test from 'node:test';
import assert from 'node:assert/strict';
import { FwCfg } from '../../../src/vm/devices/fw-cfg.js';
import { addAcpiTableLoader } from '../../../src/vm/machine/firmware/acpi-table-loader.js';
import { buildAcpiTables } from '../../../src/vm/machine/firmware/acpi-tables.js';
import { pcAcpiHardware } from '../../../src/vm/machine/firmware/pc-firmware.js';

const HARDWARE = pcAcpiHardware(128 << 20);

function files(): Map<string, Uint8Array> {
  const captured = new Map<string, Uint8Array>();
  const fwCfg = { addFile: (name: string, data: Uint8Array) => void captured.set(name, data) } as unknown as FwCfg;
  addAcpiTableLoader(fwCfg, HARDWARE);
  return captured;
}

const cString = (b: Uint8Array, at: number) => Buffer.from(b.subarray(at, at + 56)).toString('latin1').replace(/\0.*$/s, '');
const sum = (b: Uint8Array) => b.reduce((s, x) => (s + x) & 0xff, 0);

/** SeaBIOS's loader over copies of the files; `addresses` says where each allocation lands. */
function runLoader(all: Map<string, Uint8Array>, addresses: Record<string, number>): Map<string, { at: number; data: Uint8Array }> {
  const script = all.get('etc/table-loader')!;
  assert.equal(script.length % 128, 0);
  const placed = new Map<string, { at: number; data: Uint8Array }>();
  const view = new DataView(script.buffer, script.byteOffset, script.byteLength);
  for (let o = 0; o < script.length; o += 128) {
    const command = view.getUint32(o, true);
    if (command === 1) {
      const name = cString(script, o + 4);
      const align = view.getUint32(o + 60, true);
      const zone = script[o + 64];
      assert.equal(addresses[name] % align, 0, `${name} aligned to ${align}`);
      assert.equal(zone, name === 'etc/acpi/rsdp' ? 2 : 1, `${name}'s zone`);
      placed.set(name, { at: addresses[name], data: Uint8Array.from(all.get(name)!) });
    } else if (command === 2) {
      const dest = placed.get(cString(script, o + 4))!;
      const src = placed.get(cString(script, o + 60))!;
      const offset = view.getUint32(o + 116, true);
      assert.equal(script[o + 120], 4);
      const field = new DataView(dest.data.buffer);
      field.setUint32(offset, (field.getUint32(offset, true) + src.at) >>> 0, true);
    } else if (command === 3) {
      const file = placed.get(cString(script, o + 4))!;
      const offset = view.getUint32(o + 60, true);
      const start = view.getUint32(o + 64, true);
      const length = view.getUint32(o + 68, true);
      file.data[offset] = (file.data[offset] - sum(file.data.subarray(start, start + length))) & 0xff;
    } else assert.fail(`unknown loader command ${command}`);
  }
  return placed;
}

test('etc/table-loader places the RSDP in the F segment and the tables in high memory, relocated and checksummed', () => {
  const all = files();
  assert.deepEqual([...all.keys()].sort(), ['etc/acpi/rsdp', 'etc/acpi/tables', 'etc/table-loader']);
  const tablesAt = 0x07fe0040;
  const placed = runLoader(all, { 'etc/acpi/rsdp': 0xf5b80, 'etc/acpi/tables': tablesAt });
  const rsdp = placed.get('etc/acpi/rsdp')!.data;
  const tables = placed.get('etc/acpi/tables')!.data;
  assert.equal(Buffer.from(rsdp.subarray(0, 8)).toString('latin1'), 'RSD PTR ');
  assert.equal(sum(rsdp.subarray(0, 20)), 0, 'RSDP checksum');
  // The same bytes a direct boot writes at that address: every pointer was relocated.
  const direct = buildAcpiTables(HARDWARE, tablesAt);
  assert.deepEqual(tables, direct.tables);
  assert.deepEqual(rsdp, direct.rsdp);
  // Walk RSDP → RSDT → FADT → DSDT/FACS, checking each table's checksum on the way.
  const table = (addr: number) => {
    const at = addr - tablesAt;
    const length = new DataView(tables.buffer).getUint32(at + 4, true);
    return tables.subarray(at, at + length);
  };
  const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
  const rsdt = table(u32(rsdp, 16));
  assert.equal(Buffer.from(rsdt.subarray(0, 4)).toString('latin1'), 'RSDT');
  const signatures = [];
  for (let at = 36; at < rsdt.length; at += 4) {
    const t = table(u32(rsdt, at));
    assert.equal(sum(t), 0, `checksum of ${Buffer.from(t.subarray(0, 4)).toString('latin1')}`);
    signatures.push(Buffer.from(t.subarray(0, 4)).toString('latin1'));
  }
  assert.deepEqual(signatures, ['FACP', 'APIC', 'HPET']);
  const fadt = table(u32(rsdt, 36));
  assert.equal(u32(fadt, 56), 0x600, 'PM1a_EVT_BLK where SeaBIOS moves the PM block when it sees the loader');
  assert.equal(Buffer.from(table(u32(fadt, 40)).subarray(0, 4)).toString('latin1'), 'DSDT');
  assert.equal(Buffer.from(tables.subarray(u32(fadt, 36) - tablesAt, u32(fadt, 36) - tablesAt + 4)).toString('latin1'), 'FACS');
});

test("the DSDT declares the PS/2 keyboard (SeaBIOS skips its keyboard setup when a DSDT lacks PNP0303)", () => {
  const { tables } = buildAcpiTables(HARDWARE, 0);
  // EisaId("PNP0303") as a DWordConst: 0x0c, then 41 d0 03 03.
  assert.ok(Buffer.from(tables).includes(Buffer.from([0x0c, 0x41, 0xd0, 0x03, 0x03])), 'PNP0303 is declared');
});
