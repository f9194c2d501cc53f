// `termu -h` / `-help`: QEMU's help layout (usage, then each option with its arguments and
// what it does), listing the options termu takes. The test checks that every option in the
// parser's table is here.

import { PROGRAM_NAME } from './cli-error.js';

const OPTIONS_HELP: readonly [string, string][] = [
  ['Standard options:', ''],
  ['-h or -help', 'display this help and exit'],
  ['-version', 'display version information and exit'],
  ['-accel tcg[,thread=single|multi][,jit=on|off][,jit-threshold=n][,jit-entry-threshold=n][,jit-wasm=on|off]', "the CPU emulator: termu's JIT (compiling code after n instructions on its page, or after n entries at one address), or the interpreter alone"],
  ['-m [size=]megs', 'guest RAM size (default: 128M; suffixes k, M, G)'],
  ['-k language', "keyboard layout from keymaps/ (e.g. 'de', 'fr'); default en-us"],
  ['-name string', 'the guest name, for the monitor and the status line'],
  ['-uuid uuid', 'the machine UUID (SMBIOS, `info uuid`)'],
  ['-enable-kvm', 'accepted with a warning: the guest runs on termu\'s own CPU'],
  ['', ''],
  ['Block device options:', ''],
  ['-hda/-hdb/-hdc/-hdd file', 'IDE hard disk 0-3 image (raw or qcow2)'],
  ['-cdrom file', 'IDE CD-ROM image'],
  ['-fda/-fdb file', 'floppy disk 0/1 image'],
  ['-drive [file=file][,if=ide|floppy][,index=i][,media=disk|cdrom][,format=raw|qcow2][,snapshot=on|off][,readonly=on|off]', 'a drive, as QEMU\'s -drive'],
  ['-snapshot', 'write to temporary overlays, not to the images'],
  ['-boot [order=drives][,once=drives][,menu=on|off]', "the BIOS boot order: 'a' floppy, 'c' disk, 'd' CD-ROM"],
  ['', ''],
  ['Display options:', ''],
  ['-display none|curses|default', "where the guest's screen goes: the terminal UI by default"],
  ['-nographic', 'no display: serial port 0 and the monitor multiplexed on stdio'],
  ['-vga std|none', 'the video card'],
  ['', ''],
  ['Character device options:', ''],
  ['-chardev backend,id=id[,...]', 'a character device: null, vc, stdio, file, pipe, tcp, telnet, unix'],
  ['-serial dev', 'redirect the next serial port to character device dev'],
  ['-monitor dev', 'redirect the HMP monitor to character device dev'],
  ['-mon [chardev=]name[,mode=readline|control]', 'a monitor on a -chardev'],
  ['-qmp dev', 'a QMP monitor on character device dev'],
  ['-debugcon dev', 'the debug console (port 0xe9) to character device dev'],
  ['', ''],
  ['Linux/Multiboot boot specific:', ''],
  ['-kernel bzImage', 'use bzImage (a Linux kernel or a Multiboot image) as kernel image'],
  ['-append cmdline', 'use cmdline as kernel command line'],
  ['-initrd file', 'use file as initial ram disk (Multiboot: the modules, comma separated)'],
  ['', ''],
  ['Firmware and machine options:', ''],
  ['-bios file', 'the BIOS image (default: SeaBIOS from Debian\'s seabios package)'],
  ['-L path', 'where to look for the BIOS, VGA BIOS and option ROMs'],
  ['-device driver[,prop=value][,...]', "a device; termu has isa-debug-exit (iobase, iosize)"],
  ['-rtc [base=utc|localtime|datetime]', 'where the RTC starts'],
  ['-icount [shift=]n', 'virtual time: 2^n ns per instruction'],
  ['-no-reboot', 'exit instead of rebooting'],
  ['-no-shutdown', 'stop the guest at shutdown instead of exiting'],
  ['-S', 'do not start the CPU at startup (use `cont` in the monitor)'],
  ['-pidfile file', 'write the process id to file'],
  ['-daemonize', 'detach from the terminal once the machine is set up'],
];

export function helpText(version: string): string {
  const lines = [
    version,
    `usage: ${PROGRAM_NAME} [options] [disk_image]`,
    '',
    "'disk_image' is a raw or qcow2 hard disk image for IDE hard disk 0",
    '',
  ];
  for (const [option, what] of OPTIONS_HELP) {
    if (what === '') lines.push(option);
    else if (option.length < 16) lines.push(option.padEnd(16) + what);
    else lines.push(option, ' '.repeat(16) + what);
  }
  lines.push('', 'During emulation, the monitor is on Ctrl+Alt+Shift+2 in the terminal UI, or C-a c with -nographic.');
  return lines.join('\n') + '\n';
}
