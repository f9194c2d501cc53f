; A Multiboot (v1) test kernel: prints what the loader handed over (command line, memory
; sizes, modules with their text, memory map, loader name) on COM1, then leaves through
; isa-debug-exit. Assemble with `nasm -f bin` (a.out kludge) or `-f elf32 -DELF` + ld.

bits 32
%define MB_MAGIC 0x1badb002
%ifdef ELF
%define MB_FLAGS 0x00000003
%else
%define MB_FLAGS 0x00010003
%endif
%define LOAD_ADDR 0x100000

%ifdef ELF
section .text
global _start
%else
org LOAD_ADDR
%endif

mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
%ifndef ELF
    dd mb_header            ; header_addr
    dd LOAD_ADDR            ; load_addr
    dd image_end            ; load_end_addr
    dd bss_end              ; bss_end_addr
    dd _start               ; entry_addr
%endif

_start:
    mov esp, stack_top
    mov [magic], eax
    mov [mbi], ebx
    mov esi, s_magic
    call puts
    mov eax, [magic]
    call puthex
    call newline

    mov ebx, [mbi]
    mov esi, s_flags
    call puts
    mov eax, [ebx]
    call puthex
    call newline

    mov esi, s_cmdline
    call puts
    mov esi, [ebx + 16]
    call puts
    mov al, '"'
    call putc
    call newline

    mov esi, s_mem
    call puts
    mov eax, [ebx + 4]
    call putdec
    mov esi, s_upper
    call puts
    mov eax, [ebx + 8]
    call putdec
    call newline

    mov esi, s_loader_seen
    call puts
    mov eax, [ebx + 64]
    test eax, eax
    setnz al
    movzx eax, al
    call putdec
    call newline

    ; modules
    mov esi, s_mods
    call puts
    mov eax, [ebx + 20]
    call putdec
    call newline
    mov ecx, [ebx + 20]
    mov edi, [ebx + 24]
.mod_loop:
    test ecx, ecx
    jz .mods_done
    push ecx
    mov esi, s_mod_cmd
    call puts
    mov esi, [edi + 8]
    call puts
    mov esi, s_mod_size
    call puts
    mov eax, [edi + 4]
    sub eax, [edi]
    call putdec
    mov esi, s_mod_align
    call puts
    mov eax, [edi]
    and eax, 0xfff
    call putdec
    mov esi, s_mod_text
    call puts
    mov esi, [edi]
    mov ecx, [edi + 4]
    sub ecx, esi
.text_loop:
    test ecx, ecx
    jz .text_done
    lodsb
    cmp al, 10
    jne .plain
    mov al, '|'
.plain:
    call putc
    dec ecx
    jmp .text_loop
.text_done:
    call newline
    pop ecx
    add edi, 16
    dec ecx
    jmp .mod_loop
.mods_done:

    ; memory map
    mov esi, [ebx + 48]
    mov ecx, [ebx + 44]
    add ecx, esi
.mmap_loop:
    cmp esi, ecx
    jae .mmap_done
    push esi
    push ecx
    mov edi, esi
    mov esi, s_mmap
    call puts
    mov eax, [edi + 8]
    call puthex
    mov eax, [edi + 4]
    call puthex
    mov esi, s_len
    call puts
    mov eax, [edi + 16]
    call puthex
    mov eax, [edi + 12]
    call puthex
    mov esi, s_type
    call puts
    mov eax, [edi + 20]
    call putdec
    call newline
    pop ecx
    pop esi
    add esi, [esi]
    add esi, 4
    jmp .mmap_loop
.mmap_done:
    mov esi, s_bss
    call puts
    mov eax, [bss_probe]
    call puthex
    call newline

    mov al, 0x2a
    out 0xf4, al
    hlt
    jmp $

; prints the NUL-terminated string at esi
puts:
    push eax
.l: lodsb
    test al, al
    jz .d
    call putc
    jmp .l
.d: pop eax
    ret

newline:
    push eax
    mov al, 10
    call putc
    pop eax
    ret

putc:
    push edx
    push eax
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, 0x3f8
    out dx, al
    pop edx
    ret

; eax as 8 hex digits
puthex:
    push ecx
    push eax
    mov ecx, 8
.h: rol eax, 4
    push eax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .p
    add al, 7
.p: call putc
    pop eax
    dec ecx
    jnz .h
    pop eax
    pop ecx
    ret

; eax in decimal
putdec:
    push eax
    push ebx
    push ecx
    push edx
    mov ebx, 10
    xor ecx, ecx
.div:
    xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz .div
.out:
    pop eax
    add al, '0'
    call putc
    dec ecx
    jnz .out
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

s_magic: db "magic=", 0
s_flags: db "flags=", 0
s_cmdline: db 'cmdline="', 0
s_mem: db "mem_lower=", 0
s_upper: db " mem_upper=", 0
s_loader_seen: db "loader_name_present=", 0
s_mods: db "mods=", 0
s_mod_cmd: db "module cmdline=", 0
s_mod_size: db " size=", 0
s_mod_align: db " page_offset=", 0
s_mod_text: db " text=", 0
s_mmap: db "mmap base=", 0
s_len: db " len=", 0
s_type: db " type=", 0
s_bss: db "bss=", 0

%ifdef ELF
section .bss
%else
image_end:
%endif
magic: resd 1
mbi: resd 1
bss_probe: resd 1
resb 4096
stack_top:
bss_end:
