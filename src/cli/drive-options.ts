// QEMU's storage and firmware options as typed data: -drive, the -hda..-hdd / -cdrom / -fda
// / -fdb shorthands, -snapshot, -boot, -vga, -bios and -L, with QEMU 7.2's error texts
// (blockdev/vl.c). parse-args.ts feeds the option text here; resolveDrives() checks the
// whole set once every option is seen.

import { CliError } from './cli-error.js';
import { bootOrderError } from '../vm/devices/cmos-layout.js';
import { parseBool, parseCInteger, parseKeyValues } from './keyval.js';

export interface DriveConfig {
  file: string;
  /** Explicit format; probed when absent. */
  format?: string;
  /** Anything but ide and floppy is rejected by resolveDrives, as QEMU's pc machine does. */
  interface: 'ide' | 'floppy' | 'scsi' | 'sd' | 'mtd' | 'pflash' | 'virtio' | 'xen' | 'none';
  /** IDE: 2 * bus + unit (0-3); floppy: unit 0-1. */
  index: number;
  media: 'disk' | 'cdrom';
  /** Writes go to a temporary qcow2 overlay (`snapshot=on` or `-snapshot`). */
  snapshot: boolean;
  readOnly: boolean;
  cache: string;
  /** The option as QEMU quotes it in errors: `-hda disk.img`, `-drive file=…`. */
  option: string;
}

export interface BootConfig {
  order: string;
  menu: boolean;
  splashTimeMs?: number;
  rebootTimeoutMs: number;
}

export interface StorageConfig {
  drives: DriveConfig[];
  boot: BootConfig;
  vga: 'std' | 'none';
  /** `-bios FILE`. */
  bios?: string;
  /** `-L DIR`, in order. */
  dataDirs: string[];
  /** `-snapshot`: every drive behaves as snapshot=on. */
  snapshot: boolean;
}

export function defaultStorageConfig(): StorageConfig {
  return { drives: [], boot: { order: 'cad', menu: false, rebootTimeoutMs: -1 }, vga: 'std', dataDirs: [], snapshot: false };
}

const DRIVE_KEYS = new Set(['file', 'format', 'if', 'index', 'bus', 'unit', 'media', 'snapshot', 'readonly', 'cache', 'id']);
const CACHE_MODES = new Set(['none', 'writeback', 'writethrough', 'directsync', 'unsafe']);
const MAX_IDE_INDEX = 4;
/** Every interface QEMU knows; the pc machine here has only IDE and floppy controllers. */
const BUS_TYPES = new Set(['ide', 'floppy', 'scsi', 'sd', 'mtd', 'pflash', 'virtio', 'xen', 'none']);

/** The shorthand options: -hda..-hdd are IDE disks 0-3, -cdrom is IDE index 2, -fda/-fdb floppies. */
export function shorthandDrive(name: string, file: string): DriveConfig {
  const option = `-${name} ${file}`;
  const base = { file, snapshot: false, readOnly: false, cache: 'writeback', option };
  if (name === 'cdrom') return { ...base, interface: 'ide', index: 2, media: 'cdrom', readOnly: true };
  if (name === 'fda' || name === 'fdb') return { ...base, interface: 'floppy', index: name === 'fda' ? 0 : 1, media: 'disk' };
  return { ...base, interface: 'ide', index: name.charCodeAt(2) - 'a'.charCodeAt(0), media: 'disk' };
}

/** Parses one `-drive` argument. */
export function parseDriveOption(text: string): DriveConfig {
  const option = `-drive ${text}`;
  const fail = (message: string): never => {
    throw CliError.forOption(option, message);
  };
  const kv = parseKeyValues(text);
  const format = kv.get('format');
  for (const key of kv.keys()) {
    if (!DRIVE_KEYS.has(key)) fail(format ? `Block format '${format}' does not support the option '${key}'` : `Invalid parameter '${key}'`);
  }
  const bool = (key: string): boolean => {
    const v = kv.get(key);
    if (v === undefined) return false;
    const b = parseBool(v);
    if (b === undefined) fail(`Parameter '${key}' expects 'on' or 'off'`);
    return b!;
  };
  const iface = kv.get('if') ?? 'ide';
  if (!BUS_TYPES.has(iface)) fail(`unsupported bus type '${iface}'`);
  const media = kv.get('media') ?? 'disk';
  if (media !== 'disk' && media !== 'cdrom') fail(`'${media}' invalid media`);
  const cache = kv.get('cache') ?? 'writeback';
  if (!CACHE_MODES.has(cache)) fail('invalid cache option');
  if (format !== undefined && format !== 'raw' && format !== 'qcow2') fail(`Unknown driver '${format}'`);
  const number = (key: string): number | undefined => {
    const v = kv.get(key);
    if (v === undefined) return undefined;
    const n = parseCInteger(v);
    if (n === undefined) fail(`Parameter '${key}' expects a number`);
    return n;
  };
  let index = number('index');
  const bus = number('bus');
  const unit = number('unit');
  const perBus = 2;
  if (index === undefined && (bus !== undefined || unit !== undefined)) {
    if (unit !== undefined && unit >= perBus) fail(`unit ${unit} too big (max is ${perBus - 1})`);
    index = (bus ?? 0) * perBus + (unit ?? 0);
  }
  if (kv.get('file') === undefined) fail('termu needs file= for a drive (empty drives are not supported yet)');
  return {
    file: kv.get('file')!,
    format,
    interface: iface as DriveConfig['interface'],
    index: index ?? -1,
    media: media as 'disk' | 'cdrom',
    snapshot: bool('snapshot'),
    readOnly: bool('readonly') || media === 'cdrom',
    cache,
    option,
  };
}

/** Parses `-boot [order=]cad,once=d,menu=on,splash-time=N,reboot-timeout=N,strict=on`. */
export function parseBootOption(text: string, previous: BootConfig): BootConfig {
  const kv = parseKeyValues(text, 'order');
  const boot = { ...previous };
  for (const [key, value] of kv) {
    if (key === 'order' || key === 'once') {
      checkBootDevices(value);
      boot.order = value;
    } else if (key === 'menu' || key === 'strict' || key === 'splash') {
      if (key !== 'splash' && parseBool(value) === undefined) throw new CliError([`Parameter 'boot.${key}' expects 'on' or 'off'`]);
      if (key === 'menu') boot.menu = parseBool(value)!;
    } else if (key === 'splash-time' || key === 'reboot-timeout') {
      const n = /^-?\d+$/.test(value) ? Number(value) : undefined;
      if (n === undefined) throw new CliError([`Parameter 'boot.${key}' expects integer`]);
      if (key === 'splash-time') boot.splashTimeMs = n;
      else boot.rebootTimeoutMs = n;
    } else throw new CliError([`Parameter 'boot.${key}' is unexpected`]);
  }
  return boot;
}

/** QEMU's validate_bootdevices (letters a-p, each once), then the pc machine's own limits. */
function checkBootDevices(order: string): void {
  const seen = new Set<string>();
  for (const ch of order) {
    if (ch < 'a' || ch > 'p') throw new CliError([`Invalid boot device '${ch}'`]);
    if (seen.has(ch)) throw new CliError([`Boot device '${ch}' was given twice`]);
    seen.add(ch);
  }
  const pcError = bootOrderError(order);
  if (pcError) throw new CliError([pcError]);
}

export function parseVgaOption(text: string): 'std' | 'none' {
  if (text === 'std' || text === 'none') return text;
  if (['cirrus', 'vmware', 'qxl', 'xenfb', 'tcx', 'cg3', 'virtio', 'ati', 'bochs'].includes(text)) {
    throw new CliError([`-vga ${text}: termu emulates only '-vga std' and '-vga none'`]);
  }
  throw new CliError([`unknown vga type: ${text}`]);
}

/**
 * Assigns IDE/floppy indexes to drives without one (the next free slot of their interface,
 * as QEMU's drive_new does), applies -snapshot, and rejects two drives in one slot.
 */
export function resolveDrives(config: StorageConfig): void {
  const used = new Map<string, DriveConfig>();
  for (const d of config.drives) {
    if (config.snapshot) d.snapshot = true;
    if (d.index < 0) {
      let i = 0;
      while (used.has(`${d.interface}${i}`)) i++;
      d.index = i;
    }
    const bus = Math.floor(d.index / 2);
    const unit = d.index % 2;
    const limit = d.interface === 'ide' ? MAX_IDE_INDEX : d.interface === 'floppy' ? 2 : 0;
    if (d.index >= limit) throw CliError.forOption(d.option, `machine type does not support if=${d.interface},bus=${bus},unit=${unit}`);
    const key = `${d.interface}${d.index}`;
    if (used.has(key)) {
      throw CliError.forOption(d.option, `drive with bus=${bus}, unit=${unit} (index=${d.index}) exists`);
    }
    used.set(key, d);
  }
}

/** The options this file parses, for parse-args' option table: name and whether it takes an argument. */
export const STORAGE_OPTIONS: readonly { name: string; takesArg: boolean }[] = [
  ...['drive', 'hda', 'hdb', 'hdc', 'hdd', 'cdrom', 'fda', 'fdb', 'boot', 'vga', 'bios', 'L'].map((name) => ({ name, takesArg: true })),
  { name: 'snapshot', takesArg: false },
];

/** Records one of STORAGE_OPTIONS into `config`. */
export function applyStorageOption(config: StorageConfig, name: string, arg: string): void {
  switch (name) {
    case 'drive':
      config.drives.push(parseDriveOption(arg));
      break;
    case 'boot':
      config.boot = parseBootOption(arg, config.boot);
      break;
    case 'vga':
      config.vga = parseVgaOption(arg);
      break;
    case 'bios':
      config.bios = arg;
      break;
    case 'L':
      config.dataDirs.push(arg);
      break;
    case 'snapshot':
      config.snapshot = true;
      break;
    default:
      config.drives.push(shorthandDrive(name, arg));
  }
}
