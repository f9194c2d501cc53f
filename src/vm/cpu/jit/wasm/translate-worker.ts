// The background translator's thread (background-translator.ts): translates each region's
// blocks to a module and compiles it, then posts the module back. WebAssembly.Module is
// shared between threads, so the VM thread only instantiates it.

import { workerData, type MessagePort } from 'node:worker_threads';
import { translateRegion, type RegionBlocks } from './region-translator.js';
import { Unsupported } from './js-subset.js';
import type { TranslateRequest, Translated } from './background-translator.js';

const { port, posted } = workerData as { port: MessagePort; posted: Int32Array };

function translate(ticket: number, blocks: RegionBlocks): Translated {
  let bytes: Uint8Array;
  try {
    bytes = translateRegion(blocks);
  } catch (e) {
    if (e instanceof Unsupported) return { ticket, outcome: 'refused' };
    return { ticket, outcome: 'error', error: e instanceof Error ? e.stack ?? e.message : String(e) };
  }
  try {
    return { ticket, outcome: 'module', module: new WebAssembly.Module(bytes), size: bytes.length };
  } catch {
    return { ticket, outcome: 'invalid' };
  }
}

port.on('message', (m: TranslateRequest) => {
  port.postMessage(translate(m.ticket, m.blocks));
  // After the message is queued: the VM thread's poll sees the count, then the message.
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
});
