// SingleStepTests (80286 real-mode set and the 8086 set) run on termu's CPU. The data and
// its rules for an i686 target are described in ../shared/cpu-tests/README.md: undefined
// flags are masked by metadata.json, i686-skip.json lists cases whose recorded result is
// 286/8086-only, and a few more are recognised while running (see `runtimeSkip`).
// The JIT variants run the tests again with every block compiled at first sight: the
// harness writes RAM behind the CPU's back, so it reports each byte as a device would.

import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cpu, ES, CS, SS, DS, FS, GS } from '../../src/vm/cpu/cpu.js';
import { TestHost } from './test-host.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/test/cpu → repository root → ../shared/cpu-tests
const TESTS_DIR = join(here, '..', '..', '..', '..', 'shared', 'cpu-tests');

type Regs = Record<string, number>;
interface SingleStep {
  idx?: number;
  test_num?: number;
  name: string;
  bytes: number[];
  initial: { regs: Regs; ram: [number, number][] };
  final: { regs: Regs; ram: [number, number][] };
  exception?: { number: number };
  hash?: string;
}
interface MetaEntry {
  'flags-mask'?: number;
  reg?: Record<string, MetaEntry>;
}
interface SkipFile {
  whole_files: Record<string, string>;
  tests: Record<string, Record<string, string>>;
}

const REG_INDEX: Record<string, number> = { ax: 0, cx: 1, dx: 2, bx: 3, sp: 4, bp: 5, si: 6, di: 7 };
const SEG_INDEX: Record<string, number> = { es: ES, cs: CS, ss: SS, ds: DS };

interface SetResult {
  passed: number;
  failed: string[];
  perOpcode: string[];
  excluded: string[];
}

function flagsMask(meta: Record<string, MetaEntry>, file: string): number {
  const [op, reg] = file.split('.');
  const entry = reg === undefined ? meta[op] : meta[op]?.reg?.[reg];
  return entry?.['flags-mask'] ?? 0xffff;
}

/** Extra masks for an i686 target (README "Undefined flags"). */
function i686FlagsMask(file: string, t: SingleStep, is286: boolean): number {
  let mask = 0xffff;
  const op = parseInt(file.slice(0, 2), 16);
  if (op === 0xc0 || op === 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
    const reg = Number(file.split('.')[1] ?? '0');
    const width = op & 1 ? 16 : 8;
    let count = 1;
    if (op === 0xd2 || op === 0xd3) count = t.initial.regs.cx & 0xff;
    else if (op <= 0xc1) count = t.bytes[t.bytes.length - (is286 ? 2 : 1)];
    count &= 31;
    if (count !== 1) mask &= ~0x800;
    if (reg >= 4 && reg <= 6 && count >= width) mask &= ~0x1;
  }
  if (!is286 || op === 0x9d || op === 0xcf) mask &= 0x0fff;
  // AAM 0: the 286 updates SF/ZF/PF before #DE; the SDM leaves flags undefined and QEMU/Bochs keep them.
  if (op === 0xd4 && t.exception) mask = 0;
  return mask;
}

/** Runs the set; with `stride` > 1 only every stride-th test (the JIT variant's sample). */
function runSet(cpu: Cpu, host: TestHost, setName: '80286' | '8086', stride = 1): SetResult {
  const dir = join(TESTS_DIR, setName);
  const is286 = setName === '80286';
  const meta = (JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as { opcodes: Record<string, MetaEntry> }).opcodes;
  const skip = JSON.parse(readFileSync(join(dir, 'i686-skip.json'), 'utf8')) as SkipFile;
  const revoked = new Set<string>();
  const revocationFile = join(dir, 'revocation_list.txt');
  if (existsSync(revocationFile)) {
    for (const line of readFileSync(revocationFile, 'utf8').split('\n')) {
      const h = line.trim();
      if (h && !h.startsWith('#')) revoked.add(h);
    }
  }
  const ram = host.memory.ram;
  const events = new FirstEvent(cpu);
  const addrMask = is286 ? 0xffffff : 0xfffff;
  cpu.setA20(is286);
  const result: SetResult = { passed: 0, failed: [], perOpcode: [], excluded: [] };
  const files = readdirSync(dir).filter((f) => f.endsWith('.json.gz')).sort();
  for (const f of files) {
    const file = f.slice(0, -'.json.gz'.length);
    if (skip.whole_files[file]) {
      result.excluded.push(`${setName} ${file}: whole file (${skip.whole_files[file]})`);
      continue;
    }
    const tests = JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString()) as SingleStep[];
    const metaMask = flagsMask(meta, file);
    const listed = skip.tests[file] ?? {};
    const excludedHere = new Map<string, number[]>();
    const exclude = (reason: string, idx: number) => {
      let list = excludedHere.get(reason);
      if (!list) excludedHere.set(reason, (list = []));
      list.push(idx);
    };
    let pass = 0, fail = 0;
    for (let n = 0; n < tests.length; n += stride) {
      const t = tests[n];
      const idx = t.idx ?? t.test_num ?? -1;
      const reason = listed[String(idx)];
      if (reason) { exclude(reason, idx); continue; }
      if (t.hash && revoked.has(t.hash)) { exclude('revoked', idx); continue; }
      const judged = JUDGED[`${setName} ${file} ${idx}`];
      if (judged) { exclude(judged, idx); continue; }
      const outcome = runOne(cpu, events, ram, t, file, is286, addrMask, metaMask & i686FlagsMask(file, t, is286));
      if (outcome === true) pass++;
      else if (outcome.startsWith('skip:')) exclude(outcome.slice(5), idx);
      else {
        fail++;
        if (fail <= 3) result.failed.push(`${setName} ${file} #${idx} ${t.name}: ${outcome}`);
      }
    }
    result.passed += pass;
    const skipped = [...excludedHere.values()].reduce((n, l) => n + l.length, 0);
    result.perOpcode.push(`${setName} ${file}: ${pass}/${pass + fail} passed${skipped ? `, ${skipped} excluded` : ''}`);
    for (const [reason, list] of excludedHere) result.excluded.push(`${setName} ${file} (${reason}): ${list.join(',')}`);
    if (fail) result.failed.push(`${setName} ${file}: ${fail} failed`);
  }
  return result;
}

/** Single recorded results judged individually: the 286 did something no 386+ does. */
const JUDGED: Record<string, string> = {
  '80286 CE 1193': 'recorded INTO frame holds SS where CS belongs; a 386+ pushes CS',
  '80286 FF.3 1141': 'recorded #UD frame holds SS where CS belongs; a 386+ pushes CS',
  '80286 F6.7 952': 'quotient -260 does not fit a byte: the 286 returned 80h, a 386+ raises #DE',
  '80286 F6.7 1085': 'quotient -287 does not fit a byte: the 286 returned 80h, a 386+ raises #DE',
};

const STRING_OPS = new Set([0x6c, 0x6d, 0x6e, 0x6f, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);

/** Outcomes that differ only because the recording CPU was a 286/8086 (README "Unsuitable tests"). */
function runtimeSkip(cpu: Cpu, v: number, t: SingleStep, file: string, is286: boolean): string | undefined {
  const op = t.bytes.find((b) => ![0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3].includes(b)) ?? 0;
  if (is286) {
    const expected = t.exception?.number;
    if (expected === 13 && v === 12) return 'ss-overrun-is-#SS';
    // Four or more prefixes push an undefined form past the 286's 10-byte limit (int 13); a 386+ decodes it and raises #UD.
    if (expected === 13 && v === 6 && t.bytes.filter((b) => [0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3].includes(b)).length >= 4) return 'length';
    return undefined;
  }
  if (v === 12 || v === 13 || cpu.eip > 0xffff) return 'offset-wrap';
  if (file === '8F' && v === 6) return 'pop-reg-field';
  if (file === 'FF.6' && t.bytes[t.bytes.indexOf(0xff) + 1] === 0xf4) return 'push-sp';
  return undefined;
}

/**
 * The first interrupt or exception delivered since `vector` was reset. Cases are judged by
 * it: the 286 sets run on into the handler (to its HLT), and under the JIT a compiled block
 * of a handler that is not the recorded one may raise others before the run returns.
 */
class FirstEvent {
  vector = -1;
  constructor(cpu: Cpu) {
    const deliver = cpu.deliverEvent.bind(cpu);
    cpu.deliverEvent = (vector, software, hasError, error, external) => {
      if (this.vector < 0) this.vector = vector;
      deliver(vector, software, hasError, error, external);
    };
  }
}

function runOne(cpu: Cpu, events: FirstEvent, ram: Uint8Array, t: SingleStep, file: string, is286: boolean, addrMask: number, mask: number): true | string {
  const init = t.initial.regs;
  const external = cpu.host.memory.onExternalWrite;
  for (const [a, v] of t.initial.ram) {
    ram[a & addrMask] = v;
    external(a & addrMask, 1);
  }
  const stop = cpu.jit && !is286 ? stopAfterInstruction(t, addrMask) : -1;
  const stopByte = stop >= 0 ? ram[stop] : 0;
  if (stop >= 0) {
    ram[stop] = 0xf4;
    external(stop, 1);
  }
  for (const [name, i] of Object.entries(REG_INDEX)) cpu.reg32[i] = init[name];
  for (const [name, i] of Object.entries(SEG_INDEX)) cpu.loadSegmentCache(i, init[name], init[name] << 4, 0xffff, 0x9300);
  cpu.loadSegmentCache(FS, 0, 0, 0xffff, 0x9300);
  cpu.loadSegmentCache(GS, 0, 0, 0xffff, 0x9300);
  cpu.setEflags((init.flags & 0x0fff) | 2);
  cpu.eip = init.ip;
  cpu.idtr = { base: 0, limit: 0x3ff };
  cpu.halted = false;
  events.vector = -1;
  let error: string | true = true;
  try {
    if (is286) {
      cpu.run(4);
      if (!cpu.halted) error = 'did not reach HLT';
    } else cpu.run(1);
  } catch (e) {
    error = `threw ${(e as Error).message}`;
  }
  if (stop >= 0) {
    // The HLT placed after the instruction ran: undo it.
    if (cpu.halted && ((cpu.segBase[CS] + cpu.eip - 1) & addrMask) === stop) {
      cpu.halted = false;
      cpu.eip = (cpu.eip - 1) & 0xffff;
    }
    ram[stop] = stopByte;
    external(stop, 1);
  }
  if (error === true) error = compare(cpu, ram, t, is286, addrMask, mask, impreciseFault(events.vector, t, is286));
  // A compiled direct JMP falls straight into its target's block, past any HLT we could place.
  if (error !== true && cpu.jit && (file === 'E9' || file === 'EB')) return 'skip:jit-jump-runs-on';
  if (error !== true) {
    const reason = runtimeSkip(cpu, events.vector, t, file, is286);
    if (reason) error = `skip:${reason}`;
  }
  for (const [a] of t.initial.ram) {
    ram[a & addrMask] = 0;
    external(a & addrMask, 1);
  }
  for (const [a] of t.final.ram) {
    ram[a & addrMask] = 0;
    external(a & addrMask, 1);
  }
  return error;
}

/**
 * The 286 advances SI/DI (string ops, and CX under REP) or SP (POP m16) before a
 * segment-limit #GP; a 386+ faults precisely. Such cases are compared without SI, DI, CX
 * and SP, and the exception frame is looked for where termu's SP says it is.
 */
function impreciseFault(vector: number, t: SingleStep, is286: boolean): boolean {
  const op = t.bytes.find((b) => ![0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3].includes(b)) ?? 0;
  return is286 && t.exception?.number === 13 && vector === 13 && (STRING_OPS.has(op) || op === 0x8f);
}

/**
 * A compiled block runs past one instruction, so under the JIT the 8086 tests get a HLT
 * right after the instruction, unless the test changes that byte (bytes the
 * 8086 only prefetched are listed too, and restored afterwards); returns its address or -1.
 */
function stopAfterInstruction(t: SingleStep, addrMask: number): number {
  const r = t.initial.regs;
  const at = (r.cs * 16 + ((r.ip + t.bytes.length) & 0xffff)) & addrMask;
  const before = t.initial.ram.find(([a]) => (a & addrMask) === at)?.[1] ?? 0;
  return t.final.ram.some(([a, v]) => (a & addrMask) === at && v !== before) ? -1 : at;
}

function compare(cpu: Cpu, ram: Uint8Array, t: SingleStep, is286: boolean, addrMask: number, mask: number, imprecise: boolean): true | string {
  const expected = { ...t.initial.regs, ...t.final.regs };
  const diffs: string[] = [];
  for (const [name, i] of Object.entries(REG_INDEX)) {
    if (imprecise && (name === 'si' || name === 'di' || name === 'cx' || name === 'sp')) continue;
    const got = cpu.reg32[i] & 0xffff;
    if (got !== expected[name]) diffs.push(`${name}=${hex(got)} want ${hex(expected[name])}`);
  }
  for (const [name, i] of Object.entries(SEG_INDEX)) {
    if (cpu.segSel[i] !== expected[name]) diffs.push(`${name}=${hex(cpu.segSel[i])} want ${hex(expected[name])}`);
  }
  if ((cpu.eip & 0xffff) !== expected.ip || cpu.eip > 0xffff) diffs.push(`ip=${hex(cpu.eip)} want ${hex(expected.ip)}`);
  const flags = cpu.getEflags() & 0xffff;
  if ((flags & mask) !== (expected.flags & mask)) diffs.push(`flags=${hex(flags)} want ${hex(expected.flags)} (mask ${hex(mask)})`);
  // A FLAGS word pushed by an interrupt (286 exceptions/INT) or PUSHF is compared through the mask.
  const op = t.bytes.find((b) => ![0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3].includes(b)) ?? 0;
  const flagAddrs = new Map<number, number>();
  const ss = expected.ss, sp = expected.sp;
  // Where termu pushed the exception frame the 286 pushed at SS:SP (they differ after POP m16).
  const ourSp = cpu.reg32[4] & 0xffff;
  const frame = new Map<number, number>();
  if (imprecise) for (let i = 0; i < 6; i++) frame.set((ss * 16 + ((sp + i) & 0xffff)) & addrMask, (ss * 16 + ((ourSp + i) & 0xffff)) & addrMask);
  if ((is286 && t.exception) || (!is286 && (op === 0xcc || op === 0xcd || op === 0xce))) {
    const a = (ss * 16 + ((sp + 4) & 0xffff)) & addrMask;
    const b = (ss * 16 + ((sp + 5) & 0xffff)) & addrMask;
    flagAddrs.set(a, mask & 0xff);
    flagAddrs.set(b, is286 ? mask >> 8 : (mask >> 8) & 0x0f);
  } else if (!is286 && op === 0x9c) {
    flagAddrs.set((ss * 16 + sp) & addrMask, mask & 0xff);
    flagAddrs.set((ss * 16 + ((sp + 1) & 0xffff)) & addrMask, (mask >> 8) & 0x0f);
  }
  for (const [a, v] of t.final.ram) {
    const addr = a & addrMask;
    const m = flagAddrs.get(addr) ?? 0xff;
    const ours = frame.get(addr) ?? addr;
    if ((ram[ours] & m) !== (v & m)) diffs.push(`[${hex(ours)}]=${hex(ram[ours])} want ${hex(v)} (at ${hex(addr)})`);
  }
  const finalAddrs = new Set(t.final.ram.map(([a]) => frame.get(a & addrMask) ?? a & addrMask));
  for (const [a, v] of t.initial.ram) {
    const addr = a & addrMask;
    if (!finalAddrs.has(addr) && ram[addr] !== v) diffs.push(`[${hex(addr)}] changed to ${hex(ram[addr])}`);
  }
  return diffs.length ? diffs.join(', ') : true;
}

function hex(v: number): string {
  return v.toString(16);
}

function report(r: SetResult, total: number): void {
  console.log(r.perOpcode.join('\n'));
  console.log(`excluded cases (${r.excluded.length} groups):`);
  console.log(r.excluded.join('\n'));
  console.log(`passed ${r.passed} of ${total}`);
}

const available = existsSync(join(TESTS_DIR, '80286')) && existsSync(join(TESTS_DIR, '8086'));
const skipMessage = available ? false : `SingleStepTests data not found at ${TESTS_DIR} (needs ../shared/cpu-tests)`;

for (const setName of ['80286', '8086'] as const) {
  test(`SingleStepTests ${setName}: every test that is also i686 behaviour passes`, { skip: skipMessage }, () => {
    const host = new TestHost(setName === '80286' ? 17 << 20 : 1 << 20);
    const cpu = new Cpu(host);
    const r = runSet(cpu, host, setName);
    const failedCount = r.failed.filter((l) => l.endsWith('failed')).reduce((n, l) => n + Number(/: (\d+) failed$/.exec(l)![1]), 0);
    report(r, r.passed + failedCount);
    assert.equal(r.failed.length, 0, `failures:\n${r.failed.join('\n')}`);
  });
}

/** Every JIT_STRIDE-th test of each file keeps the JIT variants inside their time budget (a region compile per case). */
const JIT_STRIDE = 50;
const JIT_STRIDE_286 = 200;

test(`SingleStepTests 80286 with the JIT compiling every block at first sight (every ${JIT_STRIDE_286}th test)`, { skip: skipMessage }, () => {
  const host = new TestHost(17 << 20);
  const cpu = new Cpu(host);
  cpu.setJit({ threshold: 0 });
  const r = runSet(cpu, host, '80286', JIT_STRIDE_286);
  const stats = cpu.jit!.stats;
  console.log(`# 80286 with the JIT: ${r.passed} passed, ${stats.compiled} regions compiled, ${stats.compiledInstructions} instructions run compiled`);
  assert.equal(r.failed.length, 0, `failures:\n${r.failed.join('\n')}`);
  assert.ok(stats.compiledInstructions > r.passed / 2, 'most tests ran compiled');
});

test(`SingleStepTests 8086 with the JIT compiling every block at first sight (every ${JIT_STRIDE}th test)`, { skip: skipMessage }, () => {
  const host = new TestHost(1 << 20);
  const cpu = new Cpu(host);
  cpu.setJit({ threshold: 0 });
  const r = runSet(cpu, host, '8086', JIT_STRIDE);
  const stats = cpu.jit!.stats;
  console.log(`# 8086 with the JIT: ${r.passed} passed, ${stats.compiled} regions compiled, ${stats.compiledInstructions} instructions run compiled`);
  assert.equal(r.failed.length, 0, `failures:\n${r.failed.join('\n')}`);
  assert.ok(stats.compiledInstructions > r.passed / 2, 'most tests ran compiled');
});
