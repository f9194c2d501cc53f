// x, xp and memsave: guest memory dumps as QEMU's memory_dump prints them (16 bytes a
// line, 8 for bytes; x/d/u/o/c formats, /i as disassembly; virtual addresses through the
// guest's paging for x) and virtual memory saved to a file.

import { closeSync, openSync, writeSync } from 'node:fs';
import { errnoText } from '../vm/block/block-error.js';
import type { MemoryFormat } from './hmp-args.js';
import type { HmpCommand, HmpContext } from './hmp-commands.js';
import { disassembleOne, type CodeSize } from './x86-disassembler.js';

const hex = (v: bigint, width: number) => v.toString(16).padStart(width, '0');
/** Larger dumps are read and printed piecewise, so a huge count cannot exhaust memory. */
const WHOLE_READ_LIMIT = 1 << 16;
const PRINT_CHUNK = 1 << 16;
/** The code segment descriptor's D bit: 32-bit code (QEMU's HF_CS32). */
const CS_DEFAULT_32 = 1 << 22;

/** QEMU's monitor_printc. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x5c) return "'\\\\'";
  if (c === 0x0a) return "'\\n'";
  if (c === 0x0d) return "'\\r'";
  if (c >= 32 && c <= 126) return `'${String.fromCharCode(c)}'`;
  return `'\\x${c.toString(16).padStart(2, '0')}'`;
}

function item(bytes: Uint8Array, at: number, size: number, format: string): string {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  switch (format) {
    case 'o': {
      const digits = Math.ceil((size * 8) / 3);
      return (v === 0n ? '0' : `0${v.toString(8)}`).padStart(digits);
    }
    case 'u':
      return v.toString().padStart(Math.ceil((size * 80) / 33));
    case 'd':
      return BigInt.asIntN(64, v).toString().padStart(Math.ceil((size * 80) / 33));
    case 'c':
      return quoteChar(Number(v));
    default:
      return `0x${hex(v, size * 2)}`;
  }
}

/** Dumps `fmt.count` items at `addr`, reading line by line as QEMU does so a fault stops the dump where it happens. */
export async function memoryDump(ctx: HmpContext, fmt: MemoryFormat, start: number, physical: boolean): Promise<void> {
  if (fmt.format === 'i') {
    await disassemble(ctx, fmt.count, physical ? start : start % 2 ** 32, physical);
    return;
  }
  let size = fmt.size;
  const lineSize = size === 1 ? 8 : 16;
  let remaining = size * fmt.count;
  if (fmt.format === 'c') size = 1;
  let addr = physical ? start : start % 2 ** 32;
  // One request for a small range; line by line when part of it cannot be read or it is large.
  const whole = remaining <= WHOLE_READ_LIMIT && addr + remaining <= 2 ** 32 ? await ctx.vm.readMemory(addr, remaining, !physical) : undefined;
  let offset = 0;
  let out = '';
  while (remaining > 0) {
    if (out.length >= PRINT_CHUNK) {
      ctx.print(out);
      out = '';
    }
    out += physical ? `${hex(BigInt(addr), 16)}:` : `${hex(BigInt(addr), 8)}:`;
    const n = Math.min(remaining, lineSize);
    const bytes = whole ? whole.subarray(offset, offset + n) : addr + n <= 2 ** 32 ? await ctx.vm.readMemory(addr, n, !physical) : undefined;
    if (!bytes) {
      out += ' Cannot access memory\n';
      break;
    }
    for (let i = 0; i < n; i += size) out += ` ${item(bytes, i, size, fmt.format)}`;
    out += '\n';
    addr = physical ? addr + n : (addr + n) % 2 ** 32;
    offset += n;
    remaining -= n;
  }
  ctx.print(out);
}

/**
 * `x /i`: QEMU's cap_disas_monitor — instructions decoded from a 32-byte window that is read
 * up to the next 1 KiB boundary at a time, in the code size of the CPU's current CS, printed
 * as cap_dump_insn does (8 bytes a line, mnemonic column, the rest of a long instruction's
 * bytes on following lines).
 */
async function disassemble(ctx: HmpContext, count: number, start: number, physical: boolean): Promise<void> {
  const registers = await ctx.vm.registers();
  const mode: CodeSize = registers.segments[1].flags & CS_DEFAULT_32 ? 32 : 16;
  const window = new Uint8Array(32);
  let pc = start, held = 0, out = '';
  while (count > 0) {
    const boundary = Math.ceil((pc + held + 1) / 1024) * 1024;
    const want = Math.min(window.length - held, boundary - pc);
    const bytes = want > 0 ? await ctx.vm.readMemory(pc + held, want, !physical) : new Uint8Array(0);
    if (!bytes) {
      out += `0x${hex(BigInt(pc), 8)}: unable to read memory\n`;
      break;
    }
    window.set(bytes, held);
    held += bytes.length;
    const insn = disassembleOne(window.subarray(0, held), 0, pc, mode);
    out += instructionLines(pc, window.subarray(0, insn.length), insn.mnemonic, insn.operands);
    window.copyWithin(0, insn.length, held);
    held -= insn.length;
    pc += insn.length;
    count--;
  }
  ctx.print(out);
}

function instructionLines(address: number, bytes: Uint8Array, mnemonic: string, operands: string): string {
  const hexBytes = (from: number, to: number) => Array.from(bytes.subarray(from, to), (b) => ` ${b.toString(16).padStart(2, '0')}`).join('');
  let text = `0x${hex(BigInt(address), 8)}: ${hexBytes(0, 8)}${' '.repeat(3 * Math.max(0, 8 - bytes.length))}  ${mnemonic.padEnd(8)} ${operands}\n`;
  for (let i = 8; i < bytes.length; i += 8) text += `0x${hex(BigInt(address + i), 8)}: ${hexBytes(i, i + 8)}\n`;
  return text;
}

/** QEMU's memsave: the file is opened first, then filled 1 KiB at a time. */
async function memsave(ctx: HmpContext, addr: number, size: number, file: string): Promise<string | undefined> {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o666);
  } catch (e) {
    return `Could not open '${file}': ${errnoText((e as NodeJS.ErrnoException).code)}`;
  }
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(1024, size - done);
      const bytes = await ctx.vm.readMemory((addr + done) % 2 ** 32, n, true);
      if (!bytes) return `Invalid addr 0x${hex(BigInt(addr), 16)}/size ${size} specified`;
      writeSync(fd, bytes);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return undefined;
}

export const memoryCommands: HmpCommand[] = [
  {
    names: 'x',
    params: '/fmt addr',
    help: "virtual memory dump starting at 'addr'",
    args: 'fmt:/,addr:l',
    run: (ctx, _words, values) => memoryDump(ctx, values!.get('fmt') as MemoryFormat, values!.get('addr') as number, false),
  },
  {
    names: 'xp',
    params: '/fmt addr',
    help: "physical memory dump starting at 'addr'",
    args: 'fmt:/,addr:l',
    run: (ctx, _words, values) => memoryDump(ctx, values!.get('fmt') as MemoryFormat, values!.get('addr') as number, true),
  },
  {
    names: 'memsave',
    params: 'addr size file',
    help: "save to disk virtual memory dump starting at 'addr' of size 'size'",
    args: 'val:l,size:i,filename:s',
    fileArgument: 2,
    run: async (ctx, _words, values) => {
      const error = await memsave(ctx, values!.get('val') as number, values!.get('size') as number, values!.get('filename') as string);
      if (error) ctx.print(`Error: ${error}\n`);
    },
  },
];
