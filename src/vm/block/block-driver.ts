// The one interface every image format implements and every user (IDE, floppy, termu-img,
// NBD) calls. Synchronous by design: the guest runs in a worker thread that may block on
// its disk like a CPU waiting on a slow drive, and synchronous I/O makes the write
// ordering that crash safety depends on explicit. Offsets and lengths are bytes.

export interface BlockStatus {
  /** Bytes from `offset` that share this status. */
  length: number;
  /** Data is present in this image (not inherited from a backing file). */
  allocated: boolean;
  /** Reads as zeros. */
  zero: boolean;
  /** Host offset in this image's file, where one exists (raw, uncompressed qcow2 data). */
  hostOffset?: number;
  /** Depth in the backing chain that supplies the data (0 = this image). */
  depth: number;
  /** Data is stored compressed (qcow2), so it has no plain host offset. */
  compressed?: boolean;
}

export interface BlockDriver {
  /** Format name as qemu-img prints it: 'raw' or 'qcow2'. */
  readonly format: string;
  /** Guest-visible size in bytes. */
  readonly length: number;
  readonly readOnly: boolean;

  read(offset: number, buf: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  /** Makes everything written so far durable. */
  flush(): void;
  /** Makes [offset, offset+length) read as zeros; `unmap` may free the space. */
  writeZeroes(offset: number, length: number, unmap: boolean): void;
  /** Drops data in [offset, offset+length) (reads then return zeros or backing data, as the format defines). */
  discard(offset: number, length: number): void;
  blockStatus(offset: number, length: number): BlockStatus;
  resize(newLength: number): void;
  close(): void;
}
