// Multiboot (version 1) kernels through -kernel/-initrd/-append, as QEMU loads them: the
// header in the first 8 KiB, ELF32 program segments or the a.out kludge addresses,
// modules from `-initrd "file args,file args"` page-aligned after the kernel, and the
// Multiboot information structure (memory, cmdline, modules, memory map, loader name).

import type { BoardCpu } from '../board-cpu.js';
import type { PhysicalMemory } from '../physical-memory.js';
import { BootError } from './boot-error.js';
import { HIGH_TABLES_SIZE, LOW_MEMORY_END, pcE820Map } from './e820.js';
import { enterKernel, writeFirmwareTables } from './pc-firmware.js';

const HEADER_MAGIC = 0x1badb002;
const BOOTLOADER_MAGIC = 0x2badb002;
const SEARCH_LIMIT = 8192;
const FLAG_AOUT_KLUDGE = 1 << 16;
/** The information structure and its strings, in conventional memory as QEMU puts them. */
const MBI_ADDR = 0x9000;
const MBI_SIZE = 0x58;
const BOOTLOADER_NAME = 'termu';

export interface MultibootModule {
  /** The module's text from -initrd: file name, optionally followed by arguments. */
  commandLine: string;
  data: Uint8Array;
}

/** The offset of a valid Multiboot header, or -1. */
export function findMultibootHeader(image: Uint8Array): number {
  const v = new DataView(image.buffer, image.byteOffset, image.length);
  for (let o = 0; o + 12 <= Math.min(image.length, SEARCH_LIMIT); o += 4) {
    if (v.getUint32(o, true) !== HEADER_MAGIC) continue;
    if (((HEADER_MAGIC + v.getUint32(o + 4, true) + v.getUint32(o + 8, true)) & 0xffffffff) === 0) return o;
  }
  return -1;
}

interface LoadedKernel {
  entry: number;
  /** First byte after the image and its bss. */
  end: number;
}

function loadAout(memory: PhysicalMemory, image: Uint8Array, v: DataView, h: number): LoadedKernel {
  const headerAddr = v.getUint32(h + 12, true);
  const loadAddr = v.getUint32(h + 16, true);
  const loadEndAddr = v.getUint32(h + 20, true);
  const bssEndAddr = v.getUint32(h + 24, true);
  const entry = v.getUint32(h + 28, true);
  const fileOffset = h - (headerAddr - loadAddr);
  if (fileOffset < 0 || headerAddr < loadAddr) throw new BootError('invalid multiboot header: load address above header address');
  const size = loadEndAddr ? loadEndAddr - loadAddr : image.length - fileOffset;
  if (fileOffset + size > image.length) throw new BootError('invalid multiboot header: load end beyond the image');
  memory.writeBytes(loadAddr, image.subarray(fileOffset, fileOffset + size));
  const end = Math.max(loadAddr + size, bssEndAddr);
  if (end > loadAddr + size) memory.writeBytes(loadAddr + size, new Uint8Array(end - loadAddr - size));
  return { entry, end };
}

function loadElf(memory: PhysicalMemory, image: Uint8Array, v: DataView): LoadedKernel {
  if (v.getUint32(0, false) !== 0x7f454c46) throw new BootError('invalid kernel header');
  if (image[4] !== 1) throw new BootError('Cannot load x86-64 image, give a 32bit one.');
  const phoff = v.getUint32(28, true);
  const phentsize = v.getUint16(42, true);
  const phnum = v.getUint16(44, true);
  let end = 0;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (v.getUint32(ph, true) !== 1) continue; // PT_LOAD
    const offset = v.getUint32(ph + 4, true);
    const paddr = v.getUint32(ph + 12, true);
    const filesz = v.getUint32(ph + 16, true);
    const memsz = v.getUint32(ph + 20, true);
    if (offset + filesz > image.length) throw new BootError('invalid ELF program header: segment beyond the file');
    memory.writeBytes(paddr, image.subarray(offset, offset + filesz));
    if (memsz > filesz) memory.writeBytes(paddr + filesz, new Uint8Array(memsz - filesz));
    end = Math.max(end, paddr + memsz);
  }
  return { entry: v.getUint32(24, true), end };
}

export function loadMultiboot(memory: PhysicalMemory, cpu: BoardCpu, image: Uint8Array, kernelPath: string, append: string, modules: MultibootModule[]): void {
  const h = findMultibootHeader(image);
  if (h < 0) throw new BootError('invalid kernel header');
  const v = new DataView(image.buffer, image.byteOffset, image.length);
  const flags = v.getUint32(h + 4, true);
  const kernel = flags & FLAG_AOUT_KLUDGE ? loadAout(memory, image, v, h) : loadElf(memory, image, v);
  const ram = memory.ramSize;
  if (kernel.end > ram - HIGH_TABLES_SIZE) throw new BootError('kernel too large for the guest RAM');

  // Modules follow the kernel, each page-aligned; their list and all strings follow them.
  let next = Math.ceil(kernel.end / 4096) * 4096;
  const placed: { start: number; end: number; text: string }[] = [];
  for (const m of modules) {
    if (next + m.data.length > ram - HIGH_TABLES_SIZE) throw new BootError(`not enough guest RAM for module '${m.commandLine}'`);
    memory.writeBytes(next, m.data);
    placed.push({ start: next, end: next + m.data.length, text: m.commandLine });
    next = Math.ceil((next + m.data.length) / 4096) * 4096;
  }

  const encoder = new TextEncoder();
  let strings = MBI_ADDR + MBI_SIZE;
  const putString = (s: string) => {
    const addr = strings;
    const bytes = encoder.encode(s);
    memory.writeBytes(addr, Uint8Array.from([...bytes, 0]));
    strings += bytes.length + 1;
    return addr;
  };
  // QEMU passes the kernel's file name before the -append text.
  const cmdlineAddr = putString(`${kernelPath} ${append}`);
  const loaderNameAddr = putString(BOOTLOADER_NAME);
  const modsAddr = Math.ceil(strings / 16) * 16;
  const mods = new DataView(new ArrayBuffer(16 * placed.length));
  strings = modsAddr + mods.byteLength;
  placed.forEach((m, i) => {
    mods.setUint32(16 * i, m.start, true);
    mods.setUint32(16 * i + 4, m.end, true);
    mods.setUint32(16 * i + 8, putString(m.text), true);
  });
  if (placed.length) memory.writeBytes(modsAddr, new Uint8Array(mods.buffer));
  const e820 = pcE820Map(ram);
  const mmapAddr = Math.ceil(strings / 16) * 16;
  const mmap = new DataView(new ArrayBuffer(24 * e820.length));
  e820.forEach((e, i) => {
    mmap.setUint32(24 * i, 20, true);
    mmap.setBigUint64(24 * i + 4, BigInt(e.addr), true);
    mmap.setBigUint64(24 * i + 12, BigInt(e.size), true);
    mmap.setUint32(24 * i + 20, e.type, true);
  });
  memory.writeBytes(mmapAddr, new Uint8Array(mmap.buffer));
  if (mmapAddr + mmap.byteLength > 0x9fc00) throw new BootError('multiboot command lines too long');

  const mbi = new DataView(new ArrayBuffer(MBI_SIZE));
  // memory, boot device, cmdline, modules, memory map, boot loader name (QEMU's set).
  mbi.setUint32(0, (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9), true);
  // Lower memory ends at the EBDA; upper memory runs from 1 MiB to the first hole.
  mbi.setUint32(4, LOW_MEMORY_END >>> 10, true);
  mbi.setUint32(8, (ram - HIGH_TABLES_SIZE - 0x100000) >>> 10, true);
  mbi.setUint32(12, 0x8000ffff, true);
  mbi.setUint32(16, cmdlineAddr, true);
  mbi.setUint32(20, placed.length, true);
  mbi.setUint32(24, placed.length ? modsAddr : 0, true);
  mbi.setUint32(44, mmap.byteLength, true);
  mbi.setUint32(48, mmapAddr, true);
  mbi.setUint32(64, loaderNameAddr, true);
  memory.writeBytes(MBI_ADDR, new Uint8Array(mbi.buffer));

  writeFirmwareTables(memory);
  enterKernel(cpu, kernel.entry);
  cpu.reg32.fill(0);
  cpu.reg32[0] = BOOTLOADER_MAGIC; // EAX
  cpu.reg32[3] = MBI_ADDR; // EBX
}
