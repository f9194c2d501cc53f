// Linear → physical translation: the two-level i386 page walk (4 KiB pages and 4 MiB PSE
// pages), accessed/dirty bits, #PF error codes, and the software TLB that makes the
// common access one array load and one compare.
//
// The TLB has one entry per virtual page in each of two tables, for reads and for writes.
// An entry is the physical page address with permission bits below it:
//   TLB_SUPER: a CPL 0-2 access may use the entry; TLB_USER: a CPL 3 access may;
//   TLB_SLOW: the page is not plain RAM (ROM, MMIO, unassigned), so even a permitted access
//   goes through PhysicalMemory. A zero entry is empty. The fast path accepts an entry only
//   when `(entry & checkMask) === needBits`, one compare that also rejects SLOW pages.
//   TLB_CODE (write entries only): the physical page holds compiled code, so stores take the
//   slow path, which tells the code cache (onCodeWrite: the page, the physical address and
//   the store's length) before writing. Every virtual alias of the page carries the bit,
//   because the bit follows the physical frame.
// A write entry is filled only once the page's dirty bit is set, so the first write walks.

import { PAGE_RAM, type PhysicalMemory } from '../machine/physical-memory.js';
import { DOUBLE_FIELD } from '../machine/double-field.js';

/** Typed-array element access matches x86 byte order only on little-endian hosts. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export const TLB_SUPER = 1;
export const TLB_USER = 2;
export const TLB_GLOBAL = 4;
export const TLB_SLOW = 8;
export const TLB_CODE = 16;

/**
 * The permission bit a compiled fast path needs for CPL 3 (`user`) or CPL 0-2. Compiled code
 * accepts a RAM page when `(entry & (bit | TLB_SLOW)) === bit` (stores check code pages apart).
 */
export function fastPathBit(user: boolean): number {
  return user ? TLB_USER : TLB_SUPER;
}

const PG_P = 1, PG_W = 2, PG_U = 4, PG_A = 0x20, PG_D = 0x40, PG_PS = 0x80, PG_G = 0x100;

/** #PF error-code bits. */
export const PF_PRESENT = 1, PF_WRITE = 2, PF_USER = 4;

/** A page's membership in the flush lists (`Mmu.listed`). */
const IN_LOCAL = 1, IN_GLOBAL = 2;

export class Mmu {
  /** In the guest arena, where wasm regions read them. */
  readonly tlbRead: Int32Array;
  readonly tlbWrite: Int32Array;
  /** Set for CPL 3 to (TLB_USER|TLB_SLOW|TLB_CODE, TLB_USER), else (TLB_SUPER|TLB_SLOW|TLB_CODE, TLB_SUPER). */
  checkMask = TLB_SUPER | TLB_SLOW | TLB_CODE;
  needBits = TLB_SUPER;
  user = false;

  paging = false;
  writeProtect = false;
  pse = false;
  pge = false;
  cr3 = DOUBLE_FIELD;
  a20Mask = -1;

  /**
   * Pages that may have a non-zero entry, so a flush clears only those (Linux reloads CR3
   * often and touches tens of thousands of kernel pages). Entries filled as global go to
   * the global list, others to the local list, each page at most once per list
   * (`listed`), so neither list can overflow. A page may be listed where its entry no
   * longer is (INVLPG, a refill): a flush then clears more than it must, never less.
   */
  private readonly localPages = new Int32Array(1 << 20);
  private localCount = 0;
  private readonly globalPages = new Int32Array(1 << 20);
  private globalCount = 0;
  private readonly listed = new Uint8Array(1 << 20);
  private readonly ram: Uint8Array;
  private readonly ram16: Uint16Array;
  private readonly ram32: Int32Array;

  /** Raises #PF; never returns (the CPU throws its fault). */
  onPageFault: (linear: number, error: number) => never = () => {
    throw new Error('page fault with no handler');
  };
  /** Called whenever entries are dropped, so the CPU can forget its cached fetch page. */
  onFlush: () => void = () => {};
  /** 1 for each physical page holding compiled code (the code cache's table), or null without a JIT. */
  codePages: Uint8Array | null = null;
  /** Called before a store reaches a physical page marked in codePages. */
  onCodeWrite: (page: number, phys: number, length: number) => void = () => {};

  constructor(readonly memory: PhysicalMemory) {
    const ram = memory.ram;
    this.ram = ram;
    this.ram16 = new Uint16Array(ram.buffer, ram.byteOffset, ram.length >> 1);
    this.ram32 = new Int32Array(ram.buffer, ram.byteOffset, ram.length >> 2);
    this.tlbRead = memory.arena.tlbRead;
    this.tlbWrite = memory.arena.tlbWrite;
  }

  setUser(user: boolean): void {
    this.user = user;
    this.checkMask = user ? TLB_USER | TLB_SLOW | TLB_CODE : TLB_SUPER | TLB_SLOW | TLB_CODE;
    this.needBits = user ? TLB_USER : TLB_SUPER;
  }

  // ---- translation -------------------------------------------------------------------

  /** Physical address of `linear` for an access of the given kind, walking and faulting as needed. */
  translate(linear: number, write: boolean, user: boolean): number {
    const page = linear >>> 12;
    const e = write ? this.tlbWrite[page] : this.tlbRead[page];
    if (e & (user ? TLB_USER : TLB_SUPER)) return ((e & ~0xfff) | (linear & 0xfff)) >>> 0;
    return this.walk(linear, write, user);
  }

  /**
   * Physical address for a store of `length` bytes the caller is about to make at `linear`:
   * as translate(), and if the page holds compiled code, the code cache is told first (it
   * drops the page's code if the store reaches it). An entry whose page no longer holds code
   * loses its TLB_CODE bit, so later stores take the fast path again.
   */
  translateWrite(linear: number, user: boolean, length: number): number {
    const phys = this.translate(linear, true, user);
    const codePages = this.codePages;
    if (codePages !== null) {
      const frame = phys >>> 12;
      if (codePages[frame] !== 0) this.onCodeWrite(frame, phys, length);
      else this.tlbWrite[linear >>> 12] &= ~TLB_CODE;
    }
    return phys;
  }

  /** Sets TLB_CODE on every write entry mapping physical page `frame` (it now holds compiled code). */
  markCodePage(frame: number): void {
    const tw = this.tlbWrite;
    for (let i = 0; i < this.localCount; i++) {
      const p = this.localPages[i];
      if (tw[p] !== 0 && tw[p] >>> 12 === frame) tw[p] |= TLB_CODE;
    }
    for (let i = 0; i < this.globalCount; i++) {
      const p = this.globalPages[i];
      if (tw[p] !== 0 && tw[p] >>> 12 === frame) tw[p] |= TLB_CODE;
    }
  }

  /** Page-table A/D updates are stores too: the code cache is told of one on a page with compiled code. */
  private writeTableEntry(addr: number, value: number): void {
    this.memory.write32(addr, value);
    if (this.codePages !== null && this.codePages[addr >>> 12] !== 0) this.onCodeWrite(addr >>> 12, addr, 4);
  }

  private walk(linear: number, write: boolean, user: boolean): number {
    const page = linear >>> 12;
    const mem = this.memory;
    if (!this.paging) {
      const phys = (linear & this.a20Mask & ~0xfff) >>> 0;
      const slow = mem.pageKind[phys >>> 12] === PAGE_RAM ? 0 : TLB_SLOW;
      const entry = phys | TLB_SUPER | TLB_USER | slow;
      this.fill(page, entry, entry | this.codeBit(phys));
      return (phys | (linear & 0xfff)) >>> 0;
    }
    const errBase = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
    const pdeAddr = ((this.cr3 & ~0xfff) | ((linear >>> 22) << 2)) >>> 0;
    let pde = mem.read32(pdeAddr);
    if (!(pde & PG_P)) this.onPageFault(linear, errBase);
    let frame: number, userOk: boolean, writable: boolean, dirty: boolean, global: boolean;
    if (pde & PG_PS && this.pse) {
      userOk = (pde & PG_U) !== 0;
      writable = (pde & PG_W) !== 0;
      this.check(linear, write, user, userOk, writable, errBase);
      const updated = pde | PG_A | (write ? PG_D : 0);
      if (updated !== pde) this.writeTableEntry(pdeAddr, updated);
      pde = updated;
      frame = ((pde & 0xffc00000) | (linear & 0x3ff000)) >>> 0;
      dirty = (pde & PG_D) !== 0;
      global = (pde & PG_G) !== 0 && this.pge;
    } else {
      const pteAddr = ((pde & ~0xfff) | (((linear >>> 12) & 0x3ff) << 2)) >>> 0;
      let pte = mem.read32(pteAddr);
      if (!(pte & PG_P)) this.onPageFault(linear, errBase);
      userOk = (pde & pte & PG_U) !== 0;
      writable = (pde & pte & PG_W) !== 0;
      this.check(linear, write, user, userOk, writable, errBase);
      if (!(pde & PG_A)) this.writeTableEntry(pdeAddr, pde | PG_A);
      const updated = pte | PG_A | (write ? PG_D : 0);
      if (updated !== pte) this.writeTableEntry(pteAddr, updated);
      pte = updated;
      frame = (pte & ~0xfff) >>> 0;
      dirty = (pte & PG_D) !== 0;
      global = (pte & PG_G) !== 0 && this.pge;
    }
    frame = (frame & this.a20Mask) >>> 0;
    const slow = mem.pageKind[frame >>> 12] === PAGE_RAM ? 0 : TLB_SLOW;
    const g = global ? TLB_GLOBAL : 0;
    const readEntry = frame | TLB_SUPER | (userOk ? TLB_USER : 0) | slow | g;
    let writeEntry = 0;
    if (dirty) {
      const superWrite = writable || !this.writeProtect;
      const userWrite = userOk && writable;
      if (superWrite || userWrite) writeEntry = frame | (superWrite ? TLB_SUPER : 0) | (userWrite ? TLB_USER : 0) | slow | g | this.codeBit(frame);
    }
    this.fill(page, readEntry, writeEntry);
    return (frame | (linear & 0xfff)) >>> 0;
  }

  private codeBit(frame: number): number {
    return this.codePages !== null && this.codePages[frame >>> 12] !== 0 ? TLB_CODE : 0;
  }

  private check(linear: number, write: boolean, user: boolean, userOk: boolean, writable: boolean, errBase: number): void {
    if (user && !userOk) this.onPageFault(linear, errBase | PF_PRESENT);
    if (write && !writable && (user || this.writeProtect)) this.onPageFault(linear, errBase | PF_PRESENT);
  }

  private fill(page: number, readEntry: number, writeEntry: number): void {
    // Listed by what the entry is now, so a CR3 load (which walks only the local list)
    // reaches every non-global entry even when the page was global before.
    if ((readEntry | writeEntry) & TLB_GLOBAL) {
      if (!(this.listed[page] & IN_GLOBAL)) {
        this.listed[page] |= IN_GLOBAL;
        this.globalPages[this.globalCount++] = page;
      }
    } else if (!(this.listed[page] & IN_LOCAL)) {
      this.listed[page] |= IN_LOCAL;
      this.localPages[this.localCount++] = page;
    }
    this.tlbRead[page] = readEntry;
    this.tlbWrite[page] = writeEntry;
  }

  /** Drops every entry (CR0/CR4 changes, A20), or every non-global one (CR3 loads). */
  flush(keepGlobal: boolean): void {
    const read = this.tlbRead, write = this.tlbWrite, listed = this.listed;
    for (let i = 0; i < this.localCount; i++) {
      const p = this.localPages[i];
      listed[p] &= ~IN_LOCAL;
      // A page refilled as global since it was listed here is also on the global list.
      if (keepGlobal && (read[p] | write[p]) & TLB_GLOBAL) continue;
      read[p] = 0;
      write[p] = 0;
    }
    this.localCount = 0;
    if (!keepGlobal) {
      for (let i = 0; i < this.globalCount; i++) {
        const p = this.globalPages[i];
        listed[p] = 0;
        read[p] = 0;
        write[p] = 0;
      }
      this.globalCount = 0;
    }
    this.onFlush();
  }

  /**
   * INVLPG: drops the page (global or not). A 4 MiB page is cached as 1024 small entries,
   * so the whole 4 MiB-aligned range goes: the CPU cannot know which of them the guest's
   * page may have been.
   */
  invalidatePage(linear: number): void {
    const first = (linear >>> 22) << 10;
    this.tlbRead.fill(0, first, first + 1024);
    this.tlbWrite.fill(0, first, first + 1024);
    this.onFlush();
  }

  // ---- accesses with the current privilege -------------------------------------------

  read8(linear: number): number {
    const e = this.tlbRead[linear >>> 12];
    if ((e & this.checkMask) === this.needBits) return this.ram[(e & ~0xfff) | (linear & 0xfff)];
    return this.memory.read8(this.translate(linear, false, this.user));
  }

  read16(linear: number): number {
    const e = this.tlbRead[linear >>> 12];
    if ((e & this.checkMask) === this.needBits && (linear & 0xfff) !== 0xfff) {
      const p = (e & ~0xfff) | (linear & 0xfff);
      if ((linear & 1) === 0 && LITTLE_ENDIAN) return this.ram16[p >> 1];
      return this.ram[p] | (this.ram[p + 1] << 8);
    }
    return this.readSlow(linear, 2, this.user);
  }

  read32(linear: number): number {
    const e = this.tlbRead[linear >>> 12];
    if ((e & this.checkMask) === this.needBits && (linear & 0xfff) <= 0xffc) {
      const p = (e & ~0xfff) | (linear & 0xfff);
      if ((linear & 3) === 0 && LITTLE_ENDIAN) return this.ram32[p >> 2];
      const m = this.ram;
      return m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24);
    }
    return this.readSlow(linear, 4, this.user);
  }

  write8(linear: number, v: number): void {
    const e = this.tlbWrite[linear >>> 12];
    if ((e & this.checkMask) === this.needBits) {
      this.ram[(e & ~0xfff) | (linear & 0xfff)] = v;
      return;
    }
    this.memory.write8(this.translateWrite(linear, this.user, 1), v);
  }

  write16(linear: number, v: number): void {
    const e = this.tlbWrite[linear >>> 12];
    if ((e & this.checkMask) === this.needBits && (linear & 0xfff) !== 0xfff) {
      const p = (e & ~0xfff) | (linear & 0xfff);
      if ((linear & 1) === 0 && LITTLE_ENDIAN) this.ram16[p >> 1] = v;
      else {
        this.ram[p] = v;
        this.ram[p + 1] = v >> 8;
      }
      return;
    }
    this.writeSlow(linear, 2, v, this.user);
  }

  write32(linear: number, v: number): void {
    const e = this.tlbWrite[linear >>> 12];
    if ((e & this.checkMask) === this.needBits && (linear & 0xfff) <= 0xffc) {
      const p = (e & ~0xfff) | (linear & 0xfff);
      if ((linear & 3) === 0 && LITTLE_ENDIAN) {
        this.ram32[p >> 2] = v;
        return;
      }
      const m = this.ram;
      m[p] = v;
      m[p + 1] = v >> 8;
      m[p + 2] = v >> 16;
      m[p + 3] = v >> 24;
      return;
    }
    this.writeSlow(linear, 4, v, this.user);
  }

  // ---- supervisor (implicit) accesses: descriptor tables, TSS, IDT -------------------

  sysRead8(linear: number): number {
    return this.memory.read8(this.translate(linear, false, false));
  }
  sysRead16(linear: number): number {
    return this.readSlow(linear, 2, false);
  }
  sysRead32(linear: number): number {
    return this.readSlow(linear, 4, false);
  }
  sysWrite8(linear: number, v: number): void {
    this.memory.write8(this.translateWrite(linear, false, 1), v);
  }
  sysWrite16(linear: number, v: number): void {
    this.writeSlow(linear, 2, v, false);
  }
  sysWrite32(linear: number, v: number): void {
    this.writeSlow(linear, 4, v, false);
  }

  /** Faults exactly as an access of `length` bytes would, touching nothing but A/D bits. */
  probe(linear: number, length: number, write: boolean, user = this.user): void {
    this.translate(linear, write, user);
    const last = (linear + length - 1) | 0;
    if ((last ^ linear) >>> 12) this.translate(last, write, user);
  }

  private readSlow(linear: number, size: number, user: boolean): number {
    const mem = this.memory;
    if (((linear & 0xfff) + size) <= 0x1000) {
      const p = this.translate(linear, false, user);
      return size === 2 ? mem.read16(p) : mem.read32(p) | 0;
    }
    // Crosses a page: translate both pages before reading either (precise #PF).
    const p0 = this.translate(linear, false, user);
    const p1 = this.translate((linear + size - 1) | 0, false, user) & ~0xfff;
    let v = 0;
    for (let i = 0; i < size; i++) {
      const a = (linear + i) & 0xfff;
      const byte = a >= (linear & 0xfff) ? mem.read8(p0 + i) : mem.read8(p1 + a);
      v |= byte << (8 * i);
    }
    return v;
  }

  private writeSlow(linear: number, size: number, v: number, user: boolean): void {
    const mem = this.memory;
    if (((linear & 0xfff) + size) <= 0x1000) {
      const p = this.translateWrite(linear, user, size);
      if (size === 2) mem.write16(p, v & 0xffff);
      else mem.write32(p, v);
      return;
    }
    // Both pages translate (and fault) before either is invalidated or written.
    this.translate(linear, true, user);
    this.translate((linear + size - 1) | 0, true, user);
    // Each page is told of the whole store: the code cache may drop more than it must, never less.
    const p0 = this.translateWrite(linear, user, size);
    const p1 = this.translateWrite(((linear + size - 1) & ~0xfff) | 0, user, size);
    for (let i = 0; i < size; i++) {
      const a = (linear + i) & 0xfff;
      const byte = (v >>> (8 * i)) & 0xff;
      if (a >= (linear & 0xfff)) mem.write8(p0 + i, byte);
      else mem.write8(p1 + a, byte);
    }
  }
}
