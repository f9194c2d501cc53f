// The applet names compiled into a busybox binary, read from the binary itself (busybox
// keeps them as one sorted NUL-separated table starting with "[" and "[["), so the
// initramfs gets its links without running an i386 binary on the host.
const TABLE_START = Buffer.from('\0[\0[[\0', 'latin1');
const REQUIRED = ['acpid', 'cttyhack', 'insmod', 'mount', 'poweroff', 'setsid', 'sh'];

export function busyboxApplets(binary: Buffer): string[] {
  const start = binary.indexOf(TABLE_START);
  if (start < 0) throw new Error('busybox: applet name table not found (is this a busybox binary with the test applet?)');
  const end = binary.indexOf(Buffer.from('\0\0', 'latin1'), start + 1);
  const names = binary.subarray(start + 1, end).toString('latin1').split('\0');
  for (let i = 1; i < names.length; i++) {
    if (!(names[i - 1] < names[i]) || !/^[\x21-\x7e]+$/.test(names[i])) {
      throw new Error(`busybox: applet name table is not a sorted list of names near '${names[i]}'`);
    }
  }
  const missing = REQUIRED.filter((n) => !names.includes(n));
  if (missing.length) throw new Error(`busybox: the guest needs applets it lacks: ${missing.join(', ')}`);
  return names;
}
