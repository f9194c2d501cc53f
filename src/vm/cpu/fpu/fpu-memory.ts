// What the x87/MMX unit needs from the CPU: linear-address memory access (faults are the
// CPU's exceptions, thrown through us) and the EFLAGS bits FCOMI and FCMOVcc use.

export interface FpuMemory {
  read8(linear: number): number;
  read16(linear: number): number;
  read32(linear: number): number;
  write8(linear: number, v: number): void;
  write16(linear: number, v: number): void;
  write32(linear: number, v: number): void;
  /** Throws the fault a read/write of `length` bytes at `linear` would raise, without side effects. */
  probeRead(linear: number, length: number): void;
  probeWrite(linear: number, length: number): void;
}

/** FCOMI/FUCOMI write ZF, PF, CF (and clear OF, SF, AF); FCMOVcc reads CF, ZF, PF. */
export interface EflagsAccess {
  getEflags(): number;
  setEflags(v: number): void;
}
