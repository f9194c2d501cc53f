// The one typed description of a machine that the command line produces. Everything
// after parsing (chardevs, monitor, board, loaders) reads this, never argv.

import type { ChardevSpec } from '../vm/chardev/chardev-spec.js';
import type { StorageConfig } from './drive-options.js';

export interface IsaDebugExitConfig {
  iobase: number;
  iosize: number;
}

export interface MonitorConfig {
  chardevId: string;
  mode: 'readline' | 'control';
}

/** How virtual time advances: host real time, or 2^shift ns per instruction (QEMU's -icount). */
export type ClockConfig = { mode: 'realtime' } | { mode: 'icount'; shift: number };

export interface JitConfig {
  enabled: boolean;
  threshold: number;
  /** Entries at one address before code there is compiled, however cold its page. */
  entryThreshold: number;
  /** Compile flat code to WebAssembly (jit-wasm=on, the default) or only to JavaScript. */
  wasm: boolean;
}

export interface MachineConfig {
  ramBytes: number;
  kernel?: string;
  initrd?: string;
  append: string;
  nographic: boolean;
  display: 'default' | 'none' | 'curses';
  /** -k: the keyboard layout the terminal UI types with (keymaps/<name>); en-us when absent. */
  keymap?: string;
  /** Every chardev, in creation order, including those made from -serial/-monitor short forms. */
  chardevs: ChardevSpec[];
  /** Chardev id of COM1..COM4 (in order); absent ports are not created. */
  serials: string[];
  monitors: MonitorConfig[];
  debugcon?: string;
  isaDebugExit?: IsaDebugExitConfig;
  noReboot: boolean;
  noShutdown: boolean;
  name?: string;
  /** -uuid: the VM's UUID in lower case (`info uuid`); QEMU's nil UUID when absent. */
  uuid?: string;
  pidfile?: string;
  daemonize: boolean;
  /** RTC start: host UTC, host local time, or a fixed date. */
  rtcBase: 'utc' | 'localtime' | Date;
  /** -S: do not start the CPU until `cont`. */
  startPaused: boolean;
  /** -version, -h/-help: print the version or the help and exit, as QEMU does where the option stands. */
  show: 'version' | 'help' | null;
  clock: ClockConfig;
  /** termu's -accel tcg suboptions: jit=on|off, jit-threshold=N (instructions per page before compiling), jit-entry-threshold=N (entries at one address before compiling) and jit-wasm=on|off. */
  jit: JitConfig;
  /** Drives, boot order, VGA and firmware (-drive, -hda, -cdrom, -fda, -boot, -vga, -bios, -L, -snapshot). */
  storage: StorageConfig;
  /** Ids of the chardevs whose backend is `vc`: panes of the terminal UI, null without it. */
  virtualConsoles: string[];
  /** Warnings to print once the command line is accepted (e.g. KVM unavailable). */
  warnings: string[];
}
