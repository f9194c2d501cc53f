// The byte stream of a saved machine (what savevm stores as a qcow2 snapshot's VM state):
// a magic and format version, the state tree as JSON, then the tree's binary arrays (RAM,
// VRAM, register files). JSON cannot carry typed arrays, bigints, NaN or ±Infinity, so
// those become small tagged objects. Binary arrays are stored page by page with a bitmap
// of the pages that are not all zeros: a guest's RAM is mostly empty.

import { isZero } from '../block/raw-driver.js';

export const VMSTATE_MAGIC = 'TERMUVM\0';
export const VMSTATE_VERSION = 1;

const PAGE = 4096;
const HEADER_BYTES = 16;

/** Why a stream cannot be loaded, in QEMU's words for the same failure. */
export class VmStateFormatError extends Error {}

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array | Uint8ClampedArray;
const ARRAY_TYPES: Record<string, new (b: ArrayBuffer) => TypedArray> = {
  Uint8Array, Uint16Array, Uint32Array, Int8Array, Int16Array, Int32Array, Float32Array, Float64Array, Uint8ClampedArray,
};

/** Replaces what JSON cannot hold by tags; collects typed arrays' bytes into `blobs`. */
function toJsonValue(v: unknown, blobs: Uint8Array[]): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $num: String(v) };
  if (typeof v === 'bigint') return { $big: v.toString() };
  if (v === undefined) return { $undef: 1 };
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) {
    const type = v.constructor.name;
    if (!(type in ARRAY_TYPES)) throw new TypeError(`cannot save a ${type}`);
    blobs.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return { $blob: blobs.length - 1, type };
  }
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x, blobs));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x, blobs);
  return out;
}

function fromJsonValue(v: unknown, blobs: Uint8Array[]): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => fromJsonValue(x, blobs));
  const o = v as Record<string, unknown>;
  if (typeof o.$num === 'string') return Number(o.$num);
  if (typeof o.$big === 'string') return BigInt(o.$big);
  if (o.$undef === 1) return undefined;
  if (typeof o.$blob === 'number') {
    const bytes = blobs[o.$blob];
    const ctor = ARRAY_TYPES[String(o.type)];
    // decodeBlob gives every blob a buffer of its own, so the typed array can view it whole.
    if (!bytes || !ctor || bytes.length % new ctor(new ArrayBuffer(0)).BYTES_PER_ELEMENT !== 0) throw new VmStateFormatError('Not a migration stream');
    return new ctor(bytes.buffer as ArrayBuffer);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = fromJsonValue(x, blobs);
  return out;
}

/**
 * Encodes `state` as a list of chunks to write one after another (views into the
 * machine's own arrays where possible, so RAM is not copied), and their total length.
 */
export function encodeVmState(state: object): { chunks: Uint8Array[]; length: number } {
  const blobs: Uint8Array[] = [];
  const json = Buffer.from(JSON.stringify(toJsonValue(state, blobs)), 'utf8');
  const header = new Uint8Array(HEADER_BYTES);
  header.set(Buffer.from(VMSTATE_MAGIC, 'latin1'));
  const hv = new DataView(header.buffer);
  hv.setUint32(8, VMSTATE_VERSION);
  hv.setUint32(12, json.length);
  const chunks: Uint8Array[] = [header, json];
  for (const blob of blobs) chunks.push(...encodeBlob(blob));
  return { chunks, length: chunks.reduce((n, c) => n + c.length, 0) };
}

/** A blob: its length, a bitmap of non-zero pages, then those pages, runs kept as single views. */
function encodeBlob(blob: Uint8Array): Uint8Array[] {
  const pages = Math.ceil(blob.length / PAGE);
  const head = new Uint8Array(4 + Math.ceil(pages / 8));
  new DataView(head.buffer).setUint32(0, blob.length);
  const out: Uint8Array[] = [head];
  let runStart = -1;
  for (let p = 0; p <= pages; p++) {
    const used = p < pages && !isZero(blob, p * PAGE, Math.min(blob.length, (p + 1) * PAGE));
    if (used) {
      head[4 + (p >> 3)] |= 1 << (p & 7);
      if (runStart < 0) runStart = p;
    } else if (runStart >= 0) {
      out.push(blob.subarray(runStart * PAGE, Math.min(blob.length, p * PAGE)));
      runStart = -1;
    }
  }
  return out;
}

/** Decodes a stream written by encodeVmState; throws VmStateFormatError on anything else. */
export function decodeVmState(data: Uint8Array): Record<string, unknown> {
  if (data.length < HEADER_BYTES || Buffer.from(data.subarray(0, 8)).toString('latin1') !== VMSTATE_MAGIC) {
    throw new VmStateFormatError('Not a migration stream');
  }
  const dv = new DataView(data.buffer, data.byteOffset, data.length);
  const version = dv.getUint32(8);
  if (version !== VMSTATE_VERSION) throw new VmStateFormatError(`Unsupported migration stream version`);
  const jsonEnd = HEADER_BYTES + dv.getUint32(12);
  if (jsonEnd > data.length) throw new VmStateFormatError('Not a migration stream');
  let tree: unknown;
  try {
    tree = JSON.parse(Buffer.from(data.subarray(HEADER_BYTES, jsonEnd)).toString('utf8'));
  } catch {
    throw new VmStateFormatError('Not a migration stream');
  }
  const blobs: Uint8Array[] = [];
  let at = jsonEnd;
  while (at < data.length) {
    const r = decodeBlob(data, at);
    blobs.push(r.blob);
    at = r.next;
  }
  const state = fromJsonValue(tree, blobs);
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new VmStateFormatError('Not a migration stream');
  return state as Record<string, unknown>;
}

function decodeBlob(data: Uint8Array, at: number): { blob: Uint8Array; next: number } {
  if (at + 4 > data.length) throw new VmStateFormatError('Not a migration stream');
  const length = new DataView(data.buffer, data.byteOffset + at, 4).getUint32(0);
  const pages = Math.ceil(length / PAGE);
  const bitmap = data.subarray(at + 4, at + 4 + Math.ceil(pages / 8));
  let pos = at + 4 + bitmap.length;
  const blob = new Uint8Array(length);
  for (let p = 0; p < pages; p++) {
    if (!(bitmap[p >> 3] & (1 << (p & 7)))) continue;
    const n = Math.min(PAGE, length - p * PAGE);
    if (pos + n > data.length) throw new VmStateFormatError('Not a migration stream');
    blob.set(data.subarray(pos, pos + n), p * PAGE);
    pos += n;
  }
  return { blob, next: pos };
}
