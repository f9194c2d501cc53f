// The background translator's thread (background-translator.ts): translates each region's
// blocks to a module and compiles it, then posts the module back. WebAssembly.Module is
// shared between threads, so the VM thread only instantiates it.

import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { compileRegionModule, type RegionBlocks } from './region-translator.js';
import type { TranslateRequest, Translated } from './background-translator.js';

const { port, posted } = workerData as { port: MessagePort; posted: Int32Array };

function translate(ticket: number, blocks: RegionBlocks): Translated {
  try {
    return { ticket, ...compileRegionModule(blocks) };
  } catch (e) {
    return { ticket, outcome: 'error', error: e instanceof Error ? e.stack ?? e.message : String(e) };
  }
}

/** Requests received and not yet translated, oldest first. */
const queue: TranslateRequest[] = [];

function drain(): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) queue.push(m.message as TranslateRequest);
}

// Newest first: the VM thread interprets the code of every pending region until its module
// is back, and the region it asked for last is where it runs now.
port.on('message', (first: TranslateRequest) => {
  queue.push(first);
  drain();
  while (queue.length > 0) {
    const m = queue.pop()!;
    port.postMessage(translate(m.ticket, m.blocks));
    // After the message is queued: the VM thread's poll sees the count, then the message.
    Atomics.add(posted, 0, 1);
    Atomics.notify(posted, 0);
    drain();
  }
});
