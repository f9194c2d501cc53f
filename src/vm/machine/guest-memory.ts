// The monitor's view of guest memory, as QEMU's debug accesses see it: physical reads
// that fail on unassigned addresses, virtual addresses translated through the guest's
// 32-bit page tables without touching their accessed/dirty bits, and the `info mem` /
// `info tlb` listings of those tables (target/i386/monitor.c, non-PAE layout).

import { PAGE_SHIFT, PAGE_UNASSIGNED, type PhysicalMemory } from './physical-memory.js';

const PG_PRESENT = 0x001;
const PG_RW = 0x002;
const PG_USER = 0x004;
const PG_PWT = 0x008;
const PG_PCD = 0x010;
const PG_ACCESSED = 0x020;
const PG_DIRTY = 0x040;
const PG_PSE = 0x080;
const PG_GLOBAL = 0x100;
const CR0_PG = 0x80000000;
const CR4_PSE = 0x10;

/** What translation needs from the CPU. */
export interface PagingState {
  cr0: number;
  cr3: number;
  cr4: number;
  /** The A20 gate's address mask (-1 when open). */
  a20Mask: number;
}

/** Physical bytes at `addr`, or undefined when any of them is not backed by RAM, ROM or a device. */
export function readPhysical(memory: PhysicalMemory, addr: number, length: number): Uint8Array | undefined {
  if (addr < 0 || addr + length > 2 ** 32) return undefined;
  for (let page = Math.floor(addr / 2 ** PAGE_SHIFT); page * 2 ** PAGE_SHIFT < addr + length; page++) {
    if (memory.pageKind[page] === PAGE_UNASSIGNED) return undefined;
  }
  const out = new Uint8Array(length);
  memory.readBytes(addr, out);
  return out;
}

/** The physical address of `vaddr`, or -1 when it is not mapped (cpu_get_phys_page_debug). */
export function translate(memory: PhysicalMemory, paging: PagingState, vaddr: number): number {
  vaddr >>>= 0;
  if ((paging.cr0 & CR0_PG) === 0) return (vaddr & paging.a20Mask) >>> 0;
  const pde = memory.read32(((paging.cr3 & ~0xfff) + ((vaddr >>> 22) << 2)) & paging.a20Mask) >>> 0;
  if ((pde & PG_PRESENT) === 0) return -1;
  if (pde & PG_PSE && paging.cr4 & CR4_PSE) return (((pde & 0xffc00000) | (vaddr & 0x3fffff)) & paging.a20Mask) >>> 0;
  const pte = memory.read32(((pde & ~0xfff) + (((vaddr >>> 12) & 0x3ff) << 2)) & paging.a20Mask) >>> 0;
  if ((pte & PG_PRESENT) === 0) return -1;
  return (((pte & ~0xfff) | (vaddr & 0xfff)) & paging.a20Mask) >>> 0;
}

/** Virtual bytes, page by page; undefined when a page is unmapped or its memory unassigned. */
export function readVirtual(memory: PhysicalMemory, paging: PagingState, vaddr: number, length: number): Uint8Array | undefined {
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const va = (vaddr + done) >>> 0;
    const n = Math.min(length - done, 0x1000 - (va & 0xfff));
    const pa = translate(memory, paging, va);
    if (pa < 0) return undefined;
    const bytes = readPhysical(memory, pa, n);
    if (!bytes) return undefined;
    out.set(bytes, done);
    done += n;
  }
  return out;
}

const hex16 = (v: number) => v.toString(16).padStart(16, '0');

function pteFlags(pte: number): string {
  const bit = (mask: number, c: string) => (pte & mask ? c : '-');
  return `-${bit(PG_GLOBAL, 'G')}${bit(PG_PSE, 'P')}${bit(PG_DIRTY, 'D')}${bit(PG_ACCESSED, 'A')}${bit(PG_PCD, 'C')}${bit(PG_PWT, 'T')}${bit(PG_USER, 'U')}${bit(PG_RW, 'W')}`;
}

/** `info tlb`: every present mapping, as QEMU's tlb_info_32 lists it. */
export function tlbInfo(memory: PhysicalMemory, paging: PagingState): string {
  if ((paging.cr0 & CR0_PG) === 0) return 'PG disabled\n';
  const lines: string[] = [];
  const pgd = paging.cr3 & ~0xfff;
  for (let l1 = 0; l1 < 1024; l1++) {
    const pde = memory.read32(pgd + l1 * 4) >>> 0;
    if ((pde & PG_PRESENT) === 0) continue;
    if (pde & PG_PSE && paging.cr4 & CR4_PSE) {
      // QEMU masks large pages with ~((1 << 21) - 1): bit 21 of the entry shows.
      lines.push(`${hex16(l1 * 2 ** 22)}: ${hex16((pde & ~0x1fffff) >>> 0)} ${pteFlags(pde)}\n`);
      continue;
    }
    for (let l2 = 0; l2 < 1024; l2++) {
      const pte = memory.read32(((pde & ~0xfff) >>> 0) + l2 * 4) >>> 0;
      if (pte & PG_PRESENT) lines.push(`${hex16(l1 * 2 ** 22 + l2 * 2 ** 12)}: ${hex16((pte & ~0xfff) >>> 0)} ${pteFlags(pte & ~PG_PSE)}\n`);
    }
  }
  return lines.join('');
}

/** `info mem`: runs of contiguous virtual memory with the same user/write rights (QEMU's mem_info_32). */
export function memInfo(memory: PhysicalMemory, paging: PagingState): string {
  if ((paging.cr0 & CR0_PG) === 0) return 'PG disabled\n';
  const lines: string[] = [];
  let start = -1;
  let lastProt = 0;
  const print = (end: number, prot: number) => {
    if (prot === lastProt) return;
    if (start !== -1) lines.push(`${hex16(start)}-${hex16(end)} ${hex16(end - start)} ${lastProt & PG_USER ? 'u' : '-'}r${lastProt & PG_RW ? 'w' : '-'}\n`);
    start = prot !== 0 ? end : -1;
    lastProt = prot;
  };
  const RIGHTS = PG_USER | PG_RW | PG_PRESENT;
  const pgd = paging.cr3 & ~0xfff;
  for (let l1 = 0; l1 < 1024; l1++) {
    const pde = memory.read32(pgd + l1 * 4) >>> 0;
    const base = l1 * 2 ** 22;
    if ((pde & PG_PRESENT) === 0) print(base, 0);
    else if (pde & PG_PSE && paging.cr4 & CR4_PSE) print(base, pde & RIGHTS);
    else {
      for (let l2 = 0; l2 < 1024; l2++) {
        const pte = memory.read32(((pde & ~0xfff) >>> 0) + l2 * 4) >>> 0;
        print(base + l2 * 2 ** 12, pte & PG_PRESENT ? pte & pde & RIGHTS : 0);
      }
    }
  }
  print(2 ** 32, 0);
  return lines.join('');
}
