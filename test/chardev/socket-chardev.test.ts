import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { FileChardev } from '../../src/vm/chardev/file-chardev.js';
import { SocketChardev } from '../../src/vm/chardev/socket-chardev.js';
import { TELNET_GREETING, TelnetDecoder } from '../../src/vm/chardev/telnet-codec.js';

const hasNc = spawnSync('nc', ['-h']).status !== null && spawnSync('sh', ['-c', 'command -v nc']).status === 0;
const tcp = (port: number, telnet: boolean) => ({ kind: 'socket' as const, transport: 'tcp' as const, host: '127.0.0.1', port, server: true, wait: false, telnet, nodelay: true });

test('telnet decoder strips negotiation, keeps IAC IAC as 0xff, reports BREAK', () => {
  let breaks = 0;
  const d = new TelnetDecoder(() => breaks++);
  const out = d.decode(Uint8Array.of(0x61, 0xff, 0xfd, 0x01, 0x62, 0xff, 0xff, 0xff, 0xf3, 0xff));
  assert.deepEqual([...out], [0x61, 0x62, 0xff]);
  assert.deepEqual([...d.decode(Uint8Array.of(0xfb, 0x03, 0x63))], [0x63]);
  assert.equal(breaks, 1);
});

test('telnet server: a real nc client gets the negotiation, then data both ways', { skip: !hasNc && 'nc is not installed' }, async (t) => {
  const dev = await SocketChardev.open('serial0', tcp(0, true), () => {});
  t.after(() => dev.close());
  const port = dev.boundPort!;
  const got: Buffer[] = [];
  const events: string[] = [];
  dev.attach({ receive: (d) => got.push(Buffer.from(d)), event: (e) => events.push(e) });
  assert.equal(dev.filename(), `disconnected:telnet:127.0.0.1:${port},server=on`);
  const nc = spawn('nc', ['-N', '127.0.0.1', String(port)]);
  const fromServer: Buffer[] = [];
  nc.stdout.on('data', (d) => fromServer.push(d));
  while (!events.includes('opened')) await new Promise((r) => setTimeout(r, 20));
  assert.match(dev.filename(), new RegExp(`^telnet:127.0.0.1:${port},server=on <-> 127.0.0.1:\\d+$`));
  dev.write(Buffer.from('login: '));
  nc.stdin.write('root\n');
  while (Buffer.concat(got).toString() !== 'root\n') await new Promise((r) => setTimeout(r, 20));
  nc.stdin.end();
  await new Promise((r) => nc.once('exit', r));
  while (!events.includes('closed')) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(Buffer.concat(fromServer), Buffer.concat([TELNET_GREETING, Buffer.from('login: ')]));
  assert.equal(dev.filename(), `disconnected:telnet:127.0.0.1:${port},server=on`);
});

test('a port in use gives QEMU\'s message', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as AddressInfo).port;
  await assert.rejects(SocketChardev.open('s', tcp(port, false), () => {}), { message: 'Failed to find an available port: Address already in use' });
  busy.close();
});

test('unix socket server and a bad path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-chardev-'));
  const path = join(dir, 'sock');
  const unix = (p: string) => ({ kind: 'socket' as const, transport: 'unix' as const, path: p, server: true, wait: false, telnet: false, nodelay: false });
  const dev = await SocketChardev.open('u', unix(path), () => {});
  const got: Buffer[] = [];
  dev.attach({ receive: (d) => got.push(Buffer.from(d)) });
  const { createConnection } = await import('node:net');
  const c = createConnection(path);
  c.write('hi');
  while (Buffer.concat(got).toString() !== 'hi') await new Promise((r) => setTimeout(r, 20));
  c.destroy();
  dev.close();
  await assert.rejects(SocketChardev.open('u', unix('/nonexist/sock'), () => {}), { message: 'Failed to bind socket to /nonexist/sock: No such file or directory' });
});

test('a second client waits until the first leaves, then is served (QEMU stops accepting while it has a client)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-chardev-'));
  const path = join(dir, 'sock');
  const dev = await SocketChardev.open('u', { kind: 'socket', transport: 'unix', path, server: true, wait: false, telnet: false, nodelay: false }, () => {});
  t.after(() => dev.close());
  const got: Buffer[] = [];
  const events: string[] = [];
  dev.attach({ receive: (d) => got.push(Buffer.from(d)), event: (e) => events.push(e) });
  const { createConnection } = await import('node:net');
  const first = createConnection(path);
  while (!events.includes('opened')) await new Promise((r) => setTimeout(r, 20));
  const second = createConnection(path);
  const toSecond: Buffer[] = [];
  let secondClosed = false;
  second.on('data', (d) => toSecond.push(d));
  second.on('close', () => (secondClosed = true));
  second.write('two');
  await new Promise((r) => setTimeout(r, 200));
  dev.write(Buffer.from('for the first'));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(Buffer.concat(got).toString(), '', 'the waiting client is not read');
  assert.equal(secondClosed, false, 'the waiting client is not dropped');
  assert.deepEqual(events, ['opened']);
  first.end();
  while (events.length < 3) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(events, ['opened', 'closed', 'opened']);
  while (Buffer.concat(got).toString() !== 'two') await new Promise((r) => setTimeout(r, 20));
  dev.write(Buffer.from('for the second'));
  while (Buffer.concat(toSecond).toString() !== 'for the second') await new Promise((r) => setTimeout(r, 20));
  second.destroy();
});

test('file chardev writes output and reports open errors like QEMU', () => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-chardev-'));
  const f = new FileChardev('f', join(dir, 'out'));
  f.write(Buffer.from('abc'));
  f.close();
  assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'abc');
  assert.throws(() => new FileChardev('f', '/nonexist/x'), { message: "Could not open '/nonexist/x': No such file or directory" });
});

test('pipe chardev: PATH.in carries input, PATH.out output (FIFOs made by mkfifo)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'termu-pipe-'));
  const base = join(dir, 'p');
  for (const suffix of ['.in', '.out']) assert.equal(spawnSync('mkfifo', [base + suffix]).status, 0);
  const { PipeChardev } = await import('../../src/vm/chardev/pipe-chardev.js');
  const dev = new PipeChardev('serial0', base);
  t.after(() => dev.close());
  const got: Buffer[] = [];
  dev.attach({ receive: (d) => got.push(Buffer.from(d)) });
  const { openSync, writeSync, readSync, closeSync, constants } = await import('node:fs');
  const reader = openSync(base + '.out', constants.O_RDONLY | constants.O_NONBLOCK);
  dev.write(Buffer.from('to host'));
  const buf = Buffer.alloc(64);
  let n = 0;
  for (let i = 0; i < 100 && n === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      n = readSync(reader, buf);
    } catch {
      n = 0;
    }
  }
  assert.equal(buf.subarray(0, n).toString(), 'to host');
  const writer = openSync(base + '.in', constants.O_WRONLY | constants.O_NONBLOCK);
  writeSync(writer, 'to guest');
  while (Buffer.concat(got).toString() !== 'to guest') await new Promise((r) => setTimeout(r, 20));
  closeSync(writer);
  closeSync(reader);
});
