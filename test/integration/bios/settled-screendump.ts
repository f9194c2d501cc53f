// Screendumps of a guest screen taken through the HMP monitor of a QemuSession (termu or
// qemu-system-i386), compared pixel for pixel with QEMU's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QemuSession } from '../../guests/qemu-session.js';

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
