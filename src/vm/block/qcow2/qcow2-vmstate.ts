// The VM state area of a qcow2 image, as QEMU places it: guest-invisible clusters mapped
// through the ordinary L1/L2 tables from the first L1 entry past the virtual disk
// (qcow2_vm_state_offset). savevm writes the machine's state there just before copying
// the L1 table into the snapshot, so the snapshot owns those clusters; loadvm reads them
// back after making the snapshot's L1 the active one.

import { Qcow2Driver } from './qcow2-driver.js';

/** Guest offset of the VM state: the first byte no L1 entry of the disk itself covers. */
export function vmStateOffset(drv: Qcow2Driver): number {
  const coverage = drv.clusterSize * drv.l2Entries;
  return Math.ceil(drv.header.size / coverage) * coverage;
}

/**
 * Runs `io` with the driver's bounds widened over [offset, offset+length) of the VM state
 * area; the L1 table grows to map it. The header's size on disk never changes: only the
 * in-memory bound the driver checks accesses against is moved, and put back at once.
 */
function withVmStateWindow(drv: Qcow2Driver, offset: number, length: number, io: (guestOffset: number) => void): void {
  const base = vmStateOffset(drv);
  const end = base + offset + length;
  const coverage = drv.clusterSize * drv.l2Entries;
  const entries = Math.ceil(end / coverage);
  if (entries > drv.header.l1Size && !drv.readOnly) drv.growL1(entries);
  const size = drv.header.size;
  drv.header.size = Math.max(size, end);
  try {
    io(base + offset);
  } finally {
    drv.header.size = size;
  }
}

export function writeVmState(drv: Qcow2Driver, offset: number, data: Uint8Array): void {
  withVmStateWindow(drv, offset, data.length, (at) => drv.write(at, data));
}

export function readVmState(drv: Qcow2Driver, offset: number, out: Uint8Array): void {
  withVmStateWindow(drv, offset, out.length, (at) => drv.read(at, out));
}

/**
 * Unmaps the VM state from the active tables once a snapshot holds it (as QEMU does:
 * otherwise the next savevm would copy-on-write every one of those clusters).
 */
export function discardVmState(drv: Qcow2Driver, length: number): void {
  const bytes = Math.ceil(length / drv.clusterSize) * drv.clusterSize;
  if (bytes > 0) withVmStateWindow(drv, 0, bytes, (at) => drv.discard(at, bytes));
}
