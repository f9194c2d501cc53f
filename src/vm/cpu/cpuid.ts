// CPUID: a GenuineIntel family-6 (P6) processor. The feature bits advertise exactly what
// this core implements; add a bit here only together with the feature.

const FEATURE_FPU = 1 << 0;
const FEATURE_PSE = 1 << 3;
const FEATURE_TSC = 1 << 4;
const FEATURE_MSR = 1 << 5;
const FEATURE_CX8 = 1 << 8;
const FEATURE_APIC = 1 << 9;
const FEATURE_SEP = 1 << 11;
const FEATURE_MTRR = 1 << 12;
const FEATURE_PGE = 1 << 13;
const FEATURE_CMOV = 1 << 15;
const FEATURE_PAT = 1 << 16;
const FEATURE_MMX = 1 << 23;
const FEATURE_FXSR = 1 << 24;

export const CPUID_FEATURES =
  FEATURE_FPU | FEATURE_PSE | FEATURE_TSC | FEATURE_MSR | FEATURE_CX8 | FEATURE_APIC |
  FEATURE_SEP | FEATURE_MTRR | FEATURE_PGE | FEATURE_CMOV | FEATURE_PAT | FEATURE_MMX | FEATURE_FXSR;

/** Family 6, model 5 (Pentium II), stepping 3 — also what EDX holds after reset. */
export const CPUID_SIGNATURE = 0x0653;

/** The highest basic leaf: 0x15 and 0x16 report the clocks (below). */
const MAX_BASIC_LEAF = 0x16;

/**
 * The TSC (msr.ts) and the local APIC timer's bus clock (local-apic.ts) both count virtual
 * nanoseconds. Leaves 0x15 and 0x16 say so, as Intel CPUs since Skylake do: Linux then takes
 * the TSC's frequency as known instead of calibrating it against the PIT and the HPET, and
 * the APIC timer's period from the crystal. That calibration is timed in wall-clock
 * milliseconds, and an emulator's uneven instruction timing makes it fail and retry.
 */
const CLOCK_HZ = 1_000_000_000;

const VENDOR = 'GenuineIntel';
const BRAND = 'termu virtual CPU (i686)';

function str4(s: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (s.charCodeAt(at + i) || 0) << (8 * i);
  return v;
}

/** Fills out[0..3] = EAX, EBX, ECX, EDX for leaf `eax`. */
export function cpuid(leaf: number, out: Int32Array): void {
  leaf >>>= 0;
  out.fill(0);
  switch (leaf) {
    case 0:
      out[0] = MAX_BASIC_LEAF;
      out[1] = str4(VENDOR, 0);
      out[3] = str4(VENDOR, 4);
      out[2] = str4(VENDOR, 8);
      return;
    case 1:
      out[0] = CPUID_SIGNATURE;
      out[3] = CPUID_FEATURES;
      return;
    case 2:
      // Cache descriptors: 0x01 = one iteration; 0x43 L2 512K, 0x0c/0x08 L1 D/I 16K, 0x03/0x01 TLBs.
      out[0] = 0x03020101;
      out[3] = 0x0c040843;
      return;
    case 0x15:
      // TSC = crystal × EBX / EAX: a 1:1 ratio over a crystal of CLOCK_HZ.
      out[0] = 1;
      out[1] = 1;
      out[2] = CLOCK_HZ;
      return;
    case 0x16:
      // Base, maximum and bus (reference) frequencies in MHz.
      out[0] = CLOCK_HZ / 1e6;
      out[1] = CLOCK_HZ / 1e6;
      out[2] = CLOCK_HZ / 1e6;
      return;
    case 0x80000000:
      out[0] = 0x80000004 | 0;
      return;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const base = (leaf - 0x80000002) * 16;
      for (let i = 0; i < 4; i++) out[i] = str4(BRAND.padEnd(48, '\0'), base + i * 4);
      return;
    }
    default:
      // Leaves 3–0x14 describe features this CPU does not have: all zero. Leaves above the
      // maximum return the highest basic leaf's data on Intel.
      if (leaf > MAX_BASIC_LEAF && leaf < 0x80000000) cpuid(MAX_BASIC_LEAF, out);
  }
}
