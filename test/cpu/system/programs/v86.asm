; Virtual-8086 mode: entering it with IRET, real-mode addressing, IOPL-sensitive CLI (#GP at
; IOPL 0, allowed at IOPL 3),
; INT n through a DPL-3 gate to ring 0 (segment registers pushed and cleared), IRET back.
%include "lib.inc"

V86_BASE equ 0x8000

main:
    mov esi, v86_code
    mov edi, V86_BASE
    mov ecx, v86_end - v86_code
    rep movsb
    mov ecx, 13
    mov eax, v86_gp
    mov dx, SEL_CODE0
    mov bl, 0x8e
    call set_gate
    mov ecx, 0x31
    mov eax, v86_int
    mov bl, 0xee
    call set_gate
    mov ecx, 0x32
    mov eax, v86_exit
    call set_gate
    ; Round 1: IOPL 0, so CLI in V86 raises #GP(0).
    mov dword [ring0_continue], .round2
    mov eax, 0x00020002
    xor ebx, ebx
    jmp enter_v86
.round2:
    mov esi, msg_round2
    call print
    ; Round 2: IOPL 3, INT 31h reaches ring 0 through the gate.
    mov eax, 0x00023002
    mov ebx, part2 - v86_code
    jmp enter_v86

; enter_v86: EFLAGS EAX, IP EBX; CS = 0800h, SS:SP = 0700h:1000h, DS = 0900h, ES = 0A00h.
enter_v86:
    push dword 0x0b00
    push dword 0x0c00
    push dword 0x0900
    push dword 0x0a00
    push dword 0x0700
    push dword 0x1000
    push eax
    push dword V86_BASE >> 4
    push ebx
    iretd

v86_gp:
    mov ax, SEL_DATA0
    mov ds, ax
    mov esi, msg_gp
    call print
    mov eax, [esp]
    call print_hex16
    call print_frame
    mov esi, msg_marker
    call print
    mov eax, [0x9010]
    call print_hex16
    call newline
    mov esp, stack0_top
    mov ax, SEL_DATA0
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    jmp [ring0_continue]

v86_int:
    push eax
    mov ax, SEL_DATA0
    mov ds, ax
    mov esi, msg_int
    call print
    mov eax, [esp]
    call print_hex16
    ; Data segment registers are null inside the handler.
    mov al, ' '
    call print_char
    mov ax, es
    call print_hex16
    mov al, ' '
    call print_char
    mov ax, fs
    call print_hex16
    add esp, 4
    sub esp, 4                   ; keep the layout: print_frame reads [esp + 4 ...]
    call print_frame
    pop eax
    iretd

v86_exit:
    mov ax, SEL_DATA0
    mov ds, ax
    mov esi, msg_exit
    call print
    mov eax, ebx
    call print_hex16
    call newline
    jmp finish

; print_frame: the V86 frame above the return address and one pushed word:
; IP CS EFLAGS SP SS ES DS FS GS.
print_frame:
    push ecx
    mov ecx, 0
.next:
    mov al, ' '
    call print_char
    mov eax, [esp + 12 + ecx * 4]
    cmp ecx, 2
    je .flags
    call print_hex16
    jmp .step
.flags:
    call print_hex
.step:
    inc ecx
    cmp ecx, 9
    jb .next
    call newline
    pop ecx
    ret

BITS 16
v86_code:
    mov word [0x10], 0x1234
    cli
    hlt
part2:
    cli                          ; allowed at IOPL 3
    mov ax, 0x4321
    int 0x31
    mov bx, ax
    inc bx
    int 0x32
v86_end:
BITS 32

msg_round2: db "round 2", 10, 0
msg_gp: db "v86 #GP err=", 0
msg_marker: db "marker=", 0
msg_int: db "v86 int ax=", 0
msg_exit: db "v86 exit bx=", 0
%include "lib-end.inc"
