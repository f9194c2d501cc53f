; A Multiboot kernel that replays a VGA script (the same one the test replays on termu's
; model), then prints "D" on COM1 and halts. Each op is four dwords: code, a, b, c.
;   1 outb a,b   2 outw a,b   3 mov byte [a],b   4 read byte [a] (loads the latches)
;   5 for i<b: byte [a+i] = ((i*c) ^ (i>>7)) & 0xff
;   6 for i<b: dword [a+4i] = (i*c) ^ (i<<11)
;   7 mov word [a],b   8 mov dword [a],b   9 inb a
;   10 inb a, printed as two hex digits on COM1   11 inw a, printed as four hex digits
;   12 wait until (inb a) & b == c (bounded), then print nothing
;   13 byte [a], printed as two hex digits
;   14 outl a,b   15 inl a, printed as eight hex digits
bits 32
org 0x100000
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010000
header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd header, header, 0, 0, start
start:
    mov esi, script
.next:
    mov eax, [esi]
    mov ebx, [esi + 4]
    mov ecx, [esi + 8]
    mov ebp, [esi + 12]
    add esi, 16
    cmp eax, 1
    je .outb
    cmp eax, 2
    je .outw
    cmp eax, 3
    je .wb
    cmp eax, 4
    je .rb
    cmp eax, 5
    je .fill8
    cmp eax, 6
    je .fill32
    cmp eax, 7
    je .ww
    cmp eax, 8
    je .wd
    cmp eax, 9
    je .inb
    cmp eax, 10
    je .printb
    cmp eax, 11
    je .printw
    cmp eax, 12
    je .poll
    cmp eax, 13
    je .printm
    cmp eax, 14
    je .outl
    cmp eax, 15
    je .printl
    jmp .done
.outl:
    mov edx, ebx
    mov eax, ecx
    out dx, eax
    jmp .next
.printl:
    mov edx, ebx
    in eax, dx
    mov ecx, 8
    call hex
    jmp .next
.printm:
    movzx eax, byte [ebx]
    mov ecx, 2
    call hex
    jmp .next
.printb:
    mov edx, ebx
    in al, dx
    mov ecx, 2
    call hex
    jmp .next
.printw:
    mov edx, ebx
    in ax, dx
    mov ecx, 4
    call hex
    jmp .next
.poll:
    mov edi, 10000000
.p1:
    mov edx, ebx
    in al, dx
    and eax, ecx
    cmp eax, ebp
    je .next
    dec edi
    jnz .p1
    jmp .next
.outb:
    mov edx, ebx
    mov eax, ecx
    out dx, al
    jmp .next
.outw:
    mov edx, ebx
    mov eax, ecx
    out dx, ax
    jmp .next
.inb:
    mov edx, ebx
    in al, dx
    jmp .next
.wb:
    mov [ebx], cl
    jmp .next
.ww:
    mov [ebx], cx
    jmp .next
.wd:
    mov [ebx], ecx
    jmp .next
.rb:
    mov al, [ebx]
    jmp .next
.fill8:
    xor edi, edi
.f8:
    cmp edi, ecx
    jae .next
    mov eax, edi
    imul eax, ebp
    mov edx, edi
    shr edx, 7
    xor eax, edx
    mov [ebx + edi], al
    inc edi
    jmp .f8
.fill32:
    xor edi, edi
.f32:
    cmp edi, ecx
    jae .next
    mov eax, edi
    imul eax, ebp
    mov edx, edi
    shl edx, 11
    xor eax, edx
    mov [ebx + edi * 4], eax
    inc edi
    jmp .f32
.done:
    mov dx, 0x3f8
    mov al, 'D'
    out dx, al
.halt:
    cli
    hlt
    jmp .halt
; Prints the low ecx hex digits of eax (lower case, so 'D' stays the end marker).
hex:
    push eax
    mov ebx, eax
    mov edx, 0x3f8
.h1:
    dec ecx
    mov eax, ebx
    shl ecx, 2
    shr eax, cl
    shr ecx, 2
    and eax, 15
    cmp eax, 10
    jb .h2
    add eax, 'a' - 10 - '0'
.h2:
    add eax, '0'
    out dx, al
    test ecx, ecx
    jnz .h1
    pop eax
    ret
align 4
script:
    incbin "script.bin"
