// termu's ACPI tables, found the way Linux finds them (RSDP scan of the F segment, RSDT),
// with valid checksums, and disassembled by ACPICA's iasl (acpica-tools) as the reference
// for what the FADT, MADT and DSDT say.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { writeFirmwareTables } from '../../src/vm/machine/firmware/pc-firmware.js';
import { PhysicalMemory } from '../../src/vm/machine/physical-memory.js';

const HAVE_IASL = spawnSync('sh', ['-c', 'command -v iasl']).status === 0;

function tablesIn(memory: PhysicalMemory): Map<string, Uint8Array> {
  const ram = memory.ram;
  let rsdp = -1;
  for (let a = 0xe0000; a < 0x100000; a += 16) if (Buffer.from(ram.subarray(a, a + 8)).toString('latin1') === 'RSD PTR ') rsdp = a;
  assert.ok(rsdp >= 0, 'RSDP found in the BIOS area');
  assert.equal(ram.subarray(rsdp, rsdp + 20).reduce((s, b) => (s + b) & 0xff, 0), 0, 'RSDP checksum');
  const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const table = (addr: number) => ram.slice(addr, addr + view.getUint32(addr + 4, true));
  const out = new Map<string, Uint8Array>();
  const rsdt = table(view.getUint32(rsdp + 16, true));
  out.set('RSDT', rsdt);
  for (let o = 36; o < rsdt.length; o += 4) {
    const t = table(new DataView(rsdt.buffer).getUint32(o, true));
    out.set(Buffer.from(t.subarray(0, 4)).toString('latin1'), t);
  }
  const fadt = out.get('FACP')!;
  out.set('DSDT', table(new DataView(fadt.buffer).getUint32(40, true)));
  out.set('FACS', ram.slice(new DataView(fadt.buffer).getUint32(36, true), new DataView(fadt.buffer).getUint32(36, true) + 64));
  return out;
}

test('the RSDP leads to RSDT, FADT, MADT, HPET and DSDT, all with valid checksums', () => {
  const memory = new PhysicalMemory(64 << 20);
  writeFirmwareTables(memory);
  const tables = tablesIn(memory);
  assert.deepEqual([...tables.keys()].sort(), ['APIC', 'DSDT', 'FACP', 'FACS', 'HPET', 'RSDT']);
  for (const [sig, t] of tables) if (sig !== 'FACS') assert.equal(t.reduce((s, b) => (s + b) & 0xff, 0), 0, `${sig} checksum`);
  // The tables sit in the reserved top 128 KiB of RAM, like SeaBIOS's.
  const fadtAddr = new DataView(tables.get('RSDT')!.buffer).getUint32(36, true);
  assert.ok(fadtAddr >= (64 << 20) - 0x20000);
});

test('iasl reads the FADT, MADT, HPET table and DSDT as Linux needs them', { skip: !HAVE_IASL && 'iasl (acpica-tools) is not installed' }, () => {
  const memory = new PhysicalMemory(64 << 20);
  writeFirmwareTables(memory);
  const tables = tablesIn(memory);
  const dir = mkdtempSync(join(tmpdir(), 'termu-acpi-'));
  const disassemble = (sig: string) => {
    writeFileSync(join(dir, `${sig}.dat`), tables.get(sig)!);
    const r = spawnSync('iasl', ['-d', join(dir, `${sig}.dat`)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const text = readFileSync(join(dir, `${sig}.dsl`), 'utf8');
    assert.doesNotMatch(text, /Incorrect checksum|Invalid/i);
    return text;
  };
  const fadt = disassemble('FACP');
  assert.match(fadt, /SCI Interrupt : 0009/);
  assert.match(fadt, /SMI Command Port : 000000B2/);
  assert.match(fadt, /ACPI Enable Value : F1/);
  assert.match(fadt, /PM1A Event Block Address : 00000600/);
  assert.match(fadt, /PM1A Control Block Address : 00000604/);
  assert.match(fadt, /PM Timer Block Address : 00000608/);
  assert.match(fadt, /GPE0 Block Address : 0000AFE0/);
  assert.match(fadt, /Control Method Power Button \(V1\) : 0/);
  const madt = disassemble('APIC');
  assert.match(madt, /Local Apic Address : FEE00000/);
  assert.match(madt, /Subtable Type : 01 \[I\/O APIC\][\s\S]*Address : FEC00000/);
  assert.match(madt, /Source : 00\s*\n.*Interrupt : 00000002/);
  assert.match(madt, /Subtable Type : 04 \[Local APIC NMI\]/);
  const hpet = disassemble('HPET');
  assert.match(hpet, /Hardware Block ID : 8086A201/);
  assert.match(hpet, /Space ID : 00 \[SystemMemory\][\s\S]*Address : 00000000FED00000/);
  const dsdt = disassemble('DSDT');
  assert.match(dsdt, /Name \(_S5, Package \(0x04\)/);
  assert.match(dsdt, /Name \(_CRS, ResourceTemplate \(\)[\s\S]*WordBusNumber \(ResourceProducer, MinFixed, MaxFixed, PosDecode,\s*0x0000,\s*\/\/ Granularity\s*0x0000,\s*\/\/ Range Minimum\s*0x00FF/);
  assert.match(dsdt, /WordIO \(ResourceProducer.*\s*0x0000,\s*\/\/ Granularity\s*0x0D00,\s*\/\/ Range Minimum\s*0xFFFF,/);
  assert.match(dsdt, /DWordMemory \(ResourceProducer.*\s*0x00000000,\s*\/\/ Granularity\s*0x04000000,\s*\/\/ Range Minimum\s*0xFEBFFFFF,/);
  assert.match(dsdt, /Scope \(\\_SB\)\s*\{\s*Device \(PCI0\)\s*\{\s*Name \(_HID, EisaId \("PNP0A03"\)/);
});
