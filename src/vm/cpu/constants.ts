// Register numbers, exception vectors, control-register and descriptor bits shared by the
// CPU's modules.

export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

/** Exception vectors. */
export const DE = 0, DB = 1, NMI = 2, BP = 3, OFV = 4, BR = 5, UD = 6, NM = 7, DF = 8;
export const TS = 10, NP = 11, SSF = 12, GP = 13, PFV = 14, MF = 16, AC_FAULT = 17;

export const CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 0x10, CR0_NE = 0x20;
export const CR0_WP = 0x10000, CR0_AM = 0x40000, CR0_NW = 0x20000000, CR0_CD = 0x40000000, CR0_PG = 0x80000000;
export const CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 0x10, CR4_PGE = 0x80, CR4_OSFXSR = 0x200;

/** Descriptor flag bits (bits 40-55 of a descriptor, in QEMU's `flags` position). */
export const DESC_A = 0x100, DESC_RW = 0x200, DESC_CE = 0x400, DESC_CODE = 0x800, DESC_S = 0x1000;
export const DESC_P = 0x8000, DESC_B = 0x400000, DESC_G = 0x800000;

/** The one object thrown for every architectural fault; details are on the Cpu. */
export const FAULT = { fault: true };
