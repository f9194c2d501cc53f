// A single-producer, single-consumer byte ring in a SharedArrayBuffer: serial bytes
// between the main thread and the guest's worker without messages or copies per byte.
// Head and tail are free-running 32-bit counters; capacity is a power of two.

const HEAD = 0;
const TAIL = 1;

export class ByteRing {
  private readonly index: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  static create(capacity = 1 << 16): SharedArrayBuffer {
    if (capacity & (capacity - 1)) throw new Error('ring capacity must be a power of two');
    return new SharedArrayBuffer(8 + capacity);
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.index = new Int32Array(buffer, 0, 2);
    this.data = new Uint8Array(buffer, 8);
    this.mask = this.data.length - 1;
  }

  get available(): number {
    return (Atomics.load(this.index, TAIL) - Atomics.load(this.index, HEAD)) >>> 0;
  }

  get free(): number {
    return this.data.length - this.available;
  }

  /** Producer: appends one byte; false when full. */
  push(byte: number): boolean {
    const tail = Atomics.load(this.index, TAIL);
    if (((tail - Atomics.load(this.index, HEAD)) >>> 0) >= this.data.length) return false;
    this.data[tail & this.mask] = byte;
    Atomics.store(this.index, TAIL, (tail + 1) | 0);
    return true;
  }

  /** Producer: appends as much of `bytes` as fits; returns the count written. */
  write(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, this.free);
    const tail = Atomics.load(this.index, TAIL);
    for (let i = 0; i < n; i++) this.data[(tail + i) & this.mask] = bytes[i];
    Atomics.store(this.index, TAIL, (tail + n) | 0);
    return n;
  }

  /** Consumer: copies up to out.length bytes without consuming them; returns the count. */
  peek(out: Uint8Array): number {
    const n = Math.min(out.length, this.available);
    const head = Atomics.load(this.index, HEAD);
    for (let i = 0; i < n; i++) out[i] = this.data[(head + i) & this.mask];
    return n;
  }

  /** Consumer: drops `n` bytes already peeked. */
  consume(n: number): void {
    Atomics.store(this.index, HEAD, (Atomics.load(this.index, HEAD) + n) | 0);
  }

  /** Consumer: takes everything available. */
  drain(): Uint8Array {
    const out = new Uint8Array(this.available);
    this.consume(this.peek(out));
    return out;
  }
}
