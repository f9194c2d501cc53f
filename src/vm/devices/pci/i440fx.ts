// The i440FX host bridge, PCI 00:00.0 (8086:1237 rev 02, class 0600): its memory
// controller registers that matter to firmware, the PAM0-6 shadow-RAM attributes at
// 0x59-0x5f and the SMRAM control at 0x72. The board owns the memory map, so changes are
// reported through callbacks. Defaults follow QEMU's hw/pci-host/i440fx.c (SMRAM 0x02).

import { PciDevice } from './pci-device.js';

export const I440FX_PAM = 0x59;
export const I440FX_PAM_COUNT = 7;
export const I440FX_SMRAM = 0x72;
/** Not an Intel register: QEMU puts the RAM size in 8 MiB units here for old coreboot. */
const COREBOOT_RAM_SIZE = 0x57;

const SMRAM_D_OPEN = 0x40;
const SMRAM_D_CLS = 0x20;
const SMRAM_D_LCK = 0x10;
const SMRAM_G_SMRAME = 0x08;
const SMRAM_C_BASE_SEG = 0x02;

export interface I440fxCallbacks {
  /** PAM register `index` (0-6, config 0x59+index) now holds `value`. */
  onPam?: (index: number, value: number) => void;
  /** SMRAM control register now holds `value`. */
  onSmram?: (value: number) => void;
}

export class I440fx extends PciDevice {
  private ramSizeUnits = 0;

  constructor(private readonly callbacks: I440fxCallbacks = {}) {
    super({ vendorId: 0x8086, deviceId: 0x1237, revision: 0x02, classCode: 0x060000 });
  }

  protected override initConfig(): void {
    super.initConfig();
    for (let i = 0; i < I440FX_PAM_COUNT; i++) this.writeMask[I440FX_PAM + i] = i === 0 ? 0x30 : 0x33;
    this.config[I440FX_SMRAM] = SMRAM_C_BASE_SEG;
    this.config[COREBOOT_RAM_SIZE] = this.ramSizeUnits;
    this.writeMask[I440FX_SMRAM] = SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME;
  }

  /** Records the board's RAM size in config 0x57 as QEMU does (8 MiB units, at most 255). */
  setRamSize(bytes: number): void {
    this.ramSizeUnits = Math.min(255, Math.floor(bytes / (8 << 20)));
    this.config[COREBOOT_RAM_SIZE] = this.ramSizeUnits;
  }

  override reset(): void {
    super.reset();
    for (let i = 0; i < I440FX_PAM_COUNT; i++) this.callbacks.onPam?.(i, 0);
    this.callbacks.onSmram?.(this.config[I440FX_SMRAM]);
  }

  override loadState(s: object): void {
    super.loadState(s);
    // The memory map follows the restored registers, as after the writes that set them.
    for (let i = 0; i < I440FX_PAM_COUNT; i++) this.callbacks.onPam?.(i, this.config[I440FX_PAM + i]);
    this.callbacks.onSmram?.(this.config[I440FX_SMRAM]);
  }

  override configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    const before = this.config.slice(I440FX_PAM, I440FX_SMRAM + 1);
    const locked = (this.config[I440FX_SMRAM] & SMRAM_D_LCK) !== 0;
    super.configWrite(offset, size, value);
    if (locked) {
      // D_LCK makes the register read-only until reset, and closes D_OPEN.
      this.config[I440FX_SMRAM] = before[I440FX_SMRAM - I440FX_PAM] & ~SMRAM_D_OPEN;
    } else if (this.config[I440FX_SMRAM] & SMRAM_D_LCK) {
      this.config[I440FX_SMRAM] &= ~SMRAM_D_OPEN;
    }
    for (let i = 0; i < I440FX_PAM_COUNT; i++) {
      if (this.config[I440FX_PAM + i] !== before[i]) this.callbacks.onPam?.(i, this.config[I440FX_PAM + i]);
    }
    if (this.config[I440FX_SMRAM] !== before[I440FX_SMRAM - I440FX_PAM]) this.callbacks.onSmram?.(this.config[I440FX_SMRAM]);
  }
}
