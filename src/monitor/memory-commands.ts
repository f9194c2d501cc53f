// x, xp and memsave: guest memory dumps as QEMU's memory_dump prints them (16 bytes a
// line, 8 for bytes; x/d/u/o/c formats; virtual addresses through the guest's paging
// for x) and virtual memory saved to a file.

import { closeSync, openSync, writeSync } from 'node:fs';
import { errnoText } from '../vm/block/block-error.js';
import type { MemoryFormat } from './hmp-args.js';
import type { HmpCommand, HmpContext } from './hmp-commands.js';

const hex = (v: bigint, width: number) => v.toString(16).padStart(width, '0');
/** Larger dumps are read and printed piecewise, so a huge count cannot exhaust memory. */
const WHOLE_READ_LIMIT = 1 << 16;
const PRINT_CHUNK = 1 << 16;

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
    ctx.print("Error: termu has no disassembler for the 'i' format\n");
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
