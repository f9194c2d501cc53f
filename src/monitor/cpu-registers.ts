// A plain snapshot of the CPU's architectural state (it crosses the worker boundary) and
// QEMU's `info registers` layout for a 32-bit x86 CPU (target/i386/cpu-dump.c).

export interface SegmentRegister {
  selector: number;
  base: number;
  limit: number;
  /** Descriptor bits 40-55 in place (QEMU's `flags`). */
  flags: number;
}

export interface CpuRegisters {
  /** EAX ECX EDX EBX ESP EBP ESI EDI. */
  gpr: number[];
  eip: number;
  eflags: number;
  /** ES CS SS DS FS GS LDTR TR. */
  segments: SegmentRegister[];
  gdt: { base: number; limit: number };
  idt: { base: number; limit: number };
  cr: [number, number, number, number];
  dr: number[];
  efer: bigint;
  cpl: number;
  protectedMode: boolean;
  inhibitInterrupts: boolean;
  a20: boolean;
  halted: boolean;
  /** The 512-byte FXSAVE image: FCW, FSW, abridged FTW, MXCSR, ST0-7, XMM0-7. */
  fxsave: Uint8Array;
}

const hex = (v: number, width: number) => (v >>> 0).toString(16).padStart(width, '0');

const SYSTEM_TYPES = ['Reserved', 'TSS16-avl', 'LDT', 'TSS16-busy', 'CallGate16', 'TaskGate', 'IntGate16', 'TrapGate16', 'Reserved', 'TSS32-avl', 'Reserved', 'TSS32-busy', 'CallGate32', 'Reserved', 'IntGate32', 'TrapGate32'];
const DESC_S = 1 << 12;
const DESC_P = 1 << 15;
const DESC_CS = 1 << 11;
const DESC_B = 1 << 22;

function segmentLine(name: string, s: SegmentRegister, protectedMode: boolean): string {
  let line = `${name.padEnd(3)}=${hex(s.selector, 4)} ${hex(s.base, 8)} ${hex(s.limit, 8)} ${hex(s.flags & 0x00ffff00, 8)}`;
  if (!protectedMode || !(s.flags & DESC_P)) return line;
  line += ` DPL=${(s.flags >> 13) & 3} `;
  if (s.flags & DESC_S) {
    const bit = (n: number, c: string) => (s.flags & (1 << n) ? c : '-');
    if (s.flags & DESC_CS) line += `${s.flags & DESC_B ? 'CS32' : 'CS16'} [${bit(10, 'C')}${bit(9, 'R')}`;
    else line += `${s.flags & DESC_B ? 'DS  ' : 'DS16'} [${bit(10, 'E')}${bit(9, 'W')}`;
    line += `${bit(8, 'A')}]`;
  } else line += SYSTEM_TYPES[(s.flags >> 8) & 15];
  return line;
}

export function formatRegisters(r: CpuRegisters, cpuIndex = 0): string {
  const [eax, ecx, edx, ebx, esp, ebp, esi, edi] = r.gpr;
  const f = r.eflags;
  const flag = (mask: number, c: string) => (f & mask ? c : '-');
  const flags = flag(0x400, 'D') + flag(0x800, 'O') + flag(0x80, 'S') + flag(0x40, 'Z') + flag(0x10, 'A') + flag(0x04, 'P') + flag(0x01, 'C');
  const lines = [
    '',
    `CPU#${cpuIndex}`,
    `EAX=${hex(eax, 8)} EBX=${hex(ebx, 8)} ECX=${hex(ecx, 8)} EDX=${hex(edx, 8)}`,
    `ESI=${hex(esi, 8)} EDI=${hex(edi, 8)} EBP=${hex(ebp, 8)} ESP=${hex(esp, 8)}`,
    `EIP=${hex(r.eip, 8)} EFL=${hex(f, 8)} [${flags}] CPL=${r.cpl} II=${r.inhibitInterrupts ? 1 : 0} A20=${r.a20 ? 1 : 0} SMM=0 HLT=${r.halted ? 1 : 0}`,
  ];
  const names = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDT', 'TR'];
  r.segments.forEach((s, i) => lines.push(segmentLine(names[i], s, r.protectedMode)));
  lines.push(`GDT=     ${hex(r.gdt.base, 8)} ${hex(r.gdt.limit, 8)}`);
  lines.push(`IDT=     ${hex(r.idt.base, 8)} ${hex(r.idt.limit, 8)}`);
  lines.push(`CR0=${hex(r.cr[0], 8)} CR2=${hex(r.cr[1], 8)} CR3=${hex(r.cr[2], 8)} CR4=${hex(r.cr[3], 8)}`);
  lines.push(`DR0=${hex(r.dr[0], 8)} DR1=${hex(r.dr[1], 8)} DR2=${hex(r.dr[2], 8)} DR3=${hex(r.dr[3], 8)} `);
  lines.push(`DR6=${hex(r.dr[6], 8)} DR7=${hex(r.dr[7], 8)}`);
  lines.push(`EFER=${r.efer.toString(16).padStart(16, '0')}`);
  const img = new DataView(r.fxsave.buffer, r.fxsave.byteOffset, 512);
  const fsw = img.getUint16(2, true);
  const top = (fsw >> 11) & 7;
  lines.push(`FCW=${hex(img.getUint16(0, true), 4)} FSW=${hex(fsw, 4)} [ST=${top}] FTW=${hex(img.getUint8(4), 2)} MXCSR=${hex(img.getUint32(24, true), 8)}`);
  // FXSAVE stores ST(i); QEMU prints physical registers, FPRn = ST((n - TOP) & 7).
  const fpr: string[] = [];
  for (let n = 0; n < 8; n++) {
    const at = 32 + 16 * ((n - top) & 7);
    const mantissa = img.getBigUint64(at, true).toString(16).padStart(16, '0');
    fpr.push(`FPR${n}=${mantissa} ${hex(img.getUint16(at + 8, true), 4)}`);
  }
  for (let n = 0; n < 8; n += 2) lines.push(`${fpr[n]} ${fpr[n + 1]}`);
  const xmm: string[] = [];
  for (let n = 0; n < 8; n++) {
    const at = 160 + 16 * n;
    const lo = img.getBigUint64(at, true).toString(16).padStart(16, '0');
    const hi = img.getBigUint64(at + 8, true).toString(16).padStart(16, '0');
    xmm.push(`XMM${String(n).padStart(2, '0')}=${hi} ${lo}`);
  }
  for (let n = 0; n < 8; n += 2) lines.push(`${xmm[n]} ${xmm[n + 1]}`);
  return lines.join('\n') + '\n';
}

const GPR_NAMES = [['eax'], ['ecx'], ['edx'], ['ebx'], ['esp', 'sp'], ['ebp', 'fp'], ['esi'], ['edi']];
const SEGMENT_INDEX: Record<string, number> = { es: 0, cs: 1, ss: 2, ds: 3, fs: 4, gs: 5 };

/** A register for the monitor's `$name` expressions, named as QEMU's i386 monitor_defs name them. */
export function registerValue(r: CpuRegisters, name: string): number | undefined {
  const gpr = GPR_NAMES.findIndex((names) => names.includes(name));
  if (gpr >= 0) return r.gpr[gpr];
  if (name === 'eip') return r.eip;
  if (name === 'eflags') return r.eflags;
  if (name === 'pc') return (r.eip + r.segments[1].base) >>> 0;
  const [seg, field] = name.split('.');
  const s = SEGMENT_INDEX[seg] === undefined ? undefined : r.segments[SEGMENT_INDEX[seg]];
  if (!s) return undefined;
  if (field === undefined) return s.selector;
  if (field === 'base') return s.base;
  if (field === 'limit') return s.limit;
  return undefined;
}
