// The run loop with the JIT, which Cpu.run hands execution to. Where compiled code exists
// for CS:EIP (same physical address and mode key) it runs it; otherwise it interprets,
// counting heat (per page, and entries per address): a stretch on a page without code
// (interpretCold), the rest of a block whose code is on its way (interpretPending), a stretch
// up to the next code on a page that has some (interpretBetweenCode), else one instruction
// through Cpu.run(1). The interpreter takes care of interrupts, the STI/MOV SS shadow,
// single-stepping and HLT.

import type { Cpu } from '../cpu.js';
import { CS, ESP, FAULT } from '../constants.js';
import { IF, TF } from '../flags.js';
import { modeKey } from './mode-key.js';
import type { CodeCache } from './code-cache.js';
import { EXIT_EVENT } from './exit-reasons.js';

/** Executes up to about `budget` instructions (a region may stop a block past it); returns how many ran. */
export function runWithJit(cpu: Cpu, cache: CodeCache, budget: number): number {
  let done = 0;
  // The mode key, kept from one region to the next: compiled code changes none of its bits,
  // and a region whose interpreted instruction changed them returns EXIT_EVENT. A fault
  // and an interpreted step may change it, so they forget it (-1).
  let key = -1;
  // A wasm region (a table slot) is entered through WasmRegions.enter: one call target for
  // every region, which V8 calls directly.
  const wasm = cache.wasm;
  while (done < budget && !cpu.shutdown) {
    const phys = compiledEntryPoint(cpu);
    if (phys >= 0) {
      cache.collect();
      if (key < 0) key = modeKey(cpu);
      let region = cache.lookup(phys, key, cpu.eip | 0);
      // Heat: one interpreted instruction is about to run here, unless code gets compiled;
      // code entered here often enough is compiled however cold its page.
      if (!region && (cache.countHeat(phys, 1) || cache.countEntry(phys))) region = cache.compile(phys, key);
      if (region) {
        const before = cpu.instructionCount;
        try {
          const reason = region.slot >= 0 ? wasm!.enter(region.slot, budget - done, region.key) : region.run!(budget - done);
          if (reason === EXIT_EVENT) key = -1;
        } catch (e) {
          if (e !== FAULT) throw e;
          key = -1;
          // As Cpu.run: the faulting instruction restarts with the state it started with.
          cpu.eip = cpu.startEip;
          cpu.reg32[ESP] = cpu.startEsp;
          cpu.deliverEvent(cpu.faultVector, false, cpu.faultHasError, cpu.faultError, false);
          done++;
        }
        const ran = cpu.instructionCount - before;
        done += ran;
        cache.stats.compiledInstructions += ran;
        if (ran > 0) continue;
      }
    }
    key = -1;
    const n = phys < 0 ? cpu.run(1) :
      cache.codePages[phys >>> 12] === 0 ? interpretCold(cpu, cache, phys, budget - done) : interpretPending(cpu, cache, phys, budget - done);
    if (n === 0) break;
    done += n;
    cache.stats.interpretedInstructions += n;
  }
  return done;
}

/** The most instructions interpretCold runs before the run loop looks for compiled code again. */
const COLD_STRETCH = 256;
/** The most instructions interpretPending runs of a pending block, so its module is taken soon after it is back. */
const PENDING_STRETCH = 256;

/**
 * Interprets from physical `phys`, on a page without compiled code, until the page is hot:
 * no lookup could find code there meanwhile, so a stretch of cold code (most of what a boot
 * interprets) runs without one per instruction. When CS:EIP goes on to another cold page that
 * is not about to turn hot, the stretch goes on there (kernel code calls across pages every
 * ~15 instructions), up to COLD_STRETCH instructions in all. Counts each page's heat (the
 * first instruction was counted by the caller). Returns how many ran.
 */
function interpretCold(cpu: Cpu, cache: CodeCache, phys: number, budget: number): number {
  const most = Math.min(budget, COLD_STRETCH);
  let done = 0, counted = 1;
  for (;;) {
    const limit = Math.min(most - done, cache.heatLeft(phys));
    const n = cpu.interpretWithin(limit, ((cpu.segBase[CS] + cpu.eip) & ~0xfff) | 0, 4096);
    if (n > counted) cache.countHeat(phys, n - counted);
    done += n;
    if (n === 0 || n === limit || done >= most || cpu.exitRequested || cpu.shutdown) return done;
    phys = compiledEntryPoint(cpu);
    if (phys < 0 || cache.codePages[phys >>> 12] !== 0 || cache.heatLeft(phys) <= 1 || cache.countEntry(phys)) return done;
    counted = 0;
  }
}

/**
 * Interprets at physical `phys`, on a page with compiled code but none entered at CS:EIP. When
 * the block there is on its way from the translator, the rest of that block runs as one stretch
 * (up to the page's next code while the translator has not said yet where the blocks of a
 * region on its way lie), and the stretch goes on into the next block while that one is also
 * on its way and has no code (a hot loop whose region is being translated), up to
 * PENDING_STRETCH instructions in all, so the module is taken soon after it is back;
 * otherwise up to the next code (interpretBetweenCode).
 */
function interpretPending(cpu: Cpu, cache: CodeCache, phys: number, budget: number): number {
  const most = Math.min(budget, PENDING_STRETCH);
  let done = 0;
  for (;;) {
    const end = cache.pendingBlockEnd(phys);
    if (end < 0) return done > 0 ? done : interpretBetweenCode(cpu, cache, phys, most);
    const n = cpu.interpretWithin(most - done, (cpu.segBase[CS] + cpu.eip) | 0, end - phys);
    done += n;
    if (n === 0 || done >= most || cpu.exitRequested || cpu.shutdown) return done;
    phys = compiledEntryPoint(cpu);
    if (phys < 0 || cache.codePages[phys >>> 12] === 0 || cache.lookup(phys, modeKey(cpu), cpu.eip | 0)) return done;
  }
}

/**
 * Interprets from `phys`, on a page with code (not yet hot: regions only at its busiest
 * entries) but none at `phys` and none on its way, up to the next block start with code,
 * where the run loop must look again. Counts the page's heat (the first instruction was
 * counted by the caller). Returns how many ran.
 */
function interpretBetweenCode(cpu: Cpu, cache: CodeCache, phys: number, budget: number): number {
  const limit = Math.min(budget, cache.heatLeft(phys));
  const n = cpu.interpretWithin(limit, (cpu.segBase[CS] + cpu.eip) | 0, cache.codeFreeEnd(phys) - phys);
  if (n > 1) cache.countHeat(phys, n - 1);
  return n;
}

/**
 * The physical address of CS:EIP when compiled code may run there now: not halted, no
 * interrupt shadow, not single-stepping, no interrupt waiting, and the code page already in the TLB (the
 * interpreter's fetch fills it, with the same permission check). Otherwise -1.
 */
function compiledEntryPoint(cpu: Cpu): number {
  if (cpu.halted || cpu.inhibitInterrupts || cpu.lf.flags & TF) return -1;
  if (cpu.lf.flags & IF && cpu.host.interrupts.hasInterrupt()) return -1;
  const mmu = cpu.mmu;
  const lin = (cpu.segBase[CS] + cpu.eip) | 0;
  const e = mmu.tlbRead[lin >>> 12];
  if ((e & mmu.checkMask) !== mmu.needBits) return -1;
  return ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
}
