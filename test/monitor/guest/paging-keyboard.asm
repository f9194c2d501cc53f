; A Multiboot guest with known state for the monitor tests: it builds page tables (4 KiB
; pages with assorted user/write/cache bits and one 4 MiB page), fills a data page with a
; known pattern, turns paging on, and then stores every byte the keyboard controller
; delivers on IRQ1 in a buffer, so `sendkey` can be checked against what the guest got.
; Built with `nasm -f bin`.

bits 32
%define MB_MAGIC 0x1badb002
%define MB_FLAGS 0x00010000
%define PD       0x200000          ; page directory
%define PT_LOW   0x201000          ; maps 0-4 MiB onto itself
%define PT_HIGH  0x202000          ; maps 0x80000000-0x80002fff onto 0x300000
%define DATA     0x300000          ; the pattern
%define KEYS     0x3f0000          ; [KEYS] = count, bytes from KEYS+4
%define READY    0x3f0ff0          ; 0x600dbeef once paging is on and IRQ1 is unmasked

org 0x100000
mb_header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd mb_header, 0x100000, image_end, image_end, _start

_start:
    cli
    lgdt [gdt_desc]
    jmp 0x08:flat
flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x1ff000

    ; the pattern: a string, then bytes 0..255, then words counting down
    mov edi, DATA
    mov esi, text
    mov ecx, text_end - text
    rep movsb
    mov edi, DATA + 0x20
    xor eax, eax
fill:
    stosb
    inc al
    jnz fill
    mov edi, DATA + 0x120
    mov eax, 0xfedcba98
    mov ecx, 32
words:
    stosd
    sub eax, 0x01010101
    loop words
    mov dword [DATA + 0x1000], 0x11223344   ; second page (user, read-only)
    mov dword [DATA + 0x2000], 0x55667788   ; third page (supervisor)

    ; page directory
    mov edi, PD
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov dword [PD + 0*4], PT_LOW + 0x003                ; present, writable
    mov dword [PD + 0x100*4], 0x800000 + 0x1e3          ; 4 MiB page at 0x40000000: G, PSE, D, A, W
    mov dword [PD + 0x200*4], PT_HIGH + 0x007           ; user, writable
    ; identity map of the first 4 MiB
    mov edi, PT_LOW
    mov eax, 0x003
    mov ecx, 1024
low:
    stosd
    add eax, 0x1000
    loop low
    or dword [PT_LOW + 0xb8*4], 0x018                   ; VGA text: PCD, PWT
    or dword [PT_LOW + 0x3ff*4], 0x004                  ; one user page
    and dword [PT_LOW + 0x3fe*4], ~0x002                ; one read-only page
    ; the data pages at 0x80000000
    mov edi, PT_HIGH
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov dword [PT_HIGH + 0], DATA + 0x007               ; user, writable
    mov dword [PT_HIGH + 4], DATA + 0x1000 + 0x005      ; user, read-only
    mov dword [PT_HIGH + 8], DATA + 0x2000 + 0x003      ; supervisor, writable

    mov eax, cr4
    or eax, 0x10                                        ; PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    ; interrupts: PICs at 0x20/0x28, only IRQ1 unmasked
    mov al, 0x11
    out 0x20, al
    out 0xa0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xa1, al
    mov al, 1
    out 0x21, al
    out 0xa1, al
    mov al, 0xfd
    out 0x21, al
    mov al, 0xff
    out 0xa1, al
    mov eax, irq1
    mov [idt + 0x21*8], ax
    shr eax, 16
    mov [idt + 0x21*8 + 6], ax
    lidt [idt_desc]
    ; PIT channel 0 periodic, so IRQ0 (masked) is latched in the PIC whatever the firmware did
    mov al, 0x34
    out 0x43, al
    xor al, al
    out 0x40, al
    out 0x40, al

    ; keyboard controller: translation to set 1 and IRQ1 on, whatever the firmware left
    call kbc_wait
    mov al, 0x60
    out 0x64, al
    call kbc_wait
    mov al, 0x45
    out 0x60, al
flush:
    in al, 0x64
    test al, 1
    jz flushed
    in al, 0x60
    jmp flush
flushed:
    mov dword [KEYS], 0
    mov dword [READY], 0x600dbeef
    sti
idle:
    hlt
    jmp idle

kbc_wait:
    in al, 0x64
    test al, 2
    jnz kbc_wait
    ret

irq1:
    push eax
    push ebx
    in al, 0x60
    mov ebx, [KEYS]
    mov [KEYS + 4 + ebx], al
    inc dword [KEYS]
    mov al, 0x20
    out 0x20, al
    pop ebx
    pop eax
    iret

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff
    dq 0x00cf92000000ffff
gdt_desc:
    dw gdt_desc - gdt - 1
    dd gdt
idt:
    times 0x21 dq 0
    dw 0, 0x08, 0x8e00, 0
idt_desc:
    dw idt_desc - idt - 1
    dd idt
text:
    db "termu monitor", 10, "'\x", 0
text_end:
image_end:
