// Region translation off the VM thread. Translating a region's blocks to wasm and compiling
// the module took ~0.7 ms of the VM thread per region, ~12% of a Linux boot; on a worker
// the VM thread keeps interpreting meanwhile and only instantiates the module it gets
// back. While it has little waiting, the worker also decodes the page and emits the blocks
// (layOutRegion), from a copy of the page taken with the request: that took another ~6% of
// the VM thread, a third of it in posting the emitted JavaScript. A result is noticed by
// reading one shared counter, so the run loop can look for results at every step without a
// message-port call.

import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { RegionBlocks, RegionModule } from './region-translator.js';
import type { RegionInput } from '../region-compiler.js';

/** A region to lay out and translate, or one laid out already. */
export type TranslateRequest = { ticket: number } & ({ input: RegionInput } | { blocks: RegionBlocks });

/**
 * What the worker posts for a request: first where its blocks lie ('layout'), then its module
 * (compileRegionModule's outcome); or the error it caught (a translator bug).
 */
export type Translated = { ticket: number } & (
  | RegionModule
  | { outcome: 'layout'; blockPhys: number[]; blockEnds: number[]; instructions: number }
  | { outcome: 'error'; error: string });

export class BackgroundTranslator {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** Results the worker has posted (element 0), and how many of them were taken. */
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private taken = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./translate-worker.js', import.meta.url), {
      workerData: { port: port2, posted: this.posted },
      transferList: [port2],
    });
    // Neither keeps the VM thread alive: it ends when the machine does.
    this.worker.unref();
    this.port.unref();
    // A worker that fails or ends is not restarted: the code cache compiles on the VM thread
    // from then on. The 'error' listener keeps a failure from ending the VM thread.
    this.worker.on('error', () => { this.alive = false; });
    this.worker.on('exit', () => { this.alive = false; });
  }

  /** False once the worker failed or ended: requests would never be answered. */
  alive = true;

  request(request: TranslateRequest): void {
    this.port.postMessage(request);
  }

  /** A result is waiting. */
  get ready(): boolean {
    return Atomics.load(this.posted, 0) !== this.taken;
  }

  /** Waits up to `ms` milliseconds for a result; true if one is waiting. */
  waitReady(ms: number): boolean {
    if (!this.ready) Atomics.wait(this.posted, 0, this.taken, ms);
    return this.ready;
  }

  /** The next result, if one is waiting. */
  take(): Translated | undefined {
    if (!this.ready) return undefined;
    const m = receiveMessageOnPort(this.port);
    if (m === undefined) return undefined;
    this.taken++;
    return m.message as Translated;
  }

  close(): void {
    void this.worker.terminate();
  }
}
