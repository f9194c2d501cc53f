// A bare board for CPU tests: RAM, an I/O bus with nothing on it (ports read all-ones),
// no interrupt source, a manual clock, and a record of triple faults.

import type { CpuHost, InterruptController } from '../../src/vm/cpu/cpu-host.js';
import { PhysicalMemory } from '../../src/vm/machine/physical-memory.js';
import { IoBus } from '../../src/vm/machine/io-bus.js';
import { TimerQueue } from '../../src/vm/machine/clock.js';

export class TestHost implements CpuHost {
  readonly memory: PhysicalMemory;
  readonly io = new IoBus();
  readonly clock = new TimerQueue();
  /** Vectors queued as if from an interrupt controller. */
  readonly pendingVectors: number[] = [];
  readonly interrupts: InterruptController = {
    hasInterrupt: () => this.pendingVectors.length > 0,
    acknowledgeInterrupt: () => this.pendingVectors.shift() ?? 0x0f,
  };
  apicBase = 0xfee00900n;
  tripleFaults = 0;

  constructor(ramBytes: number) {
    this.memory = new PhysicalMemory(ramBytes);
  }

  readApicBase(): bigint {
    return this.apicBase;
  }

  writeApicBase(value: bigint): void {
    this.apicBase = value;
  }

  tripleFault(): void {
    this.tripleFaults++;
  }
}
