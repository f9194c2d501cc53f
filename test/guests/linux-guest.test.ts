// The reference behaviour of the Linux test guest, established on real qemu-system-i386
// (TCG): it boots to a job-control shell with its modules loaded, `poweroff -f` ends QEMU
// with status 0, `system_powerdown` on the monitor shuts it down through acpid, and the
// benchmark variant runs its workload and powers off.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ensureLinuxGuest, GUEST_MODULES, type LinuxGuest } from './linux.js';
import { BENCH_DONE_MARKER, BENCH_FLAG, GUEST_PROMPT, GUEST_READY_MARKER } from './linux-init.js';
import { canonicalModuleName } from './kernel-modules.js';
import { haveQemu, QemuSession } from './qemu-session.js';

const BOOT_TIMEOUT_MS = 120_000;
const skip = !haveQemu() && 'qemu-system-i386 is not installed';

function boot(guest: LinuxGuest, extraAppend = '', extraArgs: string[] = []): QemuSession {
  return new QemuSession([
    '-nographic', '-m', '256', '-no-reboot',
    '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', `${guest.append}${extraAppend}`,
    ...extraArgs,
  ]);
}

// One card per network driver in the guest (user networking needs no host set-up).
const NICS = ['e1000', 'rtl8139', 'ne2k_pci', 'virtio-net-pci'].flatMap((model) => ['-nic', `user,model=${model}`]);

test('the guest boots to a job-control shell, drives its NICs and ends with poweroff -f', { skip, timeout: 240_000 }, async () => {
  const guest = await ensureLinuxGuest();
  const qemu = boot(guest, '', NICS);
  try {
    await qemu.waitFor(GUEST_READY_MARKER, BOOT_TIMEOUT_MS);
    await qemu.waitFor(GUEST_PROMPT, 30_000);
    assert.doesNotMatch(qemu.text, /could not load/);
    assert.doesNotMatch(qemu.text, /job control turned off/);

    const uname = await qemu.command('uname -a', GUEST_PROMPT);
    assert.match(uname, new RegExp(`^Linux \\S+ ${guest.kernelRelease.replace(/\./g, '\\.')} .* i686 GNU/Linux$`, 'm'));

    const lsmod = await qemu.command('cut -d" " -f1 /proc/modules', GUEST_PROMPT);
    const loaded = new Set(lsmod.trim().split('\n'));
    for (const m of GUEST_MODULES) assert.ok(loaded.has(canonicalModuleName(m)), `module ${m} is loaded`);

    const drivers = await qemu.command('for n in /sys/class/net/eth*; do basename $(readlink $n/device/driver); done | sort', GUEST_PROMPT);
    assert.deepEqual(drivers.trim().split('\n'), ['8139cp', 'e1000', 'ne2k-pci', 'virtio_net']);

    // Job control needs the controlling terminal that `setsid cttyhack` gives the shell.
    const jobs = await qemu.command('sleep 60 & jobs; kill %1', GUEST_PROMPT);
    assert.match(jobs, /^\[1\]\+ +Running +sleep 60$/m);

    const power = await qemu.command('grep -c "Power Button" /proc/bus/input/devices; echo acpid=$(pidof acpid)', GUEST_PROMPT);
    assert.match(power, /^[1-9]\d*$/m, 'a power button input device');
    assert.match(power, /^acpid=\d+$/m, 'a running acpid');

    const dmesg = await qemu.command('dmesg', GUEST_PROMPT, 60_000);
    assert.match(dmesg, /Run \/init as init process/);
    assert.doesNotMatch(dmesg, /\bBUG\b|Oops|WARNING|Kernel panic|cut here/);

    qemu.write('poweroff -f\n');
    const exit = await qemu.waitExit(30_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(qemu.text, /reboot: Power down/);
  } finally {
    await qemu.close();
  }
});

test('system_powerdown on the monitor shuts the guest down through acpid', { skip, timeout: 240_000 }, async () => {
  const guest = await ensureLinuxGuest();
  const qemu = boot(guest);
  try {
    await qemu.waitFor(GUEST_PROMPT, BOOT_TIMEOUT_MS, await qemu.waitFor(GUEST_READY_MARKER, BOOT_TIMEOUT_MS));
    assert.equal((await qemu.monitor('system_powerdown')).trim(), '');
    const exit = await qemu.waitExit(60_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(qemu.text, /reboot: Power down/);
  } finally {
    await qemu.close();
  }
});

test(`'${BENCH_FLAG}' on the command line runs the fixed workload, prints its result and powers off`, { skip, timeout: 240_000 }, async () => {
  const guest = await ensureLinuxGuest();
  const qemu = boot(guest, ` ${BENCH_FLAG}`);
  try {
    await qemu.waitFor(new RegExp(`${BENCH_DONE_MARKER} loop=\\d+ sha256=[0-9a-f]{64}`), BOOT_TIMEOUT_MS);
    // The shell loop's result, computed here the same way: s = (s*31 + i) mod 1000003.
    let s = 1;
    for (let i = 0; i < 20000; i++) s = (s * 31 + i) % 1000003;
    const sha = createHash('sha256').update(Buffer.alloc(48 * 65536, 'x')).digest('hex');
    assert.match(qemu.text, new RegExp(`loop=${s} sha256=${sha}`));
    const exit = await qemu.waitExit(60_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.doesNotMatch(qemu.text, new RegExp(GUEST_PROMPT.replace(/[/#]/g, '\\$&')));
  } finally {
    await qemu.close();
  }
});
