// The JSON monitor (QMP) as a frontend of any chardev: the greeting, capabilities
// negotiation, command dispatch through qmp-commands.ts in arrival order, and the
// machine's events once the client is in command mode. Replies and errors are
// worded as QEMU 7.2's monitor/qmp.c and qapi/qmp-dispatch.c word them.

import type { Chardev, ChardevEvent, ChardevFrontend } from '../vm/chardev/chardev.js';
import { checkArguments, findQmpCommand, QmpError, qmpVersion, type QmpContext } from './qmp-commands.js';
import type { QmpEvent, QmpEvents } from './qmp-events.js';
import { JsonSplitter, toQmpJson } from './qmp-json.js';
import type { VmControl } from './vm-control.js';

const REQUEST_MEMBERS = new Set(['execute', 'exec-oob', 'arguments', 'id']);

type Request = Record<string, unknown>;

export class QmpServer implements ChardevFrontend {
  private readonly ctx: QmpContext;
  private readonly splitter: JsonSplitter;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  private commandMode = false;
  private oobEnabled = false;
  /** Commands run one after another, in the order they arrived. */
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly chardev: Chardev, vm: VmControl, events: QmpEvents) {
    this.ctx = { vm };
    this.splitter = new JsonSplitter(
      (text) => this.handleText(text),
      (reason) => this.send({ error: { class: 'GenericError', desc: reason } }),
    );
    events.subscribe((e) => this.onEvent(e));
    chardev.attach(this);
  }

  event(e: ChardevEvent): void {
    if (e === 'opened') {
      // Every new client starts in capabilities negotiation mode, with no half-sent text of the last one.
      this.splitter.reset();
      this.commandMode = false;
      this.oobEnabled = false;
      this.send({ QMP: { version: qmpVersion(), capabilities: ['oob'] } });
    } else if (e === 'closed') this.commandMode = false;
  }

  receive(data: Uint8Array): void {
    this.splitter.push(this.decoder.decode(data, { stream: true }));
  }

  private onEvent(e: QmpEvent): void {
    if (this.commandMode) this.send(e);
  }

  private send(message: unknown): void {
    this.chardev.write(this.encoder.encode(`${toQmpJson(message)}\r\n`));
  }

  private handleText(text: string): void {
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      // A bare word is a keyword JSON does not know; anything else lacked a value somewhere.
      const desc = /^[A-Za-z_]\w*$/.test(text) ? `JSON parse error, invalid keyword '${text}'` : 'JSON parse error, expecting value';
      this.send({ error: { class: 'GenericError', desc } });
      return;
    }
    this.pending = this.pending.then(() => this.handleRequest(request));
  }

  private async handleRequest(request: unknown): Promise<void> {
    const id = isObject(request) && Object.hasOwn(request, 'id') ? request.id : undefined;
    try {
      const value = await this.dispatch(request);
      this.send(id === undefined ? { return: value } : { return: value, id });
    } catch (e) {
      const error = e instanceof QmpError ? { class: e.errorClass, desc: e.message } : { class: 'GenericError', desc: e instanceof Error ? e.message : String(e) };
      this.send(id === undefined ? { error } : { id, error });
    }
  }

  private async dispatch(request: unknown): Promise<unknown> {
    if (!isObject(request)) throw new QmpError('GenericError', 'QMP input must be a JSON object');
    for (const key of Object.keys(request)) {
      if (!REQUEST_MEMBERS.has(key)) throw new QmpError('GenericError', `QMP input member '${key}' is unexpected`);
    }
    const oob = Object.hasOwn(request, 'exec-oob');
    if (oob && !this.oobEnabled) throw new QmpError('GenericError', "QMP input member 'exec-oob' is unexpected");
    if (oob && Object.hasOwn(request, 'execute')) throw new QmpError('GenericError', "QMP input member 'execute' clashes with 'exec-oob'");
    const member = oob ? 'exec-oob' : 'execute';
    if (!Object.hasOwn(request, member)) throw new QmpError('GenericError', "QMP input lacks member 'execute'");
    const name = request[member];
    if (typeof name !== 'string') throw new QmpError('GenericError', `QMP input member '${member}' must be a string`);
    const args = request.arguments ?? {};
    if (!isObject(args)) throw new QmpError('GenericError', "QMP input member 'arguments' must be an object");

    if (!this.commandMode) {
      if (name !== 'qmp_capabilities') throw new QmpError('CommandNotFound', "Expecting capabilities negotiation with 'qmp_capabilities'");
      this.negotiate(args);
      return {};
    }
    if (name === 'qmp_capabilities') throw new QmpError('CommandNotFound', 'Capabilities negotiation is already complete, command ignored');
    const command = findQmpCommand(name);
    if (!command) throw new QmpError('CommandNotFound', `The command ${name} has not been found`);
    if (oob) throw new QmpError('GenericError', `The command ${name} does not support OOB`);
    checkArguments(command, args);
    return command.run(this.ctx, args);
  }

  private negotiate(args: Request): void {
    for (const key of Object.keys(args)) {
      if (key !== 'enable') throw new QmpError('GenericError', `Parameter '${key}' is unexpected`);
    }
    const enable = args.enable ?? [];
    if (!Array.isArray(enable)) throw new QmpError('GenericError', "Invalid parameter type for 'enable', expected: array");
    // QEMU 7.2 names the parameter 'null' in this message; clients may match it.
    for (const capability of enable) {
      if (capability !== 'oob') throw new QmpError('GenericError', `Parameter 'null' does not accept value '${String(capability)}'`);
    }
    this.oobEnabled = enable.length > 0;
    this.commandMode = true;
  }
}

function isObject(value: unknown): value is Request {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
