// The background translator's thread (background-translator.ts): translates each region's
// blocks to a module and compiles it, then posts the module back. WebAssembly.Module is
// shared between threads, so the VM thread only instantiates it.

import { workerData, type MessagePort } from 'node:worker_threads';
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

port.on('message', (m: TranslateRequest) => {
  port.postMessage(translate(m.ticket, m.blocks));
  // After the message is queued: the VM thread's poll sees the count, then the message.
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
});
