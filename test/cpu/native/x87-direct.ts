// Runs x87/MMX snippets on termu's X87 alone, without the CPU: a decoder for just the
// forms the snippets use (D8-DF and 0F MMX/FXSAVE with [disp32] or register operands,
// FWAIT, `mov [disp32], ax`, HLT), with the #MF check the CPU makes before waiting
// instructions. Lets the FPU be compared with the host's FPU before the CPU exists.

import { X87 } from '../../../src/vm/cpu/fpu/x87.js';
import type { FpuMemory } from '../../../src/vm/cpu/fpu/fpu-memory.js';
import { CODE_BASE, DATA_BASE, DATA_SIZE, END_BY_HLT, type CaseInput, type MachineState } from './native-host.js';

class WindowMemory implements FpuMemory {
  constructor(readonly data: Uint8Array) {}
  private at(a: number, n: number): number {
    const o = a - DATA_BASE;
    if (o < 0 || o + n > DATA_SIZE) throw new Error(`x87-direct: access outside the data window at ${a.toString(16)}`);
    return o;
  }
  read8(a: number): number { return this.data[this.at(a, 1)]; }
  read16(a: number): number { const o = this.at(a, 2); return this.data[o] | (this.data[o + 1] << 8); }
  /** Signed, as the CPU's accessors return it: the FPU must not depend on the sign. */
  read32(a: number): number { return this.read16(a) | (this.read16(a + 2) << 16); }
  write8(a: number, v: number): void { this.data[this.at(a, 1)] = v; }
  write16(a: number, v: number): void { this.write8(a, v & 0xff); this.write8(a + 1, (v >>> 8) & 0xff); }
  write32(a: number, v: number): void { this.write16(a, v & 0xffff); this.write16(a + 2, v >>> 16); }
  probeRead(a: number, n: number): void { this.at(a, n); }
  probeWrite(a: number, n: number): void { this.at(a, n); }
}

/** FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE do not wait for pending errors. */
function nonWaiting(op: number, modrm: number): boolean {
  const reg = (modrm >>> 3) & 7;
  if (modrm >= 0xc0) return (op === 0xdb && (modrm === 0xe2 || modrm === 0xe3)) || (op === 0xdf && modrm === 0xe0);
  return (op === 0xd9 && (reg === 6 || reg === 7)) || (op === 0xdd && (reg === 6 || reg === 7));
}

export function runDirect(code: Uint8Array, initialData: Uint8Array, c: CaseInput): MachineState {
  const data = initialData.slice();
  const mem = new WindowMemory(data);
  const regs = Int32Array.from(c.regs);
  const flags = { v: c.eflags, getEflags() { return this.v; }, setEflags(v: number) { this.v = v; } };
  const fpu = new X87(flags);
  fpu.init();
  let eip = c.eip;
  let trapno = -1;
  const byte = (a: number): number => code[a - CODE_BASE];
  const disp32 = (a: number): number => (byte(a) | (byte(a + 1) << 8) | (byte(a + 2) << 16) | (byte(a + 3) << 24)) >>> 0;
  /** Linear address and length of the ModRM operand at `a` (the ModRM byte). */
  const operand = (a: number): [number, number] => {
    const modrm = byte(a);
    if (modrm >= 0xc0) return [0, 1];
    if ((modrm & 0xc7) !== 0x05) throw new Error(`x87-direct: unsupported addressing at ${a.toString(16)}`);
    return [disp32(a + 1), 5];
  };
  for (let steps = 0; trapno < 0; steps++) {
    if (steps > 1000) throw new Error('x87-direct: snippet does not end');
    const b = byte(eip);
    if (b === 0xf4) {
      trapno = END_BY_HLT;
    } else if (b === 0x9b) {
      if (fpu.errorPending) trapno = 16;
      else eip += 1;
    } else if (b === 0x66 && byte(eip + 1) === 0xa3) {
      mem.write16(disp32(eip + 2), regs[0] & 0xffff);
      eip += 6;
    } else if ((b >= 0xd8 && b <= 0xdf) || (b === 0x66 && byte(eip + 1) >= 0xd8 && byte(eip + 1) <= 0xdf)) {
      // An operand-size prefix selects the 16-bit environment layouts.
      const o32 = b !== 0x66;
      const at = o32 ? eip : eip + 1;
      const op = byte(at);
      const modrm = byte(at + 1);
      if (!nonWaiting(op, modrm) && fpu.errorPending) {
        trapno = 16;
        break;
      }
      const [linear, len] = operand(at + 1);
      fpu.execute(op, modrm, linear, mem, o32, false, 0x23, eip, 0x2b, regs);
      eip = at + 1 + len;
    } else if (b === 0x0f) {
      const op2 = byte(eip + 1);
      if (op2 === 0x77) {
        if (fpu.errorPending) {
          trapno = 16;
          break;
        }
        fpu.executeMmx(0x77, 0, 0, mem, regs);
        eip += 2;
        continue;
      }
      const modrm = byte(eip + 2);
      const [linear, len] = operand(eip + 2);
      if (op2 === 0xae) {
        if (((modrm >>> 3) & 7) === 0) fpu.fxsave(linear, mem);
        else fpu.fxrstor(linear, mem);
        eip += 2 + len;
        continue;
      }
      if (fpu.errorPending) {
        trapno = 16;
        break;
      }
      const hasImm = op2 >= 0x71 && op2 <= 0x73;
      fpu.executeMmx(op2, modrm, linear, mem, regs, hasImm ? byte(eip + 2 + len) : 0);
      eip += 2 + len + (hasImm ? 1 : 0);
    } else {
      throw new Error(`x87-direct: unsupported opcode ${b.toString(16)} at ${eip.toString(16)}`);
    }
  }
  const st = new Uint8Array(80);
  for (let i = 0; i < 8; i++) {
    const p = (fpu.top + i) & 7;
    fpu.ensureRaw(p);
    const dv = new DataView(st.buffer, i * 10, 10);
    dv.setUint32(0, fpu.lo[p], true);
    dv.setUint32(4, fpu.hi[p], true);
    dv.setUint16(8, fpu.se[p], true);
  }
  return {
    regs: Array.from(regs, (v) => v >>> 0),
    eflags: flags.v >>> 0,
    eip,
    trapno,
    fpuCw: fpu.controlWord,
    fpuSw: fpu.statusWord,
    fpuTw: fpu.tagWord,
    st,
    data,
  };
}
