; Segment limit checks (QEMU's TCG does not check data-segment limits, so this program is
; compared with the SDM only): #GP(0) past a data segment's limit, #SS(0) past the stack
; segment's limit, expand-down segments, and a write to a read-only segment.
%include "lib.inc"

main:
    ; Slot 0x30: data, limit 0xfff, byte granular.
    mov ecx, 6
    mov eax, 0x00000fff
    mov edx, 0x00409200
    call set_descriptor
    ; Slot 0x38: read-only data, limit 0xfffff pages.
    mov ecx, 7
    mov eax, 0x0000ffff
    mov edx, 0x00cf9000
    call set_descriptor
    ; Slot 0x40: expand-down data, limit 0xfff (valid offsets 0x1000-0xffffffff).
    mov ecx, 8
    mov eax, 0x00000fff
    mov edx, 0x00409600
    call set_descriptor
    mov ax, 0x30
    mov fs, ax
    mov eax, [fs:0xffc]          ; the last dword inside the limit
    mov dword [resume], .r1
    mov eax, [fs:0xffd]          ; crosses the limit: #GP(0)
.r1:
    mov ax, 0x38
    mov gs, ax
    mov eax, [gs:0x2000]
    mov dword [resume], .r2
    mov [gs:0x2000], eax         ; read-only: #GP(0)
.r2:
    mov ax, 0x40
    mov fs, ax
    mov eax, [fs:0x1000]         ; lowest valid expand-down offset
    mov dword [resume], .r3
    mov eax, [fs:0xffe]          ; below it: #GP(0)
.r3:
    ; An SS-relative access past SS's limit is #SS(0); the handler's frame still fits below.
    mov ebx, esp
    mov ax, 0x30
    mov ss, ax
    mov esp, 0x800
    mov dword [resume], .r4
    mov eax, [ss:0xffe]
.r4:
    mov ax, SEL_DATA0
    mov ss, ax
    mov esp, ebx
    mov esi, msg_ok
    call print
    ret

msg_ok: db "limits checked", 10, 0
%include "lib-end.inc"
