; A Multiboot (v1) guest that prints "boot" and then triple-faults (an empty IDT makes
; every exception escalate), for -no-reboot and reset behaviour. Built with `nasm -f bin`.

bits 32
%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010000
org 0x100000
mb_header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd mb_header, 0x100000, image_end, image_end, _start
_start:
    mov esi, message
    mov dx, 0x3f8
.print:
    lodsb
    test al, al
    jz .crash
    out dx, al
    jmp .print
.crash:
    lidt [empty_idt]
    int3
    jmp $
empty_idt:
    dw 0
    dd 0
message: db "boot", 10, 0
image_end:
