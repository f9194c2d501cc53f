// An ISOLINUX CD holding the Linux test guest: Debian's isolinux.bin and ldlinux.c32, a
// config that talks on COM1 and boots the kernel and initramfs with the tests' command line,
// made into a hybrid ISO (isohdpfx.bin MBR) by xorriso so it boots as a CD and as a disk.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce, cacheKey } from './guest-cache.js';
import { ensureLinuxGuest, type LinuxGuest } from './linux.js';
import { runCommand } from './run-command.js';

const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin';
const ISOHYBRID_MBR = '/usr/lib/ISOLINUX/isohdpfx.bin';
const LDLINUX_C32 = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
const SOURCE_DATE_EPOCH = '1686355200';

/** ISOLINUX's banner, printed on COM1 because of the SERIAL directive. */
export const ISOLINUX_BANNER = /ISOLINUX \d+\.\d+/;

export interface IsolinuxCd {
  iso: string;
  guest: LinuxGuest;
}

function isolinuxCfg(append: string): string {
  return `SERIAL 0 115200
PROMPT 0
DEFAULT termu
LABEL termu
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.gz
  APPEND ${append}
`;
}

export async function ensureIsolinuxCd(): Promise<IsolinuxCd> {
  const guest = await ensureLinuxGuest();
  const inputs = [ISOLINUX_BIN, ISOHYBRID_MBR, LDLINUX_C32, guest.kernel, guest.initrd].map((f) => readFileSync(f).toString('base64'));
  const key = cacheKey(...inputs, guest.append, readFileSync(new URL(import.meta.url), 'utf8'));
  const dir = await buildOnce(`isolinux-cd-${key}`, async (out) => {
    const tree = join(out, 'tree');
    mkdirSync(join(tree, 'isolinux'), { recursive: true });
    mkdirSync(join(tree, 'boot'), { recursive: true });
    copyFileSync(ISOLINUX_BIN, join(tree, 'isolinux', 'isolinux.bin'));
    copyFileSync(LDLINUX_C32, join(tree, 'isolinux', 'ldlinux.c32'));
    writeFileSync(join(tree, 'isolinux', 'isolinux.cfg'), isolinuxCfg(guest.append));
    copyFileSync(guest.kernel, join(tree, 'boot', 'vmlinuz'));
    copyFileSync(guest.initrd, join(tree, 'boot', 'initrd.gz'));
    await runCommand('xorriso', [
      '-as', 'mkisofs', '-quiet', '-o', join(out, 'termu-linux.iso'),
      '-V', 'TERMU_LINUX', '-r', '-J',
      '-isohybrid-mbr', ISOHYBRID_MBR,
      '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat',
      '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
      tree,
    ], { env: { ...process.env, SOURCE_DATE_EPOCH } });
    rmSync(tree, { recursive: true, force: true });
  });
  return { iso: join(dir, 'termu-linux.iso'), guest };
}
