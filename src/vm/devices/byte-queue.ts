// A bounded FIFO of bytes for the PS/2 devices' output queues. A fixed ring, so key
// and mouse input allocates nothing.

export class ByteQueue {
  private readonly data: Uint8Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.data = new Uint8Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  get free(): number {
    return this.capacity - this.count;
  }

  /** Appends `byte`; returns false (and drops it) when full. */
  push(byte: number): boolean {
    if (this.count === this.capacity) return false;
    this.data[(this.head + this.count) % this.capacity] = byte;
    this.count++;
    return true;
  }

  /** Removes and returns the oldest byte, or -1 if empty. */
  shift(): number {
    if (this.count === 0) return -1;
    const b = this.data[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return b;
  }

  clear(): void {
    this.head = this.count = 0;
  }

  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.data[(this.head + i) % this.capacity]);
    return out;
  }

  load(bytes: readonly number[]): void {
    this.clear();
    for (const b of bytes.slice(0, this.capacity)) this.push(b);
  }
}
