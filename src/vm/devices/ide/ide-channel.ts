// One IDE channel (QEMU's hw/ide/core.c): two device positions sharing the task-file
// ports, the ATA command set for disks (PIO single/multiple, DMA, LBA28/LBA48/CHS), the
// PACKET protocol for the ATAPI CD-ROM, IRQ and bus-master DMA hand-off. Commands complete
// synchronously; the guest sees their results at the next port access, like a fast drive.

import type { IoSize, PortHandler } from '../../machine/io-bus.js';
import type { IrqLine } from '../../machine/irq.js';
import * as A from './ata-constants.js';
import { executeAtapi } from './atapi.js';
import { BM_STATUS_ERROR, BM_STATUS_INTERRUPT, type BusMasterDma } from './bus-master-dma.js';
import { CD_SECTOR_SIZE, type IdeDrive, MAX_MULTIPLE_SECTORS, SECTOR_SIZE } from './ide-drive.js';
import { loadFields, saveFields } from './saved-fields.js';

/** ATAPI interrupt reason bits in the sector count register. */
const REASON_COD = 0x01;
const REASON_IO = 0x02;
/** Bits 5 and 7 of the drive/head register read as one. */
const SELECT_ALWAYS_ON = 0xa0;
const PACKET_SIZE = 12;
/** The largest PIO block: 0xfffe bytes of ATAPI data. */
const BUFFER_SIZE = 0x10000;

const SET_FEATURES_ACCEPTED = new Set([0x02, 0x03, 0x05, 0x42, 0x55, 0x66, 0x82, 0x85, 0xaa, 0xc2, 0xcc]);
/** The ATA commands an ATAPI device accepts; everything else is aborted. */
const CDROM_COMMANDS = new Set([
  A.ATA_NOP,
  A.ATA_DEVICE_RESET,
  A.ATA_EXECUTE_DIAGNOSTIC,
  A.ATA_PACKET,
  A.ATA_IDENTIFY_PACKET,
  A.ATA_IDENTIFY,
  A.ATA_SET_FEATURES,
  A.ATA_CHECK_POWER_MODE,
  A.ATA_STANDBY_IMMEDIATE,
  A.ATA_IDLE_IMMEDIATE,
  A.ATA_STANDBY,
  A.ATA_IDLE,
  A.ATA_SLEEP,
]);

/** What happens when the guest has read or written the whole PIO buffer. */
const enum PioEnd {
  Stop,
  ReadSectors,
  WriteSectors,
  Packet,
  AtapiData,
}

const UNIT_FIELDS = ['feature', 'nsector', 'sector', 'lcyl', 'hcyl', 'hobFeature', 'hobNsector', 'hobSector', 'hobLcyl', 'hobHcyl', 'select', 'status', 'error', 'multipleSectors', 'lba48', 'heads', 'sectors'];
const CHANNEL_FIELDS = ['selected', 'control', 'buffer', 'bufferPos', 'bufferEnd', 'pioEnd', 'transferUnit', 'nextSector', 'sectorsLeft', 'blockSectors', 'atapiLba', 'atapiBytesTotal', 'atapiBytesDone', 'atapiDma', 'dmaPending'];

/** One device position: its copy of the task file (both latch every write) and its status. */
class Unit {
  feature = 0;
  nsector = 0;
  sector = 0;
  lcyl = 0;
  hcyl = 0;
  hobFeature = 0;
  hobNsector = 0;
  hobSector = 0;
  hobLcyl = 0;
  hobHcyl = 0;
  select = SELECT_ALWAYS_ON;
  status = 0;
  error = 0;
  multipleSectors = MAX_MULTIPLE_SECTORS;
  /** The current command uses 48-bit addressing. */
  lba48 = false;
  /** Logical CHS translation set by INITIALIZE DEVICE PARAMETERS. */
  heads = 0;
  sectors = 0;

  constructor(readonly drive: IdeDrive | undefined) {
    this.heads = drive?.geometry.heads ?? 0;
    this.sectors = drive?.geometry.sectors ?? 0;
  }
}

export class IdeChannel implements PortHandler {
  readonly units: [Unit, Unit];
  private selected = 0;
  private control = 0;
  private readonly buffer = new Uint8Array(BUFFER_SIZE);
  private bufferPos = 0;
  private bufferEnd = 0;
  private pioEnd = PioEnd.Stop;
  /** The device a PIO or DMA transfer belongs to; the other one has nothing to move. */
  private transferUnit = 0;
  /** Sector transfers: next sector, sectors left, sectors per PIO block. */
  private nextSector = 0;
  private sectorsLeft = 0;
  private blockSectors = 1;
  /** ATAPI data: where the reply comes from and how far the guest has got. */
  private atapiReply: Uint8Array | undefined;
  private atapiLba = 0;
  private atapiBytesTotal = 0;
  private atapiBytesDone = 0;
  private atapiDma = false;
  /** A DMA command waits for the bus master's start bit. */
  private dmaPending: 'none' | 'read' | 'write' | 'atapi' | 'trim' = 'none';
  private bm: BusMasterDma | undefined;

  constructor(
    /** Task file base (0x1f0 / 0x170) and device control port (0x3f6 / 0x376). */
    readonly commandBase: number,
    readonly controlPort: number,
    private readonly irq: IrqLine,
    master: IdeDrive | undefined,
    slave: IdeDrive | undefined,
  ) {
    this.units = [new Unit(master), new Unit(slave)];
    for (const u of this.units) this.resetUnit(u);
  }

  /** System reset (QEMU's ide_bus_reset): both devices back to power-on registers, IRQ low. */
  reset(): void {
    this.control = 0;
    this.selected = 0;
    for (const u of this.units) {
      this.resetUnit(u);
      // A power-on reset clears PREVENT MEDIUM REMOVAL; the medium itself stays.
      if (u.drive) u.drive.trayLocked = false;
    }
    this.irq.set(false);
  }

  saveState(): object {
    return {
      ...saveFields(this, CHANNEL_FIELDS),
      atapiReply: this.atapiReply?.slice(),
      units: this.units.map((u) => saveFields(u, UNIT_FIELDS)),
    };
  }

  loadState(state: object): void {
    const st = state as Record<string, unknown> & { units?: Record<string, unknown>[] };
    loadFields(this, st, CHANNEL_FIELDS);
    this.atapiReply = st.atapiReply instanceof Uint8Array ? st.atapiReply.slice() : undefined;
    st.units?.forEach((u, i) => this.units[i] && loadFields(this.units[i], u, UNIT_FIELDS));
  }

  /** Connects the channel's bus-master DMA engine (PIIX BAR 4). */
  attachBusMaster(bm: BusMasterDma): void {
    this.bm = bm;
  }

  private get unit(): Unit {
    return this.units[this.selected];
  }

  private get anyDrive(): boolean {
    return this.units[0].drive !== undefined || this.units[1].drive !== undefined;
  }

  // ---- ports ---------------------------------------------------------------------------

  readPort(port: number, size: IoSize): number {
    if (port === this.controlPort) return this.readAltStatus();
    const reg = port - this.commandBase;
    if (reg === 0) return this.readData(size);
    return this.readRegister(reg);
  }

  writePort(port: number, size: IoSize, value: number): void {
    if (port === this.controlPort) return this.writeControl(value & 0xff);
    const reg = port - this.commandBase;
    if (reg === 0) return this.writeData(size, value);
    this.writeRegister(reg, value & 0xff);
  }

  private readAltStatus(): number {
    const u = this.unit;
    if (!this.anyDrive || !u.drive) return 0;
    return u.status;
  }

  private readRegister(reg: number): number {
    const u = this.unit;
    const hob = (this.control & A.CONTROL_HOB) !== 0;
    if (!this.anyDrive) return 0;
    switch (reg) {
      case 1:
        return hob ? u.hobFeature : u.error;
      case 2:
        return hob ? u.hobNsector : u.nsector & 0xff;
      case 3:
        return hob ? u.hobSector : u.sector;
      case 4:
        return hob ? u.hobLcyl : u.lcyl;
      case 5:
        return hob ? u.hobHcyl : u.hcyl;
      case 6:
        return u.select;
      default:
        this.irq.set(false);
        return u.drive ? u.status : 0;
    }
  }

  private writeRegister(reg: number, value: number): void {
    // Any task-file write clears HOB, so the next reads see the current registers.
    this.control &= ~A.CONTROL_HOB;
    for (const u of this.units) {
      switch (reg) {
        case 1:
          u.hobFeature = u.feature;
          u.feature = value;
          break;
        case 2:
          u.hobNsector = u.nsector & 0xff;
          u.nsector = value;
          break;
        case 3:
          u.hobSector = u.sector;
          u.sector = value;
          break;
        case 4:
          u.hobLcyl = u.lcyl;
          u.lcyl = value;
          break;
        case 5:
          u.hobHcyl = u.hcyl;
          u.hcyl = value;
          break;
        case 6:
          u.select = (u === this.units[0] ? value & ~A.SELECT_DRIVE1 : value | A.SELECT_DRIVE1) | SELECT_ALWAYS_ON;
          break;
      }
    }
    if (reg === 6) this.selected = (value >>> 4) & 1;
    if (reg === 7) this.executeCommand(value);
  }

  private writeControl(value: number): void {
    const wasReset = (this.control & A.CONTROL_SRST) !== 0;
    const reset = (value & A.CONTROL_SRST) !== 0;
    this.control = value;
    if (!wasReset && reset) {
      for (const u of this.units) {
        u.status = A.STATUS_BSY | A.STATUS_DSC;
        u.error = 0x01;
      }
      this.cancelTransfer();
    } else if (wasReset && !reset) {
      for (const u of this.units) this.resetUnit(u);
      this.selected = 0;
    }
  }

  /** Byte accesses to the 16-bit data port move a whole word (QEMU widens them). */
  private readData(size: IoSize): number {
    if (size === 1) return this.readData(2) & 0xff;
    if (this.bufferPos >= this.bufferEnd || this.selected !== this.transferUnit) return size === 4 ? 0xffffffff : 0xffff;
    const b = this.buffer;
    let p = this.bufferPos;
    let v = b[p];
    if (size >= 2) v |= b[p + 1] << 8;
    if (size === 4) v = (v | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    p += size;
    this.bufferPos = p;
    if (p >= this.bufferEnd) this.pioBufferDone();
    return v;
  }

  private writeData(size: IoSize, value: number): void {
    if (size === 1) return this.writeData(2, value & 0xff);
    if (this.bufferPos >= this.bufferEnd || this.selected !== this.transferUnit) return;
    const b = this.buffer;
    const p = this.bufferPos;
    b[p] = value;
    if (size >= 2) b[p + 1] = value >>> 8;
    if (size === 4) {
      b[p + 2] = value >>> 16;
      b[p + 3] = value >>> 24;
    }
    this.bufferPos = p + size;
    if (this.bufferPos >= this.bufferEnd) this.pioBufferDone();
  }

  // ---- state helpers -------------------------------------------------------------------

  private resetUnit(u: Unit): void {
    u.feature = u.error = u.sector = u.lcyl = u.hcyl = 0;
    u.hobFeature = u.hobNsector = u.hobSector = u.hobLcyl = u.hobHcyl = 0;
    u.select = SELECT_ALWAYS_ON | (u === this.units[1] ? A.SELECT_DRIVE1 : 0);
    u.multipleSectors = MAX_MULTIPLE_SECTORS;
    u.lba48 = false;
    u.heads = u.drive?.geometry.heads ?? 0;
    u.sectors = u.drive?.geometry.sectors ?? 0;
    if (u.drive) {
      u.drive.senseKey = u.drive.asc = 0;
    }
    this.setSignature(u);
    u.error = u.drive ? 0x01 : 0; // diagnostics passed
    u.status = u.drive?.kind === 'cdrom' ? 0 : A.STATUS_DRDY | A.STATUS_DSC;
    this.cancelTransfer();
  }

  /** The registers that tell a disk (0/0) from a packet device (0x14/0xeb) after reset. */
  private setSignature(u: Unit): void {
    u.select = (u.select & A.SELECT_DRIVE1) | SELECT_ALWAYS_ON; // CHS, head 0 (QEMU keeps only the drive bit)
    u.nsector = 1;
    u.sector = 1;
    if (u.drive?.kind === 'cdrom') {
      u.lcyl = 0x14;
      u.hcyl = 0xeb;
    } else if (u.drive) {
      u.lcyl = u.hcyl = 0;
    } else {
      u.lcyl = u.hcyl = 0xff;
    }
  }

  private cancelTransfer(): void {
    this.bufferPos = this.bufferEnd = 0;
    this.pioEnd = PioEnd.Stop;
    this.dmaPending = 'none';
  }

  private raiseIrq(): void {
    if (this.control & A.CONTROL_NIEN) return;
    if (this.bm) this.bm.status |= BM_STATUS_INTERRUPT;
    this.irq.set(true);
  }

  private abort(u: Unit): void {
    u.status = A.STATUS_DRDY | A.STATUS_ERR;
    u.error = A.ERROR_ABRT;
    this.cancelTransfer();
    this.raiseIrq();
  }

  private complete(u: Unit): void {
    u.status = A.STATUS_DRDY | A.STATUS_DSC;
    u.error = 0;
    this.raiseIrq();
  }

  private startPio(length: number, end: PioEnd): void {
    this.bufferPos = 0;
    this.bufferEnd = length;
    this.pioEnd = end;
    this.transferUnit = this.selected;
    this.units[this.transferUnit].status |= A.STATUS_DRQ;
  }

  private currentSector(u: Unit): number {
    if (u.select & A.SELECT_LBA) {
      if (u.lba48) {
        return (u.hobHcyl * 2 ** 40 + u.hobLcyl * 2 ** 32 + u.hobSector * 2 ** 24 + ((u.hcyl << 16) | (u.lcyl << 8) | u.sector));
      }
      return (((u.select & 0x0f) << 24) | (u.hcyl << 16) | (u.lcyl << 8) | u.sector) >>> 0;
    }
    const cylinder = (u.hcyl << 8) | u.lcyl;
    return (cylinder * u.heads + (u.select & 0x0f)) * u.sectors + (u.sector - 1);
  }

  private setSector(u: Unit, n: number): void {
    if (u.select & A.SELECT_LBA) {
      u.sector = n & 0xff;
      u.lcyl = (n >>> 8) & 0xff;
      u.hcyl = (n >>> 16) & 0xff;
      if (u.lba48) {
        const high = Math.floor(n / 2 ** 24);
        u.hobSector = high & 0xff;
        u.hobLcyl = Math.floor(high / 256) & 0xff;
        u.hobHcyl = Math.floor(high / 65536) & 0xff;
      } else {
        u.select = (u.select & 0xf0) | ((n >>> 24) & 0x0f);
      }
      return;
    }
    const perCylinder = u.heads * u.sectors;
    if (perCylinder === 0) return;
    const cylinder = Math.floor(n / perCylinder);
    const r = n % perCylinder;
    u.hcyl = (cylinder >>> 8) & 0xff;
    u.lcyl = cylinder & 0xff;
    u.select = (u.select & 0xf0) | (Math.floor(r / u.sectors) & 0x0f);
    u.sector = (r % u.sectors) + 1;
  }

  /** Sector count of the command: 0 means 256 (LBA28) or 65536 (LBA48). */
  private sectorCount(u: Unit): number {
    if (!u.lba48) return u.nsector & 0xff || 256;
    return ((u.hobNsector << 8) | (u.nsector & 0xff)) || 65536;
  }

  // ---- commands ------------------------------------------------------------------------

  private executeCommand(command: number): void {
    const u = this.unit;
    const drive = u.drive;
    if (!drive) return; // an absent device ignores commands
    if (u.status & (A.STATUS_BSY | A.STATUS_DRQ) && command !== A.ATA_DEVICE_RESET && command !== A.ATA_NOP) {
      // A new command while one is transferring data ends the old one.
      this.cancelTransfer();
    }
    this.irq.set(false);
    u.status = A.STATUS_DRDY | A.STATUS_BSY;
    u.error = 0;
    if (drive.kind === 'cdrom' && !CDROM_COMMANDS.has(command)) return this.abort(u);
    switch (command) {
      case A.ATA_IDENTIFY:
        if (drive.kind === 'cdrom') {
          this.setSignature(u);
          return this.abort(u);
        }
        return this.sendBlock(u, drive.identify(u.multipleSectors));
      case A.ATA_IDENTIFY_PACKET:
        if (drive.kind !== 'cdrom') return this.abort(u);
        return this.sendBlock(u, drive.identify(0));
      case A.ATA_READ_SECTORS:
      case A.ATA_READ_SECTORS_NORETRY:
      case A.ATA_READ_SECTORS_EXT:
        return this.startSectorPio(u, command === A.ATA_READ_SECTORS_EXT, false, 1);
      case A.ATA_READ_MULTIPLE:
      case A.ATA_READ_MULTIPLE_EXT:
        if (!u.multipleSectors) return this.abort(u);
        return this.startSectorPio(u, command === A.ATA_READ_MULTIPLE_EXT, false, u.multipleSectors);
      case A.ATA_WRITE_SECTORS:
      case A.ATA_WRITE_SECTORS_NORETRY:
      case A.ATA_WRITE_SECTORS_EXT:
        return this.startSectorPio(u, command === A.ATA_WRITE_SECTORS_EXT, true, 1);
      case A.ATA_WRITE_MULTIPLE:
      case A.ATA_WRITE_MULTIPLE_EXT:
        if (!u.multipleSectors) return this.abort(u);
        return this.startSectorPio(u, command === A.ATA_WRITE_MULTIPLE_EXT, true, u.multipleSectors);
      case A.ATA_READ_DMA:
      case A.ATA_READ_DMA_NORETRY:
      case A.ATA_READ_DMA_EXT:
        return this.startSectorDma(u, command === A.ATA_READ_DMA_EXT, 'read');
      case A.ATA_WRITE_DMA:
      case A.ATA_WRITE_DMA_NORETRY:
      case A.ATA_WRITE_DMA_EXT:
        return this.startSectorDma(u, command === A.ATA_WRITE_DMA_EXT, 'write');
      case A.ATA_READ_VERIFY:
      case A.ATA_READ_VERIFY_NORETRY:
      case A.ATA_READ_VERIFY_EXT: {
        // Nothing to check on an image; like QEMU the task file keeps the request.
        u.lba48 = command === A.ATA_READ_VERIFY_EXT;
        if (this.currentSector(u) + this.sectorCount(u) > drive.sectorCount) return this.abort(u);
        return this.complete(u);
      }
      case A.ATA_SET_MULTIPLE_MODE: {
        const n = u.nsector & 0xff;
        if (n > MAX_MULTIPLE_SECTORS || (n & (n - 1)) !== 0) return this.abort(u);
        u.multipleSectors = n;
        return this.complete(u);
      }
      case A.ATA_INITIALIZE_DEVICE_PARAMETERS:
        u.heads = (u.select & 0x0f) + 1;
        u.sectors = u.nsector & 0xff;
        return this.complete(u);
      case A.ATA_SET_FEATURES:
        if (!SET_FEATURES_ACCEPTED.has(u.feature)) return this.abort(u);
        if (u.feature === 0x03 && !drive.setTransferMode(u.nsector & 0xff)) return this.abort(u);
        if (drive.kind === 'disk' && (u.feature === 0x02 || u.feature === 0x82)) drive.setWriteCache(u.feature === 0x02);
        return this.complete(u);
      case A.ATA_DATA_SET_MANAGEMENT: {
        // Only TRIM, and (as in QEMU) only by DMA: the range list comes from guest memory.
        const blocks = (u.hobNsector << 8) | (u.nsector & 0xff);
        if (u.feature !== 1 || drive.kind !== 'disk' || blocks === 0) return this.abort(u);
        this.sectorsLeft = blocks;
        u.status = A.STATUS_DRDY | A.STATUS_DSC | A.STATUS_DRQ;
        this.dmaPending = 'trim';
        this.transferUnit = this.selected;
        if (this.bm?.running) this.runDma();
        return;
      }
      case A.ATA_FLUSH_CACHE:
      case A.ATA_FLUSH_CACHE_EXT:
        try {
          drive.medium?.flush();
        } catch {
          return this.abort(u);
        }
        return this.complete(u);
      case A.ATA_CHECK_POWER_MODE:
        u.nsector = 0xff; // active or idle
        return this.complete(u);
      case A.ATA_STANDBY_IMMEDIATE:
      case A.ATA_IDLE_IMMEDIATE:
      case A.ATA_STANDBY:
      case A.ATA_IDLE:
      case A.ATA_SLEEP:
      case A.ATA_SEEK:
        return this.complete(u);
      case A.ATA_READ_NATIVE_MAX:
      case A.ATA_READ_NATIVE_MAX_EXT:
        u.lba48 = command === A.ATA_READ_NATIVE_MAX_EXT;
        this.setSector(u, Math.max(0, drive.sectorCount - 1));
        return this.complete(u);
      case A.ATA_EXECUTE_DIAGNOSTIC:
        this.setSignature(u);
        u.error = 0x01;
        u.status = drive.kind === 'cdrom' ? 0 : A.STATUS_DRDY | A.STATUS_DSC;
        return this.raiseIrq();
      case A.ATA_DEVICE_RESET:
        if (drive.kind !== 'cdrom') return this.abort(u);
        this.resetUnit(u);
        return;
      case A.ATA_PACKET:
        this.atapiDma = (u.feature & 1) !== 0;
        u.nsector = (u.nsector & ~7) | REASON_COD;
        u.status = A.STATUS_DRDY | A.STATUS_DSC;
        return this.startPio(PACKET_SIZE, PioEnd.Packet);
      default:
        if (command >= 0x10 && command <= 0x1f) return this.complete(u); // RECALIBRATE
        if (A.ATA_LEGACY_POWER.includes(command)) return this.complete(u);
        return this.abort(u);
    }
  }

  /** A 512-byte reply (IDENTIFY): data ready, interrupt. */
  private sendBlock(u: Unit, data: Uint8Array): void {
    this.buffer.set(data);
    u.status = A.STATUS_DRDY | A.STATUS_DSC;
    this.startPio(data.length, PioEnd.Stop);
    this.raiseIrq();
  }

  private startSectorPio(u: Unit, lba48: boolean, write: boolean, blockSectors: number): void {
    const drive = u.drive!;
    u.lba48 = lba48;
    const start = this.currentSector(u);
    const count = this.sectorCount(u);
    if (start + count > drive.sectorCount) return this.abort(u);
    this.nextSector = start;
    this.sectorsLeft = count;
    this.blockSectors = blockSectors;
    if (write) {
      u.status = A.STATUS_DRDY | A.STATUS_DSC;
      this.startPio(Math.min(count, blockSectors) * SECTOR_SIZE, PioEnd.WriteSectors);
    } else {
      this.readNextBlock(u);
    }
  }

  /** Reads the next PIO block into the buffer and interrupts; the guest then drains it. */
  private readNextBlock(u: Unit): void {
    const n = Math.min(this.sectorsLeft, this.blockSectors);
    try {
      u.drive!.medium!.read(this.nextSector * SECTOR_SIZE, this.buffer.subarray(0, n * SECTOR_SIZE));
    } catch {
      return this.abort(u);
    }
    this.nextSector += n;
    this.sectorsLeft -= n;
    this.setSector(u, this.nextSector);
    u.nsector = this.sectorsLeft & 0xff; // the count register shows what is left, as in QEMU
    u.status = A.STATUS_DRDY | A.STATUS_DSC;
    this.startPio(n * SECTOR_SIZE, PioEnd.ReadSectors);
    this.raiseIrq();
  }

  private pioBufferDone(): void {
    const u = this.units[this.transferUnit];
    const end = this.pioEnd;
    this.pioEnd = PioEnd.Stop;
    this.bufferPos = this.bufferEnd = 0;
    u.status &= ~A.STATUS_DRQ;
    switch (end) {
      case PioEnd.ReadSectors:
        if (this.sectorsLeft > 0) this.readNextBlock(u);
        break;
      case PioEnd.WriteSectors:
        this.writeBlock(u);
        break;
      case PioEnd.Packet:
        this.executePacket(u);
        break;
      case PioEnd.AtapiData:
        this.continueAtapiPio(u);
        break;
    }
  }

  /** The guest has filled one PIO write block: store it, interrupt, ask for the next. */
  private writeBlock(u: Unit): void {
    const n = Math.min(this.sectorsLeft, this.blockSectors);
    const drive = u.drive!;
    try {
      if (drive.readOnly || !drive.medium) throw new Error('read-only');
      drive.medium.write(this.nextSector * SECTOR_SIZE, this.buffer.subarray(0, n * SECTOR_SIZE));
    } catch {
      return this.abort(u);
    }
    this.nextSector += n;
    this.sectorsLeft -= n;
    this.setSector(u, this.nextSector);
    u.nsector = this.sectorsLeft & 0xff;
    u.status = A.STATUS_DRDY | A.STATUS_DSC;
    if (this.sectorsLeft > 0) this.startPio(Math.min(this.sectorsLeft, this.blockSectors) * SECTOR_SIZE, PioEnd.WriteSectors);
    this.raiseIrq();
  }

  // ---- DMA -----------------------------------------------------------------------------

  private startSectorDma(u: Unit, lba48: boolean, direction: 'read' | 'write'): void {
    u.lba48 = lba48;
    const start = this.currentSector(u);
    const count = this.sectorCount(u);
    if (start + count > u.drive!.sectorCount) return this.abort(u);
    this.nextSector = start;
    this.sectorsLeft = count;
    u.status = A.STATUS_DRDY | A.STATUS_DSC | A.STATUS_DRQ;
    this.dmaPending = direction;
    this.transferUnit = this.selected;
    if (this.bm?.running) this.runDma();
  }

  /** Called by the bus master when the guest sets its start bit. */
  runDma(): void {
    const bm = this.bm;
    if (!bm || this.dmaPending === 'none') return;
    const kind = this.dmaPending;
    this.dmaPending = 'none';
    const u = this.units[this.transferUnit];
    const drive = u.drive!;
    let ok: boolean;
    try {
      if (kind === 'atapi') {
        const reply = this.atapiReply;
        const lba = this.atapiLba;
        ok = bm.transfer(true, this.atapiBytesTotal, (pos, chunk) => {
          if (reply) chunk.set(reply.subarray(pos, pos + chunk.length));
          else drive.medium!.read(lba * CD_SECTOR_SIZE + pos, chunk);
        });
      } else if (kind === 'trim') {
        const ranges = new Uint8Array(this.sectorsLeft * SECTOR_SIZE);
        ok = bm.transfer(false, ranges.length, (pos, chunk) => ranges.set(chunk, pos));
        if (ok) this.trim(drive, ranges);
      } else if (kind === 'read') {
        const base = this.nextSector * SECTOR_SIZE;
        ok = bm.transfer(true, this.sectorsLeft * SECTOR_SIZE, (pos, chunk) => drive.medium!.read(base + pos, chunk));
      } else {
        if (drive.readOnly || !drive.medium) throw new Error('read-only');
        const base = this.nextSector * SECTOR_SIZE;
        ok = bm.transfer(false, this.sectorsLeft * SECTOR_SIZE, (pos, chunk) => drive.medium!.write(base + pos, chunk));
      }
    } catch {
      bm.status |= BM_STATUS_ERROR;
      bm.finish();
      return this.abort(u);
    }
    bm.finish();
    if (!ok) {
      // The PRDs were too short: QEMU ends the command without an interrupt.
      u.status = A.STATUS_DRDY | A.STATUS_DSC;
      return;
    }
    if (kind === 'atapi') return this.atapiDone(u);
    if (kind === 'trim') return this.complete(u);
    this.nextSector += this.sectorsLeft;
    this.sectorsLeft = 0;
    this.setSector(u, this.nextSector);
    u.nsector = 0;
    this.complete(u);
  }

  /** TRIM ranges: 8 bytes each, a 48-bit LBA and a 16-bit count (0 = unused entry). */
  private trim(drive: IdeDrive, ranges: Uint8Array): void {
    const view = new DataView(ranges.buffer, ranges.byteOffset, ranges.byteLength);
    for (let i = 0; i + 8 <= ranges.length; i += 8) {
      const count = view.getUint16(i + 6, true);
      if (count === 0) continue;
      const lba = view.getUint32(i, true) + view.getUint16(i + 4, true) * 2 ** 32;
      if (lba + count > drive.sectorCount) throw new Error('TRIM range beyond the end of the disk');
      drive.medium!.discard(lba * SECTOR_SIZE, count * SECTOR_SIZE);
    }
  }

  // ---- ATAPI ---------------------------------------------------------------------------

  private executePacket(u: Unit): void {
    const drive = u.drive!;
    const result = executeAtapi(drive, this.buffer.subarray(0, PACKET_SIZE));
    switch (result.kind) {
      case 'ok':
        return this.atapiDone(u);
      case 'error':
        u.error = result.unitAttention ? A.ERROR_MC | (result.senseKey << 4) : result.senseKey << 4;
        u.status = A.STATUS_DRDY | A.STATUS_ERR;
        u.nsector = (u.nsector & ~7) | REASON_IO | REASON_COD;
        this.cancelTransfer();
        return this.raiseIrq();
      case 'data':
        this.atapiReply = result.data;
        this.atapiBytesTotal = result.data.length;
        break;
      case 'read':
        this.atapiReply = undefined;
        this.atapiLba = result.lba;
        this.atapiBytesTotal = result.blocks * CD_SECTOR_SIZE;
        break;
    }
    this.atapiBytesDone = 0;
    if (this.atapiBytesTotal === 0) return this.atapiDone(u);
    if (this.atapiDma) {
      u.status = A.STATUS_DRDY | A.STATUS_DSC | A.STATUS_DRQ;
      this.dmaPending = 'atapi';
      this.transferUnit = this.selected;
      if (this.bm?.running) this.runDma();
      return;
    }
    this.continueAtapiPio(u);
  }

  /** Offers the next piece of ATAPI data, at most the byte count limit the guest set. */
  private continueAtapiPio(u: Unit): void {
    const left = this.atapiBytesTotal - this.atapiBytesDone;
    if (left <= 0) return this.atapiDone(u);
    let limit = u.lcyl | (u.hcyl << 8);
    if (limit === 0 || limit === 0xffff) limit = 0xfffe;
    let size = left;
    if (size > limit) size = limit & ~1;
    const chunk = this.buffer.subarray(0, size);
    try {
      if (this.atapiReply) chunk.set(this.atapiReply.subarray(this.atapiBytesDone, this.atapiBytesDone + size));
      else u.drive!.medium!.read(this.atapiLba * CD_SECTOR_SIZE + this.atapiBytesDone, chunk);
    } catch {
      return this.abort(u);
    }
    this.atapiBytesDone += size;
    u.lcyl = size & 0xff;
    u.hcyl = size >>> 8;
    u.nsector = (u.nsector & ~7) | REASON_IO;
    u.status = A.STATUS_DRDY | A.STATUS_DSC;
    this.startPio(size, PioEnd.AtapiData);
    this.raiseIrq();
  }

  private atapiDone(u: Unit): void {
    u.error = 0;
    u.status = A.STATUS_DRDY | A.STATUS_DSC;
    u.nsector = (u.nsector & ~7) | REASON_IO | REASON_COD;
    this.cancelTransfer();
    this.raiseIrq();
  }

  /** A CD-ROM's medium changed (monitor `change`/`eject`): guests learn it on their next command. */
  mediaChanged(drive: IdeDrive): void {
    drive.mediaChangeStage = 1;
    drive.newMediaEvent = drive.medium !== undefined;
    drive.ejectRequestEvent = false;
    this.raiseIrq();
  }
}
