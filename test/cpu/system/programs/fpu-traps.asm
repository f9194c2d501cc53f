; The CPU's side of the x87: #NM for CR0.TS and CR0.EM, WAIT with MP, and #MF for a pending
; unmasked exception when CR0.NE = 1.
%include "lib.inc"

main:
    mov eax, cr0
    and eax, ~0x4                 ; EM off
    or eax, 0x22                  ; MP, NE
    mov cr0, eax
    fninit
    ; TS set: an x87 instruction raises #NM; CLTS clears it.
    mov eax, cr0
    or eax, 8
    mov cr0, eax
    mov dword [resume], .r1
    fld1
.r1:
    ; WAIT with TS and MP: #NM.
    mov dword [resume], .r2
    fwait
.r2:
    clts
    fld1
    ; EM set: #NM as well.
    mov eax, cr0
    or eax, 4
    mov cr0, eax
    mov dword [resume], .r3
    fld1
.r3:
    mov eax, cr0
    and eax, ~4
    mov cr0, eax
    ; Unmasked divide-by-zero: the fault is reported by the next waiting instruction.
    fninit
    fldcw [cw_zero_unmasked]
    fld1
    fldz
    fdivp st1, st0
    mov dword [resume], .r4
    fwait
.r4:
    ; ES and ZE (TOP after an unmasked fault is left to the FPU's own tests).
    fnstsw ax
    and eax, 0xff
    call print_hex16
    call newline
    fnclex
    fwait
    mov esi, msg_ok
    call print
    ret

cw_zero_unmasked: dw 0x037b
msg_ok: db "fpu traps checked", 10, 0
%include "lib-end.inc"
