// The savevm tests' guest: a boot sector that SeaBIOS loads from a qcow2 disk. It sets
// text mode through the VGA BIOS, says "R" on COM1, then never stops changing the
// machine: a 32-bit counter, a 32 KiB table at 0x20000 it writes on every step, and the
// counter in hex on the screen, moving along the 25 rows every 1024 steps (with the BIOS
// timer interrupt ticking underneath).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = `bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
  mov ax, 0x0003
  int 0x10
  mov dx, 0x3f8
  mov al, 'R'
  out dx, al
  mov ax, 0xb800
  mov es, ax
  mov ax, 0x2000
  mov fs, ax
  xor ebx, ebx
step:
  inc ebx
  mov di, bx
  and di, 0x7ffe
  mov [fs:di], bx
  test bx, 0x3ff
  jnz step
  mov eax, ebx
  shr eax, 10
  xor edx, edx
  mov ecx, 200
  div ecx
  imul di, dx, 20
  mov cx, 8
  mov eax, ebx
digit:
  rol eax, 4
  mov dl, al
  and dl, 0x0f
  add dl, '0'
  cmp dl, '9'
  jbe put
  add dl, 7
put:
  mov [es:di], dl
  mov byte [es:di+1], 0x1f
  add di, 2
  loop digit
  jmp step
times 510-($-$$) db 0
dw 0xaa55
`;

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why the savevm tests cannot run here, or undefined. */
export function savevmGuestMissing(): string | undefined {
  if (!has('nasm')) return 'nasm is not installed';
  if (!has('qemu-img')) return 'qemu-img is not installed';
  return undefined;
}

/** Builds a fresh 16 MiB qcow2 disk whose boot sector is the guest; returns its path. */
export function buildSavevmDisk(): string {
  const dir = mkdtempSync(join(tmpdir(), 'termu-savevm-'));
  writeFileSync(join(dir, 'guest.asm'), SOURCE);
  run('nasm', ['-f', 'bin', '-o', join(dir, 'guest.bin'), join(dir, 'guest.asm')]);
  run('qemu-img', ['create', '-q', '-f', 'raw', join(dir, 'disk.raw'), '16M']);
  run('dd', [`if=${join(dir, 'guest.bin')}`, `of=${join(dir, 'disk.raw')}`, 'conv=notrunc', 'status=none']);
  const disk = join(dir, 'disk.qcow2');
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', join(dir, 'disk.raw'), disk]);
  return disk;
}

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
