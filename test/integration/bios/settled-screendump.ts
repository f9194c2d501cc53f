// Screendumps of a guest screen taken through the HMP monitor of a QemuSession (termu or
// qemu-system-i386), compared pixel for pixel with QEMU's.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveQemu, QemuSession } from '../../guests/qemu-session.js';

const TERMU = fileURLToPath(new URL('../../../../bin/termu', import.meta.url));
/** Why a side-by-side test cannot run here (node:test's skip), or false. */
export const SIDE_BY_SIDE_SKIP = !existsSync('/usr/share/seabios/bios.bin')
  ? "Debian's seabios package is not installed"
  : !haveQemu()
    ? 'qemu-system-i386 is not installed'
    : false;

const SETTLE_POLL_MS = 500;

/**
 * Screendumps until two in a row are equal: what reaches COM1 arrives before the guest may
 * have finished drawing its screen.
 */
export async function settledScreendump(session: QemuSession, name: string, dir: string, timeoutMs: number): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  let previous: Buffer | undefined;
  for (let n = 0; ; n++) {
    const file = join(dir, `${name}-${n}.ppm`);
    assert.equal(await session.monitor(`screendump ${file}`), '');
    const dump = readFileSync(file);
    if (previous?.equals(dump)) return dump;
    if (Date.now() > deadline) throw new Error(`the screen did not settle within ${timeoutMs} ms`);
    previous = dump;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** The header of a binary PPM of the given size, as QEMU's screendump writes it. */
export function ppmHeader(width: number, height: number): string {
  return `P6\n${width} ${height}\n255\n`;
}

/** Describes where two PPMs of the same size differ, for a failure message. */
export function pixelDifferences(actual: Buffer, expected: Buffer, width: number, height: number): string {
  const offset = ppmHeader(width, height).length;
  let count = 0;
  let first = '';
  for (let i = offset; i + 2 < expected.length; i += 3) {
    if (actual[i] === expected[i] && actual[i + 1] === expected[i + 1] && actual[i + 2] === expected[i + 2]) continue;
    if (count++ === 0) {
      const pixel = (i - offset) / 3;
      const rgb = (b: Buffer): string => `(${b[i]},${b[i + 1]},${b[i + 2]})`;
      first = ` first at (${pixel % width},${Math.floor(pixel / width)}): termu ${rgb(actual)}, QEMU ${rgb(expected)}`;
    }
  }
  return `${count} pixels differ;${first}`;
}

/** The settled screens of the same guest in termu and in qemu-system-i386, run side by side. */
export interface SideBySide {
  actual: Buffer;
  expected: Buffer;
  /** QEMU's session, still running while `check` runs. */
  qemu: QemuSession;
}

/**
 * Runs bin/termu and qemu-system-i386 with the same arguments, brings both to the screen with
 * `prepare` (through COM1), takes each one's settled screendump and hands them to `check`.
 */
export async function screendumpsSideBySide(args: string[], prepare: (session: QemuSession) => Promise<void>, check: (s: SideBySide) => Promise<void> | void): Promise<void> {
  const termu = new QemuSession(args, TERMU);
  const qemu = new QemuSession(args);
  const dir = mkdtempSync(join(tmpdir(), 'termu-screendump-'));
  try {
    const [actual, expected] = await Promise.all([
      prepare(termu).then(() => settledScreendump(termu, 'termu', dir, 20_000)),
      prepare(qemu).then(() => settledScreendump(qemu, 'qemu', dir, 20_000)),
    ]);
    await check({ actual, expected, qemu });
  } finally {
    await Promise.all([termu.monitor('quit').catch(() => {}), qemu.monitor('quit').catch(() => {})]);
    await Promise.all([termu.close(), qemu.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
