// QEMU's `pc` machine (i440FX + PIIX3, PIIX4 power management): RAM, the port and MMIO
// buses, the chipset devices from src/vm/devices wired as the devices README describes,
// GSI routing to both the 8259 pair and the IOAPIC, and the CPU on top. The board is
// the CPU's CpuHost. It runs in the guest's worker thread; everything that leaves the
// guest (serial bytes, power events) goes out through BoardEvents.

import type { CpuHost } from '../cpu/cpu-host.js';
import { IoApic } from '../devices/apic/ioapic.js';
import { LocalApic } from '../devices/apic/local-apic.js';
import { Debugcon } from '../devices/debugcon.js';
import { DualPic } from '../devices/dual-pic.js';
import { FwCfg } from '../devices/fw-cfg.js';
import { Hpet } from '../devices/hpet.js';
import { I8042 } from '../devices/i8042.js';
import { IsaDebugExit } from '../devices/isa-debug-exit.js';
import { I440fx, type I440fxCallbacks } from '../devices/pci/i440fx.js';
import { PciHost } from '../devices/pci/pci-host.js';
import { Piix3Ide } from '../devices/pci/piix3-ide.js';
import { Piix3Isa } from '../devices/pci/piix3-isa.js';
import { Piix4Acpi } from '../devices/pci/piix4-acpi.js';
import { Pit } from '../devices/pit.js';
import { Port92 } from '../devices/port92.js';
import { Rtc } from '../devices/rtc.js';
import { SharedIrq } from '../devices/shared-irq.js';
import { SystemPortB } from '../devices/system-port-b.js';
import { COM_PORTS, Uart16550 } from '../devices/uart16550.js';
import type { BoardCpu } from './board-cpu.js';
import { TimerQueue } from './clock.js';
import { IoBus } from './io-bus.js';
import { IrqFanout, type IrqLine, type IrqSink } from './irq.js';
import { PhysicalMemory } from './physical-memory.js';

/** Where the guest's output and power events go (the worker forwards them to the main thread). */
export interface BoardEvents {
  serialOut(port: number, byte: number): void;
  debugconOut(byte: number): void;
  /** ACPI S5 (or another guest power-off). */
  powerOff(): void;
  /** isa-debug-exit: the process exit status. */
  debugExit(status: number): void;
  /** A reset the guest asked for (keyboard controller, port 0xcf9/0x92, triple fault). */
  resetRequested(cause: 'guest' | 'triple-fault'): void;
}

export interface BoardOptions {
  ramBytes: number;
  serialPorts: number;
  debugcon: boolean;
  isaDebugExit?: { iobase: number; iosize: number };
  rtcBase: 'utc' | 'localtime' | number;
  /** The PIIX IDE function (00:01.1) is plugged by the storage set-up (BiosHardware), not here. */
  externalIde?: boolean;
}

/** PCI slots of QEMU's pc machine: 00:00.0 host bridge, 00:01.x PIIX3/PIIX4 functions. */
const PIIX_SLOT = 1;
/** The PIRQ routes SeaBIOS programs (PIRQA-D → IRQ 10, 10, 11, 11); termu boots without it. */
export const PIRQ_ROUTES = [10, 10, 11, 11];
/** The IRQ the ACPI SCI uses on the pc machine. */
export const SCI_IRQ = 9;

export class PcBoard implements CpuHost {
  readonly memory: PhysicalMemory;
  readonly io = new IoBus();
  readonly clock = new TimerQueue();
  readonly pic: DualPic;
  readonly ioapic: IoApic;
  readonly lapic: LocalApic;
  readonly interrupts: LocalApic;
  readonly gsi: IrqFanout[] = [];
  readonly uarts: Uart16550[] = [];
  readonly acpi: Piix4Acpi;
  readonly pciHost = new PciHost();
  readonly isaBridge: Piix3Isa;
  readonly i8042: I8042;
  readonly rtc: Rtc;
  readonly pit: Pit;
  readonly hpet: Hpet;
  readonly fwCfg: FwCfg;
  /** Where the i440FX's PAM and SMRAM writes go (the firmware boot's PamShadow). */
  readonly chipsetHooks: I440fxCallbacks = {};
  readonly port92: Port92;
  readonly portB: SystemPortB;
  cpu!: BoardCpu;

  constructor(options: BoardOptions, private readonly events: BoardEvents) {
    this.memory = new PhysicalMemory(options.ramBytes);
    this.pic = new DualPic(() => this.wakeCpu());
    const sinks: IrqSink[] = [this.pic];
    for (let i = 0; i < 24; i++) this.gsi.push(new IrqFanout(sinks, i));
    this.lapic = new LocalApic({
      memory: this.memory,
      clock: this.clock,
      pic: this.pic,
      onNmi: () => this.wakeCpu(),
      onLevelEoi: (v) => this.ioapic.eoi(v),
      onInterrupt: () => this.wakeCpu(),
    });
    this.interrupts = this.lapic;
    this.ioapic = new IoApic(this.memory, (msg) => this.lapic.deliver(msg));
    sinks.push(this.ioapic);

    const io = this.io;
    this.pic.attach(io);
    // The PIT's and RTC's interrupts pass through the HPET, which takes IRQ0 and IRQ8 over in legacy mode.
    this.hpet = new Hpet({ clock: this.clock, memory: this.memory, gsi: this.gsi });
    this.hpet.attach();
    this.pit = new Pit(this.clock, this.hpet.pitInput);
    this.pit.attach(io);
    this.portB = new SystemPortB(this.pit.channels[2]);
    this.portB.attach(io);
    const ramBelow4g = options.ramBytes;
    this.rtc = new Rtc(this.clock, this.hpet.rtcInput, { base: options.rtcBase, cmos: { ramBelow4g } });
    this.rtc.attach(io);
    this.i8042 = new I8042({
      kbdIrq: this.gsi[1],
      auxIrq: this.gsi[12],
      onA20: (on) => this.cpu.setA20(on),
      onReset: () => this.events.resetRequested('guest'),
    });
    this.i8042.attach(io);
    this.port92 = new Port92((on) => this.cpu.setA20(on), () => this.events.resetRequested('guest'));
    this.port92.attach(io);

    const sharedIrq4 = new SharedIrq(this.gsi[4]);
    const sharedIrq3 = new SharedIrq(this.gsi[3]);
    for (let i = 0; i < options.serialPorts && i < COM_PORTS.length; i++) {
      const { base, irq } = COM_PORTS[i];
      const line: IrqLine = (irq === 4 ? sharedIrq4 : sharedIrq3).line();
      const uart = new Uart16550(this.clock, line, { write: (b) => this.events.serialOut(i, b) }, base);
      uart.attach(io);
      this.uarts.push(uart);
    }
    if (options.debugcon) new Debugcon((b) => this.events.debugconOut(b)).attach(io);
    if (options.isaDebugExit) {
      const { iobase, iosize } = options.isaDebugExit;
      new IsaDebugExit((status) => this.events.debugExit(status), iobase, iosize).attach(io);
    }

    this.pciHost.attach(io);
    this.pciHost.add(0, 0, new I440fx({ onPam: (i, v) => this.chipsetHooks.onPam?.(i, v), onSmram: (v) => this.chipsetHooks.onSmram?.(v) }));
    this.isaBridge = new Piix3Isa({ setIrq: (irq, level) => this.gsi[irq].set(level) }, () => this.events.resetRequested('guest'));
    this.pciHost.add(PIIX_SLOT, 0, this.isaBridge);
    this.isaBridge.attach(io);
    if (!options.externalIde) this.pciHost.add(PIIX_SLOT, 1, new Piix3Ide());
    this.acpi = new Piix4Acpi({ io, clock: this.clock, sci: this.gsi[SCI_IRQ], onPowerOff: () => this.events.powerOff() });
    this.pciHost.add(PIIX_SLOT, 3, this.acpi);
    this.acpi.attach(io);
    this.fwCfg = new FwCfg(this.memory);
    this.fwCfg.attach(io);
  }

  /** Installs the CPU (the board exists first: the CPU's constructor needs the board as host). */
  setCpu(cpu: BoardCpu): void {
    this.cpu = cpu;
  }

  private wakeCpu(): void {
    // Interrupts raised by devices inside the run loop are seen by the CPU at the next
    // instruction boundary; leaving run() early makes a halted CPU take them at once.
    this.cpu?.requestExit();
  }

  /** What firmware would have done before handing over to a kernel: PCI IRQ routing, IDE decode, PM I/O. */
  setUpWithoutFirmware(): void {
    this.acpi.enablePmBlock();
    // PIRQ routes and the ELCR bits for the level-triggered PCI IRQs, as SeaBIOS leaves them.
    this.pciHost.writePort(0xcf8, 4, 0x80000000 | (PIIX_SLOT << 11) | 0x60);
    this.pciHost.writePort(0xcfc, 4, PIRQ_ROUTES[0] | (PIRQ_ROUTES[1] << 8) | (PIRQ_ROUTES[2] << 16) | (PIRQ_ROUTES[3] << 24));
    // IDE decode enable for both channels (IDETIM bit 15), as SeaBIOS's piix_ide_setup
    // leaves it: Linux's ata_piix skips a channel whose enable bit is clear.
    this.pciHost.writePort(0xcf8, 4, 0x80000000 | (PIIX_SLOT << 11) | (1 << 8) | 0x40);
    this.pciHost.writePort(0xcfc, 4, 0x80008000);
    let elcr = 0;
    for (const irq of PIRQ_ROUTES) elcr |= 1 << irq;
    this.io.write(0x4d0, 1, elcr & 0xff);
    this.io.write(0x4d1, 1, elcr >> 8);
  }

  readApicBase(): bigint {
    return this.lapic.readBaseMsr();
  }

  writeApicBase(value: bigint): void {
    this.lapic.writeBaseMsr(value);
  }

  tripleFault(): void {
    this.events.resetRequested('triple-fault');
  }

  /** A system reset: every device and the CPU go back to their power-on state. */
  reset(): void {
    this.pic.reset();
    this.pit.reset();
    this.hpet.reset();
    this.i8042.reset();
    this.port92.reset();
    this.lapic.reset();
    this.ioapic.reset();
    this.pciHost.reset();
    this.rtc.reset();
    this.fwCfg.reset();
    for (const u of this.uarts) u.reset();
    this.cpu.reset();
  }
}
