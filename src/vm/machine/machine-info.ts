// What the guest's worker answers for the monitor's inspection commands: memory for
// x/xp/memsave (physical, or virtual through the guest's page tables) and the text of
// the `info` commands that need the machine's state.

import type { Cpu } from '../cpu/cpu.js';
import type { BiosHardware } from './bios-hardware.js';
import { blockInfo } from './block-info.js';
import { blockStats } from './block-stats.js';
import { formatDeviceTree } from './device-tree.js';
import { memInfo, readPhysical, readVirtual, tlbInfo, type PagingState } from './guest-memory.js';
import { PAGE_ROM, PAGE_SHIFT, PAGE_SIZE, type PhysicalMemory } from './physical-memory.js';
import { irqInfo, picInfo } from './interrupt-info.js';
import { formatFlatViews } from './memory-flat-view.js';
import { formatMemoryTree } from './memory-tree.js';
import { pcDeviceTree } from './pc-device-tree.js';
import type { PcBoard } from './pc-board.js';
import { pcAddressSpaces } from './pc-memory-map.js';
import { pciInfo } from './pci-info.js';

export type InfoTopic = 'mem' | 'tlb' | 'pic' | 'irq' | 'pci' | 'jit' | 'block' | 'blockstats' | 'roms' | 'mtree' | 'mtree-flat' | 'qtree';

export type InspectRequest =
  | { what: 'memory'; addr: number; length: number; virtual: boolean }
  | { what: 'info'; topic: InfoTopic; device?: string };

export interface InspectReply {
  /** The bytes read; absent when the memory cannot be accessed. */
  bytes?: Uint8Array;
  text?: string;
}

export interface InspectedMachine {
  board: PcBoard;
  cpu: Cpu;
  hw?: BiosHardware;
  /** The firmware image's name as given (-bios), or undefined for a direct kernel boot. */
  biosName?: string;
}

function paging(cpu: Cpu): PagingState {
  return { cr0: cpu.cr0, cr3: cpu.cr3, cr4: cpu.cr4, a20Mask: cpu.mmu.a20Mask };
}

export function inspect(req: InspectRequest, m: InspectedMachine): InspectReply {
  if (req.what === 'memory') {
    const memory = m.board.memory;
    return { bytes: req.virtual ? readVirtual(memory, paging(m.cpu), req.addr, req.length) : readPhysical(memory, req.addr, req.length) };
  }
  switch (req.topic) {
    case 'mem':
      return { text: memInfo(m.board.memory, paging(m.cpu)) };
    case 'tlb':
      return { text: tlbInfo(m.board.memory, paging(m.cpu)) };
    case 'pic':
      return { text: picInfo(m.board) };
    case 'roms':
      return { text: romsInfo(m.board.memory, m.biosName) };
    case 'blockstats':
      return { text: blockStats(m.hw) };
    case 'block':
      return { text: blockInfo(m.hw, req.device) };
    case 'irq':
      return { text: irqInfo(m.board) };
    case 'pci':
      return { text: pciInfo(m.board.pciHost) };
    case 'mtree':
      return { text: formatMemoryTree(pcAddressSpaces(m.board, m.hw)) };
    case 'mtree-flat':
      return { text: formatFlatViews(pcAddressSpaces(m.board, m.hw)) };
    case 'qtree':
      return { text: formatDeviceTree(pcDeviceTree(m.board, m.hw)) };
    case 'jit':
      return { text: m.cpu.jit ? m.cpu.jit.infoText() : 'JIT: off (-accel tcg,jit=off)\n' };
  }
}

/**
 * `info roms`: QEMU's line for the firmware image mapped below 4 GiB (termu has no option
 * ROMs or ACPI blobs in fw_cfg, which QEMU also lists). A direct kernel boot has none.
 */
function romsInfo(memory: PhysicalMemory, biosName: string | undefined): string {
  if (biosName === undefined) return '';
  let size = 0;
  for (let page = 2 ** (32 - PAGE_SHIFT) - 1; page >= 0 && memory.pageKind[page] === PAGE_ROM; page--) size += PAGE_SIZE;
  const addr = 2 ** 32 - size;
  return `addr=${addr.toString(16).padStart(16, '0')} size=0x${size.toString(16).padStart(6, '0')} mem=rom name="${biosName}"\n`;
}
