// `npm run bench -- disk [--mib N] [--ops N]`: disk I/O from inside the Linux test guest
// (busybox dd) on an IDE raw disk and an IDE qcow2 disk (both fresh, 128 MiB), in qemu-system-i386 (TCG) and in
// termu, in the same run, printed as termu/QEMU ratios. Sequential: one dd of N MiB in 64 KiB
// blocks (writes end with fsync, reads start with dropped caches). Random: N single 4 KiB dds
// at scattered offsets (writes with fsync each, reads after dropping caches). Times are taken
// on the host from sending the command line to the shell's next prompt.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLinuxGuest } from '../test/guests/linux.js';
import { GUEST_PROMPT, GUEST_READY_MARKER } from '../test/guests/linux-init.js';
import { QEMU, QemuSession } from '../test/guests/qemu-session.js';
import { REPO_ROOT } from '../test/guests/guest-cache.js';
import { runCommand } from '../test/guests/run-command.js';

const BOOT_TIMEOUT_MS = 1_800_000;
const OP_TIMEOUT_MS = 600_000;
const DISK_MIB = 128;

interface Workload {
  name: string;
  command(device: string): string;
}

function workloads(mib: number, ops: number): Workload[] {
  const blocks4k = (DISK_MIB * 256) | 0;
  // A fixed scatter of 4 KiB blocks over the whole disk (multiplicative hashing, odd step).
  const randomLoop = (dd: string, offset: 'seek' | 'skip') =>
    `(i=0; while [ $i -lt ${ops} ]; do ${dd} bs=4096 count=1 ${offset}=$(( (i * 40503 + 17) % ${blocks4k} )) 2>/dev/null || exit 1; i=$((i + 1)); done)`;
  return [
    { name: `sequential write ${mib} MiB`, command: (d) => `dd if=/dev/zero of=${d} bs=65536 count=${mib * 16} conv=fsync 2>/dev/null` },
    { name: `sequential read ${mib} MiB`, command: (d) => `echo 3 > /proc/sys/vm/drop_caches; dd if=${d} of=/dev/null bs=65536 count=${mib * 16} 2>/dev/null` },
    { name: `random write ${ops} x 4 KiB`, command: (d) => randomLoop(`dd if=/dev/urandom of=${d} conv=fsync,notrunc`, 'seek') },
    { name: `random read ${ops} x 4 KiB`, command: (d) => `echo 3 > /proc/sys/vm/drop_caches; ${randomLoop(`dd if=${d} of=/dev/null`, 'skip')}` },
  ];
}

interface Disk {
  label: string;
  format: 'raw' | 'qcow2';
}

/** The raw disk is ide0 master (SCSI 0:0:0:0 in the guest), the qcow2 disk ide0 slave (0:0:1:0). */
const DISKS: Disk[] = [
  { label: 'raw', format: 'raw' },
  { label: 'qcow2', format: 'qcow2' },
];

/** Seconds per [disk][workload] for one emulator, or the reason it failed. */
async function measure(emulator: string, dir: string, load: Workload[], log: (s: string) => void): Promise<number[][] | string> {
  const guest = await ensureLinuxGuest();
  const images = DISKS.map((d) => join(dir, `disk.${d.format}`));
  const session = new QemuSession([
    '-display', 'none', '-serial', 'stdio', '-m', '256', '-no-reboot',
    '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', guest.append,
    ...DISKS.flatMap((d, i) => ['-drive', `file=${images[i]},format=${d.format},if=ide,index=${i}`]),
  ], emulator);
  try {
    await session.waitFor(GUEST_PROMPT, BOOT_TIMEOUT_MS, await session.waitFor(GUEST_READY_MARKER, BOOT_TIMEOUT_MS));
    const table: number[][] = [];
    for (const [unit, disk] of DISKS.entries()) {
      // sd names follow the kernel's asynchronous probe order, so ask which name the unit got.
      const reply = await session.command(`n=0; until ls /sys/bus/scsi/devices/0:0:${unit}:0/block 2>/dev/null || [ $n -ge 60 ]; do sleep 1; n=$((n + 1)); done`, GUEST_PROMPT, OP_TIMEOUT_MS);
      // The reply may still hold the shell's echo of the (wrapped) command line: the name is its own line.
      const name = /^(sd[a-z])\s*$/m.exec(reply)?.[1];
      if (!name) return `no block device for ${disk.label} (IDE unit ${unit}): ${reply}`;
      const row: number[] = [];
      for (const w of load) {
        const start = process.hrtime.bigint();
        const out = await session.command(`${w.command(`/dev/${name}`)} && echo @done`, GUEST_PROMPT, OP_TIMEOUT_MS);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        if (!/^@done$/m.test(out)) return `${disk.label} ${w.name} failed: ${out.trim().slice(0, 300)}`;
        log(`  ${disk.label.padEnd(6)} ${w.name.padEnd(28)} ${seconds.toFixed(2)} s`);
        row.push(seconds);
      }
      table.push(row);
    }
    session.write('poweroff -f\n');
    await session.waitExit(60_000).catch(() => undefined);
    return table;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  } finally {
    await session.close();
  }
}

function numberOption(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`bench disk: ${name} needs a positive integer, got '${args[i + 1] ?? ''}'`);
    process.exit(1);
  }
  return value;
}

export async function run(args: string[]): Promise<void> {
  const mib = numberOption(args, '--mib', 16);
  const ops = numberOption(args, '--ops', 128);
  if (mib > DISK_MIB) {
    console.error(`bench disk: --mib must be at most ${DISK_MIB}`);
    process.exit(1);
  }
  const load = workloads(mib, ops);
  const guest = await ensureLinuxGuest();
  console.log(`disk benchmark: Debian ${guest.kernelRelease} guest, busybox dd on IDE disks of ${DISK_MIB} MiB (raw ide0 master, qcow2 ide0 slave), -m 256`);
  console.log('seconds from sending each command line to the next prompt\n');

  const results: { name: string; table: number[][] | string }[] = [];
  for (const [name, emulator] of [['qemu-system-i386 (TCG)', QEMU], ['termu', join(REPO_ROOT, 'bin', 'termu')]]) {
    const dir = mkdtempSync(join(tmpdir(), 'termu-bench-disk-'));
    try {
      await runCommand('qemu-img', ['create', '-q', '-f', 'raw', join(dir, 'disk.raw'), `${DISK_MIB}M`]);
      await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'disk.qcow2'), `${DISK_MIB}M`]);
      console.log(`${name}:`);
      results.push({ name, table: await measure(emulator, dir, load, console.log) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const [qemu, termu] = results;
  console.log('');
  for (const r of results) if (typeof r.table === 'string') console.log(`${r.name}: ${r.table}`);
  if (typeof qemu.table === 'string' || typeof termu.table === 'string') return;
  const header = ['disk', 'workload', 'QEMU', 'termu', 'termu/QEMU'];
  const rows: string[][] = [];
  DISKS.forEach((d, i) => load.forEach((w, j) => {
    const q = (qemu.table as number[][])[i][j];
    const t = (termu.table as number[][])[i][j];
    rows.push([d.label, w.name, `${q.toFixed(2)} s`, `${t.toFixed(2)} s`, `${(t / q).toFixed(2)}x`]);
  }));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd();
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
