// The guest's initramfs, unpacked by GNU cpio, checked against busybox itself: its applet
// links match `busybox --list` and its modules.dep matches what busybox depmod computes from
// the modules it holds. Rebuilding it from its own unpacked contents gives the same bytes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildInitramfs } from './initramfs.js';
import { moduleLoadOrder } from './kernel-modules.js';
import { ensureLinuxGuest, GUEST_MODULES } from './linux.js';

const haveCpio = spawnSync('cpio', ['--version']).status === 0;

async function unpackGuest() {
  const guest = await ensureLinuxGuest();
  const dir = mkdtempSync(join(tmpdir(), 'termu-initramfs-'));
  const r = spawnSync('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], { cwd: dir, input: gunzipSync(readFileSync(guest.initrd)) });
  // Unprivileged cpio cannot create dev/console; everything else must unpack.
  assert.ok(r.status === 0 || /dev\/console/.test(r.stderr.toString()), r.stderr.toString());
  return { guest, dir, modulesDir: join(dir, 'lib', 'modules', guest.kernelRelease) };
}

function depLines(text: string): Map<string, Set<string>> {
  return new Map(text.trim().split('\n').map((line) => {
    const [module, deps] = line.split(':');
    return [module, new Set(deps.trim().split(/\s+/).filter(Boolean))];
  }));
}

test('the initramfs holds a link for every busybox applet', { skip: !haveCpio && 'cpio not installed' }, async (t) => {
  const { dir } = await unpackGuest();
  try {
    const commands = readdirSync(join(dir, 'bin'));
    for (const c of commands) if (c !== 'busybox') assert.equal(readlinkSync(join(dir, 'bin', c)), 'busybox', c);
    const listed = spawnSync(join(dir, 'bin', 'busybox'), ['--list'], { encoding: 'utf8' });
    if (listed.status !== 0) {
      t.skip('this host cannot run the guest\'s i386 busybox');
      return;
    }
    // busybox lists itself among its applets; bin/busybox is the binary.
    assert.deepEqual(commands.sort(), listed.stdout.trim().split('\n').sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('modules.dep agrees with busybox depmod, and the load order respects it', { skip: !haveCpio && 'cpio not installed' }, async (t) => {
  const { guest, dir, modulesDir } = await unpackGuest();
  try {
    const ours = depLines(readFileSync(join(modulesDir, 'modules.dep'), 'utf8'));
    const order = readFileSync(join(dir, 'etc', 'modules-load-order'), 'utf8').trim().split('\n');
    assert.deepEqual([...order].sort(), [...ours.keys()].sort());
    order.forEach((module, i) => {
      for (const dep of ours.get(module)!) assert.ok(order.indexOf(dep) < i, `${dep} loads before ${module}`);
    });

    const depmod = spawnSync(join(dir, 'bin', 'busybox'), ['depmod', '-b', dir, guest.kernelRelease], { encoding: 'utf8' });
    if (depmod.status !== 0) {
      t.skip('this host cannot run the guest\'s i386 busybox');
      return;
    }
    assert.deepEqual(depLines(readFileSync(join(modulesDir, 'modules.dep'), 'utf8')), ours);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rebuilding the initramfs from its own contents gives identical bytes', { skip: !haveCpio && 'cpio not installed' }, async () => {
  const { guest, dir, modulesDir } = await unpackGuest();
  try {
    const modules = moduleLoadOrder(modulesDir, GUEST_MODULES);
    const rebuilt = buildInitramfs({ busybox: readFileSync(join(dir, 'bin', 'busybox')), kernelVersion: guest.kernelRelease, modulesDir, modules });
    assert.ok(rebuilt.equals(readFileSync(guest.initrd)), 'same initrd.gz bytes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
