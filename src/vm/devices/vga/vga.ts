// The standard VGA (sequencer, CRTC, graphics and attribute controllers, DAC) with the Bochs
// VBE extension, as QEMU's `-vga std` presents it: register semantics at ports 0x3b0-0x3df
// and 0x1ce-0x1d0, the 128 KiB legacy window at 0xa0000 and the linear framebuffer.
//
// VRAM is laid out like QEMU's: plane p of VGA address a is byte a*4+p, so planar modes see
// 32-bit words (one byte per plane), chain-4 and VBE modes see plain bytes, and text in
// odd/even mode keeps character/attribute pairs in planes 0/1 with the font in plane 2.
// Rendering lives in vga-renderer.ts; this file holds state and guest-visible behaviour.

import type { IoSize, PortHandler } from '../../machine/io-bus.js';
import type { MmioHandler } from '../../machine/physical-memory.js';
import * as R from './vga-registers.js';

export const VGA_VRAM_SIZE = 16 * 1024 * 1024;
const DIRTY_PAGE_SHIFT = 12;

/** 4 plane-enable bits → a 32-bit mask with 0xff in the enabled planes' bytes. */
const PLANE_MASK = new Uint32Array(16);
for (let i = 0; i < 16; i++) {
  PLANE_MASK[i] = (i & 1 ? 0xff : 0) | (i & 2 ? 0xff00 : 0) | (i & 4 ? 0xff0000 : 0) | (i & 8 ? 0xff000000 : 0);
}

export interface VgaState {
  registers: number[];
  dac: number[];
  vbe: number[];
  dac8bit: boolean;
  latch: number;
  sr: Uint8Array;
  srVbe: Uint8Array;
  gr: Uint8Array;
  ar: Uint8Array;
  cr: Uint8Array;
  dacCache: Uint8Array;
  palette: Uint8Array;
  vbeRegs: Uint16Array;
  vram: Uint8Array;
}

export class Vga implements PortHandler {
  readonly vram = new Uint8Array(VGA_VRAM_SIZE);
  readonly vram32 = new Uint32Array(this.vram.buffer);
  /** One flag per 4 KiB of VRAM written since the renderer last looked. */
  readonly dirtyPages = new Uint8Array(VGA_VRAM_SIZE >>> DIRTY_PAGE_SHIFT);
  /** Bumped by every register write that can change the picture (mode, palette, offsets). */
  registerGeneration = 0;

  // Sequencer. `srVbe` is what the memory path and renderer use: the guest's values with
  // VBE's chain-4/all-planes overrides applied while VBE is on (QEMU's sr_vbe).
  srIndex = 0;
  readonly sr = new Uint8Array(8);
  readonly srVbe = new Uint8Array(8);
  grIndex = 0;
  readonly gr = new Uint8Array(16);
  arIndex = 0;
  arFlipFlop = 0;
  readonly ar = new Uint8Array(0x15);
  crIndex = 0;
  readonly cr = new Uint8Array(256);
  msr = 0;
  fcr = 0;
  st00 = 0;
  st01 = 0;
  dacState = 0;
  dacSubIndex = 0;
  dacReadIndex = 0;
  dacWriteIndex = 0;
  readonly dacCache = new Uint8Array(3);
  /** 256 RGB triplets as the guest wrote them (6-bit, or 8-bit with VBE's 8-bit DAC). */
  readonly palette = new Uint8Array(768);
  dac8bit = false;
  latch = 0;

  vbeIndex = 0;
  readonly vbeRegs = new Uint16Array(R.VBE_INDEX_COUNT);
  /** Byte offset of the 64 KiB bank the legacy window shows in memory map mode 1. */
  bankOffset = 0;
  vbeLineOffset = 0;
  /** In 32-bit words, like the CRTC start address. */
  vbeStartAddr = 0;
  private readonly vbeBankMask = (VGA_VRAM_SIZE >>> 16) - 1;

  /** The 128 KiB window at 0xa0000, for PhysicalMemory.mapMmio. */
  readonly legacyWindow: MmioHandler = {
    read: (offset, size) => {
      let v = this.readMemory(offset);
      if (size >= 2) v |= this.readMemory(offset + 1) << 8;
      if (size === 4) v = (v | (this.readMemory(offset + 2) << 16) | (this.readMemory(offset + 3) << 24)) >>> 0;
      return v;
    },
    write: (offset, size, value) => {
      this.writeMemory(offset, value & 0xff);
      if (size >= 2) this.writeMemory(offset + 1, (value >>> 8) & 0xff);
      if (size === 4) {
        this.writeMemory(offset + 2, (value >>> 16) & 0xff);
        this.writeMemory(offset + 3, value >>> 24);
      }
    },
  };

  /** The linear framebuffer (PCI BAR 0): plain bytes of VRAM. */
  readonly linearFramebuffer: MmioHandler = {
    read: (offset, size) => {
      const m = this.vram;
      offset &= VGA_VRAM_SIZE - 1;
      if (size === 1) return m[offset];
      if (size === 2) return m[offset] | (m[offset + 1] << 8);
      return (m[offset] | (m[offset + 1] << 8) | (m[offset + 2] << 16) | (m[offset + 3] << 24)) >>> 0;
    },
    write: (offset, size, value) => {
      const m = this.vram;
      offset &= VGA_VRAM_SIZE - 1;
      m[offset] = value;
      if (size >= 2) m[offset + 1] = value >>> 8;
      if (size === 4) {
        m[offset + 2] = value >>> 16;
        m[offset + 3] = value >>> 24;
      }
      this.dirtyPages[offset >>> DIRTY_PAGE_SHIFT] = 1;
      this.dirtyPages[(offset + size - 1) >>> DIRTY_PAGE_SHIFT] = 1;
    },
  };

  /** Ports 0x1ce-0x1d0 (Bochs VBE), registered separately from the VGA's own ports. */
  readonly vbePorts: PortHandler = {
    readPort: (port, size) => {
      const v = port === R.VBE_PORT_INDEX ? this.vbeIndex : this.readVbeData();
      return size === 1 ? v & 0xff : v;
    },
    writePort: (port, _size, value) => {
      if (port === R.VBE_PORT_INDEX) this.vbeIndex = value & 0xffff;
      else this.writeVbeData(value & 0xffff);
    },
  };

  constructor() {
    this.reset();
  }

  reset(): void {
    this.srIndex = this.grIndex = this.arIndex = this.arFlipFlop = this.crIndex = 0;
    this.sr.fill(0);
    this.srVbe.fill(0);
    this.gr.fill(0);
    this.ar.fill(0);
    this.cr.fill(0);
    this.msr = this.fcr = this.st00 = this.st01 = 0;
    this.dacState = this.dacSubIndex = this.dacReadIndex = this.dacWriteIndex = 0;
    this.dacCache.fill(0);
    this.palette.fill(0);
    this.dac8bit = false;
    this.bankOffset = 0;
    this.vbeIndex = 0;
    this.vbeRegs.fill(0);
    this.vbeRegs[R.VBE_INDEX_ID] = R.VBE_ID5;
    this.vbeStartAddr = this.vbeLineOffset = 0;
    this.registerGeneration++;
  }

  /** Everything guest-visible, VRAM included, for savevm/migration (structured-clone safe). */
  saveState(): VgaState {
    return structuredClone({
      registers: [this.srIndex, this.grIndex, this.arIndex, this.arFlipFlop, this.crIndex, this.msr, this.fcr, this.st00, this.st01],
      dac: [this.dacState, this.dacSubIndex, this.dacReadIndex, this.dacWriteIndex],
      vbe: [this.vbeIndex, this.bankOffset, this.vbeLineOffset, this.vbeStartAddr],
      dac8bit: this.dac8bit,
      latch: this.latch,
      sr: this.sr,
      srVbe: this.srVbe,
      gr: this.gr,
      ar: this.ar,
      cr: this.cr,
      dacCache: this.dacCache,
      palette: this.palette,
      vbeRegs: this.vbeRegs,
      vram: this.vram,
    });
  }

  loadState(st: VgaState): void {
    [this.srIndex, this.grIndex, this.arIndex, this.arFlipFlop, this.crIndex, this.msr, this.fcr, this.st00, this.st01] = st.registers;
    [this.dacState, this.dacSubIndex, this.dacReadIndex, this.dacWriteIndex] = st.dac;
    [this.vbeIndex, this.bankOffset, this.vbeLineOffset, this.vbeStartAddr] = st.vbe;
    this.dac8bit = st.dac8bit;
    this.latch = st.latch;
    this.sr.set(st.sr);
    this.srVbe.set(st.srVbe);
    this.gr.set(st.gr);
    this.ar.set(st.ar);
    this.cr.set(st.cr);
    this.dacCache.set(st.dacCache);
    this.palette.set(st.palette);
    this.vbeRegs.set(st.vbeRegs);
    this.vram.set(st.vram);
    this.dirtyPages.fill(1);
    this.registerGeneration++;
  }

  get vbeEnabled(): boolean {
    return (this.vbeRegs[R.VBE_INDEX_ENABLE] & R.VBE_ENABLED) !== 0;
  }

  // ---- ports 0x3b0-0x3df -------------------------------------------------------------

  readPort(port: number, size: IoSize): number {
    let v = this.readRegister(port);
    if (size >= 2) v |= this.readRegister(port + 1) << 8;
    if (size === 4) v = (v | (this.readRegister(port + 2) << 16) | (this.readRegister(port + 3) << 24)) >>> 0;
    return v;
  }

  /** Wider accesses split into bytes, as QEMU's byte-wide port list does (outw 0x3c4 = index + data). */
  writePort(port: number, size: IoSize, value: number): void {
    this.writeRegister(port, value & 0xff);
    if (size >= 2) this.writeRegister(port + 1, (value >>> 8) & 0xff);
    if (size === 4) {
      this.writeRegister(port + 2, (value >>> 16) & 0xff);
      this.writeRegister(port + 3, value >>> 24);
    }
  }

  /** The mono ports are dead in colour mode and vice versa. */
  private portDecoded(port: number): boolean {
    return this.msr & R.MIS_COLOR ? port < 0x3b0 || port > 0x3bf : port < 0x3d0 || port > 0x3df;
  }

  readRegister(port: number): number {
    if (!this.portDecoded(port)) return 0xff;
    switch (port) {
      case 0x3c0:
        return this.arFlipFlop === 0 ? this.arIndex : 0;
      case 0x3c1: {
        const i = this.arIndex & 0x1f;
        return i < 0x15 ? this.ar[i] : 0;
      }
      case 0x3c2:
        return this.st00;
      case 0x3c4:
        return this.srIndex;
      case 0x3c5:
        return this.sr[this.srIndex];
      case 0x3c7:
        return this.dacState;
      case 0x3c8:
        return this.dacWriteIndex;
      case 0x3c9: {
        const v = this.palette[this.dacReadIndex * 3 + this.dacSubIndex];
        if (++this.dacSubIndex === 3) {
          this.dacSubIndex = 0;
          this.dacReadIndex = (this.dacReadIndex + 1) & 0xff;
        }
        return v;
      }
      case 0x3ca:
        return this.fcr;
      case 0x3cc:
        return this.msr;
      case 0x3ce:
        return this.grIndex;
      case 0x3cf:
        return this.gr[this.grIndex];
      case 0x3b4:
      case 0x3d4:
        return this.crIndex;
      case 0x3b5:
      case 0x3d5:
        return this.cr[this.crIndex];
      case 0x3ba:
      case 0x3da:
        // No beam to follow: toggle retrace and display-enable so polling loops finish.
        this.st01 ^= R.ST01_V_RETRACE | R.ST01_DISP_ENABLE;
        this.arFlipFlop = 0;
        return this.st01;
      default:
        return 0;
    }
  }

  writeRegister(port: number, value: number): void {
    if (!this.portDecoded(port)) return;
    this.registerGeneration++;
    switch (port) {
      case 0x3c0:
        if (this.arFlipFlop === 0) {
          this.arIndex = value & 0x3f;
        } else {
          const i = this.arIndex & 0x1f;
          if (i <= 0x0f) this.ar[i] = value & 0x3f;
          else if (i === R.ATC_MODE) this.ar[i] = value & ~0x10;
          else if (i === 0x11) this.ar[i] = value;
          else if (i === R.ATC_PLANE_ENABLE) this.ar[i] = value & ~0xc0;
          else if (i === 0x13 || i === R.ATC_COLOR_PAGE) this.ar[i] = value & ~0xf0;
        }
        this.arFlipFlop ^= 1;
        break;
      case 0x3c2:
        this.msr = value & ~0x10;
        break;
      case 0x3c4:
        this.srIndex = value & 7;
        break;
      case 0x3c5:
        this.sr[this.srIndex] = value & R.SR_MASK[this.srIndex];
        this.srVbe[this.srIndex] = this.sr[this.srIndex];
        this.applyVbeToVga();
        break;
      case 0x3c7:
        this.dacReadIndex = value;
        this.dacSubIndex = 0;
        this.dacState = 3;
        break;
      case 0x3c8:
        this.dacWriteIndex = value;
        this.dacSubIndex = 0;
        this.dacState = 0;
        break;
      case 0x3c9:
        this.dacCache[this.dacSubIndex] = value;
        if (++this.dacSubIndex === 3) {
          this.palette.set(this.dacCache, this.dacWriteIndex * 3);
          this.dacSubIndex = 0;
          this.dacWriteIndex = (this.dacWriteIndex + 1) & 0xff;
        }
        break;
      case 0x3ce:
        this.grIndex = value & 0x0f;
        break;
      case 0x3cf:
        this.gr[this.grIndex] = value & R.GR_MASK[this.grIndex];
        break;
      case 0x3b4:
      case 0x3d4:
        this.crIndex = value;
        break;
      case 0x3b5:
      case 0x3d5:
        if (this.cr[R.CRTC_V_SYNC_END] & R.CR11_LOCK_CR0_CR7 && this.crIndex <= R.CRTC_OVERFLOW) {
          // CR0-CR7 are write-protected except the line compare bit 8 in CR7.
          if (this.crIndex === R.CRTC_OVERFLOW) this.cr[R.CRTC_OVERFLOW] = (this.cr[R.CRTC_OVERFLOW] & ~0x10) | (value & 0x10);
          return;
        }
        this.cr[this.crIndex] = value;
        break;
      case 0x3ba:
      case 0x3da:
        this.fcr = value & 0x10;
        break;
    }
  }

  // ---- the legacy memory window ------------------------------------------------------

  /** Maps a window offset (0-0x1ffff) to a VGA address, or -1 outside the selected map. */
  private windowToAddress(offset: number): number {
    offset &= 0x1ffff;
    switch ((this.gr[R.GFX_MISC] >>> 2) & 3) {
      case 0:
        return offset;
      case 1:
        return offset < 0x10000 ? offset + this.bankOffset : -1;
      case 2:
        return offset >= 0x10000 && offset < 0x18000 ? offset - 0x10000 : -1;
      default:
        return offset >= 0x18000 ? offset - 0x18000 : -1;
    }
  }

  readMemory(offset: number): number {
    const addr = this.windowToAddress(offset);
    if (addr < 0) return 0xff;
    if (this.srVbe[R.SEQ_MEMORY_MODE] & R.SR04_CHAIN4) return this.vram[addr];
    if (this.gr[R.GFX_MODE] & 0x10) {
      // Odd/even: address bit 0 selects plane 0/1 (or 2/3 with the read map's bit 1).
      const plane = (this.gr[R.GFX_PLANE_READ] & 2) | (addr & 1);
      return this.vram[((addr & ~1) << 1) | plane];
    }
    const latch = (this.latch = this.vram32[addr & (VGA_VRAM_SIZE / 4 - 1)]);
    if (!(this.gr[R.GFX_MODE] & 0x08)) return (latch >>> (this.gr[R.GFX_PLANE_READ] * 8)) & 0xff;
    // Read mode 1: a 1 for each pixel whose colour matches the compare value in the enabled planes.
    let diff = (latch ^ PLANE_MASK[this.gr[R.GFX_COMPARE_VALUE]]) & PLANE_MASK[this.gr[R.GFX_COMPARE_MASK]];
    diff |= diff >>> 16;
    diff |= diff >>> 8;
    return ~diff & 0xff;
  }

  writeMemory(offset: number, value: number): void {
    const addr = this.windowToAddress(offset);
    if (addr < 0) return;
    const planeWrite = this.srVbe[R.SEQ_PLANE_WRITE];
    if (this.srVbe[R.SEQ_MEMORY_MODE] & R.SR04_CHAIN4) {
      if (planeWrite & (1 << (addr & 3))) {
        this.vram[addr] = value;
        this.dirtyPages[addr >>> DIRTY_PAGE_SHIFT] = 1;
      }
      return;
    }
    if (this.gr[R.GFX_MODE] & 0x10) {
      const plane = (this.gr[R.GFX_PLANE_READ] & 2) | (addr & 1);
      if (planeWrite & (1 << plane)) {
        const byte = ((addr & ~1) << 1) | plane;
        this.vram[byte] = value;
        this.dirtyPages[byte >>> DIRTY_PAGE_SHIFT] = 1;
      }
      return;
    }
    const gr = this.gr;
    const latch = this.latch;
    let val: number;
    let bitMask: number;
    switch (gr[R.GFX_MODE] & 3) {
      case 0: {
        const rot = gr[R.GFX_DATA_ROTATE] & 7;
        val = ((value >>> rot) | (value << (8 - rot))) & 0xff;
        val = (val | (val << 8) | (val << 16) | (val << 24)) >>> 0;
        const setMask = PLANE_MASK[gr[R.GFX_SR_ENABLE]];
        val = ((val & ~setMask) | (PLANE_MASK[gr[R.GFX_SR_VALUE]] & setMask)) >>> 0;
        bitMask = gr[R.GFX_BIT_MASK];
        break;
      }
      case 1:
        this.storePlanes(addr, latch, planeWrite);
        return;
      case 2:
        val = PLANE_MASK[value & 0x0f];
        bitMask = gr[R.GFX_BIT_MASK];
        break;
      default: {
        const rot = gr[R.GFX_DATA_ROTATE] & 7;
        bitMask = gr[R.GFX_BIT_MASK] & ((value >>> rot) | (value << (8 - rot)));
        val = PLANE_MASK[gr[R.GFX_SR_VALUE]];
        break;
      }
    }
    switch (gr[R.GFX_DATA_ROTATE] >>> 3) {
      case 1:
        val &= latch;
        break;
      case 2:
        val |= latch;
        break;
      case 3:
        val ^= latch;
        break;
    }
    bitMask &= 0xff;
    bitMask = (bitMask | (bitMask << 8) | (bitMask << 16) | (bitMask << 24)) >>> 0;
    this.storePlanes(addr, ((val & bitMask) | (latch & ~bitMask)) >>> 0, planeWrite);
  }

  private storePlanes(addr: number, val: number, planeWrite: number): void {
    const word = addr & (VGA_VRAM_SIZE / 4 - 1);
    const mask = PLANE_MASK[planeWrite & 0x0f];
    this.vram32[word] = ((this.vram32[word] & ~mask) | (val & mask)) >>> 0;
    this.dirtyPages[word >>> (DIRTY_PAGE_SHIFT - 2)] = 1;
  }

  // ---- Bochs VBE ---------------------------------------------------------------------

  readVbeData(): number {
    const i = this.vbeIndex;
    if (i < R.VBE_INDEX_COUNT) {
      if (this.vbeRegs[R.VBE_INDEX_ENABLE] & R.VBE_GETCAPS) {
        if (i === R.VBE_INDEX_XRES) return R.VBE_MAX_XRES;
        if (i === R.VBE_INDEX_YRES) return R.VBE_MAX_YRES;
        if (i === R.VBE_INDEX_BPP) return R.VBE_MAX_BPP;
      }
      return this.vbeRegs[i];
    }
    if (i === R.VBE_INDEX_VIDEO_MEMORY_64K) return VGA_VRAM_SIZE >>> 16;
    return 0;
  }

  writeVbeData(value: number): void {
    const r = this.vbeRegs;
    this.registerGeneration++;
    switch (this.vbeIndex) {
      case R.VBE_INDEX_ID:
        if (value >= R.VBE_ID0 && value <= R.VBE_ID5) r[R.VBE_INDEX_ID] = value;
        break;
      case R.VBE_INDEX_XRES:
      case R.VBE_INDEX_YRES:
      case R.VBE_INDEX_BPP:
      case R.VBE_INDEX_VIRT_WIDTH:
      case R.VBE_INDEX_X_OFFSET:
      case R.VBE_INDEX_Y_OFFSET:
        r[this.vbeIndex] = value;
        this.fixupVbeRegisters();
        this.applyVbeToVga();
        break;
      case R.VBE_INDEX_BANK:
        value &= r[R.VBE_INDEX_BPP] === 4 ? this.vbeBankMask >>> 2 : this.vbeBankMask;
        r[R.VBE_INDEX_BANK] = value;
        this.bankOffset = value << 16;
        break;
      case R.VBE_INDEX_ENABLE:
        if (value & R.VBE_ENABLED && !this.vbeEnabled) {
          r[R.VBE_INDEX_VIRT_WIDTH] = 0;
          r[R.VBE_INDEX_X_OFFSET] = 0;
          r[R.VBE_INDEX_Y_OFFSET] = 0;
          r[R.VBE_INDEX_ENABLE] |= R.VBE_ENABLED;
          this.fixupVbeRegisters();
          this.applyVbeToVga();
          if (!(value & R.VBE_NOCLEARMEM)) {
            this.vram.fill(0, 0, r[R.VBE_INDEX_YRES] * this.vbeLineOffset);
            this.dirtyPages.fill(1);
          }
        } else if (!(value & R.VBE_ENABLED)) {
          this.bankOffset = 0;
        }
        this.dac8bit = (value & R.VBE_8BIT_DAC) !== 0;
        r[R.VBE_INDEX_ENABLE] = value;
        if (!this.vbeEnabled) this.srVbe.set(this.sr);
        break;
    }
  }

  /** The dispi interface cannot report errors, so out-of-range values are clamped (QEMU's vbe_fixup_regs). */
  private fixupVbeRegisters(): void {
    const r = this.vbeRegs;
    if (!this.vbeEnabled) return;
    let bits: number;
    switch (r[R.VBE_INDEX_BPP]) {
      case 4:
      case 8:
      case 16:
      case 24:
      case 32:
        bits = r[R.VBE_INDEX_BPP];
        break;
      case 15:
        bits = 16;
        break;
      default:
        bits = r[R.VBE_INDEX_BPP] = 8;
    }
    r[R.VBE_INDEX_XRES] &= ~7;
    if (r[R.VBE_INDEX_XRES] === 0) r[R.VBE_INDEX_XRES] = 8;
    if (r[R.VBE_INDEX_XRES] > R.VBE_MAX_XRES) r[R.VBE_INDEX_XRES] = R.VBE_MAX_XRES;
    r[R.VBE_INDEX_VIRT_WIDTH] &= ~7;
    if (r[R.VBE_INDEX_VIRT_WIDTH] > R.VBE_MAX_XRES) r[R.VBE_INDEX_VIRT_WIDTH] = R.VBE_MAX_XRES;
    if (r[R.VBE_INDEX_VIRT_WIDTH] < r[R.VBE_INDEX_XRES]) r[R.VBE_INDEX_VIRT_WIDTH] = r[R.VBE_INDEX_XRES];

    const lineLength = (r[R.VBE_INDEX_VIRT_WIDTH] * bits) / 8;
    const maxY = Math.floor(VGA_VRAM_SIZE / lineLength);
    if (r[R.VBE_INDEX_YRES] === 0) r[R.VBE_INDEX_YRES] = 1;
    if (r[R.VBE_INDEX_YRES] > R.VBE_MAX_YRES) r[R.VBE_INDEX_YRES] = R.VBE_MAX_YRES;
    if (r[R.VBE_INDEX_YRES] > maxY) r[R.VBE_INDEX_YRES] = maxY;

    if (r[R.VBE_INDEX_X_OFFSET] > R.VBE_MAX_XRES) r[R.VBE_INDEX_X_OFFSET] = R.VBE_MAX_XRES;
    if (r[R.VBE_INDEX_Y_OFFSET] > R.VBE_MAX_YRES) r[R.VBE_INDEX_Y_OFFSET] = R.VBE_MAX_YRES;
    let offset = Math.floor((r[R.VBE_INDEX_X_OFFSET] * bits) / 8) + r[R.VBE_INDEX_Y_OFFSET] * lineLength;
    if (offset + r[R.VBE_INDEX_YRES] * lineLength > VGA_VRAM_SIZE) {
      r[R.VBE_INDEX_Y_OFFSET] = 0;
      offset = Math.floor((r[R.VBE_INDEX_X_OFFSET] * bits) / 8);
      if (offset + r[R.VBE_INDEX_YRES] * lineLength > VGA_VRAM_SIZE) {
        r[R.VBE_INDEX_X_OFFSET] = 0;
        offset = 0;
      }
    }
    r[R.VBE_INDEX_VIRT_HEIGHT] = maxY;
    this.vbeLineOffset = lineLength;
    this.vbeStartAddr = offset >>> 2;
  }

  /** Programs the VGA registers for the VBE mode, as QEMU does in place of a BIOS. */
  private applyVbeToVga(): void {
    if (!this.vbeEnabled) return;
    const r = this.vbeRegs;
    const cr = this.cr;
    this.gr[R.GFX_MISC] = (this.gr[R.GFX_MISC] & ~0x0c) | 0x04 | R.GR06_GRAPHICS_MODE;
    cr[R.CRTC_MODE] |= 3;
    cr[R.CRTC_OFFSET] = this.vbeLineOffset >>> 3;
    cr[R.CRTC_H_DISP] = (r[R.VBE_INDEX_XRES] >>> 3) - 1;
    const h = r[R.VBE_INDEX_YRES] - 1;
    cr[R.CRTC_V_DISP_END] = h;
    cr[R.CRTC_OVERFLOW] = (cr[R.CRTC_OVERFLOW] & ~0x42) | ((h >>> 7) & 0x02) | ((h >>> 3) & 0x40);
    cr[R.CRTC_LINE_COMPARE] = 0xff;
    cr[R.CRTC_OVERFLOW] |= 0x10;
    cr[R.CRTC_MAX_SCAN] |= 0x40;
    let shiftControl: number;
    if (r[R.VBE_INDEX_BPP] === 4) {
      shiftControl = 0;
      this.srVbe[R.SEQ_CLOCK_MODE] &= ~R.SR01_DOUBLE_WIDTH;
    } else {
      shiftControl = 2;
      this.srVbe[R.SEQ_MEMORY_MODE] |= R.SR04_CHAIN4;
      this.srVbe[R.SEQ_PLANE_WRITE] |= 0x0f;
    }
    this.gr[R.GFX_MODE] = (this.gr[R.GFX_MODE] & ~0x60) | (shiftControl << 5);
    cr[R.CRTC_MAX_SCAN] &= ~0x9f;
  }
}
