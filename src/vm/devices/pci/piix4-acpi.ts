// The PIIX4 power-management function, PCI 00:01.3 (8086:7113 rev 03, class 0680), as
// QEMU's pc machine has it (hw/acpi/piix4.c): the 64-byte PM I/O block at the base in
// config 0x40 (enabled by bit 0 of 0x80; QEMU's firmware puts it at 0x600) with PM1a
// status/enable (0x00/0x02), PM1a control (0x04) and the 24-bit PM timer at 3.579545 MHz
// (0x08); GPE0 status/enable at 0xafe0; the APM control port 0xb2 where ACPI_ENABLE
// (0xf1) and ACPI_DISABLE (0xf0) flip SCI_EN; and the SCI on its IRQ line (ISA IRQ 9).
// SLP_EN with sleep type 0 (QEMU's \_S5) or the S4 type 2 powers off; type 1 (S3) asks
// the board to suspend. The power button (`system_powerdown`) sets PWRBTN_STS when the
// guest enabled it. SMBus registers are plain storage.

import type { Clock, Timer } from '../../machine/clock.js';
import type { IoBus, IoSize, PortHandler } from '../../machine/io-bus.js';
import type { IrqLine } from '../../machine/irq.js';
import { nsForTicks, ticksIn } from '../tick-math.js';
import { PciDevice } from './pci-device.js';

export const PM_TIMER_HZ = 3579545;
export const QEMU_PM_BASE = 0x600;
export const QEMU_GPE0_BASE = 0xafe0;
const PM_BLOCK_SIZE = 64;
const GPE0_SIZE = 4;
const APM_CONTROL = 0xb2;

const PMBA = 0x40;
const PMREGMISC = 0x80;

const STS_TMR = 0x0001;
const STS_GBL = 0x0020;
const STS_PWRBTN = 0x0100;
const STS_RTC = 0x0400;
const SCI_EVENTS = STS_TMR | STS_GBL | STS_PWRBTN | STS_RTC;
const CNT_SCI_EN = 0x0001;
const CNT_SLP_EN = 0x2000;

const ACPI_ENABLE = 0xf1;
const ACPI_DISABLE = 0xf0;
const TIMER_BITS = 24;

export interface Piix4AcpiWiring {
  io: IoBus;
  clock: Clock;
  sci: IrqLine;
  /** S5 (or S4): the guest turned the machine off. */
  onPowerOff: () => void;
  /** S3 suspend-to-RAM request; ignored when absent. */
  onSuspend?: () => void;
}

export class Piix4Acpi extends PciDevice implements PortHandler {
  private pm1Status = 0;
  private pm1Enable = 0;
  private pm1Control = 0;
  private gpeStatus = 0;
  private gpeEnable = 0;
  private apmStatus = 0;
  private pmBase = -1;
  private serialPorts = 0;
  /** Virtual time of the next carry out of bit 23 of the PM timer. */
  private overflowNs = 0;
  private readonly overflowTimer: Timer;
  private readonly pmBlock: PortHandler;

  constructor(private readonly wiring: Piix4AcpiWiring) {
    super({ vendorId: 0x8086, deviceId: 0x7113, revision: 0x03, classCode: 0x068000, interruptPin: 1 });
    this.overflowTimer = wiring.clock.newTimer(() => this.onOverflow());
    this.pmBlock = {
      readPort: (port, size) => this.readPm(port - this.pmBase, size),
      writePort: (port, size, value) => this.writePm(port - this.pmBase, size, value),
    };
  }

  /** Claims the GPE0 block and the APM ports; the PM block follows config 0x40/0x80. */
  attach(io: IoBus): void {
    io.register(QEMU_GPE0_BASE, GPE0_SIZE, this, 'acpi-gpe0');
    io.register(APM_CONTROL, 2, this, 'apm-io');
  }

  protected override initConfig(): void {
    super.initConfig();
    this.config[0x06] = 0x80; // fast back-to-back
    this.config[0x07] = 0x02; // DEVSEL medium
    this.config[PMBA] = 0x01; // I/O space indicator
    this.writeMask[PMBA] = 0xc0;
    this.writeMask[PMBA + 1] = 0xff;
    this.writeMask[PMREGMISC] = 0x01;
    // SMBus base (QEMU: 0xb100) and host configuration; inert storage.
    this.config[0x90] = 0x01;
    this.config[0x91] = 0xb1;
    this.config[0xd2] = 0x09;
    this.writeMask.fill(0xff, 0x90, 0x92);
    this.writeMask[0x90] = 0xf0;
    this.writeMask[0xd2] = 0x0f;
    // termu's CPU has no SMM: mark SMM as set up (DEVACTB APMC_EN), as QEMU does without SMM,
    // or SeaBIOS would raise an SMI to relocate SMBASE and wait for it forever.
    this.config[0x5b] = 0x02;
    // Device resource bits QEMU sets for the legacy devices present (no parallel port here).
    this.config[0x5f] = 0x10;
    this.config[0x63] = 0x60;
    this.config[0x67] = serialResourceBits(this.serialPorts);
  }

  /** How many COM ports the board has; QEMU reflects COM1/COM2 in config 0x67. */
  setSerialPorts(count: number): void {
    this.serialPorts = count;
    this.config[0x67] = serialResourceBits(count);
  }

  override reset(): void {
    this.pm1Status = this.pm1Enable = this.pm1Control = 0;
    this.gpeStatus = this.gpeEnable = 0;
    this.apmStatus = 0;
    super.reset();
    this.remapPmBlock();
    this.computeOverflow();
    this.updateSci();
  }

  /** Maps the PM block at `base` as firmware does (PMBA and PMIOSE), for boots without firmware. */
  enablePmBlock(base = QEMU_PM_BASE): void {
    this.configWrite(PMBA, 4, base | 1);
    this.configWrite(PMREGMISC, 1, 1);
  }

  protected override configWritten(offset: number, size: number): void {
    if ((offset < PMBA + 4 && offset + size > PMBA) || (offset <= PMREGMISC && offset + size > PMREGMISC)) this.remapPmBlock();
  }

  private remapPmBlock(): void {
    const base = this.config[PMREGMISC] & 1 ? (this.get32(PMBA) & 0xffc0) : -1;
    if (base === this.pmBase) return;
    if (this.pmBase >= 0) this.wiring.io.unregister(this.pmBase, PM_BLOCK_SIZE);
    this.pmBase = base;
    if (base >= 0) this.wiring.io.register(base, PM_BLOCK_SIZE, this.pmBlock, 'piix4-pm');
  }

  /** Where the PM block decodes now (-1: off). */
  get pmIoBase(): number {
    return this.pmBase;
  }

  /** `system_powerdown`: a power-button press, seen only if the guest enabled PWRBTN_EN. */
  pressPowerButton(): void {
    if (this.pm1Enable & STS_PWRBTN) {
      this.pm1Status |= STS_PWRBTN;
      this.updateSci();
    }
  }

  /** Raises general-purpose event `bit` (hot-plug and the like). */
  raiseGpe(bit: number): void {
    this.gpeStatus |= 1 << bit;
    this.updateSci();
  }

  private timerValue(): number {
    return ticksIn(this.wiring.clock.now(), PM_TIMER_HZ) & ((1 << TIMER_BITS) - 1);
  }

  private computeOverflow(): void {
    const ticks = ticksIn(this.wiring.clock.now(), PM_TIMER_HZ);
    const next = (Math.floor(ticks / 2 ** (TIMER_BITS - 1)) + 1) * 2 ** (TIMER_BITS - 1);
    this.overflowNs = nsForTicks(next, PM_TIMER_HZ);
    if (this.pm1Enable & STS_TMR) this.overflowTimer.arm(this.overflowNs);
    else this.overflowTimer.cancel();
  }

  /** TMR_STS follows the timer's bit 23 toggling, whether or not its interrupt is enabled. */
  private catchUpTimer(): void {
    if (this.wiring.clock.now() >= this.overflowNs) {
      this.pm1Status |= STS_TMR;
      this.computeOverflow();
    }
  }

  private onOverflow(): void {
    this.catchUpTimer();
    this.updateSci();
  }

  private updateSci(): void {
    const level = (this.pm1Status & this.pm1Enable & SCI_EVENTS) !== 0 || (this.gpeStatus & this.gpeEnable) !== 0;
    this.wiring.sci.set(level);
  }

  private readPm(offset: number, size: IoSize): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readPmByte(offset + i) << (8 * i);
    return v >>> 0;
  }

  private readPmByte(offset: number): number {
    switch (offset >> 1) {
      case 0:
        this.catchUpTimer();
        return (this.pm1Status >> ((offset & 1) * 8)) & 0xff;
      case 1:
        return (this.pm1Enable >> ((offset & 1) * 8)) & 0xff;
      case 2:
        return (this.pm1Control >> ((offset & 1) * 8)) & 0xff;
      case 4:
      case 5:
        return (this.timerValue() >>> ((offset - 8) * 8)) & 0xff;
      default:
        return 0;
    }
  }

  private writePm(offset: number, size: IoSize, value: number): void {
    for (let i = 0; i < size; i++) this.writePmByte(offset + i, (value >>> (8 * i)) & 0xff);
    this.updateSci();
  }

  private writePmByte(offset: number, byte: number): void {
    const shift = (offset & 1) * 8;
    const merge = (reg: number) => (reg & ~(0xff << shift)) | (byte << shift);
    switch (offset >> 1) {
      case 0: {
        this.catchUpTimer();
        const clear = byte << shift;
        if (clear & this.pm1Status & STS_TMR) this.computeOverflow();
        this.pm1Status &= ~clear;
        return;
      }
      case 1:
        this.pm1Enable = merge(this.pm1Enable);
        this.computeOverflow();
        return;
      case 2:
        this.pm1Control = merge(this.pm1Control);
        if (this.pm1Control & CNT_SLP_EN) {
          this.pm1Control &= ~CNT_SLP_EN;
          this.sleep((this.pm1Control >> 10) & 7);
        }
        return;
      default:
        return;
    }
  }

  private sleep(type: number): void {
    if (type === 0 || type === 2) this.wiring.onPowerOff();
    else if (type === 1) this.wiring.onSuspend?.();
  }

  /** GPE0 block and APM ports. */
  readPort(port: number, _size: IoSize): number {
    if (port === APM_CONTROL) return 0;
    if (port === APM_CONTROL + 1) return this.apmStatus;
    const offset = port - QEMU_GPE0_BASE;
    return ((offset < 2 ? this.gpeStatus : this.gpeEnable) >> ((offset & 1) * 8)) & 0xff;
  }

  writePort(port: number, size: IoSize, value: number): void {
    if (port === APM_CONTROL) {
      value &= 0xff;
      if (value === ACPI_ENABLE) this.pm1Control |= CNT_SCI_EN;
      else if (value === ACPI_DISABLE) this.pm1Control &= ~CNT_SCI_EN;
      return;
    }
    if (port === APM_CONTROL + 1) {
      this.apmStatus = value & 0xff;
      return;
    }
    for (let i = 0; i < size; i++) {
      const offset = port - QEMU_GPE0_BASE + i;
      const byte = ((value >>> (8 * i)) & 0xff) << ((offset & 1) * 8);
      if (offset < 2) this.gpeStatus &= ~byte;
      else if (offset < 4) this.gpeEnable = (this.gpeEnable & ~(0xff << ((offset & 1) * 8))) | byte;
    }
    this.updateSci();
  }

  override saveState(): object {
    return {
      ...super.saveState(),
      pm1Status: this.pm1Status,
      pm1Enable: this.pm1Enable,
      pm1Control: this.pm1Control,
      gpeStatus: this.gpeStatus,
      gpeEnable: this.gpeEnable,
      apmStatus: this.apmStatus,
    };
  }

  override loadState(s: object): void {
    super.loadState(s);
    const st = s as Record<string, unknown>;
    const num = (k: string) => (typeof st[k] === 'number' ? (st[k] as number) & 0xffff : 0);
    this.pm1Status = num('pm1Status');
    this.pm1Enable = num('pm1Enable');
    this.pm1Control = num('pm1Control');
    this.gpeStatus = num('gpeStatus');
    this.gpeEnable = num('gpeEnable');
    this.apmStatus = num('apmStatus') & 0xff;
    this.remapPmBlock();
    this.computeOverflow();
    this.updateSci();
  }
}

/** DEVRESB bits for COM1 (0x08) and COM2 (0x90) as QEMU sets them. */
function serialResourceBits(count: number): number {
  return (count > 0 ? 0x08 : 0) | (count > 1 ? 0x90 : 0);
}
