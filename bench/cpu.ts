// `npm run bench -- cpu [iterations]`: CPU speed on a fixed mix of 32-bit guest code (ALU,
// loads/stores, calls, REP MOVSD, MUL/DIV, Jcc) with paging on, in guest MIPS, interpreted
// and with the JIT. The same image is timed in qemu-system-i386 (TCG) when installed, as a
// reference ratio. bench/boot.ts prints the same MIPS figures.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cpu, CS, SS, DS, ES, FS, GS } from '../src/vm/cpu/cpu.js';
import type { CpuHost } from '../src/vm/cpu/cpu-host.js';
import { PhysicalMemory } from '../src/vm/machine/physical-memory.js';
import { IoBus } from '../src/vm/machine/io-bus.js';
import { TimerQueue } from '../src/vm/machine/clock.js';

const LOAD = 0x100000;

/** The guest: a Multiboot (a.out kludge) image whose outer loop runs `iterations` times. */
function guestSource(iterations: number): string {
  return `
BITS 32
ORG ${LOAD}
    dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000)
    dd ${LOAD}, ${LOAD}, load_end, bss_end, start
start:
    mov esp, stack_top
    ; Paging: one 4 KiB-page table for 0-4 MiB, 4 MiB pages above.
    xor ecx, ecx
.pt:
    mov eax, ecx
    shl eax, 12
    or eax, 3
    mov [pt + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .pt
    mov dword [pd], pt + 3
    mov dword [pd + 4], 0x00400083
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, pd
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov ebp, ${iterations}
outer:
    ; ALU and flags
    mov ecx, 64
    mov eax, 0x12345678
    mov ebx, 0x9abcdef0
.alu:
    add eax, ebx
    xor edx, eax
    rol eax, 3
    sub ebx, ecx
    and edx, 0xff00ff
    lea esi, [eax + ebx * 2 + 7]
    cmp esi, edx
    adc edi, 0
    dec ecx
    jnz .alu
    ; Loads and stores through the TLB
    mov esi, data
    mov ecx, 64
    xor eax, eax
.mem:
    add eax, [esi]
    mov [esi + 4096], eax
    movzx edx, byte [esi + 1]
    add esi, 4
    dec ecx
    jnz .mem
    ; Calls and returns, push/pop
    mov ecx, 16
.calls:
    push ecx
    call leaf
    pop ecx
    loop .calls
    ; String copy
    mov esi, data
    mov edi, data + 8192
    mov ecx, 128
    cld
    rep movsd
    ; Multiply and divide
    mov ecx, 16
.muldiv:
    mov eax, ecx
    imul eax, eax, 12345
    xor edx, edx
    mov ebx, 7
    div ebx
    test edx, edx
    setz al
    cmovnz ebx, edx
    dec ecx
    jnz .muldiv
    dec ebp
    jnz outer
    mov al, 0
    out 0xf4, al
    hlt
leaf:
    push ebx
    mov ebx, [esp + 8]
    shl ebx, 1
    movsx eax, bx
    pop ebx
    ret
ALIGN 16
load_end:
ALIGN 4096
pd: times 1024 dd 0
pt: times 1024 dd 0
data: times 16384 db 0
stack: times 4096 db 0
stack_top:
bss_end:
`;
}

class BenchHost implements CpuHost {
  readonly memory = new PhysicalMemory(16 << 20);
  readonly io = new IoBus();
  readonly clock = new TimerQueue();
  readonly interrupts = { hasInterrupt: () => false, acknowledgeInterrupt: () => 0 };
  readApicBase(): bigint {
    return 0xfee00900n;
  }
  writeApicBase(): void {}
  tripleFault(): void {
    throw new Error('triple fault in the benchmark guest');
  }
}

function runTermu(image: Buffer, jit: boolean): { instructions: number; seconds: number } {
  const host = new BenchHost();
  const cpu = new Cpu(host);
  cpu.setJit(jit ? {} : null);
  let exited = false;
  host.io.register(0xf4, 4, { readPort: () => 0, writePort: () => { exited = true; cpu.requestExit(); } });
  host.memory.writeBytes(LOAD, image);
  cpu.cr0 = 0x11;
  cpu.loadSegmentCache(CS, 0x10, 0, 0xffffffff, 0x00cf9b00);
  for (const s of [SS, DS, ES, FS, GS]) cpu.loadSegmentCache(s, 0x18, 0, 0xffffffff, 0x00cf9300);
  cpu.eip = image.readUInt32LE(28);
  // CPU time of this process, not wall time: the figure stays comparable on a busy host.
  const start = process.cpuUsage();
  while (!exited && !cpu.halted) cpu.run(1_000_000);
  const used = process.cpuUsage(start);
  return { instructions: cpu.instructionCount, seconds: (used.user + used.system) / 1e6 };
}

function timeQemu(path: string): number | undefined {
  if (spawnSync('sh', ['-c', 'command -v qemu-system-i386']).status !== 0) return undefined;
  const start = process.hrtime.bigint();
  const r = spawnSync('qemu-system-i386', ['-cpu', 'pentium2', '-m', '32', '-kernel', path, '-display', 'none',
    '-nodefaults', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4'], { timeout: 120_000 });
  if (r.status !== 1) return undefined;
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function assemble(dir: string, iterations: number): { image: Buffer; path: string } {
  const src = join(dir, `guest-${iterations}.asm`);
  const path = join(dir, `guest-${iterations}.bin`);
  writeFileSync(src, guestSource(iterations));
  execFileSync('nasm', ['-f', 'bin', '-o', path, src]);
  return { image: readFileSync(path), path };
}

export interface MipsFigures {
  interpreted: number;
  compiled: number;
  instructions: number;
  /** CPU seconds of the JIT run, to compare with qemu-system-i386 on the same image. */
  compiledSeconds: number;
  /** The assembled guest image, for the QEMU reference run. */
  imagePath: string;
}

/** Guest MIPS on the compute loop, interpreted and with the JIT (CPU time of this process). */
export function measureMips(dir: string, iterations: number): MipsFigures {
  const warmUp = assemble(dir, Math.max(1, iterations >> 4)).image;
  const guest = assemble(dir, iterations);
  const figures = { interpreted: 0, compiled: 0, instructions: 0, compiledSeconds: 0, imagePath: guest.path };
  for (const jit of [false, true]) {
    // A short run first, so V8 has compiled the interpreter (or the regions) before the measured one.
    runTermu(warmUp, jit);
    const { instructions, seconds } = runTermu(guest.image, jit);
    const mips = instructions / seconds / 1e6;
    if (jit) Object.assign(figures, { compiled: mips, compiledSeconds: seconds, instructions });
    else figures.interpreted = mips;
  }
  return figures;
}

export function mipsLine(f: MipsFigures): string {
  return `compute loop: ${f.interpreted.toFixed(1)} MIPS interpreted, ${f.compiled.toFixed(1)} MIPS with the JIT ` +
    `(${(f.compiled / f.interpreted).toFixed(1)}x)`;
}

export async function run(args: string[]): Promise<void> {
  const iterations = Number(args[0] ?? 20000);
  const dir = mkdtempSync(join(tmpdir(), 'termu-bench-cpu-'));
  try {
    const f = measureMips(dir, iterations);
    console.log(`cpu: ${f.instructions} guest instructions; ${mipsLine(f)}`);
    const qemu = timeQemu(f.imagePath);
    if (qemu !== undefined) {
      console.log(`qemu-system-i386 (TCG) runs the same image in ${qemu.toFixed(2)} s including start-up: ` +
        `termu with the JIT takes ${(f.compiledSeconds / qemu).toFixed(1)}x as long`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
