// The background translator's thread (background-translator.ts): lays out the blocks of a
// region sent as a copy of its page and posts where they are at once (one sent laid out
// skips this), then translates the blocks to a module, compiles it and posts the module.
// WebAssembly.Module is shared between threads, so the VM thread only instantiates it. Every
// request waiting is laid out before the next translation (~0.1 ms against ~1-2 ms), so the VM
// thread soon knows which entries a region on its way covers.

import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { compileRegionModule, type RegionBlocks } from './region-translator.js';
import { layOutRegion } from '../region-compiler.js';
import type { TranslateRequest, Translated } from './background-translator.js';

const { port, posted } = workerData as { port: MessagePort; posted: Int32Array };

/** Laid out, waiting for translation. */
const queue: { ticket: number; blocks: RegionBlocks }[] = [];

function post(result: Translated): void {
  port.postMessage(result);
  // After the message is queued: the VM thread's poll sees the count, then the message.
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
}

/** Any failure is posted as an 'error' outcome: a translator bug, which the VM thread reports. */
function guarded(ticket: number, work: () => Translated | undefined): void {
  let result: Translated | undefined;
  try {
    result = work();
  } catch (e) {
    result = { ticket, outcome: 'error', error: e instanceof Error ? e.stack ?? e.message : String(e) };
  }
  if (result !== undefined) post(result);
}

function layOut(request: TranslateRequest): void {
  const ticket = request.ticket;
  if ('blocks' in request) {
    queue.push({ ticket, blocks: request.blocks });
    return;
  }
  const input = request.input;
  guarded(ticket, () => {
    const { cases, blockPhys, blockEnds, instructions } = layOutRegion(input);
    queue.push({ ticket, blocks: { cases, key: input.key, physPage: input.phys >>> 12 } });
    return { ticket, outcome: 'layout', blockPhys, blockEnds, instructions };
  });
}

function layOutWaiting(): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) layOut(m.message as TranslateRequest);
}

port.on('message', (m: TranslateRequest) => {
  layOut(m);
  layOutWaiting();
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { ticket, blocks } = next;
    guarded(ticket, () => ({ ticket, ...compileRegionModule(blocks) }));
    layOutWaiting();
  }
});
