// -kernel/-initrd/-append: reads the files and picks the loader the way QEMU does — a
// Linux setup header ("HdrS") means the Linux boot protocol, otherwise a Multiboot header.

import { readFileSync } from 'node:fs';
import { strerror } from '../../chardev/open-error.js';
import type { BoardCpu } from '../board-cpu.js';
import type { PhysicalMemory } from '../physical-memory.js';
import { BootError } from './boot-error.js';
import { isBzImage, loadLinux } from './linux-loader.js';
import { findMultibootHeader, loadMultiboot } from './multiboot-loader.js';

export interface KernelFiles {
  kernel: string;
  initrd?: string;
  append: string;
}

function read(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new BootError(`could not open ${what} '${path}': ${strerror(e)}`);
  }
}

/** Loads the kernel into memory and sets the CPU at its entry point. Throws BootError. */
export function loadKernel(memory: PhysicalMemory, cpu: BoardCpu, files: KernelFiles): void {
  const image = read(files.kernel, 'kernel file');
  const hasLinuxHeader = image.length >= 0x206 && new DataView(image.buffer, image.byteOffset).getUint32(0x202, true) === 0x53726448;
  if (!hasLinuxHeader && findMultibootHeader(image) >= 0) {
    // -initrd lists modules separated by commas; `,,` is a literal comma.
    const modules = (files.initrd ?? '')
      .split(/(?<!,),(?!,)/)
      .filter((m) => m !== '')
      .map((text) => text.replaceAll(',,', ','))
      .map((commandLine) => ({ commandLine, data: read(commandLine.split(' ')[0], 'module') }));
    loadMultiboot(memory, cpu, image, files.kernel, files.append, modules);
    return;
  }
  if (!hasLinuxHeader) {
    const setupSects = image[0x1f1] || 4;
    if ((setupSects + 1) * 512 > image.length) throw new BootError('invalid kernel header');
    if (files.initrd !== undefined) throw new BootError('linux kernel too old to load a ram disk');
    throw new BootError('only bzImage kernels (boot protocol 2.00 or later, loaded high) can be booted');
  }
  if (!isBzImage(image)) throw new BootError('only bzImage kernels (boot protocol 2.00 or later, loaded high) can be booted');
  const initrd = files.initrd !== undefined ? read(files.initrd, 'initrd') : undefined;
  loadLinux(memory, cpu, { kernel: image, initrd, cmdline: files.append });
}
