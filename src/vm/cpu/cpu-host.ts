// What the CPU needs from the board it sits on. The board (src/vm/machine) implements
// this; CPU tests implement it with plain RAM and no devices.

import type { Clock } from '../machine/clock.js';
import type { IoBus } from '../machine/io-bus.js';
import type { PhysicalMemory } from '../machine/physical-memory.js';

export interface InterruptController {
  /** The INTR line: a maskable interrupt is waiting (8259 PIC or local APIC). */
  hasInterrupt(): boolean;
  /** The INTA cycle: returns the vector (0-255) and marks it in service. */
  acknowledgeInterrupt(): number;
}

export interface CpuHost {
  readonly memory: PhysicalMemory;
  readonly io: IoBus;
  readonly interrupts: InterruptController;
  /** Virtual time; RDTSC derives from it. */
  readonly clock: Clock;
  /** IA32_APIC_BASE (MSR 0x1b) lives with the local APIC on the board. */
  readApicBase(): bigint;
  writeApicBase(value: bigint): void;
  /** A triple fault: the board resets the machine (or exits with -no-reboot). */
  tripleFault(): void;
}
