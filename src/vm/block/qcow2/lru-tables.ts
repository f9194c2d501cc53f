// A bounded cache of metadata tables (L2 tables, refcount blocks) keyed by host offset.
// Tables are written through to the file when modified, so evicting one never loses data
// and the cache's size is the only thing it has to manage.
export interface CachedTable {
  offset: number;
  bytes: Uint8Array;
  view: DataView;
}

export class LruTables {
  private readonly map = new Map<number, CachedTable>();
  private last: CachedTable | null = null;

  constructor(private readonly capacity: number) {}

  get(offset: number): CachedTable | undefined {
    const last = this.last;
    if (last !== null && last.offset === offset) return last;
    const t = this.map.get(offset);
    if (t !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.map.delete(offset);
      this.map.set(offset, t);
      this.last = t;
    }
    return t;
  }

  put(offset: number, bytes: Uint8Array): CachedTable {
    this.drop(offset);
    if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next().value as number;
      this.drop(oldest);
    }
    const t = { offset, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.length) };
    this.map.set(offset, t);
    this.last = t;
    return t;
  }

  drop(offset: number): void {
    this.map.delete(offset);
    if (this.last !== null && this.last.offset === offset) this.last = null;
  }

  clear(): void {
    this.map.clear();
    this.last = null;
  }
}
