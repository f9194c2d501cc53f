// The 82078-compatible floppy disk controller at 0x3f0-0x3f5/0x3f7 (IRQ 6, ISA DMA
// channel 2), with two drives, after QEMU's hw/block/fdc.c: the command/execution/result
// phases, READ/WRITE DATA by DMA or PIO with multi-track and EOT handling, SEEK,
// RECALIBRATE, SENSE INTERRUPT (four ready-change reports after reset), SPECIFY, READ ID,
// SENSE DRIVE STATUS, CONFIGURE, VERSION, DUMPREG, LOCK, PERPENDICULAR MODE and PART ID.

import type { IoBus, IoSize, PortHandler } from '../../machine/io-bus.js';
import type { IrqLine } from '../../machine/irq.js';
import { FloppyDrive } from './floppy-drive.js';
import { DMA_READ_MEMORY, DMA_WRITE_MEMORY, type IsaDma } from './isa-dma.js';
import type { BlockDriver } from '../../block/block-driver.js';
import { loadFields, saveFields } from '../ide/saved-fields.js';

export const FLOPPY_DMA_CHANNEL = 2;
const CONTROLLER_FIELDS = ['dor', 'tdr', 'dsr', 'msr', 'sra', 'srb', 'status0', 'resetSenseInterrupts', 'config', 'precompensation', 'lock', 'stepRate', 'headLoad', 'phase', 'fifo', 'dataPos', 'dataLen', 'direction', 'multiTrack', 'endOfTrack', 'sectorBuffer'];
const DRIVE_FIELDS = ['track', 'head', 'sector', 'mediaChanged', 'perpendicular'];
const SECTOR = 512;

// Main status register.
const MSR_BUSY = 0x10;
const MSR_NON_DMA = 0x20;
const MSR_DIO = 0x40;
const MSR_RQM = 0x80;
// Digital output register.
const DOR_SELECT_MASK = 0x03;
const DOR_NRESET = 0x04;
const DOR_DMA_ENABLE = 0x08;
// Data rate select register.
const DSR_RATE_MASK = 0x03;
const DSR_POWER_DOWN = 0x40;
const DSR_SOFTWARE_RESET = 0x80;
// Status register A.
const SRA_NOT_DRIVE2 = 0x40;
const SRA_INTERRUPT_PENDING = 0x80;
// ST0 and ST1.
const ST0_SEEK_END = 0x20;
const ST0_ABNORMAL = 0x40;
const ST0_INVALID = 0x80;
const ST0_READY_CHANGE = 0xc0;
const ST1_MISSING_ADDRESS_MARK = 0x01;
const ST1_NOT_WRITABLE = 0x02;
/** The 82078's VERSION and PART ID answers. */
const VERSION_82078 = 0x90;
const PART_ID_82078 = 0x41;
const RESET_SENSE_INTERRUPTS = 4;

const enum Phase {
  Command,
  Execution,
  Result,
}

const enum Direction {
  Read,
  Write,
  Verify,
}

/** Parameter bytes after the opcode, and the handler, by opcode (after masking off MT/MFM/SK). */
interface CommandSpec {
  mask: number;
  opcode: number;
  params: number;
  run: (fdc: FloppyController) => void;
}

export class FloppyController implements PortHandler {
  readonly drives: [FloppyDrive, FloppyDrive];
  private dor = DOR_NRESET | DOR_DMA_ENABLE;
  private tdr = 0;
  private dsr = 0;
  private msr = MSR_RQM;
  private sra = 0;
  private srb = 0xc0;
  private status0 = 0;
  private resetSenseInterrupts = 0;
  private config = 0x60; // implied seek off, FIFO off, polling on — the 82078's reset value
  private precompensation = 0;
  private lock = 0;
  private stepRate = 0;
  private headLoad = 0;
  private phase = Phase.Command;
  private readonly fifo = new Uint8Array(SECTOR);
  private dataPos = 0;
  private dataLen = 0;
  private spec: CommandSpec | undefined;
  // Execution-phase state of READ/WRITE DATA.
  private direction = Direction.Read;
  private multiTrack = false;
  private endOfTrack = 0;
  private readonly sectorBuffer = new Uint8Array(SECTOR);

  constructor(
    private readonly irq: IrqLine,
    private readonly dma: IsaDma | undefined,
    fda: BlockDriver | undefined,
    fdb: BlockDriver | undefined,
  ) {
    this.drives = [new FloppyDrive(fda), new FloppyDrive(fdb)];
    this.resetController(false);
  }

  /** System reset (QEMU's external reset of the ISA controller): no interrupt. */
  reset(): void {
    this.resetController(false);
  }

  /** Claims 0x3f1-0x3f5 and 0x3f7 (QEMU's ISA controller leaves 0x3f0 and the IDE's 0x3f6 alone). */
  attach(io: IoBus): void {
    io.register(0x3f1, 5, this, 'fdc');
    io.register(0x3f7, 1, this, 'fdc');
  }

  private get drive(): FloppyDrive {
    return this.drives[this.dor & 1];
  }

  private selectDrive(n: number): void {
    this.dor = (this.dor & ~DOR_SELECT_MASK) | (n & 1);
  }

  saveState(): object {
    return {
      ...saveFields(this, CONTROLLER_FIELDS),
      command: this.spec ? COMMANDS.indexOf(this.spec) : -2,
      drives: this.drives.map((d) => saveFields(d, DRIVE_FIELDS)),
    };
  }

  loadState(state: object): void {
    const st = state as Record<string, unknown> & { command?: number; drives?: Record<string, unknown>[] };
    loadFields(this, st, CONTROLLER_FIELDS);
    st.drives?.forEach((d, i) => this.drives[i] && loadFields(this.drives[i], d, DRIVE_FIELDS));
    this.spec = st.command === undefined || st.command === -2 ? undefined : (COMMANDS[st.command] ?? INVALID);
    // A data command waiting for the DMA controller asks again.
    if (this.phase === Phase.Execution && !(this.msr & MSR_RQM) && this.dma) {
      this.dma.holdRequest(FLOPPY_DMA_CHANNEL, () => this.runDma());
    }
  }

  /** The monitor's `change`/`eject` for fda/fdb. */
  changeMedium(unit: 0 | 1, medium: BlockDriver | undefined): void {
    this.drives[unit].medium?.close();
    this.drives[unit].insert(medium);
  }

  // ---- ports ---------------------------------------------------------------------------

  readPort(port: number, _size: IoSize): number {
    switch (port & 7) {
      case 1:
        return this.srb;
      case 2:
        return this.dor;
      case 3:
        return this.tdr;
      case 4:
        this.dsr &= ~DSR_POWER_DOWN;
        this.dor |= DOR_NRESET;
        return this.msr;
      case 5:
        return this.readFifo();
      case 7:
        return this.drive.mediaChanged ? 0x80 : 0;
      default:
        return 0xff;
    }
  }

  writePort(port: number, _size: IoSize, value: number): void {
    value &= 0xff;
    switch (port & 7) {
      case 2:
        this.writeDor(value);
        break;
      case 3:
        this.tdr = value & 3;
        break;
      case 4:
        if (value & DSR_SOFTWARE_RESET) {
          this.dor &= ~DOR_NRESET;
          this.resetController(true);
          this.dor |= DOR_NRESET;
        }
        if (value & DSR_POWER_DOWN) this.resetController(true);
        this.dsr = value;
        break;
      case 5:
        this.writeFifo(value);
        break;
      case 7:
        this.dsr = (this.dsr & ~DSR_RATE_MASK) | (value & DSR_RATE_MASK);
        break;
    }
  }

  private writeDor(value: number): void {
    if (value & DOR_NRESET && !(this.dor & DOR_NRESET)) {
      this.resetController(true);
      this.dsr &= ~DSR_POWER_DOWN;
    }
    this.dor = value;
  }

  // ---- reset, interrupts, phases -------------------------------------------------------

  private resetController(withInterrupt: boolean): void {
    this.lowerIrq();
    this.sra = this.drives[1].medium ? 0 : SRA_NOT_DRIVE2;
    this.srb = 0xc0;
    this.dor = DOR_NRESET | (this.dma ? DOR_DMA_ENABLE : 0);
    this.msr = MSR_RQM;
    this.resetSenseInterrupts = 0;
    this.dataPos = this.dataLen = 0;
    this.dma?.releaseRequest(FLOPPY_DMA_CHANNEL);
    for (const d of this.drives) d.recalibrate();
    this.toCommandPhase();
    if (withInterrupt) {
      this.status0 |= ST0_READY_CHANGE;
      this.raiseIrq();
      this.resetSenseInterrupts = RESET_SENSE_INTERRUPTS;
    }
  }

  private raiseIrq(): void {
    if (!(this.sra & SRA_INTERRUPT_PENDING)) {
      this.irq.set(true);
      this.sra |= SRA_INTERRUPT_PENDING;
    }
    this.resetSenseInterrupts = 0;
  }

  private lowerIrq(): void {
    this.status0 = 0;
    if (this.sra & SRA_INTERRUPT_PENDING) {
      this.irq.set(false);
      this.sra &= ~SRA_INTERRUPT_PENDING;
    }
  }

  private toCommandPhase(): void {
    this.phase = Phase.Command;
    this.dataPos = 0;
    this.dataLen = 1;
    this.spec = undefined;
    this.msr = (this.msr & ~(MSR_BUSY | MSR_DIO | MSR_NON_DMA)) | MSR_RQM;
  }

  private toResultPhase(length: number): void {
    this.phase = Phase.Result;
    this.dataPos = 0;
    this.dataLen = length;
    this.msr = (this.msr & ~MSR_NON_DMA) | MSR_RQM | MSR_DIO | MSR_BUSY;
  }

  /**
   * Ends a data command: the seven result bytes and an interrupt. ST0 also carries the
   * seek-end bit gathered while the command moved the head (QEMU 7.2 keeps it in status0).
   */
  private stopTransfer(st0: number, st1: number, st2: number): void {
    const d = this.drive;
    this.dma?.releaseRequest(FLOPPY_DMA_CHANNEL);
    this.status0 = (this.status0 & ~0x07) | st0 | (d.head << 2) | (this.dor & 1);
    this.fifo[0] = this.status0;
    this.fifo[1] = st1;
    this.fifo[2] = st2;
    this.fifo[3] = d.track;
    this.fifo[4] = d.head;
    this.fifo[5] = d.sector;
    this.fifo[6] = 2; // 512-byte sectors
    this.toResultPhase(7);
    this.raiseIrq();
  }

  // ---- FIFO ----------------------------------------------------------------------------

  private readFifo(): number {
    if (!(this.msr & MSR_RQM) || !(this.msr & MSR_DIO)) return 0;
    if (this.phase === Phase.Execution) return this.pioReadByte();
    const v = this.fifo[this.dataPos++];
    if (this.dataPos >= this.dataLen) {
      this.toCommandPhase();
      this.lowerIrq();
    }
    return v;
  }

  private writeFifo(value: number): void {
    if (!(this.msr & MSR_RQM) || this.msr & MSR_DIO) return;
    if (this.phase === Phase.Execution) return this.pioWriteByte(value);
    if (this.dataPos === 0) {
      this.spec = COMMANDS.find((c) => (value & c.mask) === c.opcode) ?? INVALID;
      this.dataLen = this.spec.params + 1;
      this.msr |= MSR_BUSY;
    }
    this.fifo[this.dataPos++] = value;
    if (this.dataPos < this.dataLen) return;
    this.dataPos = 0;
    this.spec!.run(this);
  }

  // ---- commands ------------------------------------------------------------------------

  /** Command handlers; `fifo` holds the opcode and its parameters. */
  static readonly handlers = {
    invalid(f: FloppyController): void {
      f.fifo[0] = ST0_INVALID;
      f.toResultPhase(1);
    },
    senseInterrupt(f: FloppyController): void {
      if (f.resetSenseInterrupts > 0) {
        f.fifo[0] = ST0_READY_CHANGE + RESET_SENSE_INTERRUPTS - f.resetSenseInterrupts;
        f.resetSenseInterrupts--;
      } else if (!(f.sra & SRA_INTERRUPT_PENDING)) {
        f.fifo[0] = ST0_INVALID;
        f.toResultPhase(1);
        return;
      } else {
        f.fifo[0] = (f.status0 & ~0x07) | (f.dor & 1);
      }
      f.fifo[1] = f.drive.track;
      f.toResultPhase(2);
      f.lowerIrq();
      f.status0 = ST0_READY_CHANGE;
    },
    specify(f: FloppyController): void {
      f.stepRate = f.fifo[1] >>> 4; // QEMU keeps only the step rate (and DUMPREG shows just that)
      f.headLoad = f.fifo[2] >>> 1;
      // Bit 0 of the second byte is ND: non-DMA mode.
      if (f.fifo[2] & 1) f.dor &= ~DOR_DMA_ENABLE;
      else f.dor |= DOR_DMA_ENABLE;
      f.toCommandPhase();
    },
    senseDriveStatus(f: FloppyController): void {
      f.selectDrive(f.fifo[1]);
      const d = f.drive;
      d.head = (f.fifo[1] >>> 2) & 1;
      // ST3: write protect, ready, track 0, two-sided, head, drive.
      f.fifo[0] = (d.readOnly ? 0x40 : 0) | (d.track === 0 ? 0x10 : 0) | (d.head << 2) | (f.dor & 1) | 0x28;
      f.toResultPhase(1);
    },
    recalibrate(f: FloppyController): void {
      f.selectDrive(f.fifo[1]);
      f.drive.recalibrate();
      f.toCommandPhase();
      f.status0 |= ST0_SEEK_END;
      f.raiseIrq();
    },
    seek(f: FloppyController): void {
      f.selectDrive(f.fifo[1]);
      const d = f.drive;
      f.seekTo(d, (f.fifo[1] >>> 2) & 1, f.fifo[2], d.sector);
      f.toCommandPhase();
      f.status0 |= ST0_SEEK_END;
      f.raiseIrq();
    },
    readId(f: FloppyController): void {
      f.selectDrive(f.fifo[1]);
      const d = f.drive;
      d.head = (f.fifo[1] >>> 2) & 1;
      // The disk spins under the head: each READ ID sees the next sector.
      d.sector = (d.sector % d.format.sectors) + 1;
      if ((f.dsr & DSR_RATE_MASK) !== d.format.rate || !d.medium) f.stopTransfer(ST0_ABNORMAL, ST1_MISSING_ADDRESS_MARK, 0);
      else f.stopTransfer(0, 0, 0);
    },
    configure(f: FloppyController): void {
      f.config = f.fifo[2];
      f.precompensation = f.fifo[3];
      f.toCommandPhase();
    },
    perpendicular(f: FloppyController): void {
      if (f.fifo[1] & 0x80) f.drive.perpendicular = f.fifo[1] & 7;
      f.toCommandPhase();
    },
    version(f: FloppyController): void {
      f.fifo[0] = VERSION_82078;
      f.toResultPhase(1);
    },
    partId(f: FloppyController): void {
      f.fifo[0] = PART_ID_82078;
      f.toResultPhase(1);
    },
    lock(f: FloppyController): void {
      f.lock = f.fifo[0] & 0x80 ? 1 : 0;
      f.fifo[0] = f.lock << 4;
      f.toResultPhase(1);
    },
    dumpRegisters(f: FloppyController): void {
      f.fifo[0] = f.drives[0].track;
      f.fifo[1] = f.drives[1].track;
      f.fifo[2] = 0;
      f.fifo[3] = 0;
      f.fifo[4] = f.stepRate;
      f.fifo[5] = (f.headLoad << 1) | (f.dor & DOR_DMA_ENABLE ? 1 : 0);
      f.fifo[6] = f.drive.format.sectors;
      f.fifo[7] = (f.lock << 7) | (f.drive.perpendicular << 2);
      f.fifo[8] = f.config;
      f.fifo[9] = f.precompensation;
      f.toResultPhase(10);
    },
    read(f: FloppyController): void {
      f.startTransfer(Direction.Read);
    },
    write(f: FloppyController): void {
      f.startTransfer(Direction.Write);
    },
    verify(f: FloppyController): void {
      f.startTransfer(Direction.Verify);
    },
  };

  /**
   * Moves the head; 0 = no move, 1 = moved to another track, 2 = no such place or no
   * medium. Like QEMU, one track past the last is reachable (and reads as zeros).
   */
  private seekTo(d: FloppyDrive, head: number, track: number, sector: number): number {
    if (track > d.format.tracks || (head !== 0 && d.format.heads === 1)) return 2;
    if (sector > d.format.sectors) return 2;
    let moved = 0;
    if (d.track !== track) {
      if (d.medium) d.mediaChanged = false;
      moved = 1;
    }
    d.head = head;
    d.track = track;
    d.sector = sector;
    return d.medium ? moved : 2;
  }

  private startTransfer(direction: Direction): void {
    const f = this.fifo;
    this.selectDrive(f[1]);
    const d = this.drive;
    const [track, head, sector] = [f[2], f[3], f[4]];
    const seek = this.seekTo(d, head, track, sector);
    if (seek === 2) {
      this.stopTransfer(ST0_ABNORMAL, d.medium ? 0 : ST1_MISSING_ADDRESS_MARK, 0);
      this.fifo.set([track, head, sector], 3);
      return;
    }
    if ((this.dsr & DSR_RATE_MASK) !== d.format.rate) {
      // Wrong data rate for this medium: nothing readable (SeaBIOS probes rates this way).
      this.stopTransfer(ST0_ABNORMAL, ST1_MISSING_ADDRESS_MARK, 0);
      this.fifo.set([track, head, sector], 3);
      return;
    }
    if (direction === Direction.Write && d.readOnly) {
      this.stopTransfer(ST0_ABNORMAL | ST0_SEEK_END, ST1_NOT_WRITABLE, 0);
      return;
    }
    this.direction = direction;
    if (seek === 1) this.status0 |= ST0_SEEK_END;
    this.multiTrack = (f[0] & 0x80) !== 0;
    this.endOfTrack = f[6];
    // Bytes up to the end of the track (both sides with MT), or DTL for 128-byte sectors.
    const sizeCode = Math.min(f[5], 7);
    const sectorsLeft = f[6] - sector + 1 + (this.multiTrack ? f[6] : 0);
    this.dataLen = f[5] === 0 ? f[8] : (128 << sizeCode) * Math.max(0, sectorsLeft);
    this.dataPos = 0;
    this.phase = Phase.Execution;
    if (this.dor & DOR_DMA_ENABLE && this.dma) {
      const type = this.dma.transferType(FLOPPY_DMA_CHANNEL);
      const wanted = direction === Direction.Read ? DMA_WRITE_MEMORY : direction === Direction.Write ? DMA_READ_MEMORY : -1;
      if (direction === Direction.Verify) {
        this.runDma();
        return;
      }
      if (type === wanted) {
        this.msr &= ~MSR_RQM;
        this.dma.holdRequest(FLOPPY_DMA_CHANNEL, () => this.runDma());
        return;
      }
    }
    // PIO ("non-DMA") transfer through the FIFO.
    this.msr |= MSR_NON_DMA | MSR_RQM;
    if (direction !== Direction.Write) this.msr |= MSR_DIO;
    else this.msr &= ~MSR_DIO;
    this.raiseIrq();
  }

  /** Next sector after the current one; false at the end of the track (or cylinder with MT). */
  private advanceSector(d: FloppyDrive): boolean {
    let { head, track, sector } = d;
    let more = true;
    if (sector >= d.format.sectors || sector === this.endOfTrack) {
      sector = 1;
      if (this.multiTrack && head === 0 && d.format.heads === 2) {
        head = 1;
      } else {
        head = 0;
        track++;
        this.status0 |= ST0_SEEK_END;
        more = false;
      }
    } else {
      sector++;
    }
    d.head = head;
    if (d.track !== track) d.mediaChanged = false;
    d.track = track;
    d.sector = sector;
    return more;
  }

  private sectorOffset(d: FloppyDrive): number {
    return d.lba(d.head, d.track, d.sector) * SECTOR;
  }

  /** Sectors beyond the end of the image read as zeros (QEMU's behaviour for short images). */
  private readSector(d: FloppyDrive, offset: number, buf: Uint8Array): void {
    if (offset + SECTOR > d.medium!.length) buf.fill(0);
    else d.medium!.read(offset, buf);
  }

  /** The DMA controller lets data move: sector by sector until TC, the end of track or an error. */
  private runDma(): void {
    const d = this.drive;
    const dma = this.dma!;
    const buf = this.sectorBuffer;
    let st0 = 0;
    let st1 = 0;
    let budget = this.direction === Direction.Verify ? this.dataLen : Math.min(this.dataLen, dma.remaining(FLOPPY_DMA_CHANNEL));
    try {
      while (budget > 0) {
        const n = Math.min(SECTOR, budget);
        const offset = this.sectorOffset(d);
        if (this.direction === Direction.Write) {
          if (offset + SECTOR > d.medium!.length) throw new Error('write beyond the end of the image');
          if (n < SECTOR) this.readSector(d, offset, buf);
          dma.readMemory(FLOPPY_DMA_CHANNEL, buf.subarray(0, n));
          d.medium!.write(offset, buf);
        } else {
          this.readSector(d, offset, buf);
          if (this.direction === Direction.Read) dma.writeMemory(FLOPPY_DMA_CHANNEL, buf.subarray(0, n));
        }
        budget -= n;
        if (n < SECTOR) break;
        if (!this.advanceSector(d)) break;
      }
    } catch {
      st0 |= ST0_ABNORMAL;
      st1 |= ST1_MISSING_ADDRESS_MARK;
    }
    this.stopTransfer(st0, st1, 0);
  }

  private pioReadByte(): number {
    const d = this.drive;
    const rel = this.dataPos % SECTOR;
    if (rel === 0) {
      if (this.dataPos > 0 && !this.advanceSector(d)) {
        this.stopTransfer(0, 0, 0);
        return 0;
      }
      try {
        this.readSector(d, this.sectorOffset(d), this.sectorBuffer);
      } catch {
        this.stopTransfer(ST0_ABNORMAL, ST1_MISSING_ADDRESS_MARK, 0);
        return 0;
      }
    }
    const v = this.sectorBuffer[rel];
    this.dataPos++;
    // As in QEMU, a PIO read's result names the last sector read, not the next one.
    if (this.dataPos >= this.dataLen) this.stopTransfer(0, 0, 0);
    return v;
  }

  private pioWriteByte(value: number): void {
    const d = this.drive;
    this.sectorBuffer[this.dataPos % SECTOR] = value;
    this.dataPos++;
    if (this.dataPos % SECTOR !== 0 && this.dataPos < this.dataLen) return;
    try {
      const offset = this.sectorOffset(d);
      if (offset + SECTOR > d.medium!.length) throw new Error('write beyond the end of the image');
      d.medium!.write(offset, this.sectorBuffer);
    } catch {
      this.stopTransfer(ST0_ABNORMAL, ST1_NOT_WRITABLE, 0);
      return;
    }
    const more = this.advanceSector(d);
    if (this.dataPos >= this.dataLen || !more) this.stopTransfer(0, 0, 0);
  }
}

const H = FloppyController.handlers;
const COMMANDS: CommandSpec[] = [
  { mask: 0x1f, opcode: 0x06, params: 8, run: H.read },
  { mask: 0x3f, opcode: 0x05, params: 8, run: H.write },
  { mask: 0x1f, opcode: 0x16, params: 8, run: H.verify },
  { mask: 0xff, opcode: 0x0f, params: 2, run: H.seek },
  { mask: 0xff, opcode: 0x08, params: 0, run: H.senseInterrupt },
  { mask: 0xff, opcode: 0x07, params: 1, run: H.recalibrate },
  { mask: 0xbf, opcode: 0x0a, params: 1, run: H.readId },
  { mask: 0xff, opcode: 0x03, params: 2, run: H.specify },
  { mask: 0xff, opcode: 0x04, params: 1, run: H.senseDriveStatus },
  { mask: 0xff, opcode: 0x12, params: 1, run: H.perpendicular },
  { mask: 0xff, opcode: 0x13, params: 3, run: H.configure },
  { mask: 0x7f, opcode: 0x14, params: 0, run: H.lock },
  { mask: 0xff, opcode: 0x0e, params: 0, run: H.dumpRegisters },
  { mask: 0xff, opcode: 0x10, params: 0, run: H.version },
  { mask: 0xff, opcode: 0x18, params: 0, run: H.partId },
];
const INVALID: CommandSpec = { mask: 0, opcode: 0, params: 0, run: H.invalid };
