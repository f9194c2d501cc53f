; A Multiboot (a.out kludge) kernel that probes the pc machine's chipset devices the
; way drivers do and prints "name value" lines in hex on the debug console (port 0xe9),
; then exits through isa-debug-exit at 0xf4. qemu-probe.test.ts runs it under
; qemu-system-i386 and performs the same accesses on termu's device models.

bits 32
org 0x100000

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010000

header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd header, header, image_end, bss_end, start

; PRINT "name", reg/imm: prints the name, a space, the value as 8 hex digits, newline.
%macro PRINT 2
    push eax
    mov eax, %2
    jmp %%go
%%name: db %1, 0
%%go:
    mov esi, %%name
    call print_line
    pop eax
%endmacro

%macro CMOS 1
    mov al, %1
    out 0x70, al
    in al, 0x71
    movzx eax, al
    PRINT %str(cmos %1), eax
%endmacro

; PCI config dword at bus 0 device %1 function %2 register %3 into eax
%macro PCIREAD 3
    mov eax, 0x80000000 | (%1 << 11) | (%2 << 8) | %3
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
%endmacro

%macro PCIWRITE 4
    mov eax, 0x80000000 | (%1 << 11) | (%2 << 8) | %3
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    mov eax, %4
    out dx, eax
%endmacro

%macro PCIID 2
    PCIREAD %1, %2, 0x00
    PRINT %str(pci %1.%2 id), eax
    PCIREAD %1, %2, 0x08
    PRINT %str(pci %1.%2 class), eax
    PCIREAD %1, %2, 0x0c
    shr eax, 16
    and eax, 0xff
    PRINT %str(pci %1.%2 header), eax
    PCIREAD %1, %2, 0x3c
    shr eax, 8
    and eax, 0xff
    PRINT %str(pci %1.%2 pin), eax
%endmacro

start:
    mov esp, stack_top

    ; --- CMOS/RTC ---
    CMOS 0x0b
    CMOS 0x0d
    CMOS 0x10
    CMOS 0x14
    CMOS 0x15
    CMOS 0x16
    CMOS 0x17
    CMOS 0x18
    CMOS 0x30
    CMOS 0x31
    CMOS 0x34
    CMOS 0x35
    CMOS 0x38
    CMOS 0x3d
    CMOS 0x5b
    CMOS 0x5c
    CMOS 0x5d
    CMOS 0x5f
    mov al, 0x0a
    out 0x70, al
    in al, 0x71
    and eax, 0x7f
    PRINT "rtc regA", eax

    ; --- PCI ---
    PCIID 0, 0
    PCIID 1, 0
    PCIID 1, 1
    PCIID 1, 3
    PCIREAD 1, 1, 0x20
    mov ebx, eax
    PCIWRITE 1, 1, 0x20, 0xffffffff
    PCIREAD 1, 1, 0x20
    PRINT "pci 1.1 bar4 probe", eax
    PCIWRITE 1, 1, 0x20, ebx
    PCIREAD 5, 0, 0x00
    PRINT "pci 5.0 id", eax

    ; --- local APIC and IOAPIC ---
    mov eax, [0xfee00030]
    PRINT "lapic version", eax
    mov eax, [0xfee00020]
    PRINT "lapic id", eax
    mov dword [0xfec00000], 1
    mov eax, [0xfec00010]
    PRINT "ioapic version", eax
    mov dword [0xfec00000], 0x10
    mov eax, [0xfec00010]
    and eax, 0x1f000
    PRINT "ioapic entry0 mask", eax

    ; --- fw_cfg ---
    mov dx, 0x510
    xor ax, ax
    out dx, ax
    call read_fwcfg_dword
    PRINT "fwcfg signature", eax
    mov dx, 0x510
    mov ax, 1
    out dx, ax
    call read_fwcfg_dword
    PRINT "fwcfg id", eax
    mov dx, 0x514
    in eax, dx
    PRINT "fwcfg dma sig hi", eax
    mov dx, 0x518
    in eax, dx
    PRINT "fwcfg dma sig lo", eax

    ; --- COM1 16550A, as Linux's autoconfig probes it ---
    mov dx, 0x3f9
    mov al, 0x0f
    out dx, al
    in al, dx
    movzx eax, al
    PRINT "uart ier", eax
    xor al, al
    out dx, al
    mov dx, 0x3fc
    mov al, 0x1a
    out dx, al
    mov dx, 0x3fe
    in al, dx
    and eax, 0xf0
    PRINT "uart loop msr", eax
    mov dx, 0x3fc
    xor al, al
    out dx, al
    mov dx, 0x3fa
    mov al, 0x01
    out dx, al
    in al, dx
    movzx eax, al
    PRINT "uart iir fifo", eax
    mov al, 0x21
    out dx, al
    in al, dx
    movzx eax, al
    PRINT "uart iir fifo64", eax
    mov dx, 0x3fb
    mov al, 0x83
    out dx, al
    mov dx, 0x3f8
    in al, dx
    mov bl, al
    inc dx
    in al, dx
    mov bh, al
    movzx eax, bx
    PRINT "uart reset divisor", eax
    mov dx, 0x3f8
    mov al, 0x01
    out dx, al
    in al, dx
    movzx eax, al
    PRINT "uart dll", eax
    mov dx, 0x3fb
    mov al, 0x03
    out dx, al
    in al, dx
    movzx eax, al
    PRINT "uart lcr", eax
    mov dx, 0x3fd
    in al, dx
    movzx eax, al
    PRINT "uart lsr", eax
    mov dx, 0x3ff
    mov al, 0x5a
    out dx, al
    in al, dx
    movzx eax, al
    PRINT "uart scr", eax

    ; --- i8042 ---
    call kbc_flush
    mov al, 0xaa
    out 0x64, al
    call kbc_read
    PRINT "kbc selftest", eax
    mov al, 0x60
    out 0x64, al
    mov al, 0x44              ; translation on, interrupts off
    out 0x60, al
    mov al, 0xf2
    out 0x60, al
    call kbc_read3
    PRINT "kbd id xlate", eax
    mov al, 0xf0
    out 0x60, al
    call kbc_read
    mov al, 0x00
    out 0x60, al
    call kbc_read
    mov ebx, eax
    call kbc_read
    shl ebx, 8
    or eax, ebx
    PRINT "kbd scan set xlate", eax
    mov al, 0x60
    out 0x64, al
    mov al, 0x04              ; translation off
    out 0x60, al
    mov al, 0xf2
    out 0x60, al
    call kbc_read3
    PRINT "kbd id raw", eax
    mov al, 0xff
    out 0x60, al
    call kbc_read
    mov ebx, eax
    call kbc_read
    shl ebx, 8
    or eax, ebx
    PRINT "kbd reset", eax
    mov al, 0xd4
    out 0x64, al
    mov al, 0xf2
    out 0x60, al
    call kbc_read
    mov ebx, eax
    call kbc_read
    shl ebx, 8
    or eax, ebx
    PRINT "mouse id", eax

    ; --- PIT read-back of a freshly loaded channel 2 ---
    mov al, 0xb0
    out 0x43, al
    mov al, 0xff
    out 0x42, al
    out 0x42, al
    mov al, 0xe8
    out 0x43, al
    in al, 0x42
    movzx eax, al
    PRINT "pit status", eax

    ; --- 8259 pair re-initialised as Linux does; IRQ1 from the keyboard seen in IRR, poll ---
    mov al, 0x11
    out 0x20, al
    out 0xa0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xa1, al
    mov al, 0x01
    out 0x21, al
    out 0xa1, al
    mov al, 0xfd              ; only IRQ1 unmasked (IF stays clear: nothing is delivered)
    out 0x21, al
    mov al, 0xff
    out 0xa1, al
    call kbc_flush
    mov al, 0x60
    out 0x64, al
    mov al, 0x45              ; keyboard interrupt on, translation on
    out 0x60, al
    mov al, 0xee
    out 0x60, al
    mov al, 0x0a
    out 0x20, al
    in al, 0x20
    and eax, 0x02
    PRINT "pic irr irq1", eax
    mov al, 0x0c
    out 0x20, al
    in al, 0x20
    movzx eax, al
    PRINT "pic poll", eax
    mov al, 0x0b
    out 0x20, al
    in al, 0x20
    and eax, 0x02
    PRINT "pic isr irq1", eax
    mov al, 0x20
    out 0x20, al
    out 0x20, al
    in al, 0x20
    and eax, 0x02
    PRINT "pic isr after eoi", eax
    call kbc_read
    PRINT "kbd echo", eax
    mov dx, 0x4d0
    in al, dx
    mov bl, al
    mov al, 0xff
    out dx, al
    in al, dx
    movzx eax, al
    PRINT "elcr0 mask", eax
    mov al, bl
    out dx, al
    mov dx, 0x4d1
    in al, dx
    mov bl, al
    mov al, 0xff
    out dx, al
    in al, dx
    movzx eax, al
    PRINT "elcr1 mask", eax
    mov al, bl
    out dx, al

    ; --- COM1 THRE interrupt reaches the PIC's IRR (IRQ4) ---
    mov al, 0x0a
    out 0x20, al
    mov dx, 0x3f9
    mov al, 0x02
    out dx, al
    in al, 0x20
    and eax, 0x10
    PRINT "pic irr irq4", eax
    mov dx, 0x3fa
    in al, dx
    movzx eax, al
    PRINT "uart iir thre", eax
    in al, dx
    movzx eax, al
    PRINT "uart iir after", eax
    mov dx, 0x3f9
    xor al, al
    out dx, al

    ; --- IOAPIC pin 1 → local APIC IRR; self IPI; TPR/PPR ---
    mov dword [0xfee000f0], 0x1ff
    mov dword [0xfec00000], 0x12
    mov dword [0xfec00010], 0x41
    mov dword [0xfec00000], 0x13
    mov dword [0xfec00010], 0
    call kbc_flush
    mov al, 0xee
    out 0x60, al
    mov eax, [0xfee00220]
    and eax, 0x2
    PRINT "lapic irr 0x41", eax
    call kbc_flush
    mov dword [0xfee00300], 0x40051
    mov eax, [0xfee00220]
    and eax, 0x20000
    PRINT "lapic irr 0x51", eax
    mov eax, [0xfee00300]
    PRINT "lapic icr", eax
    mov dword [0xfee00080], 0x50
    mov eax, [0xfee000a0]
    PRINT "lapic ppr", eax
    mov dword [0xfec00000], 0x12
    mov dword [0xfec00010], 0x10000

    ; --- RTC: set 1999-12-31 23:59:00 with SET, read back, then binary 12-hour mode ---
    mov al, 0x0b
    out 0x70, al
    mov al, 0x82
    out 0x71, al
    mov esi, rtc_settings
.rtc_set:
    lodsw
    cmp al, 0xff
    je .rtc_done
    out 0x70, al
    mov al, ah
    out 0x71, al
    jmp .rtc_set
.rtc_done:
    mov al, 0x0b
    out 0x70, al
    mov al, 0x02
    out 0x71, al
    mov al, 0x04
    call cmos_read
    PRINT "rtc hour", eax
    mov al, 0x02
    call cmos_read
    PRINT "rtc minute", eax
    mov al, 0x07
    call cmos_read
    PRINT "rtc day", eax
    mov al, 0x08
    call cmos_read
    PRINT "rtc month", eax
    mov al, 0x09
    call cmos_read
    PRINT "rtc year", eax
    mov al, 0x32
    call cmos_read
    PRINT "rtc century", eax
    mov al, 0x0b
    out 0x70, al
    mov al, 0x04
    out 0x71, al
    mov al, 0x04
    call cmos_read
    PRINT "rtc hour 12h binary", eax
    mov al, 0x09
    call cmos_read
    PRINT "rtc year binary", eax
    mov al, 0x0b
    out 0x70, al
    mov al, 0x02
    out 0x71, al

    ; --- PIT channel 2 reaches terminal count; port 0x61 gate and speaker bits ---
    mov al, 0x03
    out 0x61, al
    mov al, 0xb0
    out 0x43, al
    mov al, 0x00
    out 0x42, al
    mov al, 0x01
    out 0x42, al              ; 256 ticks: 215 us
    mov ecx, 10000000
.pit_wait:
    in al, 0x61
    test al, 0x20
    jnz .pit_done
    loop .pit_wait
.pit_done:
    in al, 0x61
    and eax, 0x23
    PRINT "port61 after tc", eax
    mov al, 0xe8
    out 0x43, al
    in al, 0x42
    movzx eax, al
    PRINT "pit status after tc", eax

    ; --- fw_cfg DMA: select the signature item and read it ---
    mov dword [dma_desc], 0x0a000000  ; big-endian control 0x0000000a: select key 0, read
    mov dword [dma_desc + 4], 0x04000000
    mov dword [dma_desc + 8], 0
    mov eax, dma_buffer
    bswap eax
    mov [dma_desc + 12], eax
    mov dx, 0x514
    xor eax, eax
    out dx, eax
    mov eax, dma_desc
    bswap eax
    mov dx, 0x518
    out dx, eax
    mov eax, [dma_desc]
    PRINT "fwcfg dma control", eax
    mov eax, [dma_buffer]
    PRINT "fwcfg dma data", eax

    ; --- COM1 loopback through the FIFO: trigger level 4, overrun at 17 bytes ---
    mov dx, 0x3fb
    mov al, 0x83
    out dx, al
    mov dx, 0x3f8
    mov al, 0xff              ; divisor 0xffff (1.76 baud): no character timeout during the probe
    out dx, al
    inc dx
    out dx, al
    mov dx, 0x3fb
    mov al, 0x03
    out dx, al
    mov dx, 0x3fa
    mov al, 0x47
    out dx, al
    mov dx, 0x3f9
    mov al, 0x05
    out dx, al
    mov dx, 0x3fc
    mov al, 0x10
    out dx, al
    mov ecx, 3
.loop3:
    mov dx, 0x3f8
    mov al, cl
    out dx, al
    loop .loop3
    mov dx, 0x3fa
    in al, dx
    movzx eax, al
    PRINT "uart iir 3 bytes", eax
    mov dx, 0x3f8
    mov al, 0x44
    out dx, al
    mov dx, 0x3fa
    in al, dx
    movzx eax, al
    PRINT "uart iir 4 bytes", eax
    mov ecx, 13
.loop13:
    mov dx, 0x3f8
    mov al, cl
    out dx, al
    loop .loop13
    mov dx, 0x3fa
    in al, dx
    movzx eax, al
    PRINT "uart iir overrun", eax
    mov dx, 0x3fd
    in al, dx
    movzx eax, al
    PRINT "uart lsr overrun", eax
    mov dx, 0x3fa
    in al, dx
    movzx eax, al
    PRINT "uart iir after lsr", eax
    mov dx, 0x3f8
    in al, dx
    mov bl, al
    in al, dx
    mov bh, al
    movzx eax, bx
    PRINT "uart first bytes", eax
    mov dx, 0x3fc
    xor al, al
    out dx, al
    mov dx, 0x3f9
    out dx, al
    mov dx, 0x3fa
    mov al, 0x07
    out dx, al

    ; --- i8042 port disables, output buffer writes ---
    call kbc_flush
    mov al, 0xa7
    out 0x64, al
    mov al, 0x20
    out 0x64, al
    call kbc_read
    PRINT "kbc ctr after a7", eax
    mov al, 0xa8
    out 0x64, al
    mov al, 0xd2
    out 0x64, al
    mov al, 0x42
    out 0x60, al
    in al, 0x64
    and eax, 0x21
    PRINT "kbc status d2", eax
    call kbc_read
    PRINT "kbc d2 byte", eax
    mov al, 0xd3
    out 0x64, al
    mov al, 0x43
    out 0x60, al
    in al, 0x64
    and eax, 0x21
    PRINT "kbc status d3", eax
    call kbc_read
    PRINT "kbc d3 byte", eax
    mov al, 0xd4
    out 0x64, al
    mov al, 0xee
    out 0x60, al
    call kbc_read
    mov al, 0xd4
    out 0x64, al
    mov al, 0x99
    out 0x60, al
    call kbc_read
    PRINT "mouse wrap echo", eax
    mov al, 0xd4
    out 0x64, al
    mov al, 0xec
    out 0x60, al
    call kbc_read
    PRINT "mouse wrap off", eax

    ; --- RTC update-ended and periodic flags ---
    mov al, 0x0c
    call cmos_read
    mov al, 0x0b
    out 0x70, al
    mov al, 0x12
    out 0x71, al
    mov ecx, 100000000
.uf_wait:
    mov al, 0x0c
    out 0x70, al
    in al, 0x71
    test al, al
    jnz .uf_done
    loop .uf_wait
.uf_done:
    and eax, 0x90
    PRINT "rtc c update", eax
    mov al, 0x0b
    out 0x70, al
    mov al, 0x42
    out 0x71, al
    mov al, 0x0a
    out 0x70, al
    mov al, 0x2f
    out 0x71, al
    mov al, 0x0c
    call cmos_read
    mov ecx, 100000000
.pf_wait:
    mov al, 0x0c
    out 0x70, al
    in al, 0x71
    test al, 0x40
    jnz .pf_done
    loop .pf_wait
.pf_done:
    and eax, 0xc0
    PRINT "rtc c periodic", eax
    mov al, 0x0b
    out 0x70, al
    mov al, 0x02
    out 0x71, al
    mov al, 0x0a
    out 0x70, al
    mov al, 0x26
    out 0x71, al

    ; --- port 0x92 ---
    mov al, 0x02
    out 0x92, al
    in al, 0x92
    movzx eax, al
    PRINT "port92", eax

    mov al, 0x00
    out 0xf4, al
    hlt

; al = CMOS index; eax = value
cmos_read:
    out 0x70, al
    in al, 0x71
    movzx eax, al
    ret

; (index, value) pairs written under SET, ending with 0xff
rtc_settings:
    db 0x00, 0x00, 0x02, 0x59, 0x04, 0x23, 0x06, 0x06, 0x07, 0x31, 0x08, 0x12, 0x09, 0x99, 0x32, 0x19, 0xff, 0xff

; four bytes from the fw_cfg data port, first byte lowest
read_fwcfg_dword:
    mov dx, 0x511
    xor ebx, ebx
    mov ecx, 4
.next:
    in al, dx
    movzx eax, al
    shl eax, 24
    shr ebx, 8
    or ebx, eax
    loop .next
    mov eax, ebx
    ret

kbc_flush:
    in al, 0x64
    test al, 1
    jz .done
    in al, 0x60
    jmp kbc_flush
.done:
    ret

; waits (bounded) for a byte in the output buffer; eax = byte or 0xffffffff
kbc_read:
    mov ecx, 1000000
.wait:
    in al, 0x64
    test al, 1
    jnz .got
    loop .wait
    mov eax, 0xffffffff
    ret
.got:
    in al, 0x60
    movzx eax, al
    ret

; three bytes into eax as 0x00AABBCC
kbc_read3:
    call kbc_read
    mov ebx, eax
    call kbc_read
    shl ebx, 8
    or ebx, eax
    call kbc_read
    shl ebx, 8
    or eax, ebx
    ret

; esi = name; eax = value; preserves all registers
print_line:
    pushad
    mov edx, eax
.name:
    lodsb
    test al, al
    jz .value
    out 0xe9, al
    jmp .name
.value:
    mov al, ' '
    out 0xe9, al
    mov ecx, 8
.digit:
    rol edx, 4
    mov eax, edx
    and eax, 0xf
    mov al, [hexdigits + eax]
    out 0xe9, al
    loop .digit
    mov al, 10
    out 0xe9, al
    popad
    ret

hexdigits: db '0123456789abcdef'

image_end:

section .bss
dma_desc: resb 16
dma_buffer: resb 16
    resb 4096
stack_top:
bss_end:
