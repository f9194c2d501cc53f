// The native side of the differential tests: assembles snippet sources with nasm, builds
// native-runner.c with gcc -m32 (both in a temp dir, nothing is committed), runs the
// snippets as a 32-bit Linux process and parses the states they end in.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_BASE = 0x00400000;
export const DATA_BASE = 0x00500000;
export const DATA_SIZE = 0x1000;
/** trapno reported when a snippet ends on its HLT. */
export const END_BY_HLT = 256;

export interface CaseInput {
  /** EAX ECX EDX EBX ESP EBP ESI EDI */
  regs: number[];
  eflags: number;
  eip: number;
}

export interface MachineState {
  regs: number[];
  eflags: number;
  eip: number;
  /** END_BY_HLT, or the exception vector the snippet stopped on. */
  trapno: number;
  fpuCw: number;
  fpuSw: number;
  fpuTw: number;
  /** ST(0)-ST(7), 10 bytes each (valid where the tag is not empty). */
  st: Uint8Array;
  data: Uint8Array;
}

const RESULT_SIZE = 11 * 4 + 3 * 4 + 80 + DATA_SIZE;
const sourceDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/cpu/native');

/** Why the native side cannot run here, or null when it can. */
export function nativeUnavailable(): string | null {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'ia32')) {
    return 'host-native differential tests need an x86 Linux host';
  }
  for (const tool of ['nasm', 'gcc']) {
    if (spawnSync(tool, ['--version']).status !== 0) return `${tool} is not installed (scripts/setup.sh installs it)`;
  }
  return null;
}

export class NativeHost {
  private readonly dir = mkdtempSync(join(tmpdir(), 'termu-native-'));
  private readonly runner: string;

  constructor() {
    this.runner = join(this.dir, 'native-runner');
    const r = spawnSync('gcc', ['-m32', '-O1', '-no-pie', '-fno-pie', '-o', this.runner, join(sourceDir, 'native-runner.c')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building native-runner.c failed (is gcc-multilib installed?):\n${r.stderr}`);
  }

  /** Assembles `source` (nasm, flat binary, org CODE_BASE). */
  assemble(source: string): Uint8Array {
    const src = join(this.dir, 'snippets.asm');
    const bin = join(this.dir, 'snippets.bin');
    writeFileSync(src, source);
    const r = spawnSync('nasm', ['-f', 'bin', '-o', bin, src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nasm failed:\n${r.stderr}`);
    return new Uint8Array(readFileSync(bin));
  }

  run(code: Uint8Array, data: Uint8Array, cases: readonly CaseInput[]): MachineState[] {
    const input = Buffer.alloc(4 + code.length + DATA_SIZE + 4 + cases.length * 40);
    let o = input.writeUInt32LE(code.length, 0);
    input.set(code, o);
    o += code.length;
    input.set(data, o);
    o += DATA_SIZE;
    o = input.writeUInt32LE(cases.length, o);
    for (const c of cases) {
      for (const r of c.regs) o = input.writeUInt32LE(r >>> 0, o);
      o = input.writeUInt32LE(c.eflags >>> 0, o);
      o = input.writeUInt32LE(c.eip >>> 0, o);
    }
    const inFile = join(this.dir, 'in.bin');
    const outFile = join(this.dir, 'out.bin');
    writeFileSync(inFile, input);
    execFileSync(this.runner, [inFile, outFile]);
    const out = readFileSync(outFile);
    if (out.length !== cases.length * RESULT_SIZE) throw new Error(`native runner wrote ${out.length} bytes for ${cases.length} cases`);
    const states: MachineState[] = [];
    for (let i = 0; i < cases.length; i++) {
      const b = i * RESULT_SIZE;
      const u = (k: number): number => out.readUInt32LE(b + k * 4);
      states.push({
        regs: [0, 1, 2, 3, 4, 5, 6, 7].map(u),
        eflags: u(8),
        eip: u(9),
        trapno: u(10),
        fpuCw: u(11),
        fpuSw: u(12),
        fpuTw: u(13),
        st: new Uint8Array(out.subarray(b + 56, b + 136)),
        data: new Uint8Array(out.subarray(b + 136, b + RESULT_SIZE)),
      });
    }
    return states;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Reads the entry table a snippet source starts with (`dd` of each snippet's address). */
export function entryTable(code: Uint8Array, count: number): number[] {
  const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const e: number[] = [];
  for (let i = 0; i < count; i++) e.push(dv.getUint32(i * 4, true));
  return e;
}
