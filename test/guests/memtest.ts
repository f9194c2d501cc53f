// memtest86+ from Debian's i386 package in the three forms a PC boots it: the El Torito
// ISO Debian ships, a 1.44 MB floppy image (memtest.bin carries its own floppy boot sector)
// and the same memtest.bin as a bzImage for `-kernel` (it speaks the Linux boot protocol).
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebianArchive } from './debian-archive.js';
import { buildOnce, cacheKey } from './guest-cache.js';

export interface MemtestImages {
  iso: string;
  floppy: string;
  bzImage: string;
  version: string;
}

/** What memtest86+ shows on its VGA screen once it has started. */
export const MEMTEST_SCREEN = /Memtest86\+ v\d/;

const FLOPPY_BYTES = 1_474_560;

export async function ensureMemtest(): Promise<MemtestImages> {
  const archive = new DebianArchive();
  await archive.refresh();
  const pkg = await archive.resolve('memtest86+');
  const builder = readFileSync(new URL(import.meta.url), 'utf8');
  const dir = await buildOnce(`memtest86+-${pkg.version}-${cacheKey(pkg.version, builder)}`, async (out) => {
    const root = join(out, 'unpacked');
    await archive.extract(await archive.fetch(pkg), root);
    const bin = readFileSync(join(root, 'boot', 'memtest86+ia32.bin'));
    if (bin.length > FLOPPY_BYTES) throw new Error(`memtest86+ia32.bin (${bin.length} bytes) does not fit a 1.44 MB floppy`);
    const floppy = Buffer.alloc(FLOPPY_BYTES);
    bin.copy(floppy);
    writeFileSync(join(out, 'memtest-floppy.img'), floppy);
    copyFileSync(join(root, 'boot', 'memtest86+ia32.bin'), join(out, 'memtest.bin'));
    copyFileSync(join(root, 'usr', 'lib', 'memtest86+', 'memtest86+ia32.iso'), join(out, 'memtest.iso'));
    rmSync(root, { recursive: true, force: true });
  });
  return {
    iso: join(dir, 'memtest.iso'),
    floppy: join(dir, 'memtest-floppy.img'),
    bzImage: join(dir, 'memtest.bin'),
    version: pkg.version,
  };
}
