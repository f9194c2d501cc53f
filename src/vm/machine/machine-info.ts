// What the guest's worker answers for the monitor's inspection commands: memory for
// x/xp/memsave (physical, or virtual through the guest's page tables) and the text of
// the `info` commands that need the machine's state.

import type { Cpu } from '../cpu/cpu.js';
import type { BiosHardware } from './bios-hardware.js';
import { blockInfo } from './block-info.js';
import { memInfo, readPhysical, readVirtual, tlbInfo, type PagingState } from './guest-memory.js';
import { irqInfo, picInfo } from './interrupt-info.js';
import type { PcBoard } from './pc-board.js';
import { pciInfo } from './pci-info.js';

export type InfoTopic = 'mem' | 'tlb' | 'pic' | 'irq' | 'pci' | 'jit' | 'block';

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
    case 'block':
      return { text: blockInfo(m.hw, req.device) };
    case 'irq':
      return { text: irqInfo(m.board) };
    case 'pci':
      return { text: pciInfo(m.board.pciHost) };
    case 'jit':
      return { text: m.cpu.jit ? m.cpu.jit.infoText() : 'JIT: off (-accel tcg,jit=off)\n' };
  }
}
