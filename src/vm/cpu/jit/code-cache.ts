// The JIT's code cache: compiled regions keyed by the entry's physical address and the mode
// key, hotness counted per physical page, per-page invalidation (stores, DMA) and a cap
// with a whole flush when it is reached (v86 and blink found "clear all" simplest).

import type { Cpu } from '../cpu.js';
import { PAGE_RAM } from '../../machine/physical-memory.js';
import { finishRegion, layOutRegion, planFrom, regionInput, type Region, type RegionEnvironment, type RegionInput, type RegionLayout, type RegionPlan } from './region-compiler.js';
import { BackgroundTranslator } from './wasm/background-translator.js';
import { memoryHelpers, type MemoryHelpers } from './memory-helpers.js';
import { WasmRegions } from './wasm/wasm-regions.js';
import { MEMO_BITS, MEMO_CASE_SHIFT, MEMO_EIP, MEMO_FIELDS, MEMO_KEY, MEMO_PHYS, MEMO_SLOT, MEMO_SLOTS } from '../../machine/guest-arena.js';
import { DOUBLE_FIELD } from '../../machine/double-field.js';

export interface JitOptions {
  /** Instructions interpreted on a physical page before code there is compiled; 0 = at first sight. */
  threshold?: number;
  /**
   * Times code must be entered at one physical address (from a region, or from interpreted
   * code on another page) before a region is compiled there, however cold its page.
   */
  entryThreshold?: number;
  /** Compiled regions kept before everything is flushed. */
  maxRegions?: number;
  /** false: compile every region to JavaScript, never to WebAssembly. */
  wasm?: boolean;
  /**
   * Translate wasm regions on a worker thread (background-translator.ts): the code at a hot
   * entry runs interpreted until its module arrives. Off, they compile where they are needed.
   */
  background?: boolean;
}

/** A region sent to the background translator, dropped if its page changes before the module is back. */
interface PendingRegion {
  readonly ticket: number;
  readonly input: RegionInput;
  /** Where its blocks lie, once the translator has posted it (without the cases). */
  layout: Omit<RegionLayout, 'cases'> | null;
}

export interface JitStats {
  compiled: number;
  invalidations: number;
  flushes: number;
  /** Region entries, and lookups that found nothing compiled. */
  hits: number;
  misses: number;
  /** Instructions executed inside compiled regions. */
  compiledInstructions: number;
  /** Instructions the run loop interpreted (those a region interprets itself count as compiled). */
  interpretedInstructions: number;
}

const PAGES = 1 << 20;
/**
 * The background translator lays regions out too while fewer than this many wait for it;
 * beyond, the VM thread lays them out itself. Laying out took ~6% of the VM thread's time in a
 * boot, but while the kernel initialises the translator's core is busy (V8 optimises there
 * too): with every region laid out there, modules came back 3x later and the boot
 * interpreted 23% more instructions.
 */
const LAY_OUT_BEHIND = 2;
const MEMO_MASK = MEMO_SLOTS - 1;

/**
 * The EIP at which `region` enters its block at physical `at`: a region lies on one page,
 * linearly and physically, so EIPs and physical addresses differ by the same amount.
 */
function eipAt(region: Region, at: number): number {
  return (region.entryEip + (at - region.phys)) | 0;
}

/**
 * The lookup memo's slot for an entry's EIP (the wasm hub computes the same). By EIP, not
 * physical address: the hub can load the slot while it loads the code page's TLB entry,
 * instead of after it.
 */
function memoSlot(eip: number): number {
  return (eip ^ (eip >>> MEMO_BITS)) & MEMO_MASK;
}

/** Entry counters, direct-mapped by physical address (countEntry). */
const ENTRY_SLOTS = 1 << 16;
const ENTRY_MASK = ENTRY_SLOTS - 1;
const ENTRY_COUNT_MAX = 0xffff;
/**
 * Times a page's code may be dropped by stores before its entries stop counting: code
 * sharing its page with data the guest keeps writing (BIOS code in shadow RAM, self-modifying
 * programs) then compiles by the page's heat alone, not again after every few entries.
 */
const ENTRY_DROPS_MAX = 2;
/**
 * Stores a page with code may take that reach none of its compiled blocks (data sharing the
 * page, kernel text patched outside compiled code) before the page's code is dropped anyway:
 * until then every store to the page takes the slow path that checks.
 */
const STRAY_WRITES_MAX = 64;

/** Appends `item` to the list kept under `key`. */
function addTo<T>(lists: Map<number, T[]>, key: number, item: T): void {
  const list = lists.get(key);
  if (list) list.push(item);
  else lists.set(key, [item]);
}

export class CodeCache implements RegionEnvironment {
  readonly threshold: number;
  readonly entryThreshold: number;
  readonly maxRegions: number;
  /** 1 for each physical page holding compiled code (the store check's table). */
  readonly codePages: Uint8Array;
  readonly stats: JitStats = { compiled: 0, invalidations: 0, flushes: 0, hits: 0, misses: 0, compiledInstructions: DOUBLE_FIELD, interpretedInstructions: DOUBLE_FIELD };
  private readonly heat = new Uint32Array(PAGES);
  /**
   * How often code was entered at a physical address (`entryAt`): a function called from
   * all over the kernel heats its page slowly, while most of what a boot interprets is such
   * code entered again and again, so it gets a region after `entryThreshold` entries. A slot
   * that another address takes over starts again.
   */
  private readonly entryAt = new Int32Array(ENTRY_SLOTS).fill(-1);
  private readonly entryCount = new Uint16Array(ENTRY_SLOTS);
  /** Times each page's code was dropped by a store or DMA (saturating). */
  private readonly drops = new Uint8Array(PAGES);
  /** Stores that missed each page's compiled code since the page last got code. */
  private readonly strayWrites = new Uint8Array(PAGES);
  /**
   * Regions by the physical address of each of their blocks (a small integer below 1 GiB,
   * so no boxing): a region is entered at any block start, not just where it was compiled
   * from, so leaving mid-loop (budget) does not breed overlapping copies. Variants differ
   * by mode key and EIP (a virtual alias or another CS base is another variant): the
   * newest is here, the other variants (rare) in `variants`. A region that a newer one
   * shadows (same address, key and EIP) is dropped from both, never looked up again.
   * Each block start costs a Map slot and no object: a Linux boot keeps ~250,000.
   */
  private readonly byEntry = new Map<number, Region>();
  private readonly variants = new Map<number, Region[]>();
  private readonly byPage = new Map<number, Region[]>();
  /**
   * Per page with code, a bit for every block start that has a region or is on its way
   * (codeFreeEnd). Bits are only dropped with the page, so they may mark more starts than
   * still have code: a stretch then stops early and the run loop looks again.
   */
  private readonly codeStarts = new Map<number, Uint32Array>();
  /**
   * A direct-mapped memo of recent lookups: the run loop looks a region up at every entry
   * (tens of millions in a Linux boot), and a Map probe plus a list scan cost as much as a
   * short region's run. A slot is used only while its region is valid. The arrays are in the
   * guest arena, where the wasm hub reads them (with each region's table slot) to go from one
   * wasm region to the next without returning here.
   */
  private readonly memo: Int32Array;
  private readonly memoRegion: (Region | null)[] = new Array<Region | null>(MEMO_MASK + 1).fill(null);
  private count = 0;
  readonly memorySuper: MemoryHelpers;
  readonly memoryUser: MemoryHelpers;
  readonly wasm: WasmRegions | null;
  private background: BackgroundTranslator | null;
  /** Regions the background translator is working on, by ticket and by page. */
  private readonly pending = new Map<number, PendingRegion>();
  private readonly pendingByPage = new Map<number, PendingRegion[]>();
  private nextTicket = 0;

  constructor(private readonly cpu: Cpu, options: JitOptions = {}) {
    this.threshold = options.threshold ?? 10000;
    this.entryThreshold = Math.min(options.entryThreshold ?? 128, ENTRY_COUNT_MAX);
    // A Linux boot and its workload keep ~7,600 regions live; at 4,096 the cache flushed
    // four times and compiled 18,700 regions instead of 9,100, each flush throwing away
    // code V8 had just optimised (boot to the bench line: -12% CPU, +8% peak RSS).
    this.maxRegions = options.maxRegions ?? 16384;
    // In the guest arena, where wasm regions' stores check it; a new cache starts with none.
    const arena = cpu.host.memory.arena;
    this.codePages = arena.codePages;
    this.codePages.fill(0);
    this.memo = arena.memo.fill(-1);
    // Every TLB write entry mapping a page with compiled code carries TLB_CODE, so stores
    // through any virtual alias (interpreted, compiled, string moves, x87, A/D updates) take
    // the MMU's slow path, which invalidates the page before the store lands. Entries filled
    // before now carry no TLB_CODE bits; refills consult codePages.
    const mmu = cpu.mmu;
    mmu.codePages = this.codePages;
    mmu.onCodeWrite = (page, phys, length) => this.codeWritten(page, phys, length);
    mmu.flush(false);
    this.memorySuper = memoryHelpers(cpu, false);
    this.memoryUser = memoryHelpers(cpu, true);
    this.wasm = options.wasm === false ? null : WasmRegions.create(cpu, [this.memorySuper, this.memoryUser]);
    this.background = this.wasm && options.background ? new BackgroundTranslator() : null;
  }

  /** Stops marking stores: the CPU runs interpreted from now on. */
  detach(): void {
    this.flush();
    this.background?.close();
    this.cpu.mmu.codePages = null;
    this.cpu.mmu.flush(false);
  }

  get regionCount(): number {
    return this.count;
  }

  /**
   * The compiled region entered at physical `phys` under `key` with this EIP, if any. The
   * same bytes reached through another EIP (a virtual alias, another CS base) are another
   * region: the blocks' switch is keyed by EIP. `eip` is taken as an int32.
   */
  lookup(phys: number, key: number, eip: number): Region | undefined {
    const slot = memoSlot(eip);
    const m = this.memo, at = slot * MEMO_FIELDS;
    if (m[at + MEMO_PHYS] === phys && m[at + MEMO_EIP] === eip && m[at + MEMO_KEY] === key) {
      const region = this.memoRegion[slot]!;
      if (region.valid) {
        this.stats.hits++;
        return region;
      }
    }
    let region = this.codePages[phys >>> 12] === 0 ? undefined : this.byEntry.get(phys);
    if (region !== undefined && (region.key !== key || eipAt(region, phys) !== eip)) {
      region = undefined;
      const list = this.variants.get(phys);
      if (list) {
        for (let i = 0; i < list.length; i++) {
          if (list[i].key === key && eipAt(list[i], phys) === eip) {
            region = list[i];
            break;
          }
        }
      }
    }
    if (region === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    m[at + MEMO_PHYS] = phys;
    m[at + MEMO_EIP] = eip;
    m[at + MEMO_KEY] = key;
    m[at + MEMO_SLOT] = region.slot < 0 ? -1 : region.slot | (region.blockPhys.indexOf(phys) << MEMO_CASE_SHIFT);
    this.memoRegion[slot] = region;
    return region;
  }

  /**
   * Counts `n` interpreted instructions on the page of `phys`; true once the page is hot.
   * Only RAM pages compile: ROM and MMIO code stays interpreted.
   */
  countHeat(phys: number, n: number): boolean {
    const page = phys >>> 12;
    if (this.cpu.host.memory.pageKind[page] !== PAGE_RAM) return false;
    const h = this.heat[page] + n;
    this.heat[page] = h;
    return h >= this.threshold;
  }

  /**
   * Counts an entry into code at `phys` (the run loop arriving there, or a cold stretch going
   * on to its page); true once code there has been entered `entryThreshold` times. As for
   * heat, only RAM compiles.
   */
  countEntry(phys: number): boolean {
    const page = phys >>> 12;
    if (this.cpu.host.memory.pageKind[page] !== PAGE_RAM || this.drops[page] >= ENTRY_DROPS_MAX) return false;
    const slot = (phys ^ (phys >>> 16)) & ENTRY_MASK;
    let n = 1;
    if (this.entryAt[slot] === (phys | 0)) n = Math.min(this.entryCount[slot] + 1, ENTRY_COUNT_MAX);
    else this.entryAt[slot] = phys | 0;
    this.entryCount[slot] = n;
    return n >= this.entryThreshold;
  }

  /**
   * Where a stretch interpreted from `phys`, on a page with code but none at `phys` and none
   * on its way, must stop to look for code: the nearest block start after `phys` that has a
   * region or is being translated, else the end of the page.
   */
  codeFreeEnd(phys: number): number {
    const base = phys - (phys & 0xfff);
    const bits = this.codeStarts.get(phys >>> 12);
    const from = (phys & 0xfff) + 1;
    if (bits !== undefined && from < 4096) {
      let w = from >>> 5;
      let word = bits[w] & (-1 << (from & 31));
      for (;;) {
        if (word !== 0) return base + (w << 5) + 31 - Math.clz32(word & -word);
        if (++w === 128) break;
        word = bits[w];
      }
    }
    return base + 4096;
  }

  private markCodeStart(phys: number): void {
    const page = phys >>> 12;
    let bits = this.codeStarts.get(page);
    if (bits === undefined) this.codeStarts.set(page, (bits = new Uint32Array(128)));
    bits[(phys & 0xfff) >>> 5] |= 1 << (phys & 31);
  }

  /** Instructions the page of `phys` may still interpret before it is hot (at least 1). */
  heatLeft(phys: number): number {
    return Math.max(1, this.threshold - this.heat[phys >>> 12]);
  }

  /**
   * Compiles the region entered at cpu.eip (physical `phys`) under `key`. With the background
   * translator, a wasm region is only requested (undefined now; `collect` installs it): the
   * translator lays its blocks out too, from a copy of the page. Nothing is requested where a
   * pending region's blocks cover `phys`, nor on a page with a region whose layout is not
   * back yet (which entries it covers is not known).
   */
  compile(phys: number, key: number): Region | undefined {
    if (this.background !== null && !this.background.alive) this.withoutBackground();
    const background = this.background !== null;
    if (background && this.pendingBlockEnd(phys) >= 0) return undefined;
    const input = regionInput(this.cpu, phys, key, this, background);
    if (background && input.forWasm && this.pending.size < LAY_OUT_BEHIND) {
      this.request(input, null);
      return undefined;
    }
    const plan = planFrom(this.cpu, input, layOutRegion(input));
    if (background && plan.wasmBlocks !== null) {
      this.request(input, plan);
      return undefined;
    }
    return this.install(finishRegion(plan, this, plan.wasmBlocks ? this.wasm!.compile(plan.wasmBlocks) : null));
  }

  /** Takes what the background translator has posted: layouts, and modules to install. */
  collect(): void {
    const bg = this.background;
    if (bg === null || !bg.ready) return;
    for (let result = bg.take(); result !== undefined; result = bg.take()) {
      const p = this.pending.get(result.ticket);
      // Gone: its page changed, or everything was flushed, after it was requested.
      if (p === undefined) continue;
      if (result.outcome === 'layout') {
        this.laidOut(p, result);
        continue;
      }
      this.unpend(p);
      const wasm = this.wasm!.adopt(result, p.input.key);
      // A region the translator did not take runs as JavaScript, laid out here from the same bytes.
      const layout = wasm && p.layout ? { cases: [], ...p.layout } : layOutRegion(p.input);
      this.install(finishRegion(planFrom(this.cpu, p.input, layout), this, wasm));
    }
  }

  /** Waits for every pending region's module and installs the ones still wanted (tests, determinism). */
  settle(): void {
    while (this.pending.size > 0 && this.background!.alive && this.background!.waitReady(10000)) this.collect();
  }

  /**
   * The translator's worker is gone (it has never been seen to fail): its pending regions will
   * not come back, so they are forgotten (their code was only interpreted meanwhile) and regions
   * compile on the VM thread from now on.
   */
  private withoutBackground(): void {
    this.background!.close();
    this.background = null;
    this.pending.clear();
    this.pendingByPage.clear();
    process.stderr.write('termu: warning: the JIT translate thread stopped; compiling on the VM thread from now on\n');
  }

  /** Regions sent to the background translator and not yet back. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Sends a region to the background translator. Its page is marked as holding code now, so
   * a store or DMA to it (through any alias) drops the request before the module built from
   * the old bytes could be installed.
   */
  private request(input: RegionInput, plan: RegionPlan | null): void {
    const ticket = this.nextTicket++;
    const p: PendingRegion = { ticket, input, layout: null };
    this.pending.set(ticket, p);
    const page = input.phys >>> 12;
    addTo(this.pendingByPage, page, p);
    this.holdsCode(page);
    if (plan === null) {
      this.background!.request({ ticket, input });
      return;
    }
    this.laidOut(p, plan.layout);
    this.background!.request({ ticket, blocks: plan.wasmBlocks! });
  }

  /** The blocks of pending `p` are known: entries they cover are not requested again. */
  private laidOut(p: PendingRegion, layout: Omit<RegionLayout, 'cases'>): void {
    p.layout = layout;
    for (const at of layout.blockPhys) this.markCodeStart(at);
  }

  private unpend(p: PendingRegion): void {
    this.pending.delete(p.ticket);
    const page = p.input.phys >>> 12;
    const list = this.pendingByPage.get(page)!;
    if (list.length === 1) this.pendingByPage.delete(page);
    else list.splice(list.indexOf(p), 1);
  }

  /**
   * Where the code at `phys` may be on its way from the translator, the physical address
   * just past what should run interpreted meanwhile: the end of the pending block holding
   * `phys`, or, while a region of the page has no layout yet, the page's next code. -1 when
   * nothing there is on its way.
   */
  pendingBlockEnd(phys: number): number {
    const list = this.pendingByPage.get(phys >>> 12);
    if (list === undefined) return -1;
    for (const p of list) {
      if (p.layout === null) return this.codeFreeEnd(phys);
      const { blockPhys, blockEnds } = p.layout;
      for (let i = 0; i < blockPhys.length; i++) if (phys >= blockPhys[i] && phys < blockEnds[i]) return blockEnds[i];
    }
    return -1;
  }

  private install(region: Region): Region {
    if (this.count >= this.maxRegions) this.flush();
    for (let i = 0; i < region.blockPhys.length; i++) {
      this.enter(region, region.blockPhys[i]);
      this.markCodeStart(region.blockPhys[i]);
    }
    this.count++;
    const page = region.phys >>> 12;
    addTo(this.byPage, page, region);
    this.holdsCode(page);
    this.stats.compiled++;
    return region;
  }

  /** Marks a physical page as holding code: stores to it through any alias are checked (codeWritten). */
  private holdsCode(page: number): void {
    if (this.codePages[page] === 0) this.strayWrites[page] = 0;
    this.codePages[page] = 1;
    this.cpu.mmu.markCodePage(page);
  }

  /** Makes `region` the one entered at its block at physical `at`; an older other variant stays reachable. */
  private enter(region: Region, at: number): void {
    const eip = eipAt(region, at);
    this.forget(at, eip);
    const shadows = (r: Region): boolean => r.key === region.key && eipAt(r, at) === eip;
    const previous = this.byEntry.get(at);
    this.byEntry.set(at, region);
    let list = this.variants.get(at);
    if (list) {
      list = list.filter((r) => !shadows(r));
      if (list.length > 0) this.variants.set(at, list);
      else this.variants.delete(at);
    }
    if (previous === undefined || shadows(previous)) return;
    if (list && list.length > 0) list.unshift(previous);
    else this.variants.set(at, [previous]);
  }

  /**
   * A store of `length` bytes at physical `phys` on `page`, which holds code, is about to
   * land. It drops the page's code when it reaches any compiled block there (a region stays
   * valid only while its whole page does: wasm regions check the page) or while regions for
   * the page are on their way (where their blocks lie may not be known yet). A store that
   * misses every block leaves the code in place, up to STRAY_WRITES_MAX times: a Linux boot
   * patching its text dropped 342 regions on ~100 pages, only ~20 of them reached at first.
   */
  private codeWritten(page: number, phys: number, length: number): void {
    const list = this.byPage.get(page);
    if (list === undefined || this.pendingByPage.has(page) || ++this.strayWrites[page] > STRAY_WRITES_MAX) {
      this.invalidatePage(page);
      return;
    }
    const end = phys + length;
    for (const r of list) {
      for (let i = 0; i < r.blockPhys.length; i++) {
        if (end > r.blockPhys[i] && phys < r.blockEnds[i]) {
          this.invalidatePage(page);
          return;
        }
      }
    }
  }

  /** Drops the compiled code of one physical page (a store reached it, or DMA wrote it). */
  invalidatePage(page: number): void {
    const list = this.byPage.get(page);
    this.codePages[page] = 0;
    this.heat[page] = 0;
    this.codeStarts.delete(page);
    if (this.drops[page] < 255) this.drops[page]++;
    // Its entries start counting again too, so code that keeps changing is not recompiled at once.
    for (let i = 0; i < ENTRY_SLOTS; i++) if (this.entryAt[i] >>> 12 === page) this.entryAt[i] = -1;
    for (const p of this.pendingByPage.get(page) ?? []) this.pending.delete(p.ticket);
    this.pendingByPage.delete(page);
    if (!list) return;
    this.byPage.delete(page);
    for (const r of list) {
      this.retire(r);
      for (const at of r.blockPhys) {
        this.byEntry.delete(at);
        this.variants.delete(at);
        this.forget(at, eipAt(r, at));
      }
    }
    this.count -= list.length;
    this.stats.invalidations++;
  }

  /** Marks a dropped region invalid (a running one leaves) and frees its wasm table slot. */
  private retire(r: Region): void {
    r.valid = false;
    if (r.slot >= 0) this.wasm?.release(r.slot);
  }

  /** Clears the memo slot of a block start entered at `eip` (a newer region starts there, or it is gone). */
  private forget(phys: number, eip: number): void {
    const slot = memoSlot(eip), at = slot * MEMO_FIELDS;
    if (this.memo[at + MEMO_PHYS] === phys && this.memo[at + MEMO_EIP] === eip) {
      this.memo[at + MEMO_PHYS] = -1;
      this.memo[at + MEMO_SLOT] = -1;
      this.memoRegion[slot] = null;
    }
  }

  /** Invalidates every page in [addr, addr + length) that holds code (PhysicalMemory.onExternalWrite). */
  invalidateRange(addr: number, length: number): void {
    if (length <= 0) return;
    const last = ((addr + length - 1) >>> 12) & (PAGES - 1);
    for (let p = addr >>> 12; p <= last; p++) if (this.codePages[p]) this.invalidatePage(p);
  }

  /** The monitor's `info jit` text. */
  infoText(): string {
    const st = this.stats;
    const lookups = st.hits + st.misses;
    const rate = lookups ? ((100 * st.hits) / lookups).toFixed(1) : '0.0';
    return [
      `JIT: threshold ${this.threshold} instructions per page, cap ${this.maxRegions} regions`,
      `regions            ${this.count} on ${this.byPage.size} pages`,
      `compiled           ${st.compiled}`,
      ...(this.wasm ? [
        `wasm regions       ${this.wasm.compiled} (${this.wasm.refused + this.wasm.invalid} kept JavaScript)`,
        `chained entries    ${this.wasm.chained} (wasm region to wasm region, not counted as lookups)`,
      ] : []),
      ...(this.background ? [`translating        ${this.pending.size} (on the background translator's thread)`] : []),
      `invalidations      ${st.invalidations}`,
      `flushes            ${st.flushes}`,
      `hit rate           ${rate}% (${st.hits} of ${lookups} lookups)`,
      `compiled insns     ${st.compiledInstructions}`,
      `interpreted insns  ${st.interpretedInstructions}`,
    ].join('\n') + '\n';
  }

  /** Drops everything (cap reached, or the board remapped memory). */
  flush(): void {
    for (const list of this.byPage.values()) for (const r of list) this.retire(r);
    for (const page of this.byPage.keys()) this.codePages[page] = 0;
    for (const page of this.pendingByPage.keys()) this.codePages[page] = 0;
    this.pending.clear();
    this.pendingByPage.clear();
    this.byEntry.clear();
    this.variants.clear();
    this.memo.fill(-1);
    this.memoRegion.fill(null);
    this.count = 0;
    this.byPage.clear();
    this.heat.fill(0);
    this.entryAt.fill(-1);
    this.codeStarts.clear();
    this.stats.flushes++;
  }
}
