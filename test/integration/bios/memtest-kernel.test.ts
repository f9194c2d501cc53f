// memtest86+'s bzImage through termu's Linux loader (`-kernel`, no SeaBIOS) reaches its test
// screen, read from the emulated VGA text buffer through the monitor's pmemsave, and shows
// what qemu-system-i386 -kernel shows of the same file, except what describes the host CPU.

import assert from 'node:assert/strict';
import test from 'node:test';
import { ensureMemtest, MEMTEST_SCREEN } from '../../guests/memtest.js';
import { haveQemu, QEMU, QemuSession } from '../../guests/qemu-session.js';
import { TERMU } from '../test-kernels.js';

/** The test screen, fully drawn: banner, memory size, the start prompt and the key help line. */
const MEMTEST_READY = new RegExp(`${MEMTEST_SCREEN.source}[\\s\\S]*Memory\\s*:\\s*127MB[\\s\\S]*<Enter> to start testing[\\s\\S]*<ESC> Exit`);
const TIMEOUT_MS = 180_000;

/**
 * Cells that describe the (emulated) CPU and so differ by design: the CPU name after the
 * banner, clock/cache sizes and measured bandwidths in the top block, and the [PAE] flag.
 * As [row, first column, end column).
 */
const CPU_FIELDS: [number, number, number][] = [
  [0, 30, 80],
  [1, 10, 30],
  [2, 10, 30],
  [3, 10, 30],
  [4, 10, 30],
  [4, 70, 80],
  [5, 18, 30],
];

function withoutCpuFields(screen: string): string {
  const rows = screen.split('\n').map((r) => r.padEnd(80));
  for (const [row, from, to] of CPU_FIELDS) rows[row] = rows[row].slice(0, from) + ' '.repeat(to - from) + rows[row].slice(to);
  return rows.map((r) => r.trimEnd()).join('\n');
}

async function memtestScreen(emulator: string, bzImage: string): Promise<string> {
  const session = new QemuSession(['-kernel', bzImage, '-display', 'none', '-serial', 'stdio', '-m', '128'], emulator);
  try {
    // Taken as soon as the start prompt is up: a few seconds later memtest starts testing by itself.
    return await session.waitForScreen(MEMTEST_READY, TIMEOUT_MS);
  } finally {
    await session.close();
  }
}

test('memtest86+ bzImage boots with -kernel to its test screen, as on QEMU', { skip: !haveQemu() && 'qemu-system-i386 is not installed', timeout: 2 * TIMEOUT_MS }, async () => {
  const { bzImage } = await ensureMemtest();
  const expected = await memtestScreen(QEMU, bzImage);
  const actual = await memtestScreen(TERMU, bzImage);
  assert.match(actual, /termu virtual CPU/);
  assert.match(actual, /Status: Init\./);
  assert.equal(withoutCpuFields(actual), withoutCpuFields(expected));
});
