; A Multiboot (v1) test guest that stays up: prints "ready", echoes COM1 input back,
; and powers off through ACPI (S5 via PIIX4's PM1 control) when the power button is
; pressed. Built with `nasm -f bin`.

bits 32
%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010000
%define LOAD_ADDR 0x100000
%define PM_BASE 0x600
%define PWRBTN 0x0100
%define SLP_EN 0x2000

org LOAD_ADDR
mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mb_header, LOAD_ADDR, image_end, image_end, _start

_start:
    ; the power button only latches its status bit when enabled (PM1_EN)
    mov dx, PM_BASE + 2
    mov ax, PWRBTN
    out dx, ax
    mov esi, ready
.hello:
    lodsb
    test al, al
    jz .loop
    mov dx, 0x3f8
    out dx, al
    jmp .hello
.loop:
    mov dx, PM_BASE
    in ax, dx
    test ax, PWRBTN
    jnz .poweroff
    mov dx, 0x3fd
    in al, dx
    test al, 1
    jz .loop
    mov dx, 0x3f8
    in al, dx
    out dx, al
    jmp .loop
.poweroff:
    mov dx, PM_BASE
    mov ax, PWRBTN
    out dx, ax              ; acknowledge
    mov dx, PM_BASE + 4
    mov ax, SLP_EN          ; sleep type 0 = soft off on PIIX4
    out dx, ax
    hlt
    jmp $

ready: db "ready", 13, 10, 0
image_end:
