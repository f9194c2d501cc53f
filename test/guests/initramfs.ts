// Assembles the test guest's initramfs: busybox-static with a link per applet, the chosen
// kernel modules with a matching modules.dep, the /init script and acpid's power-button
// action, written with termu's cpio writer and gzipped. Same inputs, same bytes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { busyboxApplets } from './busybox-applets.js';
import { writeCpioNewc, type CpioEntry } from './cpio.js';
import { modulesDep, type KernelModule } from './kernel-modules.js';
import { initScript, POWER_BUTTON_ACTION } from './linux-init.js';

/** Fixed mtime for every entry (2023-06-10, Debian 12's release day) keeps builds reproducible. */
const INITRAMFS_MTIME = 1_686_355_200;

export interface InitramfsInputs {
  busybox: Buffer;
  kernelVersion: string;
  /** The unpacked /lib/modules/<version> directory. */
  modulesDir: string;
  /** Modules in load order (see moduleLoadOrder). */
  modules: readonly KernelModule[];
}

export function initramfsEntries(inputs: InitramfsInputs): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const dir = (path: string, mode = 0o755): void => {
    if (path === '.' || dirs.has(path)) return;
    dir(dirname(path));
    dirs.add(path);
    entries.push({ type: 'dir', path, mode });
  };
  const file = (path: string, data: Uint8Array, mode = 0o644): void => {
    dir(dirname(path));
    entries.push({ type: 'file', path, mode, data });
  };

  for (const d of ['dev', 'etc', 'mnt', 'proc', 'root', 'run', 'sys', 'usr', 'var/log']) dir(d);
  dir('tmp', 0o1777);
  // The kernel opens /dev/console for init's stdio before /init can mount devtmpfs.
  entries.push({ type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });

  file('bin/busybox', inputs.busybox, 0o755);
  for (const applet of busyboxApplets(inputs.busybox)) {
    if (applet !== 'busybox') entries.push({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  }
  // One directory for every command, wherever a script expects it.
  entries.push({ type: 'symlink', path: 'sbin', target: 'bin' });
  entries.push({ type: 'symlink', path: 'usr/bin', target: '../bin' });
  entries.push({ type: 'symlink', path: 'usr/sbin', target: '../bin' });

  const moduleRoot = `lib/modules/${inputs.kernelVersion}`;
  for (const m of inputs.modules) file(`${moduleRoot}/${m.path}`, readFileSync(join(inputs.modulesDir, m.path)));
  file(`${moduleRoot}/modules.dep`, Buffer.from(modulesDep(inputs.modules)));
  file('etc/modules-load-order', Buffer.from(inputs.modules.map((m) => m.path).join('\n') + '\n'));

  file('init', Buffer.from(initScript()), 0o755);
  file('etc/acpi/PWRF/00000080', Buffer.from(POWER_BUTTON_ACTION), 0o755);
  return entries;
}

export function buildInitramfs(inputs: InitramfsInputs): Buffer {
  const archive = writeCpioNewc(initramfsEntries(inputs), { mtime: INITRAMFS_MTIME });
  // gzip's header carries no mtime or name from zlib, so the output depends on the input only.
  return gzipSync(archive, { level: 9 });
}
