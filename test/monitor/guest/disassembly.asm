; A Multiboot guest for the `x /i` test: it marks READY and idles; SAMPLE holds instructions
; it never runs, covering the operand forms a disassembler has to print (ModRM and SIB
; addressing, immediates of every width and sign, string operations with prefixes, far
; pointers, system and x87 instructions, 16-bit operand and address overrides).
; Built with `nasm -f bin`.

bits 32
%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010000
%define READY    0x3f0ff0          ; 0x600dbeef once the guest idles

org 0x100000
mb_header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd mb_header, 0x100000, image_end, image_end, _start

_start:
    mov dword [READY], 0x600dbeef
idle:
    hlt
    jmp idle

align 16
sample:                             ; at 0x100030
    add eax, -1
    add dword [ebp-4], 0x7f
    and eax, 0xfffffff0
    or byte [eax], 0x80
    mov eax, [esp+ecx*4+8]
    mov eax, [ebp-0x80]
    mov [eax*4+0x100], eax
    mov eax, [0xfffffffc]
    mov al, [0x10]
    mov [fs:0x10], eax
    mov eax, [es:edi]
    mov ebx, 0xfffffffe
    mov word [eax], 5
    mov byte [eax+ebx*8+0x100], 0xff
    push byte -3
    push dword 0x80
    imul eax, ebx, -5
    call sample
    jmp near sample
    jmp eax
    call [ebx+4]
    jmp far [eax]
    jmp 0x10:0x12345678
    ret 4
    retf
    iret
    int 0x80
    enter 8, 0
    leave
    rep movsd
    repne scasb
    lodsb
    outsd
    lock cmpxchg [edi], ecx
    lock inc dword [eax]
    xchg eax, ebx
    xchg [eax], ecx
    shl eax, cl
    sar eax, 1
    rol byte [eax], 3
    shld eax, ebx, 4
    in al, dx
    out 0x80, al
    movzx eax, byte [esi]
    movsx eax, bx
    cmovz eax, ebx
    sete al
    test byte [ebx], 0x80
    jne sample
    loop $
    mov cr0, eax
    mov eax, cr3
    lgdt [eax]
    lidt [0x1000]
    ltr ax
    invlpg [eax]
    mov ds, ax
    mov [eax], ss
    les eax, [ebx]
    push es
    pop gs
    cpuid
    rdtsc
    bswap eax
    bt eax, 3
    cmpxchg8b [esi]
    cwde
    cdq
    pushad
    popfd
    aam
    fld dword [eax]
    fstp qword [ebx+8]
    fild word [ecx]
    fnstcw [esp]
    fxch st1
    fsqrt
    fnstsw ax
    o16 mov ax, [bx+si+4]
    a16 mov eax, [bp-2]
    o16 push ax
    o16 ret
    nop
    hlt
image_end:
