// Finds and loads the PC firmware the way QEMU does: SeaBIOS (`bios-256k.bin`, or `-bios FILE`)
// and the VGA BIOS of the `-vga` card, looked up in the `-L` directories first and then in
// the places Debian's `seabios` package installs them. Firmware is never bundled.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BootError } from './boot-error.js';

/** Where Debian's seabios package puts bios-256k.bin and the VGA BIOSes, and QEMU's own data dir. */
export const SYSTEM_FIRMWARE_DIRS = ['/usr/share/seabios', '/usr/share/qemu'];
/** QEMU 7.2's pc machine loads the 256 KiB build (`info roms` names it), not bios.bin. */
export const DEFAULT_BIOS = 'bios-256k.bin';
export const STD_VGA_BIOS = 'vgabios-stdvga.bin';

const INSTALL_HINT = "termu runs the system's SeaBIOS: install Debian's 'seabios' package (apt-get install seabios), or give -bios FILE / -L DIR";

export interface FirmwareRequest {
  /** `-bios`: a path, or a name looked up in the data directories. */
  bios?: string;
  /** `-L` directories, searched before the system ones. */
  dataDirs: readonly string[];
  /** The VGA BIOS file for the chosen card, or undefined for `-vga none`. */
  vgaBios?: string;
}

export interface Firmware {
  bios: Uint8Array;
  vgaBios?: Uint8Array;
}

/** qemu_find_file: an existing path as given, else the first data directory holding the name. */
export function findFirmwareFile(name: string, dataDirs: readonly string[]): string | undefined {
  if (name.includes('/') && existsSync(name)) return name;
  for (const dir of [...dataDirs, ...SYSTEM_FIRMWARE_DIRS]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return existsSync(name) ? name : undefined;
}

export function loadFirmware(request: FirmwareRequest): Firmware {
  const biosName = request.bios ?? DEFAULT_BIOS;
  const biosPath = findFirmwareFile(biosName, request.dataDirs);
  let bios: Uint8Array | undefined;
  if (biosPath) bios = readFileSync(biosPath);
  // QEMU accepts only whole 64 KiB blocks; the image ends at 4 GiB.
  if (!bios || bios.length === 0 || bios.length % 0x10000 !== 0 || bios.length > 0x1000000) {
    throw new BootError(`could not load PC BIOS '${biosName}'\n${INSTALL_HINT}`);
  }
  if (request.vgaBios === undefined) return { bios };
  const vgaPath = findFirmwareFile(request.vgaBios, request.dataDirs);
  if (!vgaPath) throw new BootError(`failed to find romfile "${request.vgaBios}"\n${INSTALL_HINT}`);
  return { bios, vgaBios: readFileSync(vgaPath) };
}
