; Task switches: CALL to a TSS (back link, NT, busy bits) and IRET back; JMP through a task
; gate; and a double fault handled by a task gate, as Linux's i386 kernel does.
%include "lib.inc"

SEL_TSS_A equ 0x30       ; a task reached by CALL
SEL_TSS_B equ 0x38       ; the #DF task
SEL_TGATE equ 0x40       ; a task gate to TSS A

main:
    ; TSS A: starts at task_a with its own stack, flat ring-0 segments.
    mov edi, tss_a
    mov eax, task_a
    mov ebx, stack_a_top
    call init_tss
    mov edi, tss_b
    mov eax, task_df
    mov ebx, stack_b_top
    call init_tss
    mov ecx, 6
    mov eax, tss_a
    call tss_descriptor
    mov ecx, 7
    mov eax, tss_b
    call tss_descriptor
    ; A task gate (type 5) to TSS A in slot 0x40.
    mov ecx, 8
    mov eax, SEL_TSS_A << 16
    mov edx, 0x8500
    call set_descriptor
    ; CALL to the TSS: task A prints its back link and NT, then IRETs here.
    mov dword [counter], 0
    call SEL_TSS_A:0
    mov esi, msg_returned
    call print
    pushfd
    pop eax
    and eax, 0x4000
    call print_hex
    call newline
    ; The busy bits: our TSS is busy again, A is available.
    mov eax, [gdt + 0x28 + 4]
    shr eax, 8
    and eax, 15
    call print_hex8
    mov al, ' '
    call print_char
    mov eax, [gdt + SEL_TSS_A + 4]
    shr eax, 8
    and eax, 15
    call print_hex8
    call newline
    ; CALL through the task gate: task A continues after its IRET.
    call SEL_TGATE:0
    mov esi, msg_returned
    call print
    call newline
    ; #DF through a task gate: the #GP gate is made not present, so a #GP becomes #NP during
    ; delivery, and two contributory faults make a double fault.
    mov ecx, 8
    mov eax, 0
    mov dx, SEL_TSS_B
    mov bl, 0x85
    call set_gate
    mov byte [idt + 13 * 8 + 5], 0x0e      ; #GP gate: not present
    mov ax, 0x1234
    mov ds, ax                              ; #GP → #NP → #DF
    jmp finish

task_a:
    mov esi, msg_task_a
    call print
    mov eax, [tss_a]                        ; back link
    call print_hex16
    mov al, ' '
    call print_char
    pushfd
    pop eax
    and eax, 0x4000                         ; NT
    call print_hex
    call newline
    inc dword [counter]
    iret
    ; The next CALL resumes here.
    mov esi, msg_task_a2
    call print
    mov eax, [counter]
    call print_hex8
    call newline
    iret

task_df:
    mov esi, msg_df
    call print
    pop eax                                 ; the #DF error code
    call print_hex
    mov al, ' '
    call print_char
    mov eax, [tss_b]                        ; back link = the task that faulted
    call print_hex16
    mov al, ' '
    call print_char
    mov eax, [tss + 0x20]                   ; the faulting task's saved EIP
    sub eax, LOAD_ADDR
    call print_hex
    call newline
    jmp finish

; init_tss: TSS at EDI starts at EAX with stack EBX, ring-0 flat segments, this CR3.
init_tss:
    mov [edi + 0x20], eax
    mov [edi + 0x38], ebx
    mov dword [edi + 0x24], 2
    mov dword [edi + 0x4c], SEL_CODE0
    mov eax, SEL_DATA0
    mov [edi + 0x48], eax
    mov [edi + 0x50], eax
    mov [edi + 0x54], eax
    mov [edi + 0x58], eax
    mov [edi + 0x5c], eax
    mov eax, cr3
    mov [edi + 0x1c], eax
    mov word [edi + 0x66], 0x68
    ret

; tss_descriptor: GDT slot ECX = available 32-bit TSS at EAX, limit 0x67.
tss_descriptor:
    mov edx, eax
    shl eax, 16
    or eax, 0x67
    mov ebx, edx
    shr ebx, 16
    and ebx, 0xff
    and edx, 0xff000000
    or edx, ebx
    or edx, 0x8900
    jmp set_descriptor

msg_task_a: db "task A: link=", 0
msg_task_a2: db "task A again: counter=", 0
msg_returned: db "returned NT=", 0
msg_df: db "#DF task: err=", 0
counter: dd 0
ALIGN 16
tss_a: times 0x68 db 0
tss_b: times 0x68 db 0
stack_a: times 1024 db 0
stack_a_top:
stack_b: times 1024 db 0
stack_b_top:
%include "lib-end.inc"
