import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { EventingVmControl, QmpEvents } from '../../src/monitor/qmp-events.js';
import { JsonSplitter, toQmpJson } from '../../src/monitor/qmp-json.js';
import { QmpServer } from '../../src/monitor/qmp-server.js';
import type { RunState, VmControl } from '../../src/monitor/vm-control.js';
import { wireChardev } from './wire-chardev.js';

const Wire = wireChardev('unix:/tmp/termu-qmp.sock,server=on');

/** A machine that behaves as qemu-system-i386 -S does with no guest: stop keeps 'prelaunch'. */
function fakeVm(): { vm: VmControl; calls: string[] } {
  let state: RunState = 'prelaunch';
  const calls: string[] = [];
  const vm: VmControl = {
    runState: () => state,
    stop: async () => void calls.push('stop'),
    cont: async () => {
      calls.push('cont');
      state = 'running';
    },
    systemReset: async () => void calls.push('reset'),
    systemPowerdown: async () => void calls.push('powerdown'),
    quit: () => void calls.push('quit'),
    registers: async () => {
      throw new Error('no CPU');
    },
    sendKeys: async () => void calls.push('keys'),
    readMemory: async () => undefined,
    machineInfo: async () => "",
    chardevs: () => [{ label: 'compat_monitor0', filename: 'unix:/tmp/termu-qmp.sock,server=on' }],
    kvmEnabled: () => false,
    name: () => undefined,
  };
  return { vm, calls };
}

/** The same inputs go to termu and to QEMU; replies must match once timestamps and versions are masked. */
const SESSION = [
  '{"execute":"query-status"}',
  '{"execute":"qmp_capabilities","id":7,"foo":1}',
  '{"execute":"qmp_capabilities","arguments":{"enable":["x"]}}',
  '{"execute":"qmp_capabilities","id":1}',
  '{"execute":"qmp_capabilities"}',
  '{"execute":"nope","id":"x"}',
  '{"execute": }',
  'foo',
  '[1,2]',
  '{"foo":1}',
  '{"id":3}',
  '{"exec-oob":"query-status"}',
  '{"execute":"query-status","arguments":{"a":1}}',
  '{"execute":"query-status","arguments":[1]}',
  '{"execute":5}',
  '{"execute":"query-status","control":{}}',
  '}',
  '{"execute":"query-status","id":{"a":[1,"\\u00e9"]}}',
  '{"execute":"human-monitor-command"}',
  '{"execute":"human-monitor-command","arguments":{"command-line":5}}',
  '{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}',
  '{"execute":"human-monitor-command","arguments":{"command-line":"bogus"},"id":"h"}',
  '{"execute":"cont"}',
  '{"execute":"stop"}',
  '{"execute":"system_reset"}',
  '{"execute":"system_powerdown"}',
  '{"execute":"quit"}',
];

function mask(lines: string[]): string[] {
  return lines.map((l) =>
    l
      .replace(/"seconds": \d+, "microseconds": \d+/, '"seconds": S, "microseconds": U')
      .replace(/"micro": \d+/, '"micro": M')
      .replace(/"package": "[^"]*"/, '"package": P'),
  );
}

/** Sends each input and waits for its reply (a line with "return" or "error"); returns every line seen. */
async function converse(session: string[], write: (s: string) => void, output: () => string): Promise<string[]> {
  const waitFor = async (n: number) => {
    const deadline = Date.now() + 5000;
    while (output().split('\r\n').filter((l) => /^\{"(return|error|id)"/.test(l)).length < n) {
      if (Date.now() > deadline) throw new Error(`no reply ${n}; got:\n${output()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await waitForGreeting(output);
  for (let i = 0; i < session.length; i++) {
    write(`${session[i]}\n`);
    await waitFor(i + 1);
  }
  // Let the events that follow quit (none in QEMU) arrive.
  await new Promise((r) => setTimeout(r, 50));
  return output().split('\r\n').filter((l) => l !== '');
}

async function waitForGreeting(output: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!output().includes('\r\n')) {
    if (Date.now() > deadline) throw new Error('no greeting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function termuSession(session: string[]): Promise<{ lines: string[]; calls: string[] }> {
  const wire = new Wire('compat_monitor0');
  const { vm, calls } = fakeVm();
  const events = new QmpEvents();
  new QmpServer(wire, new EventingVmControl(vm, events), events);
  const lines = await converse(session, (s) => wire.type(s), () => wire.out);
  return { lines, calls };
}

async function qemuSession(session: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'termu-qmp-'));
  const path = join(dir, 'qmp.sock');
  const qemu = spawn('qemu-system-i386', ['-qmp', `unix:${path},server=on,wait=off`, '-display', 'none', '-S', '-nodefaults'], { stdio: 'ignore' });
  try {
    const socket = await connectWithRetry(path);
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', () => {});
    return await converse(session, (s) => socket.write(s), () => out);
  } finally {
    qemu.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function connectWithRetry(path: string): Promise<net.Socket> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(path, () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const haveQemu = spawnSync('qemu-system-i386', ['--version']).status === 0;

test('QMP session replies, errors and events match qemu-system-i386 -S', { skip: !haveQemu && 'qemu-system-i386 not installed' }, async () => {
  const [termu, qemu] = await Promise.all([termuSession(SESSION), qemuSession(SESSION)]);
  assert.deepEqual(mask(termu.lines), mask(qemu));
  assert.deepEqual(termu.calls, ['cont', 'stop', 'reset', 'powerdown', 'quit']);
});

/** With out-of-band execution enabled: no termu command allows it, as none of these does in QEMU. */
const OOB_SESSION = [
  '{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}',
  '{"exec-oob":"query-status","id":1}',
  '{"execute":"query-status","exec-oob":"x","id":2}',
  '{"execute":"human-monitor-command","arguments":{"command-line":"info status","cpu-index":"a"}}',
  '{"execute":"human-monitor-command","arguments":{"command-line":"info status","cpu-index":0}}',
  '{"execute":"query-name"}',
  '{"execute":"query-version"}',
  '{"execute":"quit"}',
];

test('QMP with oob enabled matches qemu-system-i386 -S', { skip: !haveQemu && 'qemu-system-i386 not installed' }, async () => {
  const [termu, qemu] = await Promise.all([termuSession(OOB_SESSION), qemuSession(OOB_SESSION)]);
  assert.deepEqual(mask(termu.lines), mask(qemu));
});

test('greeting carries the QEMU version termu mirrors and the termu package', async () => {
  const wire = new Wire('m');
  const events = new QmpEvents();
  new QmpServer(wire, fakeVm().vm, events);
  assert.equal(wire.out, '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "termu"}, "capabilities": ["oob"]}}\r\n');
});

test('no events before negotiation; events after it; a reconnect negotiates again', async () => {
  const wire = new Wire('m');
  const events = new QmpEvents();
  const server = new QmpServer(wire, fakeVm().vm, events);
  events.emit('POWERDOWN');
  assert.ok(!wire.out.includes('POWERDOWN'));
  wire.type('{"execute":"qmp_capabilities"}');
  await new Promise((r) => setTimeout(r, 10));
  events.emit('SHUTDOWN', { guest: true, reason: 'guest-shutdown' });
  assert.match(wire.out, /\{"timestamp": \{"seconds": \d+, "microseconds": \d+\}, "event": "SHUTDOWN", "data": \{"guest": true, "reason": "guest-shutdown"\}\}\r\n$/);
  wire.type('{"execute": "half-sent');
  server.event('closed');
  server.event('opened');
  wire.out = '';
  wire.type('{"execute":"query-status"}');
  await new Promise((r) => setTimeout(r, 10));
  assert.match(wire.out, /Expecting capabilities negotiation/);
});

test('requests split across chunks and several in one chunk, strings with braces', async () => {
  const wire = new Wire('m');
  new QmpServer(wire, fakeVm().vm, new QmpEvents());
  wire.out = '';
  wire.type('{"execute":"qmp_capa');
  wire.type('bilities","id":"{["}{"execute":"query-status","id":"a\\"}"}');
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(wire.out, '{"return": {}, "id": "{["}\r\n{"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": "a\\"}"}\r\n');
});

test('runaway nesting is refused without growing without bound', () => {
  const texts: string[] = [];
  const errors: string[] = [];
  const splitter = new JsonSplitter((t) => texts.push(t), (e) => errors.push(e));
  splitter.push('['.repeat(1025));
  assert.deepEqual(errors, ['JSON parse error, too many nested containers']);
  splitter.push('{"a": 1}');
  assert.deepEqual(texts, ['{"a": 1}']);
});

test('QMP JSON escapes control and non-ASCII characters as QEMU does', () => {
  assert.equal(toQmpJson({ s: 'a\r\n\u0001é', l: [], o: {}, n: -1 }), '{"s": "a\\r\\n\\u0001\\u00E9", "l": [], "o": {}, "n": -1}');
});

test('every command query-commands lists is one qemu-system-i386 lists', { skip: !haveQemu && 'qemu-system-i386 not installed' }, async () => {
  const session = ['{"execute":"qmp_capabilities"}', '{"execute":"query-commands"}', '{"execute":"quit"}'];
  const [termu, qemu] = await Promise.all([termuSession(session), qemuSession(session)]);
  const names = (lines: string[]) => (JSON.parse(lines.find((l) => l.includes('"name"'))!) as { return: { name: string }[] }).return.map((c) => c.name);
  const qemuNames = new Set(names(qemu));
  const termuNames = names(termu.lines);
  assert.ok(termuNames.includes('human-monitor-command') && termuNames.includes('qmp_capabilities'));
  for (const name of termuNames) assert.ok(qemuNames.has(name), `${name} is not a QEMU 7.2 command`);
});
