// -uuid: QEMU's validation and error text, and `info uuid` / query-uuid printing the value,
// compared with qemu-system-i386 7.2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { HAVE_QEMU } from './qemu-monitor.js';
import { QmpMachine } from './qmp-machine.js';

const TERMU = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'bin', 'termu');
const BAD = ['bad', '', '12345678-1234-1234-1234-12345678901', '12345678123412341234123456789abc', '{12345678-1234-1234-1234-1234567890ab}', '12345678-1234-1234-1234-1234567890abc', '1234567g-1234-1234-1234-1234567890ab'];

test('a malformed -uuid: the error and exit status of qemu-system-i386', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, () => {
  for (const uuid of BAD) {
    const run = (program: string) => spawnSync(program, ['-display', 'none', '-S', '-uuid', uuid], { encoding: 'utf8', timeout: 60000, input: '' });
    const q = run('qemu-system-i386');
    const ours = run(TERMU);
    assert.equal(ours.status, q.status, uuid);
    assert.equal(q.status, 1);
    assert.equal(ours.stderr.replaceAll('termu:', 'qemu-system-i386:'), q.stderr, uuid);
  }
});

test('info uuid and query-uuid print -uuid (lower case) or the nil UUID, as qemu-system-i386 does', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const answers = async (program: string, args: string[]) => {
    const m = new QmpMachine(program, ['-S', ...args]);
    try {
      await m.start();
      return [await m.hmp('info uuid'), JSON.stringify(await m.query('query-uuid'))];
    } finally {
      m.kill();
    }
  };
  for (const args of [['-uuid', '0123ABCD-89ab-CDEF-0123-456789ABCDEF'], []]) {
    const ours = await answers(TERMU, args);
    assert.deepEqual(ours, await answers('qemu-system-i386', [...args, '-net', 'none']));
    assert.equal(ours[0], args.length ? '0123abcd-89ab-cdef-0123-456789abcdef\n' : '00000000-0000-0000-0000-000000000000\n');
  }
});

/** The UUID field of the SMBIOS type 1 (system) table the firmware built, as hex bytes. */
async function smbiosUuid(program: string, args: string[]): Promise<string> {
  const m = new QmpMachine(program, args);
  const dir = mkdtempSync(join(tmpdir(), 'termu-smbios-'));
  const read = async (addr: number, length: number) => {
    const file = join(dir, `${addr}`);
    assert.equal(await m.hmp(`pmemsave ${addr} ${length} "${file}"`), '');
    return readFileSync(file);
  };
  try {
    await m.start();
    for (const deadline = Date.now() + 60000; ; ) {
      const text = String.fromCharCode(...(await read(0xb8000, 4000)).filter((_, i) => i % 2 === 0));
      if (text.includes('No bootable device')) break;
      if (Date.now() > deadline) throw new Error(`${program}: SeaBIOS never gave up booting`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const fseg = await read(0xf0000, 0x10000);
    const anchor = fseg.indexOf('_SM_');
    assert.ok(anchor >= 0 && anchor % 16 === 0, `${program}: no SMBIOS entry point`);
    const table = await read(fseg.readUInt32LE(anchor + 0x18), fseg.readUInt16LE(anchor + 0x16));
    // Walk the structures (formatted part, then strings up to a double NUL) to type 1.
    for (let at = 0; at < table.length; ) {
      if (table[at] === 1) return table.subarray(at + 8, at + 24).toString('hex');
      at = table.indexOf(Buffer.from([0, 0]), at + table[at + 1]) + 2;
    }
    throw new Error(`${program}: no SMBIOS type 1 table`);
  } finally {
    m.kill();
  }
}

test('-uuid reaches the SMBIOS system table SeaBIOS builds, as in qemu-system-i386', { skip: !HAVE_QEMU && 'qemu-system-i386 is not installed' }, async () => {
  const args = ['-uuid', '0123abcd-89ab-cdef-0123-456789abcdef'];
  const [ours, qemu] = await Promise.all([smbiosUuid(TERMU, args), smbiosUuid('qemu-system-i386', [...args, '-net', 'none'])]);
  assert.equal(ours, qemu);
  assert.equal(ours, 'cdab2301ab89efcd0123456789abcdef', 'the first three fields little-endian, as SMBIOS 2.6 stores them');
});
