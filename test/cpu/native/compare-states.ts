// Compares the state a snippet ended in natively with termu's, masking only what the
// SDM leaves undefined (per snippet) and, for transcendental snippets, allowing the
// double-precision tolerance termu's FPU promises.

import { DATA_BASE, type MachineState } from './native-host.js';

export interface CompareOptions {
  /** EFLAGS bits to compare (undefined flags removed by the caller). */
  eflagsMask: number;
  /** Compare the x87 state (control/status/tag words and non-empty registers). */
  fpu: boolean;
  /** Relative tolerance for ST values and the `approxSlots` data offsets (doubles); C1 is then ignored. */
  tolerance?: number;
  approxSlots?: number[];
  /** Data-window byte ranges [offset, length] not compared (e.g. the exception frame termu pushes). */
  ignoreData?: [number, number][];
  /** Registers (index) not compared. */
  ignoreRegs?: number[];
}

const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const hex = (v: number, w = 8): string => (v >>> 0).toString(16).padStart(w, '0');

function f80Bytes(st: Uint8Array, i: number): string {
  const dv = new DataView(st.buffer, st.byteOffset + i * 10, 10);
  return `${hex(dv.getUint16(8, true), 4)}:${hex(dv.getUint32(4, true))}${hex(dv.getUint32(0, true))}`;
}

function f80Value(st: Uint8Array, i: number): number {
  const dv = new DataView(st.buffer, st.byteOffset + i * 10, 10);
  const se = dv.getUint16(8, true);
  const m = dv.getUint32(4, true) * 2 ** 32 + dv.getUint32(0, true);
  const e = se & 0x7fff;
  if (e === 0x7fff) return m === 2 ** 63 ? (se & 0x8000 ? -Infinity : Infinity) : NaN;
  const v = m * 2 ** ((e || 1) - 16383 - 63);
  return se & 0x8000 ? -v : v;
}

function close(a: number, b: number, tolerance: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) < 1e-300;
}

/** Returns the differences as readable lines (empty when equal). */
export function compareStates(native: MachineState, emu: MachineState, o: CompareOptions): string[] {
  const d: string[] = [];
  if (native.trapno !== emu.trapno) d.push(`trapno: native ${native.trapno}, termu ${emu.trapno}`);
  if (native.eip !== emu.eip) d.push(`eip: native ${hex(native.eip)}, termu ${hex(emu.eip)}`);
  for (let r = 0; r < 8; r++) {
    if (o.ignoreRegs?.includes(r)) continue;
    if (native.regs[r] !== emu.regs[r]) d.push(`${REG_NAMES[r]}: native ${hex(native.regs[r])}, termu ${hex(emu.regs[r])}`);
  }
  if ((native.eflags & o.eflagsMask) !== (emu.eflags & o.eflagsMask)) {
    d.push(`eflags (mask ${hex(o.eflagsMask, 4)}): native ${hex(native.eflags & o.eflagsMask, 4)}, termu ${hex(emu.eflags & o.eflagsMask, 4)}`);
  }
  if (o.fpu) {
    if (native.fpuCw !== emu.fpuCw) d.push(`fpu cw: native ${hex(native.fpuCw, 4)}, termu ${hex(emu.fpuCw, 4)}`);
    const swMask = o.tolerance !== undefined ? ~0x0200 & 0xffff : 0xffff;
    if ((native.fpuSw & swMask) !== (emu.fpuSw & swMask)) d.push(`fpu sw: native ${hex(native.fpuSw, 4)}, termu ${hex(emu.fpuSw, 4)}`);
    if (native.fpuTw !== emu.fpuTw) d.push(`fpu tw: native ${hex(native.fpuTw, 4)}, termu ${hex(emu.fpuTw, 4)}`);
    const top = (native.fpuSw >>> 11) & 7;
    for (let i = 0; i < 8; i++) {
      if (((native.fpuTw >>> (((top + i) & 7) * 2)) & 3) === 3) continue;
      const same = o.tolerance !== undefined ? close(f80Value(native.st, i), f80Value(emu.st, i), o.tolerance) : f80Bytes(native.st, i) === f80Bytes(emu.st, i);
      if (!same) d.push(`st${i}: native ${f80Bytes(native.st, i)} (${f80Value(native.st, i)}), termu ${f80Bytes(emu.st, i)} (${f80Value(emu.st, i)})`);
    }
  }
  const skip = new Uint8Array(native.data.length);
  for (const [off, len] of o.ignoreData ?? []) skip.fill(1, Math.max(0, off), Math.min(skip.length, off + len));
  const ndv = new DataView(native.data.buffer, native.data.byteOffset);
  const edv = new DataView(emu.data.buffer, emu.data.byteOffset);
  for (const off of o.approxSlots ?? []) {
    const a = ndv.getFloat64(off, true);
    const b = edv.getFloat64(off, true);
    if (!close(a, b, o.tolerance ?? 0)) d.push(`double at ${hex(DATA_BASE + off)}: native ${a}, termu ${b}`);
    skip.fill(1, off, off + 8);
  }
  let reported = 0;
  for (let i = 0; i < native.data.length && reported < 8; i++) {
    if (!skip[i] && native.data[i] !== emu.data[i]) {
      d.push(`byte at ${hex(DATA_BASE + i)}: native ${hex(native.data[i], 2)}, termu ${hex(emu.data[i], 2)}`);
      reported++;
    }
  }
  return d;
}
