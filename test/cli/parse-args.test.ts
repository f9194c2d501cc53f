import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import test from 'node:test';
import { CliError, formatCliError } from '../../src/cli/cli-error.js';
import { optionNames, parseArgs } from '../../src/cli/parse-args.js';

/** The stderr text termu gives for argv, with QEMU's program name. */
function termuError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (e) {
    if (e instanceof CliError) return formatCliError(e).replaceAll('termu:', 'qemu-system-i386:');
    throw e;
  }
  return '';
}

const hasQemu = spawnSync('qemu-system-i386', ['-version']).status === 0;

// Each of these must fail in QEMU before the machine starts; termu must print the same text.
const REJECTED: string[][] = [
  ['-foo'],
  ['-m'],
  ['-m', 'abc'],
  ['-m', '256X'],
  ['-m', '-5'],
  ['-m', '1.5'],
  ['-m', '1e3'],
  ['-m', '64,slots=2'],
  ['-device', 'foo'],
  ['-device', 'isa-debug-exit,iobase=zz'],
  ['-device', 'isa-debug-exit,foo=1'],
  ['-serial', 'bogus:x'],
  ['-monitor', 'tcp:bad'],
  ['-chardev', 'foo'],
  ['-chardev', 'null,id=a', '-chardev', 'null,id=a'],
  ['-serial', 'chardev:b'],
  ['-mon', 'chardev=zz'],
  ['-serial', 'stdio', '-serial', 'stdio'],
  ['-nographic', '-monitor', 'stdio'],
  ['-nographic', '-daemonize'],
  ['-display', 'foo'],
  ['-rtc', 'base=bad'],
  ['-accel', 'foo'],
  ['-icount', 'shift=x'],
  ['-name'],
  ['-append', 'x'],
  ['-initrd', 'x'],
];

for (const argv of REJECTED) {
  test(`rejects ${argv.join(' ')} with QEMU's message`, { skip: !hasQemu && 'qemu-system-i386 is not installed' }, () => {
    const q = spawnSync('qemu-system-i386', ['-display', 'none', '-S', ...argv], { encoding: 'utf8', timeout: 10000, input: '' });
    assert.equal(q.status, 1, `qemu accepted ${argv.join(' ')}`);
    // QEMU may add host-specific warnings (e.g. about CPUID); compare its error lines only.
    const qemuLines = q.stderr.split('\n').filter((l) => !l.includes('warning:')).join('\n');
    assert.equal(termuError(argv), qemuLines);
  });
}

test('sizes: suffixes, default MiB and rounding', () => {
  assert.equal(parseArgs(['-m', '256']).ramBytes, 256 << 20);
  assert.equal(parseArgs(['-m', '1.5G']).ramBytes, 1536 << 20);
  assert.equal(parseArgs(['-m', '64k']).ramBytes, 65536);
  assert.equal(parseArgs(['-m', 'size=64M']).ramBytes, 64 << 20);
  assert.equal(parseArgs(['-m', '0']).ramBytes, 128 << 20);
  assert.equal(parseArgs([]).ramBytes, 128 << 20);
  assert.deepEqual(parseArgs(['-m', '0x10']).warnings, ['warning: Using a multiplier suffix on hex numbers is deprecated: 0x10M']);
  assert.throws(() => parseArgs(['-m', '8G']), /cannot set up guest memory 'pc.ram': Cannot allocate memory/);
});

test('-nographic multiplexes serial 0 and the monitor on stdio', () => {
  const c = parseArgs(['-nographic']);
  assert.deepEqual(c.serials, ['serial0']);
  assert.deepEqual(c.monitors, [{ chardevId: 'serial0', mode: 'readline' }]);
  assert.deepEqual(c.chardevs, [{ id: 'serial0', mux: true, backend: { kind: 'stdio', signal: false } }]);
});

test('-nographic with an explicit monitor puts the serial port alone on stdio', () => {
  const c = parseArgs(['-nographic', '-monitor', 'telnet::4444,server,nowait']);
  assert.deepEqual(c.serials, ['serial0']);
  assert.equal(c.chardevs[0].backend.kind, 'stdio');
  assert.deepEqual(c.chardevs[1], {
    id: 'compat_monitor0',
    mux: false,
    backend: { kind: 'socket', transport: 'tcp', host: '', port: 4444, server: true, wait: false, telnet: true, nodelay: false },
    origin: { option: '-monitor telnet::4444,server,nowait', text: 'telnet::4444,server,nowait', role: 'monitor' },
  });
});

test('the seed scenario options', () => {
  const c = parseArgs([
    '-name', 'vm1', '-pidfile', '/tmp/p', '-daemonize', '-kernel', 'k', '-initrd', 'i', '-append', 'console=ttyS0',
    '-serial', 'telnet:127.0.0.1:5000,server,nowait,nodelay', '-monitor', 'telnet:127.0.0.1:5001,server,nowait,nodelay',
  ]);
  assert.equal(c.name, 'vm1');
  assert.equal(c.pidfile, '/tmp/p');
  assert.equal(c.daemonize, true);
  assert.equal(c.append, 'console=ttyS0');
  assert.deepEqual(c.chardevs[0].backend, { kind: 'socket', transport: 'tcp', host: '127.0.0.1', port: 5000, server: true, wait: false, telnet: true, nodelay: true });
  assert.deepEqual(c.monitors, [{ chardevId: 'compat_monitor0', mode: 'readline' }]);
});

test('-chardev with -serial chardev: and -mon', () => {
  const c = parseArgs(['-chardev', 'socket,id=c0,path=/tmp/s,server=on,wait=off', '-serial', 'chardev:c0', '-chardev', 'stdio,id=m,mux=on', '-mon', 'm']);
  assert.deepEqual(c.serials, ['c0']);
  assert.equal(c.chardevs[0].backend.kind, 'socket');
  assert.deepEqual(c.monitors, [{ chardevId: 'm', mode: 'readline' }]);
});

test('-device isa-debug-exit, -debugcon, -rtc, -icount, -enable-kvm', () => {
  const c = parseArgs(['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-debugcon', 'file:/tmp/d', '-rtc', 'base=2006-06-17T16:01:21', '-icount', '3', '-enable-kvm', '-S']);
  assert.deepEqual(c.isaDebugExit, { iobase: 0xf4, iosize: 4 });
  assert.equal(c.debugcon, 'debugcon');
  assert.equal((c.rtcBase as Date).toISOString(), '2006-06-17T16:01:21.000Z');
  assert.deepEqual(c.clock, { mode: 'icount', shift: 3 });
  assert.equal(c.startPaused, true);
  assert.match(c.warnings[0], /KVM is not available/);
});

test('-version stops the parse where it stands, as in QEMU; bin/termu prints the version and exits 0', { skip: !hasQemu && 'qemu-system-i386 is not installed' }, () => {
  assert.equal(parseArgs(['-version', '-m', 'foo']).show, 'version');
  assert.equal(termuError(['-m', 'foo', '-version']), termuError(['-m', 'foo']));
  const q = spawnSync('qemu-system-i386', ['-version', '-m', 'foo'], { encoding: 'utf8' });
  const t = spawnSync(new URL('../../../bin/termu', import.meta.url).pathname, ['-version', '-m', 'foo'], { encoding: 'utf8' });
  assert.equal(t.status, q.status);
  assert.match(q.stdout, /^QEMU emulator version 7\.2\./);
  assert.equal(t.stdout, 'termu emulator version 7.2.0 (termu)\n');
});

test('-h and -help print the help, which names every option the parser takes, and exit 0', () => {
  const bin = new URL('../../../bin/termu', import.meta.url).pathname;
  const help = spawnSync(bin, ['-h'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^termu emulator version 7\.2\.0 \(termu\)\nusage: termu \[options\] \[disk_image\]\n/);
  assert.equal(spawnSync(bin, ['-help', '-m', 'foo'], { encoding: 'utf8' }).stdout, help.stdout);
  const named = new Set([...help.stdout.matchAll(/(?:^|\/|or )-([A-Za-z][a-z0-9-]*)/gm)].map((m) => m[1]));
  for (const name of optionNames()) assert.ok(named.has(name), `-${name} is in the help`);
});
