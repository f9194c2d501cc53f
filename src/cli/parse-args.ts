// argv → MachineConfig. The option table is data: each entry names an option, says
// whether it takes an argument, and records it into the parse state. resolve() then
// applies QEMU's defaults and cross-option rules (system/vl.c) and builds the config.

import { ChardevSpecError, parseChardevOption, parseChardevShortForm, type ChardevSpec } from '../vm/chardev/chardev-spec.js';
import { CliError } from './cli-error.js';
import { applyStorageOption, defaultStorageConfig, resolveDrives, STORAGE_OPTIONS } from './drive-options.js';
import { parseBool, parseCInteger, parseKeyValues } from './keyval.js';
import type { MachineConfig, MonitorConfig } from './machine-config.js';
import { parseSize, SIZE_ERROR } from './parse-size.js';

const DEFAULT_RAM = 128 * 1024 * 1024;
const JIT_BY_DEFAULT = true;
/**
 * Instructions interpreted on a physical page before its code is compiled. Compiling a region
 * costs ~0.9 ms (translation and wasm validation), which code run only some ten thousand
 * times does not earn back. With JavaScript regions, five alternating pairs: 2,000 → 72.3 s,
 * 20,000 → 72.1 s, peak RSS ~620 → ~525 MiB. With wasm regions and cold code interpreted in
 * stretches, boots side by side: 40,000 against 20,000 0.97, 1.00, 0.97; 80,000 against
 * 40,000 0.99, 0.98, 0.99; 160,000 against 80,000 1.01, 0.97, 1.01.
 */
const DEFAULT_JIT_THRESHOLD = 80000;
/**
 * Entries at one physical address before a region is compiled there, whatever its page's
 * heat (CodeCache.countEntry): 72% of what a boot interpreted on cold pages was code entered
 * more than 64 times, and 62% more than 128 (kernel functions called from all over).
 */
const DEFAULT_JIT_ENTRY_THRESHOLD = 128;

/**
 * One -accel property: QEMU's tcg ones (thread, and tb-size/split-wx, which only tune QEMU's
 * own code buffer and are checked, then ignored) and termu's jit, jit-threshold, jit-entry-threshold and jit-wasm.
 */
function applyAccelProperty(jit: MachineConfig['jit'], opt: string, key: string, value: string): void {
  switch (key) {
    case 'accel':
      return;
    case 'thread':
      if (value !== 'single' && value !== 'multi') throw CliError.forOption(opt, `Invalid 'thread' setting ${value}`);
      return;
    case 'tb-size':
      if (parseCInteger(value) === undefined) throw CliError.forOption(opt, "Parameter 'tb-size' expects uint64");
      return;
    case 'split-wx':
      if (parseBool(value) === undefined) throw CliError.forOption(opt, "Parameter 'split-wx' expects 'on' or 'off'");
      return;
    case 'jit': {
      const on = parseBool(value);
      if (on === undefined) throw CliError.forOption(opt, "Parameter 'jit' expects 'on' or 'off'");
      jit.enabled = on;
      return;
    }
    case 'jit-threshold': {
      const n = parseCInteger(value);
      if (n === undefined || n > 0xffffffff) throw CliError.forOption(opt, "Parameter 'jit-threshold' expects uint32");
      jit.threshold = n;
      return;
    }
    case 'jit-entry-threshold': {
      const n = parseCInteger(value);
      if (n === undefined || n > 0xffff) throw CliError.forOption(opt, "Parameter 'jit-entry-threshold' expects uint16");
      jit.entryThreshold = n;
      return;
    }
    case 'jit-wasm': {
      const on = parseBool(value);
      if (on === undefined) throw CliError.forOption(opt, "Parameter 'jit-wasm' expects 'on' or 'off'");
      jit.wasm = on;
      return;
    }
    default:
      throw CliError.forOption(opt, `Property 'tcg-accel.${key}' not found`);
  }
}
/** RAM must fit below the PCI hole: termu's physical space is 32-bit and has no RAM above 4 GiB. */
export const MAX_RAM = 0xe0000000;

interface ParseState {
  config: MachineConfig;
  /** -serial / -monitor arguments with the option text, resolved after all options are seen. */
  serialArgs: { text: string; opt: string }[];
  /** -monitor and -qmp (mode 'control') short forms, numbered together as QEMU numbers them. */
  monitorArgs: { text: string; opt: string; mode?: 'control' }[];
  monArgs: { text: string; opt: string }[];
  debugconArg?: { text: string; opt: string };
  appendGiven: boolean;
}

interface OptionDef {
  name: string;
  takesArg: boolean;
  /** `opt` is the option as QEMU quotes it in errors: `-m abc` or `-nographic`. */
  apply(state: ParseState, arg: string, opt: string): void;
}

const flag = (name: string, apply: (s: ParseState) => void): OptionDef => ({ name, takesArg: false, apply: (s) => apply(s) });
const withArg = (name: string, apply: (s: ParseState, arg: string, opt: string) => void): OptionDef => ({ name, takesArg: true, apply });

const KVM_WARNING = 'warning: KVM is not available in termu; the guest runs on its own CPU emulator';
const DISPLAYS_UNAVAILABLE = new Set(['gtk', 'sdl', 'vnc', 'egl-headless', 'dbus', 'spice-app', 'cocoa']);

const OPTIONS: OptionDef[] = [
  withArg('m', (s, arg, opt) => {
    const kv = parseKeyValues(arg, 'size');
    if (kv.has('slots') && !kv.has('maxmem')) throw new CliError(['slots specified but no max-size']);
    const sizeText = kv.get('size') ?? '';
    if (sizeText === '') return;
    const size = parseSize(sizeText, 'M');
    if (!size) throw CliError.forOption(opt, SIZE_ERROR);
    if (size.deprecatedHexSuffix) {
      const explicitSuffix = !/^0x[0-9a-f]+$/i.test(sizeText);
      s.config.warnings.push(`warning: Using a multiplier suffix on hex numbers is deprecated: ${sizeText}${explicitSuffix ? '' : 'M'}`);
    }
    s.config.ramBytes = size.bytes === 0 ? DEFAULT_RAM : Math.ceil(size.bytes / 8192) * 8192;
  }),
  withArg('kernel', (s, arg) => void (s.config.kernel = arg)),
  withArg('initrd', (s, arg) => void (s.config.initrd = arg)),
  withArg('append', (s, arg) => {
    s.config.append = arg;
    s.appendGiven = true;
  }),
  flag('nographic', (s) => void (s.config.nographic = true)),
  // Loaded by the display that uses it (the terminal UI), as QEMU's curses display does.
  withArg('k', (s, arg) => void (s.config.keymap = arg)),
  withArg('display', (s, arg, opt) => {
    const type = parseKeyValues(arg, 'type').get('type') ?? '';
    if (type === 'none' || type === 'curses' || type === 'default') s.config.display = type;
    else if (DISPLAYS_UNAVAILABLE.has(type)) throw new CliError([`Display '${type}' is not available.`]);
    else throw CliError.forOption(opt, `Parameter 'type' does not accept value '${type}'`);
  }),
  withArg('serial', (s, text, opt) => void s.serialArgs.push({ text, opt })),
  withArg('monitor', (s, text, opt) => void s.monitorArgs.push({ text, opt })),
  withArg('mon', (s, text, opt) => void s.monArgs.push({ text, opt })),
  withArg('qmp', (s, text, opt) => void s.monitorArgs.push({ text, opt, mode: 'control' })),
  withArg('chardev', (s, text, opt) => {
    let spec: ChardevSpec;
    try {
      spec = parseChardevOption(text);
    } catch (e) {
      if (e instanceof ChardevSpecError) throw CliError.forOption(opt, e.message);
      throw e;
    }
    if (s.config.chardevs.some((c) => c.id === spec.id)) throw CliError.forOption(opt, `Duplicate ID '${spec.id}' for chardev`);
    spec.origin = { option: opt, text, role: 'chardev' };
    s.config.chardevs.push(spec);
    if (isVirtualConsole(text)) s.config.virtualConsoles.push(spec.id);
  }),
  withArg('debugcon', (s, text, opt) => void (s.debugconArg = { text, opt })),
  withArg('device', (s, arg, opt) => {
    const kv = parseKeyValues(arg, 'driver');
    const driver = kv.get('driver') ?? '';
    if (driver !== 'isa-debug-exit') throw CliError.forOption(opt, `'${driver}' is not a valid device model name`);
    const dev = { iobase: 0x501, iosize: 2 };
    for (const [key, value] of kv) {
      if (key === 'driver' || key === 'id') continue;
      if (key !== 'iobase' && key !== 'iosize') throw CliError.forOption(opt, `Property 'isa-debug-exit.${key}' not found`);
      const n = parseCInteger(value);
      if (n === undefined) throw CliError.forOption(opt, `Parameter '${key}' expects integer`);
      if (n > 0xffffffff) throw CliError.forOption(opt, `Property isa-debug-exit.${key} doesn't take value ${n} (minimum: 0, maximum: 4294967295)`);
      dev[key] = n;
    }
    s.config.isaDebugExit = dev;
  }),
  flag('no-reboot', (s) => void (s.config.noReboot = true)),
  flag('no-shutdown', (s) => void (s.config.noShutdown = true)),
  withArg('name', (s, arg) => {
    const kv = parseKeyValues(arg, 'guest');
    s.config.name = kv.get('guest');
  }),
  withArg('uuid', (s, arg, opt) => {
    // QEMU's qemu_uuid_parse: exactly 8-4-4-4-12 hex digits, either case; kept in lower case.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(arg)) throw CliError.forOption(opt, 'failed to parse UUID string: wrong format');
    s.config.uuid = arg.toLowerCase();
  }),
  withArg('pidfile', (s, arg) => void (s.config.pidfile = arg)),
  flag('daemonize', (s) => void (s.config.daemonize = true)),
  withArg('rtc', (s, arg) => {
    const base = parseKeyValues(arg).get('base');
    if (base === undefined || base === 'utc' || base === 'localtime') {
      if (base) s.config.rtcBase = base;
      return;
    }
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$/.exec(base);
    if (!m) throw new CliError([`invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'`]);
    const [, y, mo, d, h = '0', mi = '0', sec = '0'] = m;
    s.config.rtcBase = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec));
  }),
  flag('enable-kvm', (s) => void s.config.warnings.push(`-enable-kvm: ${KVM_WARNING}`)),
  withArg('accel', (s, arg, opt) => {
    const kv = parseKeyValues(arg, 'accel');
    const accel = kv.get('accel') ?? '';
    for (const name of accel.split(':')) {
      if (name === 'kvm') s.config.warnings.push(`${opt}: ${KVM_WARNING}`);
      else if (name !== 'tcg') throw CliError.forOption(opt, `invalid accelerator ${name}`);
    }
    for (const [key, value] of kv) applyAccelProperty(s.config.jit, opt, key, value);
  }),
  flag('S', (s) => void (s.config.startPaused = true)),
  flag('version', (s) => void (s.config.show = 'version')),
  flag('h', (s) => void (s.config.show = 'help')),
  flag('help', (s) => void (s.config.show = 'help')),
  withArg('icount', (s, arg, opt) => {
    const shift = parseKeyValues(arg, 'shift').get('shift') ?? '';
    const n = /^[0-9]+$/.test(shift) ? Number(shift) : NaN;
    if (!(n >= 0 && n <= 10)) throw CliError.forOption(opt, 'icount: Invalid shift value');
    s.config.clock = { mode: 'icount', shift: n };
  }),
];

for (const o of STORAGE_OPTIONS) OPTIONS.push({ name: o.name, takesArg: o.takesArg, apply: (s, arg) => applyStorageOption(s.config.storage, o.name, arg) });

const OPTION_BY_NAME = new Map(OPTIONS.map((o) => [o.name, o]));

/** Every option's name, without its dash (the help must name each). */
export function optionNames(): string[] {
  return [...OPTION_BY_NAME.keys()];
}

/** Parses QEMU-style argv (without the node and script paths). Throws CliError. */
export function parseArgs(argv: string[]): MachineConfig {
  const state: ParseState = {
    config: {
      ramBytes: DEFAULT_RAM,
      append: '',
      nographic: false,
      display: 'default',
      chardevs: [],
      serials: [],
      monitors: [],
      noReboot: false,
      noShutdown: false,
      daemonize: false,
      rtcBase: 'utc',
      startPaused: false,
      show: null,
      clock: { mode: 'realtime' },
      jit: { enabled: JIT_BY_DEFAULT, threshold: DEFAULT_JIT_THRESHOLD, entryThreshold: DEFAULT_JIT_ENTRY_THRESHOLD, wasm: true },
      storage: defaultStorageConfig(),
      virtualConsoles: [],
      warnings: [],
    },
    serialArgs: [],
    monitorArgs: [],
    monArgs: [],
    appendGiven: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (!word.startsWith('-') || word === '-') {
      // A bare word is a disk image, as -hda.
      applyStorageOption(state.config.storage, 'hda', word);
      continue;
    }
    const name = word.replace(/^--?/, '');
    const def = OPTION_BY_NAME.get(name);
    if (!def) throw new CliError([`${word}: invalid option`]);
    let arg = '';
    if (def.takesArg) {
      if (i + 1 >= argv.length) throw new CliError([`${word}: requires an argument`]);
      arg = argv[++i];
    }
    def.apply(state, arg, def.takesArg ? `${word} ${arg}` : word);
    // The options after it are not looked at.
    if (state.config.show !== null) return state.config;
  }
  return resolve(state);
}

function resolve(state: ParseState): MachineConfig {
  const config = state.config;
  if (config.nographic && config.daemonize) throw new CliError(['-nographic cannot be used with -daemonize']);
  if (!config.kernel && state.appendGiven) throw new CliError(['-append only allowed with -kernel option']);
  if (!config.kernel && config.initrd !== undefined) throw new CliError(['-initrd only allowed with -kernel option']);
  if (config.ramBytes > MAX_RAM) throw new CliError(["cannot set up guest memory 'pc.ram': Cannot allocate memory"]);

  const defaultSerial = state.serialArgs.length === 0;
  const defaultMonitor = state.monitorArgs.length === 0 && state.monArgs.length === 0;
  const implied = { text: '', opt: '' };
  if (config.nographic) {
    if (defaultSerial && defaultMonitor) state.serialArgs.push({ ...implied, text: 'mon:stdio' });
    else {
      if (defaultSerial) state.serialArgs.push({ ...implied, text: 'stdio' });
      if (defaultMonitor) state.monitorArgs.push({ ...implied, text: 'stdio' });
    }
  } else {
    // As QEMU: COM1 and the monitor are virtual consoles of the display (the terminal UI's panes).
    if (defaultSerial) state.serialArgs.push({ ...implied, text: 'vc' });
    if (defaultMonitor) state.monitorArgs.push({ ...implied, text: 'vc' });
  }

  state.serialArgs.forEach((a, index) => {
    const id = attachShortForm(config, a, `serial${index}`, 'serial device');
    if (id) config.serials.push(id);
  });
  state.monitorArgs.forEach((a, index) => {
    // Only -monitor takes `none`; QEMU hands -qmp's argument to the chardev parser as it is.
    if (a.mode === 'control' && a.text === 'none') throw new CliError([`${a.opt}: 'none' is not a valid char driver`, `${a.opt}: parse error: none`]);
    const id = attachShortForm(config, a, index === 0 ? 'compat_monitor0' : `compat_monitor${index}`, 'monitor');
    if (id && !config.monitors.some((m) => m.chardevId === id)) config.monitors.push({ chardevId: id, mode: a.mode ?? 'readline' });
  });
  for (const a of state.monArgs) config.monitors.push(parseMon(config, a.text, a.opt));
  if (state.debugconArg) config.debugcon = attachShortForm(config, state.debugconArg, 'debugcon', 'debugcon device');

  resolveDrives(config.storage);
  checkSingleStdio(config, state);
  return config;
}

/** `vc`, `vc:80Cx24C` or `-chardev vc,id=…`: a console of the display (null without one). */
function isVirtualConsole(text: string): boolean {
  return /^vc(:|,|$)/.test(text);
}

/** Creates the chardev for a short form (or finds `chardev:ID`); returns its id, or undefined for `none`. */
function attachShortForm(config: MachineConfig, a: { text: string; opt: string }, id: string, what: string): string | undefined {
  const prefix = a.opt ? `${a.opt}: ` : '';
  // QEMU words the second line differently for monitors (monitor_parse) and other devices.
  const connectError = what === 'monitor' ? `${prefix}parse error: ${a.text}` : `${prefix}could not connect ${what} to character backend '${a.text}'`;
  if (a.text === 'none') return undefined;
  if (a.text.startsWith('chardev:')) {
    const target = a.text.slice('chardev:'.length);
    if (!config.chardevs.some((c) => c.id === target)) throw new CliError([connectError]);
    return target;
  }
  let spec: ChardevSpec;
  try {
    spec = parseChardevShortForm(id, a.text);
  } catch (e) {
    if (!(e instanceof ChardevSpecError)) throw e;
    throw new CliError(e.message ? [`${prefix}${e.message}`, connectError] : [connectError]);
  }
  if (a.opt) spec.origin = { option: a.opt, text: a.text, role: what === 'serial device' ? 'serial' : what === 'monitor' ? 'monitor' : 'debugcon' };
  config.chardevs.push(spec);
  if (isVirtualConsole(a.text)) config.virtualConsoles.push(id);
  if (spec.mux) config.monitors.push({ chardevId: id, mode: 'readline' });
  return id;
}

function parseMon(config: MachineConfig, text: string, opt: string): MonitorConfig {
  const kv = parseKeyValues(text, 'chardev');
  const chardevId = kv.get('chardev') ?? '';
  if (!config.chardevs.some((c) => c.id === chardevId)) throw CliError.forOption(opt, `chardev "${chardevId}" not found`);
  const mode = kv.get('mode') ?? 'readline';
  if (mode !== 'readline' && mode !== 'control') throw CliError.forOption(opt, `Parameter 'mode' does not accept value '${mode}'`);
  return { chardevId, mode };
}

/** Two non-mux stdio chardevs cannot share the terminal (QEMU: "cannot use stdio by multiple character devices"). */
function checkSingleStdio(config: MachineConfig, state: ParseState): void {
  const stdio = config.chardevs.filter((c) => c.backend.kind === 'stdio');
  if (stdio.length <= 1) return;
  const source = [...state.serialArgs, ...state.monitorArgs].find((a) => a.text.endsWith('stdio'));
  const prefix = source?.opt ? `${source.opt}: ` : '';
  throw new CliError([`${prefix}cannot use stdio by multiple character devices`, `${prefix}could not connect serial device to character backend 'stdio'`]);
}
