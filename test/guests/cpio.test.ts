// Checks termu's newc writer against Debian's GNU cpio: it must list and extract our
// archives exactly (names, types, modes, contents, link targets, device numbers, mtimes).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeCpioNewc, type CpioEntry } from './cpio.js';

const haveCpio = spawnSync('cpio', ['--version']).status === 0;
const MTIME = 1_700_000_000;

// Name lengths 1..6 around the 4-byte alignment boundary, odd file sizes, an empty file,
// a file in a nested directory, a symlink and a setuid file exercise every padding case.
const payload = randomBytes(4099);
const entries: CpioEntry[] = [
  { type: 'file', path: 'zeta', mode: 0o644, data: Buffer.from('last by sort order\n') },
  { type: 'dir', path: 'bin', mode: 0o755 },
  { type: 'file', path: 'bin/busybox', mode: 0o755, data: payload },
  { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  { type: 'file', path: 'e', mode: 0o600, data: new Uint8Array(0) },
  { type: 'dir', path: 'etc', mode: 0o755 },
  { type: 'dir', path: 'etc/acpi', mode: 0o700 },
  { type: 'file', path: 'etc/acpi/abcde', mode: 0o4755, data: Buffer.from('x') },
  { type: 'file', path: 'init', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
  { type: 'symlink', path: 'lib', target: '/usr/lib/../lib/x' },
];

function run(cmd: string, args: string[], cwd: string, input?: Buffer): string {
  const r = spawnSync(cmd, args, { cwd, input, encoding: 'buffer' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

test('GNU cpio lists the archive in sorted order with the right types', { skip: !haveCpio && 'cpio not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpio-'));
  try {
    const archive = writeCpioNewc(entries, { mtime: MTIME });
    assert.equal(archive.length % 4, 0);
    const names = run('cpio', ['-t', '--quiet'], dir, archive).trim().split('\n');
    assert.deepEqual(names, ['bin', 'bin/busybox', 'bin/sh', 'e', 'etc', 'etc/acpi', 'etc/acpi/abcde', 'init', 'lib', 'zeta']);
    const long = run('cpio', ['-tv', '--quiet'], dir, archive);
    assert.match(long, /^lrwxrwxrwx .* bin\/sh -> busybox$/m);
    assert.match(long, /^-rwsr-xr-x .* etc\/acpi\/abcde$/m);
    assert.match(long, /^drwx------ .* etc\/acpi$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GNU cpio extracts contents, modes, links and mtimes exactly', { skip: !haveCpio && 'cpio not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpio-'));
  try {
    run('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], dir, writeCpioNewc(entries, { mtime: MTIME }));
    for (const e of entries) {
      const path = join(dir, e.path);
      const st = lstatSync(path);
      if (e.type === 'symlink') {
        assert.ok(st.isSymbolicLink(), e.path);
        assert.equal(readlinkSync(path), e.target);
        continue;
      }
      assert.equal(st.mode & 0o7777, e.mode, `${e.path} mode`);
      if (e.type === 'dir') assert.ok(st.isDirectory(), e.path);
      if (e.type === 'file') {
        assert.ok(st.isFile(), e.path);
        assert.deepEqual(readFileSync(path), Buffer.from(e.data), `${e.path} contents`);
        assert.equal(Math.floor(st.mtimeMs / 1000), MTIME, `${e.path} mtime`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('device nodes carry their major and minor numbers', { skip: !haveCpio && 'cpio not installed' }, () => {
  const archive = writeCpioNewc([
    { type: 'chardev', path: 'console', mode: 0o600, major: 5, minor: 1 },
    { type: 'blockdev', path: 'sda', mode: 0o660, major: 8, minor: 0 },
  ]);
  const long = run('cpio', ['-tv', '--quiet'], tmpdir(), archive);
  assert.match(long, /^crw------- .*\b5,\s*1 .* console$/m);
  assert.match(long, /^brw-rw---- .*\b8,\s*0 .* sda$/m);
});

test('a tree extracted from our archive survives a GNU cpio -o round trip', { skip: !haveCpio && 'cpio not installed' }, () => {
  // GNU cpio -o takes inode numbers from the file system, so the bytes differ by design;
  // compare the trees instead: extract ours, re-archive with cpio, extract that, compare.
  const a = mkdtempSync(join(tmpdir(), 'cpio-a-'));
  const b = mkdtempSync(join(tmpdir(), 'cpio-b-'));
  try {
    run('cpio', ['-idm', '--quiet'], a, writeCpioNewc(entries, { mtime: MTIME }));
    const list = run('find', ['.', '-mindepth', '1'], a);
    const theirs = spawnSync('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: a, input: Buffer.from(list), encoding: 'buffer' });
    assert.equal(theirs.status, 0);
    run('cpio', ['-idm', '--quiet'], b, theirs.stdout);
    for (const e of entries) {
      if (e.type === 'file') assert.deepEqual(readFileSync(join(b, e.path)), readFileSync(join(a, e.path)), e.path);
      if (e.type === 'symlink') assert.equal(readlinkSync(join(b, e.path)), e.target);
    }
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('the same entries in any order give the same bytes', () => {
  const forward = writeCpioNewc(entries, { mtime: MTIME });
  const backward = writeCpioNewc([...entries].reverse(), { mtime: MTIME });
  assert.deepEqual(forward, backward);
});

test('bad entries are refused with a clear message', () => {
  const file = (path: string): CpioEntry => ({ type: 'file', path, mode: 0o644, data: new Uint8Array(1) });
  assert.throws(() => writeCpioNewc([file('/abs')]), /invalid entry path '\/abs'/);
  assert.throws(() => writeCpioNewc([file('a/../b')]), /invalid entry path/);
  assert.throws(() => writeCpioNewc([file('a//b')]), /invalid entry path/);
  assert.throws(() => writeCpioNewc([file('x'), file('x')]), /duplicate entry 'x'/);
  assert.throws(() => writeCpioNewc([{ type: 'dir', path: 'd', mode: 0o10000 }]), /not a permission mask/);
  assert.throws(() => writeCpioNewc([{ type: 'symlink', path: 'l', target: '' }]), /empty target/);
  assert.throws(() => writeCpioNewc([file('TRAILER!!!')]), /reserved/);
  assert.throws(() => writeCpioNewc([], { mtime: -1 }), /does not fit/);
});
