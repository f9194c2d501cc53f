; REP MOVS/STOS over plain RAM (the interpreter moves whole in-page runs at once): page
; crossings, overlapping forward copies that replicate a pattern, and a #PF in the middle
; of a REP with the registers it leaves for the restart. REPE/REPNE SCASB and CMPSB (also
; whole in-page runs): across page ends, to the byte that stops them, with their flags.
%include "lib.inc"

BUF equ 0x200000

main:
    ; Source pattern: 16 KiB of bytes i*7.
    mov edi, BUF
    xor ecx, ecx
.pat:
    mov eax, ecx
    imul eax, 7
    mov [edi + ecx], al
    inc ecx
    cmp ecx, 0x4000
    jb .pat
    ; A misaligned REP MOVSD across pages, then REP MOVSB.
    mov esi, BUF + 3
    mov edi, BUF + 0x4000 + 0xffd
    mov ecx, 3000
    rep movsd
    call report
    mov esi, BUF + 0x123
    mov edi, BUF + 0x8000 + 0x7
    mov ecx, 9001
    rep movsb
    call report
    ; Overlapping forward copy: replicates the first 3 bytes.
    mov esi, BUF + 0xc000
    mov edi, BUF + 0xc003
    mov ecx, 5000
    rep movsb
    call report
    ; REP STOSD / STOSW / STOSB.
    mov edi, BUF + 0x10001
    mov eax, 0xa1b2c3d4
    mov ecx, 2050
    rep stosd
    call report
    mov edi, BUF + 0x13003
    mov ecx, 3000
    rep stosw
    call report
    mov edi, BUF + 0x15000
    mov ecx, 5000
    rep stosb
    call report
    call checksum
    ; REPNE SCASB (strlen) from the pattern: the first zero is the first byte of the next page.
    mov edi, BUF + 0xf01
    mov ecx, 0x1000
    xor eax, eax
    repne scasb
    call report_flags
    ; REPE SCASB over the STOSB run, across a page end, to the first other byte.
    mov edi, BUF + 0x15010
    mov al, 0xd4
    mov ecx, 6000
    repe scasb
    call report_flags
    ; REPE CMPSB of the pattern against its REP MOVSB copy, past the copy's end.
    mov esi, BUF + 0x173
    mov edi, BUF + 0x8057
    mov ecx, 9500
    repe cmpsb
    call report_flags
    ; REPNE CMPSB: up to the first equal pair; and a count that runs out.
    mov esi, BUF + 0x10
    mov edi, BUF + 0x15000
    mov ecx, 3000
    repne cmpsb
    call report_flags
    mov esi, BUF + 0x10
    mov edi, BUF + 0x15000
    mov ecx, 100
    repne cmpsb
    call report_flags
    ; Paging with a hole: REP MOVSD runs into a not-present page and faults part-way.
    xor ecx, ecx
.fill:
    mov eax, ecx
    shl eax, 12
    or eax, 3
    mov [pt0 + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .fill
    mov dword [pt0 + ((BUF + 0x20000) >> 12) * 4], 0
    mov dword [pd], pt0 + 3
    mov eax, pd
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov dword [resume], .after
    mov esi, BUF
    mov edi, BUF + 0x1f000 + 0x10
    mov ecx, 2000
    rep movsd
.after:
    call report
    ret

; report: ECX ESI EDI (offsets from BUF).
report:
    push eax
    mov eax, ecx
    call print_hex
    mov al, ' '
    call print_char
    lea eax, [esi - BUF]
    call print_hex
    mov al, ' '
    call print_char
    lea eax, [edi - BUF]
    call print_hex
    call newline
    pop eax
    ret

; report_flags: as report, then the arithmetic flags.
report_flags:
    pushfd
    call report
    pop eax
    and eax, 0x8d5
    call print_hex
    call newline
    ret

; checksum: a position-weighted sum of the 0x18000 bytes at BUF.
checksum:
    xor eax, eax
    xor ecx, ecx
    xor edx, edx
.next:
    movzx ebx, byte [BUF + ecx]
    imul ebx, ecx
    add eax, ebx
    xor edx, eax
    rol edx, 1
    inc ecx
    cmp ecx, 0x18000
    jb .next
    call print_hex
    mov al, ' '
    call print_char
    mov eax, edx
    call print_hex
    call newline
    ret

ALIGN 4096
pd: times 1024 dd 0
pt0: times 1024 dd 0
%include "lib-end.inc"
