// What a character device is, as parsed from `-chardev backend,id=…` or the short forms
// of `-serial`/`-monitor`/`-debugcon` (`stdio`, `file:F`, `tcp:H:P,server,nowait`, …).
// Parsing only: opening happens in create-chardev.ts.

import { parseBool, parseKeyValues, type KeyValues } from '../../cli/keyval.js';

export type ChardevBackend =
  | { kind: 'null' }
  | { kind: 'stdio'; signal: boolean }
  | { kind: 'file'; path: string }
  | { kind: 'pipe'; path: string }
  | { kind: 'socket'; transport: 'tcp'; host: string; port: number; server: boolean; wait: boolean; telnet: boolean; nodelay: boolean }
  | { kind: 'socket'; transport: 'unix'; path: string; server: boolean; wait: boolean; telnet: boolean; nodelay: boolean };

export interface ChardevSpec {
  id: string;
  backend: ChardevBackend;
  /** A mux in front of the backend (`mon:` prefix or `mux=on`): frontends share it with Ctrl-a c. */
  mux: boolean;
  /** The option it came from, for error messages (`-serial tcp:…`); absent for implied chardevs. */
  origin?: { option: string; text: string; role: 'serial' | 'monitor' | 'debugcon' | 'chardev' };
}

/** A spec error: the message QEMU prints after `<option text>: `. */
export class ChardevSpecError extends Error {}

const SIMPLE_BACKENDS = new Set(['null', 'stdio', 'vc', 'pty', 'file', 'pipe', 'socket', 'tcp', 'telnet', 'unix', 'udp', 'serial', 'tty', 'parallel', 'msmouse', 'braille', 'ringbuf', 'memory', 'spicevmc', 'spiceport']);

/**
 * The short form used by -serial, -monitor, -debugcon (qemu_chr_parse_compat). `mon:` is
 * returned as `mux` for the caller to add a monitor. Throws ChardevSpecError.
 */
export function parseChardevShortForm(id: string, text: string): ChardevSpec {
  let mux = false;
  let rest = text;
  if (rest.startsWith('mon:')) {
    mux = true;
    rest = rest.slice(4);
  }
  const colon = rest.indexOf(':');
  const kind = colon < 0 ? rest.split(',')[0] : rest.slice(0, colon);
  const arg = colon < 0 ? '' : rest.slice(colon + 1);
  const invalid = () => new ChardevSpecError(`'${text}' is not a valid char driver`);
  switch (kind) {
    case 'null':
    case 'vc':
      return { id, mux, backend: { kind: 'null' } };
    case 'stdio':
      return { id, mux, backend: { kind: 'stdio', signal: !mux } };
    case 'file':
    case 'pipe':
      if (arg === '') throw invalid();
      return { id, mux, backend: { kind, path: arg } };
    case 'tcp':
    case 'telnet': {
      const [hostPort, ...opts] = arg.split(',');
      const lastColon = hostPort.lastIndexOf(':');
      if (lastColon < 0) throw new ChardevSpecError('');
      const host = hostPort.slice(0, lastColon);
      const port = parsePort(hostPort.slice(lastColon + 1));
      if (port === undefined) throw new ChardevSpecError('');
      const flags = socketFlags(parseKeyValues(opts.join(',')));
      return { id, mux, backend: { kind: 'socket', transport: 'tcp', host, port, ...flags, telnet: kind === 'telnet' } };
    }
    case 'unix': {
      const [path, ...opts] = arg.split(',');
      if (path === '') throw new ChardevSpecError('');
      const flags = socketFlags(parseKeyValues(opts.join(',')));
      return { id, mux, backend: { kind: 'socket', transport: 'unix', path, ...flags } };
    }
    default:
      throw invalid();
  }
}

/** The `-chardev backend,id=x,…` form (also used by -mon/-serial chardev:x lookups). */
export function parseChardevOption(text: string): ChardevSpec {
  const kv = parseKeyValues(text, 'backend');
  const id = kv.get('id');
  if (!id) throw new ChardevSpecError('chardev: no id specified');
  const kind = kv.get('backend') ?? '';
  const mux = parseBool(kv.get('mux') ?? 'off') ?? false;
  if (!SIMPLE_BACKENDS.has(kind)) throw new ChardevSpecError(`'${kind}' is not a valid char driver name`);
  switch (kind) {
    case 'null':
    case 'vc':
      return { id, mux, backend: { kind: 'null' } };
    case 'stdio':
      return { id, mux, backend: { kind: 'stdio', signal: parseBool(kv.get('signal') ?? 'on') ?? true } };
    case 'file':
    case 'pipe': {
      const path = kv.get('path');
      if (!path) throw new ChardevSpecError(`chardev: ${kind}: no filename given`);
      return { id, mux, backend: { kind, path } };
    }
    case 'socket': {
      const flags = socketFlags(kv);
      const path = kv.get('path');
      if (path !== undefined) return { id, mux, backend: { kind: 'socket', transport: 'unix', path, ...flags } };
      const portText = kv.get('port');
      if (portText === undefined) throw new ChardevSpecError('chardev: socket: no host given');
      const port = parsePort(portText);
      if (port === undefined) throw new ChardevSpecError(`Parameter 'port' expects a port number`);
      return { id, mux, backend: { kind: 'socket', transport: 'tcp', host: kv.get('host') ?? '', port, ...flags } };
    }
    default:
      throw new ChardevSpecError(`chardev backend '${kind}' is not supported by termu yet`);
  }
}

function socketFlags(kv: KeyValues): { server: boolean; wait: boolean; telnet: boolean; nodelay: boolean } {
  const flag = (name: string, dflt: boolean) => {
    const v = kv.get(name);
    if (v === undefined) return dflt;
    const b = parseBool(v);
    if (b === undefined) throw new ChardevSpecError(`Parameter '${name}' expects 'on' or 'off'`);
    return b;
  };
  const server = flag('server', false);
  // A bare `nodelay` parses as delay=off (QemuOpts' "no" prefix); `nodelay=on` is accepted too.
  const nodelay = flag('nodelay', false) || !flag('delay', true);
  return { server, wait: server && flag('wait', true), telnet: flag('telnet', false), nodelay };
}

function parsePort(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** What `info chardev` shows before a client connects (QEMU's `filename`). */
export function describeChardev(spec: ChardevSpec): string {
  const b = spec.backend;
  switch (b.kind) {
    case 'null':
    case 'stdio':
    case 'file':
    case 'pipe':
      return b.kind;
    case 'socket': {
      const scheme = b.telnet ? 'telnet' : b.transport === 'tcp' ? 'tcp' : 'unix';
      const where = b.transport === 'tcp' ? `${b.host}:${b.port}` : b.path;
      return `disconnected:${scheme}:${where}${b.server ? ',server=on' : ''}`;
    }
  }
}
