// The PIIX's bus-master IDE DMA engine, one per channel (8 bytes of BAR 4): a command
// register (start, direction), a status register (active, error, interrupt, DMA-capable
// bits) and the physical address of a PRD table. A transfer walks the PRD entries (base,
// byte count, end-of-table bit) and moves data through PhysicalMemory's bulk accessors, so
// DMA into pages holding decoded code invalidates them.

import type { IoSize } from '../../machine/io-bus.js';
import type { PhysicalMemory } from '../../machine/physical-memory.js';

export const BM_COMMAND_START = 0x01;
/** Set: the device writes to memory (a disk read). */
export const BM_COMMAND_TO_MEMORY = 0x08;
export const BM_STATUS_ACTIVE = 0x01;
export const BM_STATUS_ERROR = 0x02;
export const BM_STATUS_INTERRUPT = 0x04;
/** The "drive 0/1 DMA capable" bits: plain storage for the driver. */
const BM_STATUS_CAPABLE = 0x60;
/** A PRD table may not cross 64 KiB, so it holds at most 8192 entries. */
const MAX_PRD_ENTRIES = 8192;

/** Moves `chunk.length` bytes at transfer position `pos` between the device and `chunk`. */
export type DmaChunkHandler = (pos: number, chunk: Uint8Array) => void;

export class BusMasterDma {
  command = 0;
  status = 0;
  prdTable = 0;
  private readonly bounce = new Uint8Array(0x10000);

  /** `onStart` runs when the guest sets the start bit, so a waiting command can proceed. */
  constructor(private readonly memory: PhysicalMemory, private readonly onStart: () => void) {}

  saveState(): object {
    return { command: this.command, status: this.status, prdTable: this.prdTable };
  }

  loadState(state: object): void {
    const st = state as { command?: number; status?: number; prdTable?: number };
    this.command = st.command ?? 0;
    this.status = st.status ?? 0;
    this.prdTable = st.prdTable ?? 0;
  }

  get running(): boolean {
    return (this.command & BM_COMMAND_START) !== 0;
  }

  reset(): void {
    this.command = this.status = this.prdTable = 0;
  }

  readRegister(offset: number, size: IoSize): number {
    switch (offset) {
      case 0:
        return size === 1 ? this.command : this.command | (this.status << 16);
      case 2:
        return this.status;
      case 4:
        return size === 4 ? this.prdTable >>> 0 : this.prdTable & 0xffff;
      case 6:
        return this.prdTable >>> 16;
      default:
        return 0;
    }
  }

  writeRegister(offset: number, size: IoSize, value: number): void {
    switch (offset) {
      case 0:
        this.writeCommand(value & 0xff);
        if (size === 4) this.writeStatus((value >>> 16) & 0xff);
        break;
      case 2:
        this.writeStatus(value & 0xff);
        break;
      case 4:
        if (size === 4) this.prdTable = value & ~3;
        else this.prdTable = ((this.prdTable & 0xffff0000) | (value & (size === 2 ? 0xfffc : 0xfc))) >>> 0;
        break;
      case 6:
        this.prdTable = ((this.prdTable & 0xffff) | ((value & 0xffff) << 16)) >>> 0;
        break;
    }
  }

  private writeCommand(value: number): void {
    const wasRunning = this.running;
    this.command = value & (BM_COMMAND_START | BM_COMMAND_TO_MEMORY);
    if (wasRunning === this.running) return;
    if (!this.running) {
      this.status &= ~BM_STATUS_ACTIVE;
    } else if (!(this.status & BM_STATUS_ACTIVE)) {
      this.status |= BM_STATUS_ACTIVE;
      this.onStart();
    }
  }

  private writeStatus(value: number): void {
    this.status = (value & BM_STATUS_CAPABLE) | (this.status & BM_STATUS_ACTIVE) | (this.status & ~value & (BM_STATUS_ERROR | BM_STATUS_INTERRUPT));
  }

  /**
   * Runs one transfer of `length` bytes through the PRD table. Returns false when the
   * table ended before the transfer did (the guest gave too little memory).
   */
  transfer(toMemory: boolean, length: number, handler: DmaChunkHandler): boolean {
    const mem = this.memory;
    let entry = this.prdTable;
    let pos = 0;
    for (let i = 0; i < MAX_PRD_ENTRIES && pos < length; i++, entry += 8) {
      const base = mem.read32(entry) & ~1;
      const control = mem.read32(entry + 4);
      const count = control & 0xffff || 0x10000;
      const n = Math.min(count, length - pos);
      const chunk = this.bounce.subarray(0, n);
      if (toMemory) {
        handler(pos, chunk);
        mem.writeBytes(base, chunk);
      } else {
        mem.readBytes(base, chunk);
        handler(pos, chunk);
      }
      pos += n;
      if (control & 0x80000000) break;
    }
    return pos >= length;
  }

  /** The transfer is over: no longer active, interrupt pending (raised with the IDE IRQ). */
  finish(): void {
    this.status &= ~BM_STATUS_ACTIVE;
  }
}
