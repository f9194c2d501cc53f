; Boot sector: prints the 256-byte configuration space of every PCI function on bus 0 to
; COM1 as hex dwords (a "devfn:" line, then 16 lines of 4 dwords), then powers off through
; ACPI S5 at PM1a_CNT, found from the PIIX4 PM base SeaBIOS programmed (config 00:01.3/0x40).
bits 16
org 0x7c00
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  xor ebx, ebx                ; device/function number in bits 8-15 of the address
next_function:
  mov eax, ebx
  call config_read
  cmp ax, 0xffff
  je skip
  mov eax, ebx
  shr eax, 8
  call print_hex8             ; devfn
  mov al, ':'
  call putc
  xor esi, esi
dword_loop:
  test si, 15
  jnz .same_line
  call newline
.same_line:
  mov eax, ebx
  or eax, esi
  call config_read
  call print_hex32
  mov al, ' '
  call putc
  add si, 4
  cmp si, 256
  jb dword_loop
  call newline
skip:
  add ebx, 0x100
  cmp ebx, 0x10000
  jb next_function
  mov si, done
.msg:
  lodsb
  test al, al
  jz .off
  call putc
  jmp .msg
.off:
  mov eax, (1 << 11) | (3 << 8) | 0x40
  call config_read
  and ax, 0xffc0
  add ax, 4
  mov dx, ax
  mov ax, 0x2000              ; SLP_EN, sleep type 0 (QEMU's \_S5)
  out dx, ax
.halt:
  hlt
  jmp .halt

config_read:                    ; eax = bus/devfn/offset -> eax = dword
  or eax, 0x80000000
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfc
  in eax, dx
  ret

print_hex32:
  mov cx, 8
.digit:
  rol eax, 4
  push eax
  and al, 15
  call hexdigit
  pop eax
  loop .digit
  ret

print_hex8:
  mov cx, 2
  rol eax, 24
  jmp print_hex32.digit

hexdigit:
  add al, '0'
  cmp al, '9'
  jbe putc
  add al, 'a' - '9' - 1
putc:
  push dx
  push ax
  mov dx, 0x3fd
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  pop ax
  mov dx, 0x3f8
  out dx, al
  pop dx
  ret

newline:
  mov al, 13
  call putc
  mov al, 10
  jmp putc

done: db 'PCI DUMP END', 13, 10, 0
  times 510 - ($ - $$) db 0
  dw 0xaa55
