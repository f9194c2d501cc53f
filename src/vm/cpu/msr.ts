// Model-specific registers the i686 kernel and firmware touch: the TSC, the APIC base (kept
// by the board's local APIC), SYSENTER_*, PAT, the MTRRs, the platform ID and the microcode
// signature. Anything else raises #GP(0), which is what rdmsr_safe/wrmsr_safe expect for an
// absent MSR.

import type { Cpu } from './cpu.js';

export const MSR_PLATFORM_ID = 0x17;
export const MSR_TSC = 0x10;
export const MSR_APIC_BASE = 0x1b;
/** IA32_BIOS_SIGN_ID: writing 0 then CPUID(1) latches the microcode revision (none here: 0). */
export const MSR_BIOS_SIGN_ID = 0x8b;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;
export const MSR_PAT = 0x277;
const MSR_MTRRCAP = 0xfe;
const MSR_MTRR_DEF_TYPE = 0x2ff;
const PAT_DEFAULT = 0x0007040600070406n;
/** Fixed-range MTRRs: 0x250, 0x258, 0x259, 0x268-0x26f. */
const FIXED_MTRRS = [0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f];
const VARIABLE_MTRRS = 8;

export class MsrFile {
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  /** TSC = virtual nanoseconds + tscOffset (a 1 GHz counter). */
  private tscOffset = 0;
  private pat = PAT_DEFAULT;
  /** MTRR values by MSR number (variable pairs, fixed ranges, default type). */
  private readonly mtrr = new Map<number, bigint>();

  constructor(private readonly cpu: Cpu) {}

  reset(): void {
    this.sysenterCs = 0;
    this.sysenterEsp = 0;
    this.sysenterEip = 0;
    this.tscOffset = -this.cpu.host.clock.now();
    this.pat = PAT_DEFAULT;
    this.mtrr.clear();
  }

  tsc(): number {
    return Math.floor(this.cpu.host.clock.now() + this.tscOffset);
  }

  private isMtrr(index: number): boolean {
    return index === MSR_MTRR_DEF_TYPE || FIXED_MTRRS.includes(index) || (index >= 0x200 && index < 0x200 + 2 * VARIABLE_MTRRS);
  }

  /** RDMSR; returns undefined for an MSR this CPU does not have (the caller raises #GP). */
  read(index: number): bigint | undefined {
    switch (index) {
      case MSR_TSC:
        return BigInt(this.tsc()) & 0xffffffffffffffffn;
      case MSR_APIC_BASE:
        return this.cpu.host.readApicBase();
      case MSR_PLATFORM_ID:
      case MSR_BIOS_SIGN_ID:
        return 0n;
      case MSR_SYSENTER_CS:
        return BigInt(this.sysenterCs >>> 0);
      case MSR_SYSENTER_ESP:
        return BigInt(this.sysenterEsp >>> 0);
      case MSR_SYSENTER_EIP:
        return BigInt(this.sysenterEip >>> 0);
      case MSR_PAT:
        return this.pat;
      case MSR_MTRRCAP:
        return BigInt(0x500 | VARIABLE_MTRRS); // fixed ranges and write-combining supported
      default:
        if (this.isMtrr(index)) return this.mtrr.get(index) ?? 0n;
        return undefined;
    }
  }

  /** WRMSR; false for an unknown MSR or a reserved-bit violation (#GP). */
  write(index: number, value: bigint): boolean {
    switch (index) {
      case MSR_TSC:
        this.tscOffset = Number(BigInt.asIntN(64, value)) - this.cpu.host.clock.now();
        return true;
      case MSR_APIC_BASE:
        this.cpu.host.writeApicBase(value);
        return true;
      case MSR_BIOS_SIGN_ID:
        return true;
      case MSR_SYSENTER_CS:
        this.sysenterCs = Number(value & 0xffffn);
        return true;
      case MSR_SYSENTER_ESP:
        this.sysenterEsp = Number(value & 0xffffffffn) | 0;
        return true;
      case MSR_SYSENTER_EIP:
        this.sysenterEip = Number(value & 0xffffffffn) | 0;
        return true;
      case MSR_PAT:
        for (let i = 0n; i < 8n; i++) {
          const t = (value >> (i * 8n)) & 0xffn;
          if (t === 2n || t === 3n || t > 7n) return false;
        }
        this.pat = value;
        return true;
      default:
        if (!this.isMtrr(index)) return false;
        this.mtrr.set(index, value);
        return true;
    }
  }

  saveState(): object {
    return {
      sysenterCs: this.sysenterCs, sysenterEsp: this.sysenterEsp, sysenterEip: this.sysenterEip,
      tsc: this.tsc(), pat: this.pat.toString(), mtrr: [...this.mtrr].map(([k, v]) => [k, v.toString()]),
    };
  }

  loadState(s: object): void {
    const st = s as { sysenterCs: number; sysenterEsp: number; sysenterEip: number; tsc: number; pat: string; mtrr: [number, string][] };
    this.sysenterCs = st.sysenterCs;
    this.sysenterEsp = st.sysenterEsp;
    this.sysenterEip = st.sysenterEip;
    this.tscOffset = st.tsc - this.cpu.host.clock.now();
    this.pat = BigInt(st.pat);
    this.mtrr.clear();
    for (const [k, v] of st.mtrr) this.mtrr.set(k, BigInt(v));
  }
}
