// `tcp:`, `telnet:` and `unix:` sockets, as server (listen, one client at a time) or
// client. Output is dropped while no peer is connected, as in QEMU's char-socket.
// Clients arriving while one is connected wait, unserved, until it leaves: QEMU stops
// accepting while it has a client, so they sit in the listen backlog.

import { existsSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ChardevBackend } from './chardev-spec.js';
import { ChardevBase } from './chardev.js';
import { strerror } from './open-error.js';
import { TELNET_GREETING, TelnetDecoder } from './telnet-codec.js';

type SocketBackend = Extract<ChardevBackend, { kind: 'socket' }>;

export class SocketChardev extends ChardevBase {
  private server?: Server;
  private peer?: Socket;
  private peerName = '';
  private decoder?: TelnetDecoder;
  private readonly waiting: Socket[] = [];

  private constructor(id: string, private readonly spec: SocketBackend) {
    super(id);
    this.connected = false;
  }

  /** Listens or connects; with a waiting server, resolves once the first client is in. */
  static async open(id: string, spec: SocketBackend, log: (line: string) => void): Promise<SocketChardev> {
    const dev = new SocketChardev(id, spec);
    if (spec.server) {
      await dev.listen();
      if (spec.wait) {
        log(`info: QEMU waiting for connection on: ${dev.filename()}`);
        await new Promise<void>((resolve) => dev.server!.once('connection', () => setImmediate(resolve)));
      }
    } else await dev.connect();
    return dev;
  }

  /** The port actually bound (useful with port 0). */
  get boundPort(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  private where(): string {
    const s = this.spec;
    return s.transport === 'tcp' ? `${s.host}:${this.boundPort ?? s.port}` : s.path;
  }

  filename(): string {
    const s = this.spec;
    const scheme = s.telnet ? 'telnet' : s.transport;
    const base = `${scheme}:${this.where()}${s.server ? ',server=on' : ''}`;
    return this.peer ? `${base} <-> ${this.peerName}` : `disconnected:${base}`;
  }

  private listen(): Promise<void> {
    const s = this.spec;
    this.server = createServer({ noDelay: s.nodelay }, (sock) => this.accept(sock));
    return new Promise((resolve, reject) => {
      this.server!.once('error', (e) => {
        if (s.transport === 'tcp') reject(new Error(`Failed to find an available port: ${strerror(e)}`));
        else reject(new Error(`Failed to bind socket to ${s.path}: ${strerror(e)}`));
      });
      if (s.transport === 'tcp') this.server!.listen({ host: s.host || '0.0.0.0', port: s.port, exclusive: true }, resolve);
      else {
        // Node reports a missing directory as EACCES; QEMU (and bind(2)) say ENOENT.
        if (!existsSync(dirname(s.path))) {
          reject(new Error(`Failed to bind socket to ${s.path}: No such file or directory`));
          return;
        }
        try {
          unlinkSync(s.path);
        } catch {
          // Nothing stale to remove.
        }
        this.server!.listen(s.path, resolve);
      }
    });
  }

  private connect(): Promise<void> {
    const s = this.spec;
    return new Promise((resolve, reject) => {
      const sock = s.transport === 'tcp' ? createConnection({ host: s.host || 'localhost', port: s.port, noDelay: s.nodelay }) : createConnection(s.path);
      sock.once('error', (e) => reject(new Error(`Failed to connect to '${this.where()}': ${strerror(e)}`)));
      sock.once('connect', () => {
        this.accept(sock);
        resolve();
      });
    });
  }

  private accept(sock: Socket): void {
    if (this.peer) {
      this.queue(sock);
      return;
    }
    this.peer = sock;
    this.connected = true;
    this.peerName = this.spec.transport === 'tcp' ? `${sock.remoteAddress}:${sock.remotePort}` : '';
    if (this.spec.nodelay) sock.setNoDelay(true);
    this.decoder = this.spec.telnet ? new TelnetDecoder(() => this.signal('break')) : undefined;
    if (this.spec.telnet) sock.write(TELNET_GREETING);
    sock.on('data', (chunk) => this.deliver(this.decoder ? this.decoder.decode(chunk) : chunk));
    sock.on('error', () => {});
    sock.on('close', () => {
      if (this.peer !== sock) return;
      this.peer = undefined;
      this.connected = false;
      this.signal('closed');
      const next = this.waiting.shift();
      if (next) {
        this.accept(next);
        next.resume();
      }
    });
    this.signal('opened');
  }

  /** Holds a client back, unread, until the current one leaves. */
  private queue(sock: Socket): void {
    sock.pause();
    sock.on('error', () => {});
    sock.once('close', () => {
      const at = this.waiting.indexOf(sock);
      if (at >= 0) this.waiting.splice(at, 1);
    });
    this.waiting.push(sock);
  }

  write(data: Uint8Array): void {
    if (this.peer && !this.peer.destroyed) this.peer.write(data);
  }

  close(): void {
    this.peer?.destroy();
    for (const sock of this.waiting.splice(0)) sock.destroy();
    this.server?.close();
    if (this.spec.transport === 'unix' && this.spec.server) {
      try {
        unlinkSync(this.spec.path);
      } catch {
        // Already gone.
      }
    }
  }
}
