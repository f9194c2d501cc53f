; SYSENTER/SYSEXIT with the SYSENTER_CS/ESP/EIP MSRs (the i386 Linux system-call path),
; SYSEXIT at CPL 3 (#GP), and CPUID's vendor and family.
%include "lib.inc"

main:
    xor eax, eax
    cpuid
    mov [vendor], ebx
    mov [vendor + 4], edx
    mov [vendor + 8], ecx
    mov esi, vendor
    call print
    mov eax, 1
    cpuid
    shr eax, 8
    and eax, 15
    call print_hex8
    call newline
    ; SYSENTER_CS = ring-0 code; SS follows at +8, the ring-3 selectors at +16/+24.
    mov ecx, 0x174
    mov eax, SEL_CODE0
    xor edx, edx
    wrmsr
    mov ecx, 0x175
    mov eax, stack0_top - 256
    wrmsr
    mov ecx, 0x176
    mov eax, sysenter_entry
    wrmsr
    mov ecx, 0x176
    rdmsr
    sub eax, LOAD_ADDR
    call print_hex
    call newline
    mov dword [ring0_continue], .back
    mov eax, ring3
    mov esi, stack3_top
    mov ecx, 0x202
    jmp enter_ring3
.back:
    jmp finish

ring3:
    mov ebp, 0x5a5a
    mov ecx, esp
    mov edx, .after
    sysenter
.after:
    mov ax, cs
    movzx ebx, ax
    mov eax, 2
    int 0x30
    mov ax, ss
    movzx ebx, ax
    mov eax, 2
    int 0x30
    mov ebx, esp
    sub ebx, stack3_top
    mov eax, 2
    int 0x30
    mov dword [resume], .r1
    sysexit
.r1:
    mov eax, 3
    int 0x30

sysenter_entry:
    mov esi, msg_entry
    call print
    mov ax, cs
    call print_hex16
    mov al, ' '
    call print_char
    mov ax, ss
    call print_hex16
    mov al, ' '
    call print_char
    mov eax, esp
    sub eax, stack0_top
    call print_hex
    mov al, ' '
    call print_char
    pushfd
    pop eax
    call print_hex                 ; IF cleared by SYSENTER
    mov al, ' '
    call print_char
    mov eax, ebp
    call print_hex16
    call newline
    sysexit

msg_entry: db "sysenter: ", 0
vendor: times 13 db 0
%include "lib-end.inc"
