// The memory images of the x87 state: FSTENV/FLDENV (14 or 28 bytes, real-mode and
// protected-mode layouts), FSAVE/FRSTOR (the environment plus ST(0)-ST(7) as 80-bit
// values) and FXSAVE/FXRSTOR (512 bytes). Stores are probed first so a fault leaves the
// FPU untouched; loads read everything before changing anything.

import type { FpuMemory } from './fpu-memory.js';
import type { X87 } from './x87.js';

/** Reserved upper halves of the 32-bit environment image read back as ones on P6 parts. */
const RESERVED_HIGH = 0xffff0000;

function envSize(o32: boolean): number {
  return o32 ? 28 : 14;
}

function writeEnv(f: X87, a: number, mem: FpuMemory, o32: boolean, real: boolean): void {
  const fop = f.fop & 0x7ff;
  if (o32) {
    mem.write32(a, RESERVED_HIGH | f.controlWord);
    mem.write32(a + 4, RESERVED_HIGH | f.statusWord);
    mem.write32(a + 8, RESERVED_HIGH | f.tagWord);
    if (real) {
      mem.write32(a + 12, RESERVED_HIGH | (f.fip & 0xffff));
      mem.write32(a + 16, (((f.fip >>> 16) & 0xffff) << 12) | fop);
      mem.write32(a + 20, RESERVED_HIGH | (f.fdp & 0xffff));
      mem.write32(a + 24, ((f.fdp >>> 16) & 0xffff) << 12);
    } else {
      mem.write32(a + 12, f.fip);
      mem.write32(a + 16, (fop << 16) | (f.fcs & 0xffff));
      mem.write32(a + 20, f.fdp);
      mem.write32(a + 24, RESERVED_HIGH | (f.fds & 0xffff));
    }
  } else {
    mem.write16(a, f.controlWord);
    mem.write16(a + 2, f.statusWord);
    mem.write16(a + 4, f.tagWord);
    if (real) {
      mem.write16(a + 6, f.fip & 0xffff);
      mem.write16(a + 8, (((f.fip >>> 16) & 0xf) << 12) | fop);
      mem.write16(a + 10, f.fdp & 0xffff);
      mem.write16(a + 12, ((f.fdp >>> 16) & 0xf) << 12);
    } else {
      mem.write16(a + 6, f.fip & 0xffff);
      mem.write16(a + 8, f.fcs);
      mem.write16(a + 10, f.fdp & 0xffff);
      mem.write16(a + 12, f.fds);
    }
  }
}

/** Reads an environment image; returns [cw, sw, tw, fip, fcs, fop, fdp, fds] without applying it. */
function readEnv(a: number, mem: FpuMemory, o32: boolean, real: boolean, out: Uint32Array): void {
  if (o32) {
    out[0] = mem.read16(a) & 0xffff;
    out[1] = mem.read16(a + 4) & 0xffff;
    out[2] = mem.read16(a + 8) & 0xffff;
    if (real) {
      const w = mem.read32(a + 16) >>> 0;
      out[3] = ((mem.read16(a + 12) & 0xffff) | (((w >>> 12) & 0xffff) << 16)) >>> 0;
      out[4] = 0;
      out[5] = w & 0x7ff;
      out[6] = ((mem.read16(a + 20) & 0xffff) | (((mem.read32(a + 24) >>> 12) & 0xffff) << 16)) >>> 0;
      out[7] = 0;
    } else {
      out[3] = mem.read32(a + 12) >>> 0;
      const w = mem.read32(a + 16) >>> 0;
      out[4] = w & 0xffff;
      out[5] = (w >>> 16) & 0x7ff;
      out[6] = mem.read32(a + 20) >>> 0;
      out[7] = mem.read16(a + 24) & 0xffff;
    }
  } else {
    out[0] = mem.read16(a) & 0xffff;
    out[1] = mem.read16(a + 2) & 0xffff;
    out[2] = mem.read16(a + 4) & 0xffff;
    if (real) {
      const w = mem.read16(a + 8) & 0xffff;
      out[3] = (mem.read16(a + 6) & 0xffff) | ((w >>> 12) << 16);
      out[4] = 0;
      out[5] = w & 0x7ff;
      out[6] = (mem.read16(a + 10) & 0xffff) | (((mem.read16(a + 12) & 0xffff) >>> 12) << 16);
      out[7] = 0;
    } else {
      out[3] = mem.read16(a + 6) & 0xffff;
      out[4] = mem.read16(a + 8) & 0xffff;
      out[5] = 0;
      out[6] = mem.read16(a + 10) & 0xffff;
      out[7] = mem.read16(a + 12) & 0xffff;
    }
  }
}

function applyEnv(f: X87, e: Uint32Array): void {
  f.statusWord = e[1];
  f.tagWord = e[2];
  f.fip = e[3];
  f.fcs = e[4];
  f.fop = e[5];
  f.fdp = e[6];
  f.fds = e[7];
  f.controlWord = e[0];
}

const env = new Uint32Array(8);
/** FRSTOR/FXRSTOR register images, read before anything is applied: 8 × [se, hi, lo]. */
const regImage = new Uint32Array(24);

export function fstenv(f: X87, a: number, mem: FpuMemory, o32: boolean, real: boolean): void {
  mem.probeWrite(a, envSize(o32));
  writeEnv(f, a, mem, o32, real);
  f.controlWord = f.controlWord | 0x3f;
}

export function fldenv(f: X87, a: number, mem: FpuMemory, o32: boolean, real: boolean): void {
  mem.probeRead(a, envSize(o32));
  readEnv(a, mem, o32, real, env);
  applyEnv(f, env);
}

export function fsave(f: X87, a: number, mem: FpuMemory, o32: boolean, real: boolean): void {
  const n = envSize(o32);
  mem.probeWrite(a, n + 80);
  writeEnv(f, a, mem, o32, real);
  for (let i = 0; i < 8; i++) writeReg(f, (f.top + i) & 7, a + n + i * 10, mem);
  f.init();
}

export function frstor(f: X87, a: number, mem: FpuMemory, o32: boolean, real: boolean): void {
  const n = envSize(o32);
  mem.probeRead(a, n + 80);
  readEnv(a, mem, o32, real, env);
  for (let i = 0; i < 8; i++) readReg(a + n + i * 10, mem, i);
  applyEnv(f, env);
  applyRegs(f);
}

export function fxsave(f: X87, a: number, mem: FpuMemory): void {
  mem.probeWrite(a, 512);
  mem.write16(a, f.controlWord);
  mem.write16(a + 2, f.statusWord);
  let abridged = 0;
  for (let p = 0; p < 8; p++) if (!f.empty[p]) abridged |= 1 << p;
  mem.write8(a + 4, abridged);
  mem.write8(a + 5, 0);
  mem.write16(a + 6, f.fop & 0x7ff);
  mem.write32(a + 8, f.fip);
  mem.write16(a + 12, f.fcs);
  mem.write16(a + 14, 0);
  mem.write32(a + 16, f.fdp);
  mem.write16(a + 20, f.fds);
  mem.write16(a + 22, 0);
  mem.write32(a + 24, f.mxcsr);
  mem.write32(a + 28, 0);
  for (let i = 0; i < 8; i++) {
    const slot = a + 32 + i * 16;
    writeReg(f, (f.top + i) & 7, slot, mem);
    mem.write16(slot + 10, 0);
    mem.write32(slot + 12, 0);
  }
}

export function fxrstor(f: X87, a: number, mem: FpuMemory): void {
  mem.probeRead(a, 512);
  const cw = mem.read16(a) & 0xffff;
  const sw = mem.read16(a + 2) & 0xffff;
  const abridged = mem.read8(a + 4) & 0xff;
  const fop = (mem.read16(a + 6) & 0xffff) & 0x7ff;
  const fip = mem.read32(a + 8) >>> 0;
  const fcs = mem.read16(a + 12) & 0xffff;
  const fdp = mem.read32(a + 16) >>> 0;
  const fds = mem.read16(a + 20) & 0xffff;
  const mxcsr = mem.read32(a + 24) >>> 0;
  for (let i = 0; i < 8; i++) readReg(a + 32 + i * 16, mem, i);
  f.statusWord = sw;
  for (let p = 0; p < 8; p++) f.empty[p] = (abridged >>> p) & 1 ? 0 : 1;
  f.fop = fop;
  f.fip = fip;
  f.fcs = fcs;
  f.fdp = fdp;
  f.fds = fds;
  f.mxcsr = mxcsr;
  f.controlWord = cw;
  applyRegs(f);
}

function writeReg(f: X87, p: number, a: number, mem: FpuMemory): void {
  f.ensureRaw(p);
  mem.write32(a, f.lo[p]);
  mem.write32(a + 4, f.hi[p]);
  mem.write16(a + 8, f.se[p]);
}

function readReg(a: number, mem: FpuMemory, i: number): void {
  regImage[i * 3 + 2] = mem.read32(a) >>> 0;
  regImage[i * 3 + 1] = mem.read32(a + 4) >>> 0;
  regImage[i * 3] = mem.read16(a + 8) & 0xffff;
}

/** Puts the register image into ST(0)-ST(7) relative to the (already loaded) TOP, keeping the tags. */
function applyRegs(f: X87): void {
  for (let i = 0; i < 8; i++) {
    const p = (f.top + i) & 7;
    const wasEmpty = f.empty[p];
    f.setRaw(p, regImage[i * 3], regImage[i * 3 + 1], regImage[i * 3 + 2]);
    f.empty[p] = wasEmpty;
  }
}
