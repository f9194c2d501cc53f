; A Multiboot (v1) guest that halts with interrupts off, for checking that a halted CPU
; costs the host nothing. Built with `nasm -f bin`.

bits 32
%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010000
org 0x100000
mb_header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd mb_header, 0x100000, image_end, image_end, _start
_start:
    cli
    hlt
    jmp _start
image_end:
