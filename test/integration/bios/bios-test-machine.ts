// A pc board booting through SeaBIOS inside the test process: the board and CPU the worker
// builds, the firmware hardware on top, deterministic time (instructions x 8 ns, skipping
// ahead while halted) and the views the tests read: the VGA text buffer at 0xb8000 (what
// QEMU's `pmemsave 0xb8000` shows), screendumps, and SeaBIOS's debug log on port 0x402.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStorageConfig, resolveDrives, type StorageConfig } from '../../../src/cli/drive-options.js';
import { Cpu } from '../../../src/vm/cpu/cpu.js';
import type { BiosHardware } from '../../../src/vm/machine/bios-hardware.js';
import { SEG_CS } from '../../../src/vm/machine/board-cpu.js';
import { buildBootHardware, closeDrive } from '../../../src/vm/machine/firmware-boot.js';
import { DEFAULT_BIOS, STD_VGA_BIOS } from '../../../src/vm/machine/firmware/seabios.js';
import { PcBoard } from '../../../src/vm/machine/pc-board.js';

export const HAVE_SEABIOS = existsSync(`/usr/share/seabios/${DEFAULT_BIOS}`) && existsSync(`/usr/share/seabios/${STD_VGA_BIOS}`);
const NS_PER_INSTRUCTION = 8;
const SLICE = 50_000;

export class BiosTestMachine {
  readonly board: PcBoard;
  readonly cpu: Cpu;
  readonly hw: BiosHardware;
  private readonly debugBytes: number[] = [];
  private warpNs = 0;

  constructor(configure: (config: StorageConfig) => void, ramBytes = 128 << 20) {
    const config = defaultStorageConfig();
    configure(config);
    resolveDrives(config);
    const events = { serialOut: () => {}, debugconOut: () => {}, powerOff: () => {}, debugExit: () => {}, resetRequested: () => {} };
    this.board = new PcBoard({ ramBytes, serialPorts: 1, debugcon: false, rtcBase: 'utc', externalIde: true }, events);
    this.cpu = new Cpu(this.board);
    this.board.setCpu(this.cpu);
    this.hw = buildBootHardware(this.board, { storage: config, ramBytes, nographic: false, directKernel: false }, () => this.cpu.flushTlb());
    // SeaBIOS's debug console (QEMU's isa-debugcon at 0x402 in tests).
    this.board.io.register(0x402, 1, { readPort: () => 0xe9, writePort: (_p, _s, v) => void this.debugBytes.push(v) });
    this.board.clock.setTimeSource(() => this.warpNs + this.cpu.instructionCount * NS_PER_INSTRUCTION);
    this.cpu.reset();
  }

  get debugLog(): string {
    return Buffer.from(this.debugBytes).toString('latin1');
  }

  /** Runs the guest until `done()` holds (checked every slice) or `timeoutMs` of host time passes. */
  async runUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const { clock } = this.board;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${this.screenText()}`);
      const sliceEnd = Date.now() + 50;
      while (Date.now() < sliceEnd) {
        clock.runExpired();
        this.cpu.run(SLICE);
        if (this.cpu.halted && clock.next !== Infinity) this.warpNs += Math.max(0, clock.next - clock.now());
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The 80x25 text screen read from guest memory at 0xb8000, as QemuSession.vgaText does. */
  screenText(): string {
    const lines: string[] = [];
    for (let row = 0; row < 25; row++) {
      let line = '';
      for (let col = 0; col < 80; col++) line += String.fromCharCode(this.board.memory.read8(0xb8000 + (row * 80 + col) * 2));
      lines.push(line.replace(/\0/g, ' ').trimEnd());
    }
    return lines.join('\n');
  }

  screendump(cursorVisible: boolean): Buffer {
    return this.hw.display!.display.screendump(cursorVisible);
  }

  close(): void {
    for (const d of this.hw.storage.drives) closeDrive(d);
  }
}

/**
 * Whether the CPU lets real-mode code write through CS after a trip through protected mode
 * (SeaBIOS, GRUB and memtest's boot sector all do: real mode has no segment type checks).
 * Returns a reason to skip when it does not.
 */
export function cpuRealModeCheck(): string | undefined {
  if (spawnSync('nasm', ['-v']).status !== 0) return 'nasm is not installed';
  const dir = mkdtempSync(join(tmpdir(), 'termu-realmode-'));
  writeFileSync(
    join(dir, 'probe.asm'),
    `bits 16
org 0x7c00
  cli
  lgdt [gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x08:pm16
pm16:
  mov eax, cr0
  and al, 0xfe
  mov cr0, eax
  jmp 0:rm
rm:
  mov byte [cs:flag], 0x5a
  hlt
gdt: dq 0
  dw 0xffff, 0
  db 0, 0x9a, 0, 0
gdtr: dw 15
  dd gdt
flag: db 0
`,
  );
  spawnSync('nasm', ['-f', 'bin', '-o', join(dir, 'probe.bin'), join(dir, 'probe.asm')]);
  const code = readFileSync(join(dir, 'probe.bin'));
  const events = { serialOut: () => {}, debugconOut: () => {}, powerOff: () => {}, debugExit: () => {}, resetRequested: () => {} };
  const board = new PcBoard({ ramBytes: 1 << 20, serialPorts: 0, debugcon: false, rtcBase: 'utc' }, events);
  const cpu = new Cpu(board);
  board.setCpu(cpu);
  board.memory.writeBytes(0x7c00, code);
  cpu.loadSegmentCache(SEG_CS, 0, 0, 0xffff, 0x9b00);
  cpu.eip = 0x7c00;
  cpu.run(100);
  if (board.memory.read8(0x7c00 + code.length - 1) === 0x5a) return undefined;
  return 'the CPU keeps protected-mode segment checks after CR0.PE is cleared (a real-mode write through CS faults), which SeaBIOS, GRUB and memtest86+ rely on: src/vm/cpu/cpu.ts must recompute segment access on PE changes';
}
