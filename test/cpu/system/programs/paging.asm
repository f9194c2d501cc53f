; Paging: 4 KiB and 4 MiB (PSE) pages, accessed/dirty bits in PTEs and PDEs, #PF error codes
; and CR2 for not-present, protection and user/supervisor faults, CR0.WP, and INVLPG.
%include "lib.inc"

PAGE_NP   equ 0x300      ; not present
PAGE_RO   equ 0x301      ; present, read-only, user
PAGE_USER equ 0x302      ; present, writable, user
PAGE_SUP  equ 0x304      ; present, writable, supervisor only

main:
    ; PT0: identity map of 0-4 MiB, user+writable, with the special pages above.
    xor ecx, ecx
.fill:
    mov eax, ecx
    shl eax, 12
    or eax, 7
    mov [pt0 + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .fill
    mov dword [pt0 + PAGE_NP * 4], 0
    mov dword [pt0 + PAGE_RO * 4], (PAGE_RO << 12) | 5
    mov dword [pt0 + PAGE_SUP * 4], (PAGE_SUP << 12) | 3
    mov dword [pd], pt0 + 7
    mov dword [pd + 4], 0x00000087      ; 4 MiB page: linear 4-8 MiB → physical 0-4 MiB
    mov eax, cr4
    or eax, 0x10                         ; PSE
    mov cr4, eax
    mov eax, pd
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    ; Accessed on read, dirty on write.
    mov eax, [PAGE_USER << 12]
    mov eax, [pt0 + PAGE_USER * 4]
    call print_bits
    mov dword [PAGE_USER << 12], 0x1234
    mov eax, [pt0 + PAGE_USER * 4]
    call print_bits
    ; Not present: read (err 0) and write (err 2), CR2 = the faulting address.
    mov dword [resume], .r1
    mov eax, [(PAGE_NP << 12) + 0x10]
.r1:
    mov dword [resume], .r2
    mov dword [(PAGE_NP << 12) + 0x24], 1
.r2:
    ; A read-only page: supervisor writes pass while CR0.WP = 0, fault (err 3) once WP = 1.
    mov dword [(PAGE_RO << 12) + 8], 0x55
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax
    mov dword [resume], .r3
    mov dword [(PAGE_RO << 12) + 12], 0x66
.r3:
    ; The 4 MiB page aliases physical memory; its PDE gets A and D.
    mov dword [0x400000 + (PAGE_USER << 12) + 4], 0xabcd
    mov eax, [(PAGE_USER << 12) + 4]
    call print_hex
    call newline
    mov eax, [pd + 4]
    call print_bits
    ; A not-present PDE.
    mov dword [resume], .r4
    mov eax, [0x800000]
.r4:
    ; INVLPG: remap PAGE_USER onto page 0x305 and see the new frame.
    mov dword [0x305000], 0x77777777
    mov dword [pt0 + PAGE_USER * 4], 0x305007
    invlpg [PAGE_USER << 12]
    mov eax, [PAGE_USER << 12]
    call print_hex
    call newline
    ; INVLPG anywhere in a 4 MiB page drops all of it: remap 4-8 MiB onto physical 4-8 MiB
    ; and invalidate a different 4 KiB piece than the one read before.
    mov dword [0x5000], 0x11111111
    mov eax, [0x400000 + 0x5000]
    call print_hex
    call newline
    mov dword [pd + 4], 0x00400087
    invlpg [0x400000 + 0x123000]
    mov eax, [0x400000 + 0x5000]
    call print_hex
    call newline
    ; Ring 3: user faults carry U (err 4/5/7).
    mov dword [ring0_continue], .back
    mov eax, ring3
    mov esi, (PAGE_USER << 12) + 0x1000
    mov ecx, 0x002
    jmp enter_ring3
.back:
    mov eax, [pt0 + PAGE_RO * 4]
    call print_bits
    jmp finish

ring3:
    mov dword [resume], .u1
    mov eax, [PAGE_NP << 12]
.u1:
    mov dword [resume], .u2
    mov eax, [PAGE_SUP << 12]
.u2:
    mov dword [resume], .u3
    mov dword [PAGE_RO << 12], 1
.u3:
    mov eax, [PAGE_RO << 12]
    mov ebx, eax
    mov eax, 2
    int 0x30
    mov eax, 3
    int 0x30

; print_bits: the A (0x20) and D (0x40) bits of the entry in EAX.
print_bits:
    push esi
    mov esi, msg_ad
    call print
    and eax, 0x60
    call print_hex8
    call newline
    pop esi
    ret

msg_ad: db "A/D=", 0
ALIGN 4096
pd: times 1024 dd 0
pt0: times 1024 dd 0
%include "lib-end.inc"
