; A boot sector that SeaBIOS loads from the first disk: it leaves a marker at 0x500 and
; halts, so the monitor tests know the firmware has read it. Built with `nasm -f bin`.
bits 16
org 0x7c00
    xor ax, ax
    mov ds, ax
    mov dword [0x500], 0x600dd00d
    cli
halt:
    hlt
    jmp halt
times 510-($-$$) db 0
dw 0xaa55
