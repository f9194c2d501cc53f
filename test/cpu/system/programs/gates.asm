; Faults with error codes, and ring transitions through interrupt, trap and call gates.
%include "lib.inc"

main:
    ; #DE from DIV by zero: a fault, EIP of the DIV itself.
    mov dword [resume], .after_de
    xor ecx, ecx
.div:
    div ecx
.after_de:
    ; #UD from UD2.
    mov dword [resume], .after_ud
    ud2
.after_ud:
    ; #GP(sel) for a selector beyond the GDT limit.
    mov dword [resume], .after_gp
    mov ax, 0x1234
    mov ds, ax
.after_gp:
    ; #GP(sel) for a code segment loaded into SS; #NP(sel) for a not-present data segment.
    mov dword [resume], .after_ss
    mov ax, SEL_CODE0
    mov ss, ax
.after_ss:
    mov ecx, 6
    mov eax, 0x0000ffff
    mov edx, 0x00cf1200      ; data, present bit clear
    call set_descriptor
    mov dword [resume], .after_np
    mov ax, 0x30
    mov es, ax
.after_np:
    ; A call gate in slot 0x40 (DPL 3, 2 dword parameters) to ring-0 code.
    mov eax, gate_target
    mov edx, eax
    and eax, 0xffff
    or eax, SEL_CODE0 << 16
    and edx, 0xffff0000
    or edx, 0xec02           ; present, DPL 3, 32-bit call gate, 2 parameters
    mov ecx, 8
    call set_descriptor
    ; Into ring 3 (IOPL 0).
    mov dword [ring0_continue], .back
    mov eax, ring3
    mov esi, stack3_top
    mov ecx, 0x002
    jmp enter_ring3
.back:
    mov esi, msg_back
    call print
    jmp finish

ring3:
    mov eax, 1
    mov esi, msg_ring3
    int 0x30
    ; The trap gate switched to the TSS stack: the service saw CPL 3 in the pushed CS.
    mov ax, cs
    movzx ebx, ax
    mov eax, 2
    int 0x30
    ; Through the call gate with two parameters.
    push dword 0x11111111
    push dword 0x22222222
    call 0x40:0
    mov eax, 2               ; EBX = what the gate target returned
    int 0x30
    mov ebx, esp
    mov eax, 2
    int 0x30
    ; CLI at CPL 3 with IOPL 0: #GP(0).
    mov dword [resume], .after_cli
    cli
.after_cli:
    ; INT to a DPL-0 gate: #GP(vector * 8 + 2).
    mov dword [resume], .after_int
    int 0x21
.after_int:
    ; A ring-3 access to a ring-0 data segment: #GP(selector).
    mov dword [resume], .after_seg
    mov ax, SEL_DATA0
    mov ds, ax
.after_seg:
    ; HLT at CPL 3: #GP(0).
    mov dword [resume], .after_hlt
    hlt
.after_hlt:
    mov eax, 3
    int 0x30

; Ring 0, reached through the call gate: prints the caller's CS, SS, parameters.
gate_target:
    push ds
    mov ax, SEL_DATA0
    mov ds, ax
    mov esi, msg_gate
    call print
    mov eax, [esp + 8]       ; caller CS (after the saved DS and the return EIP)
    call print_hex16
    mov al, ' '
    call print_char
    mov eax, [esp + 12]      ; parameter 1 (pushed last)
    call print_hex
    mov al, ' '
    call print_char
    mov eax, [esp + 16]
    call print_hex
    mov al, ' '
    call print_char
    mov eax, [esp + 24]      ; caller SS
    call print_hex16
    call newline
    mov ax, cs
    movzx ebx, ax
    pop ds
    retf 8

msg_ring3: db "in ring 3", 10, 0
msg_gate: db "gate: ", 0
msg_back: db "back in ring 0", 10, 0
%include "lib-end.inc"
