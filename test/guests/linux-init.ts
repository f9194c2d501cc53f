// The test guest's /init (a busybox sh script) and the lines it prints that tests wait for.

/** Printed once the guest's devices are up and acpid runs, just before the shell starts. */
export const GUEST_READY_MARKER = 'termu-guest: ready';
/** Printed by the benchmark variant (`termu.bench` on the command line) after its workload. */
export const BENCH_DONE_MARKER = 'termu-guest: bench done';
/** The shell prompt; `\w` keeps it honest about the working directory. */
export const GUEST_PROMPT = 'termu-guest:/# ';
/** Kernel command-line word that turns on the benchmark variant. */
export const BENCH_FLAG = 'termu.bench';

/** /etc/acpi/PWRF/00000080: busybox acpid runs it when the ACPI power button is pressed. */
export const POWER_BUTTON_ACTION = '#!/bin/sh\nsync\npoweroff -f\n';

/**
 * The benchmark's fixed CPU work: an interpreted shell loop (branchy code, many small
 * syscalls-free operations) and a SHA-256 over generated data (tight native loops). Its
 * result is printed so every emulator can be checked to compute the same thing.
 */
const BENCH_WORKLOAD = `
bench() {
  i=0; s=1
  while [ $i -lt 20000 ]; do s=$(( (s * 31 + i) % 1000003 )); i=$((i + 1)); done
  sum=$(dd if=/dev/zero bs=65536 count=48 2>/dev/null | tr '\\0' 'x' | sha256sum)
  echo "${BENCH_DONE_MARKER} loop=$s sha256=\${sum%% *}"
}`;

export function initScript(): string {
  return `#!/bin/sh
# termu test guest init: devices, modules, power button, then a console shell.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
while read -r module; do
  insmod "/lib/modules/$(uname -r)/$module" || echo "termu-guest: could not load $module"
done < /etc/modules-load-order
acpid
# Late driver messages (link up, entropy) must not land in the middle of command output.
dmesg -n 1
${BENCH_WORKLOAD}
echo "${GUEST_READY_MARKER}"
case " $(cat /proc/cmdline) " in
  *" ${BENCH_FLAG} "*) bench; poweroff -f ;;
esac
export HOME=/ PS1='termu-guest:\\w# '
cd /
# PID 1 must never exit: a shell that ends is replaced by a new one.
while :; do
  setsid cttyhack sh
done
`;
}
