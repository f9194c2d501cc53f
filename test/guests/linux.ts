// The Linux test guest: Debian 12's i386 `686` kernel and a busybox initramfs built by
// termu's own code, cached under `.cache/guests/linux-<kernel>-<key>/`.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebianArchive } from './debian-archive.js';
import { buildOnce, cacheKey } from './guest-cache.js';
import { buildInitramfs } from './initramfs.js';
import { moduleLoadOrder } from './kernel-modules.js';

/** `console=ttyS0`, plus the two options that cut the kernel's boot work about sevenfold. */
export const LINUX_APPEND = 'console=ttyS0 cryptomgr.notests noisapnp';

/**
 * Disks (ata_piix + sd_mod, virtio_blk), network cards (e1000, 8139cp, ne2k-pci, virtio_net),
 * ext4 (with crc32c, its soft dependency: the generic one, crc32c-intel needs SSE4.2), and
 * the ACPI power button reported through evdev, which acpid reads.
 */
export const GUEST_MODULES = [
  'ata_piix', 'sd_mod', 'virtio_pci', 'virtio_blk', 'virtio_net',
  'e1000', '8139cp', 'ne2k-pci', 'crc32c_generic', 'ext4', 'button', 'evdev',
] as const;

export interface LinuxGuest {
  kernel: string;
  initrd: string;
  append: string;
  /** What `uname -r` prints in the guest, e.g. `6.1.0-50-686`. */
  kernelRelease: string;
}

// The code that shapes the guest's files is part of the cache key: changing it rebuilds.
const BUILDER_FILES = ['linux.js', 'initramfs.js', 'linux-init.js', 'cpio.js', 'kernel-modules.js', 'busybox-applets.js'];

export async function ensureLinuxGuest(): Promise<LinuxGuest> {
  const archive = new DebianArchive();
  await archive.refresh();
  const meta = await archive.resolve('linux-image-686');
  const kernelName = meta.depends.find((d) => /^linux-image-\d/.test(d));
  if (!kernelName) throw new Error(`linux-image-686 ${meta.version} depends on no versioned kernel package`);
  const kernelPkg = await archive.resolve(kernelName);
  const busyboxPkg = await archive.resolve('busybox-static');
  const kernelVersion = kernelName.replace(/^linux-image-/, '');
  const key = cacheKey(
    `${kernelPkg.name}=${kernelPkg.version}`, `${busyboxPkg.name}=${busyboxPkg.version}`,
    ...BUILDER_FILES.map((f) => readFileSync(new URL(`./${f}`, import.meta.url), 'utf8')),
  );
  const dir = await buildOnce(`linux-${kernelVersion}-${key}`, async (out) => {
    const [kernelDeb, busyboxDeb] = await Promise.all([archive.fetch(kernelPkg), archive.fetch(busyboxPkg)]);
    const root = join(out, 'unpacked');
    await Promise.all([archive.extract(kernelDeb, root), archive.extract(busyboxDeb, root)]);
    const modulesDir = join(root, 'lib', 'modules', kernelVersion);
    const modules = moduleLoadOrder(modulesDir, GUEST_MODULES);
    const initrd = buildInitramfs({ busybox: readFileSync(join(root, 'bin', 'busybox')), kernelVersion, modulesDir, modules });
    copyFileSync(join(root, 'boot', `vmlinuz-${kernelVersion}`), join(out, 'vmlinuz'));
    writeFileSync(join(out, 'initrd.gz'), initrd);
    writeFileSync(join(out, 'versions'), `${kernelPkg.name} ${kernelPkg.version}\n${busyboxPkg.name} ${busyboxPkg.version}\n`);
    rmSync(root, { recursive: true, force: true });
  });
  return { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.gz'), append: LINUX_APPEND, kernelRelease: kernelVersion };
}
