// The guest compute loop the JIT's speed is measured on: loads, stores, ALU, a rotate, a
// conditional branch and a call/ret with push/pop, about 17 instructions per iteration.

import { CODE_BASE, DATA_BASE } from './jit-machine.js';

export const COMPUTE_LOOP = `bits 32
org 0x${CODE_BASE.toString(16)}
    mov ebx, 0x12345678
    mov ecx, 600000
top:
    mov eax, ecx
    and eax, 1023
    mov edx, [0x${DATA_BASE.toString(16)} + eax*4]
    add ebx, edx
    rol ebx, 5
    xor ebx, ecx
    mov [0x${DATA_BASE.toString(16)} + eax*4], ebx
    call mix
    cmp ebx, edx
    jb skip
    inc esi
skip:
    dec ecx
    jnz top
    hlt
mix:
    push ecx
    shl ecx, 3
    add ebx, ecx
    pop ecx
    ret
`;
