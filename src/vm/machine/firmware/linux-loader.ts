// The Linux x86 boot protocol for bzImage kernels (Documentation/arch/x86/boot.rst),
// entered at the 32-bit protected-mode entry point so no BIOS or real-mode setup code
// runs: termu fills the "zero page" (boot_params) with the setup header, e820 map,
// command line and initrd, loads the protected-mode kernel at 1 MiB and jumps there.

import type { BoardCpu } from '../board-cpu.js';
import type { PhysicalMemory } from '../physical-memory.js';
import { BootError } from './boot-error.js';
import { HIGH_TABLES_SIZE, pcE820Map } from './e820.js';
import { enterKernel, writeFirmwareTables } from './pc-firmware.js';

const HDRS_MAGIC = 0x53726448; // "HdrS"
const LOADED_HIGH = 0x01;
const BOOT_PARAMS_ADDR = 0x10000;
const CMDLINE_ADDR = 0x20000;
/** QEMU's type_of_loader: "undefined" bootloader id with version 0, as QEMU sets it. */
const LOADER_TYPE = 0xb0;

export function isBzImage(image: Uint8Array): boolean {
  if (image.length < 0x264) return false;
  const v = new DataView(image.buffer, image.byteOffset, image.length);
  return v.getUint32(0x202, true) === HDRS_MAGIC && v.getUint16(0x206, true) >= 0x200 && (image[0x211] & LOADED_HIGH) !== 0;
}

export interface LinuxBoot {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  cmdline: string;
}

export function loadLinux(memory: PhysicalMemory, cpu: BoardCpu, boot: LinuxBoot): void {
  const image = boot.kernel;
  const v = new DataView(image.buffer, image.byteOffset, image.length);
  const protocol = v.getUint16(0x206, true);
  const setupSects = image[0x1f1] || 4;
  const setupSize = (setupSects + 1) * 512;
  if (setupSize > image.length) throw new BootError('invalid kernel header');
  const kernelBody = image.subarray(setupSize);
  const ram = memory.ramSize;
  const code32Start = v.getUint32(0x214, true) || 0x100000;
  if (code32Start + kernelBody.length > ram - HIGH_TABLES_SIZE) throw new BootError('kernel too large for the guest RAM');

  const params = new Uint8Array(4096);
  const p = new DataView(params.buffer);
  // The setup header: from 0x1f1 to its end (0x202 + the length byte at 0x201).
  const headerEnd = Math.min(0x202 + image[0x201], image.length, 0x290);
  params.set(image.subarray(0x1f1, headerEnd), 0x1f1);
  params[0x210] = LOADER_TYPE;
  p.setUint16(0x1fa, 0xffff, true); // vid_mode: normal
  // screen_info: an 80x25 VGA text console, as a BIOS leaves it.
  params[0x06] = 3;
  params[0x07] = 80;
  params[0x0e] = 25;
  params[0x0f] = 1;
  p.setUint16(0x10, 16, true);
  p.setUint16(0x02, Math.min((ram - 0x100000) >> 10, 0xfc00), true); // ext_mem_k
  p.setUint32(0x1e0, (ram - 0x100000) >> 10, true); // alt_mem_k

  const cmdlineMax = protocol >= 0x206 ? v.getUint32(0x238, true) : 255;
  const cmdline = new TextEncoder().encode(boot.cmdline);
  if (cmdline.length > cmdlineMax) throw new BootError(`kernel command line too long (${cmdline.length} > ${cmdlineMax})`);
  memory.writeBytes(CMDLINE_ADDR, Uint8Array.from([...cmdline, 0]));
  p.setUint32(0x228, CMDLINE_ADDR, true);

  if (boot.initrd) {
    const addrMax = protocol >= 0x203 ? v.getUint32(0x22c, true) : 0x37ffffff;
    const limit = Math.min(addrMax, ram - HIGH_TABLES_SIZE - 1);
    if (boot.initrd.length >= limit - (code32Start + kernelBody.length)) {
      throw new BootError(`initrd is too large, cannot support.(max: ${limit}, need ${boot.initrd.length})`);
    }
    const addr = (limit - boot.initrd.length) & ~0xfff;
    memory.writeBytes(addr, boot.initrd);
    p.setUint32(0x218, addr, true);
    p.setUint32(0x21c, boot.initrd.length, true);
  }

  const e820 = pcE820Map(ram);
  params[0x1e8] = e820.length;
  e820.forEach((e, i) => {
    const at = 0x2d0 + 20 * i;
    p.setBigUint64(at, BigInt(e.addr), true);
    p.setBigUint64(at + 8, BigInt(e.size), true);
    p.setUint32(at + 16, e.type, true);
  });

  const { rsdp } = writeFirmwareTables(memory);
  if (protocol >= 0x20e) p.setBigUint64(0x70, BigInt(rsdp), true); // acpi_rsdp_addr
  memory.writeBytes(BOOT_PARAMS_ADDR, params);
  memory.writeBytes(code32Start, kernelBody);

  enterKernel(cpu, code32Start);
  cpu.reg32.fill(0);
  cpu.reg32[6] = BOOT_PARAMS_ADDR; // ESI points at boot_params
  cpu.reg32[4] = BOOT_PARAMS_ADDR; // a valid stack until the kernel sets its own
}
