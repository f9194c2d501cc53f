// Every PCI function of the pc machine, as the guest sees it after SeaBIOS: a boot sector
// (boot-programs/pci-config-dump.asm) booted from a floppy prints the 256-byte
// configuration space of each function on COM1 and powers off. termu's dump must equal
// qemu-system-i386's byte for byte, except where QEMU has hardware termu does not model.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { haveQemu, QEMU } from '../../guests/qemu-session.js';
import { REPO, TERMU } from '../test-kernels.js';
import { HAVE_SEABIOS } from './bios-test-machine.js';

const skip = !HAVE_SEABIOS
  ? "Debian's seabios package is not installed"
  : !haveQemu()
    ? 'qemu-system-i386 is not installed'
    : spawnSync('nasm', ['-v']).status !== 0 && 'nasm is not installed';

const FLOPPY_BYTES = 1_474_560;
const DEVFN_HOST = 0x00;
const DEVFN_PM = 0x0b;

/**
 * Bytes that differ for a stated reason (devfn → offsets):
 * - 00:00.0 0x72 SMRAM: QEMU's TCG CPU has SMM, so SeaBIOS relocates SMBASE and sets G_SMRAME;
 *   termu's CPU has none and marks SMM as done, as QEMU does for a machine without SMM.
 */
const EXPECTED_DIFFERENCES = new Map<number, number[]>([
  [DEVFN_HOST, [0x72]],
]);

function parseDump(text: string): Map<number, Uint8Array> {
  const end = text.indexOf('PCI DUMP END');
  assert.ok(end >= 0, `the dump did not finish:\n${text}`);
  const functions = new Map<number, Uint8Array>();
  // split() with a capture group alternates: text before, devfn, its dwords, devfn, …
  const parts = text.slice(0, end).replace(/\r/g, '').split(/^([0-9a-f]{2}):$/m);
  for (let i = 1; i < parts.length; i += 2) {
    const words = parts[i + 1].trim().split(/\s+/).map((w) => parseInt(w, 16));
    assert.equal(words.length, 64, `function ${parts[i]} has ${words.length} dwords`);
    const bytes = new Uint8Array(256);
    const view = new DataView(bytes.buffer);
    words.forEach((w, n) => view.setUint32(n * 4, w, true));
    functions.set(parseInt(parts[i], 16), bytes);
  }
  return functions;
}

function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'latin1', timeout: 120_000 });
  assert.equal(r.status, 0, `${command} exited with ${r.status} (${r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const slotName = (devfn: number) => `00:${(devfn >> 3).toString(16).padStart(2, '0')}.${devfn & 7}`;

test("every PCI function's config space after SeaBIOS equals QEMU's", { skip, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-pci-config-'));
  const program = join(dir, 'pci-config-dump.bin');
  run('nasm', ['-f', 'bin', '-o', program, join(REPO, 'test', 'integration', 'bios', 'boot-programs', 'pci-config-dump.asm')]);
  const floppy = Buffer.alloc(FLOPPY_BYTES);
  readFileSync(program).copy(floppy);
  writeFileSync(join(dir, 'floppy.img'), floppy);
  const common = ['-drive', `file=${join(dir, 'floppy.img')},format=raw,if=floppy`, '-boot', 'a', '-display', 'none', '-serial', 'stdio', '-m', '128'];
  // QEMU's pc also has a NIC and a parallel port by default; termu has neither.
  const expected = parseDump(run(QEMU, [...common, '-net', 'none', '-parallel', 'none']));
  const actual = parseDump(run(TERMU, common));
  rmSync(dir, { recursive: true, force: true });

  assert.deepEqual([...actual.keys()].map(slotName), [...expected.keys()].map(slotName));
  for (const [devfn, want] of expected) {
    const got = actual.get(devfn)!;
    const allowed = EXPECTED_DIFFERENCES.get(devfn) ?? [];
    const differences: string[] = [];
    for (let offset = 0; offset < 256; offset++) {
      if (got[offset] !== want[offset] && !allowed.includes(offset)) {
        differences.push(`0x${offset.toString(16)}: termu ${got[offset].toString(16)}, QEMU ${want[offset].toString(16)}`);
      }
    }
    assert.deepEqual(differences, [], `${slotName(devfn)} differs`);
    // Every function carries QEMU's subsystem ids (Red Hat, QEMU).
    assert.equal(new DataView(got.buffer).getUint32(0x2c, true), 0x11001af4, `${slotName(devfn)} subsystem`);
  }
  // The known difference is a real one, not padding for a dump that never differs.
  assert.notEqual(actual.get(DEVFN_HOST)![0x72], expected.get(DEVFN_HOST)![0x72]);
  // SeaBIOS put the PM block at 0x600 on both: it found QEMU's ACPI table loader in fw_cfg.
  assert.equal(new DataView(actual.get(DEVFN_PM)!.buffer).getUint32(0x40, true), 0x601);
});
