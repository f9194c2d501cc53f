// The ATAPI CD-ROM's command set: the SCSI/MMC packets Linux's sr driver, libata and
// SeaBIOS send, answered with the data layouts (TOC, mode pages, configuration, events)
// QEMU's ide/atapi.c produces. The channel moves the bytes; this file decides them.

import * as A from './ata-constants.js';
import { CD_SECTOR_SIZE, type IdeDrive } from './ide-drive.js';

export type AtapiResult =
  | { kind: 'ok' }
  /** Reply bytes, already cut to the allocation length. */
  | { kind: 'data'; data: Uint8Array }
  /** Read `blocks` 2048-byte blocks of the medium from `lba`. */
  | { kind: 'read'; lba: number; blocks: number }
  | { kind: 'error'; senseKey: number; asc: number; unitAttention: boolean };

/** A command may run while a unit attention is pending (REQUEST SENSE, INQUIRY, ...). */
const ALLOW_UA = 1;
/** The command fails with NOT READY when no medium is loaded. */
const CHECK_READY = 2;
/** The command moves no data; media-change reporting waits for one that does. */
const NONDATA = 4;

const COMMAND_FLAGS = new Uint8Array(256);
COMMAND_FLAGS[A.SCSI_TEST_UNIT_READY] = CHECK_READY | NONDATA;
COMMAND_FLAGS[A.SCSI_REQUEST_SENSE] = ALLOW_UA;
COMMAND_FLAGS[A.SCSI_INQUIRY] = ALLOW_UA;
COMMAND_FLAGS[A.SCSI_START_STOP_UNIT] = NONDATA;
COMMAND_FLAGS[A.SCSI_PREVENT_ALLOW] = NONDATA;
COMMAND_FLAGS[A.SCSI_READ_CAPACITY] = CHECK_READY;
COMMAND_FLAGS[A.SCSI_READ_10] = CHECK_READY;
COMMAND_FLAGS[A.SCSI_READ_12] = CHECK_READY;
COMMAND_FLAGS[A.SCSI_READ_CD] = CHECK_READY;
COMMAND_FLAGS[A.SCSI_SEEK_10] = CHECK_READY | NONDATA;
COMMAND_FLAGS[A.SCSI_READ_TOC] = CHECK_READY;
COMMAND_FLAGS[A.SCSI_READ_DISC_INFORMATION] = CHECK_READY;
COMMAND_FLAGS[A.SCSI_GET_CONFIGURATION] = ALLOW_UA;
COMMAND_FLAGS[A.SCSI_GET_EVENT_STATUS] = ALLOW_UA;
COMMAND_FLAGS[A.SCSI_SET_CD_SPEED] = NONDATA;

/** Media larger than a CD (in 2048-byte blocks) are reported as DVDs. */
const CD_MAX_BLOCKS = (80 * 60 * 75 * 2048) / CD_SECTOR_SIZE;
const PROFILE_DVD_ROM = 0x10;
const PROFILE_CD_ROM = 0x08;

const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
function putBe16(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 8;
  b[i + 1] = v;
}
function putBe32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

function fail(drive: IdeDrive, senseKey: number, asc: number): AtapiResult {
  drive.senseKey = senseKey;
  drive.asc = asc;
  return { kind: 'error', senseKey, asc, unitAttention: false };
}

function reply(data: Uint8Array, length: number, allocation: number): AtapiResult {
  return { kind: 'data', data: data.subarray(0, Math.min(length, allocation)) };
}

export function executeAtapi(drive: IdeDrive, cdb: Uint8Array): AtapiResult {
  const op = cdb[0];
  const flags = COMMAND_FLAGS[op];
  if (drive.senseKey === A.SENSE_UNIT_ATTENTION && !(flags & ALLOW_UA)) {
    return { kind: 'error', senseKey: A.SENSE_UNIT_ATTENTION, asc: drive.asc, unitAttention: true };
  }
  // After a media change, report "no medium" once and then a unit attention, so guests
  // that never ask GET EVENT STATUS NOTIFICATION still notice the new disc.
  if (!(flags & NONDATA) && drive.mediumPresent && drive.mediaChangeStage) {
    if (drive.mediaChangeStage === 1) {
      drive.mediaChangeStage = 2;
      return fail(drive, A.SENSE_NOT_READY, A.ASC_MEDIUM_NOT_PRESENT);
    }
    drive.mediaChangeStage = 0;
    return fail(drive, A.SENSE_UNIT_ATTENTION, A.ASC_MEDIUM_MAY_HAVE_CHANGED);
  }
  if (flags & CHECK_READY && !drive.mediumPresent) return fail(drive, A.SENSE_NOT_READY, A.ASC_MEDIUM_NOT_PRESENT);

  switch (op) {
    case A.SCSI_TEST_UNIT_READY:
    case A.SCSI_SEEK_10:
    case A.SCSI_SET_CD_SPEED:
      return ok(drive);
    case A.SCSI_REQUEST_SENSE: {
      const b = new Uint8Array(18);
      b[0] = 0x70 | 0x80;
      b[2] = drive.senseKey;
      b[7] = 10;
      b[12] = drive.asc;
      if (drive.senseKey === A.SENSE_UNIT_ATTENTION) drive.senseKey = A.SENSE_NONE;
      return reply(b, 18, cdb[4]);
    }
    case A.SCSI_INQUIRY: {
      const b = new Uint8Array(36);
      if (cdb[1] & 1) return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_INVALID_FIELD_IN_CDB);
      b[0] = 0x05; // CD/DVD device
      b[1] = 0x80; // removable
      b[3] = 0x21; // ATAPI, response data format 1
      b[4] = 31;
      writeAscii(b, 8, 'QEMU    ');
      writeAscii(b, 16, 'QEMU DVD-ROM    ');
      writeAscii(b, 32, '2.5+');
      return reply(b, 36, cdb[4]);
    }
    case A.SCSI_MODE_SENSE_10:
      return modeSense(drive, cdb);
    case A.SCSI_START_STOP_UNIT: {
      const start = cdb[4] & 1;
      const loadEject = cdb[4] & 2;
      if (loadEject) {
        if (!start && !drive.trayOpen && drive.trayLocked) {
          return fail(drive, drive.medium ? A.SENSE_NOT_READY : A.SENSE_ILLEGAL_REQUEST, A.ASC_MEDIA_REMOVAL_PREVENTED);
        }
        drive.trayOpen = !start;
      }
      return ok(drive);
    }
    case A.SCSI_PREVENT_ALLOW:
      drive.trayLocked = (cdb[4] & 1) !== 0;
      return ok(drive);
    case A.SCSI_READ_CAPACITY: {
      const b = new Uint8Array(8);
      putBe32(b, 0, drive.sectorCount - 1);
      putBe32(b, 4, CD_SECTOR_SIZE);
      return reply(b, 8, 8);
    }
    case A.SCSI_READ_10:
      return read(drive, be32(cdb, 2), be16(cdb, 7));
    case A.SCSI_READ_12:
      return read(drive, be32(cdb, 2), be32(cdb, 6));
    case A.SCSI_READ_CD: {
      // Only plain user data (sync/header/EDC not requested) is supported, as in QEMU.
      const blocks = (cdb[6] << 16) | (cdb[7] << 8) | cdb[8];
      if (blocks === 0) return ok(drive);
      if ((cdb[9] & 0xf8) !== 0x10) return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_INVALID_FIELD_IN_CDB);
      return read(drive, be32(cdb, 2), blocks);
    }
    case A.SCSI_READ_TOC:
      return readToc(drive, cdb);
    case A.SCSI_READ_DISC_INFORMATION: {
      const b = new Uint8Array(34);
      putBe16(b, 0, 32);
      b[2] = 0x0e; // complete disc, last session complete
      b[3] = 1; // first track
      b[4] = 1; // sessions
      b[5] = 1; // first track of last session
      b[6] = 1; // last track of last session
      b[7] = 0x20; // unrestricted use
      putBe32(b, 16, 0xffffffff);
      putBe32(b, 20, 0xffffffff);
      return reply(b, 34, be16(cdb, 7));
    }
    case A.SCSI_GET_CONFIGURATION:
      return getConfiguration(drive, cdb);
    case A.SCSI_GET_EVENT_STATUS:
      return getEventStatus(drive, cdb);
    case A.SCSI_MECHANISM_STATUS: {
      const b = new Uint8Array(8);
      b[5] = 1; // one slot
      return reply(b, 8, be16(cdb, 8));
    }
    default:
      return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_ILLEGAL_OPCODE);
  }
}

function ok(drive: IdeDrive): AtapiResult {
  drive.senseKey = A.SENSE_NONE;
  drive.asc = 0;
  return { kind: 'ok' };
}

function read(drive: IdeDrive, lba: number, blocks: number): AtapiResult {
  if (blocks === 0) return ok(drive);
  if (lba + blocks > drive.sectorCount) return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_LBA_OUT_OF_RANGE);
  drive.senseKey = A.SENSE_NONE;
  drive.asc = 0;
  return { kind: 'read', lba, blocks };
}

function modeSense(drive: IdeDrive, cdb: Uint8Array): AtapiResult {
  const allocation = be16(cdb, 7);
  const pageControl = cdb[2] >>> 6;
  const page = cdb[2] & 0x3f;
  if (pageControl === 3) return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
  const b = new Uint8Array(28);
  b[2] = 0x70; // medium type: door closed, no disc information
  if (page === 0x01) {
    // Read/write error recovery page.
    b[1] = 14;
    b[8] = 0x01;
    b[9] = 6;
    b[11] = 0x05;
    return reply(b, 16, allocation);
  }
  if (page === 0x2a) {
    // CD/DVD capabilities and mechanical status page.
    b[1] = 0x1c;
    b[8] = 0x2a;
    b[9] = 0x14;
    b[10] = 0x3b; // reads CD-R/RW, DVD-ROM/R/RAM
    b[12] = 0x71; // audio play, multisession, mode 2 forms
    b[13] = 3 << 5;
    b[14] = (1 << 0) | (1 << 3) | (1 << 5) | (drive.trayLocked ? 1 << 1 : 0); // lockable, eject, tray loader
    putBe16(b, 16, 704); // maximum speed: 4x (kB/s)
    b[19] = 2;
    putBe16(b, 20, 512);
    putBe16(b, 22, 704);
    return reply(b, 28, allocation);
  }
  return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_INVALID_FIELD_IN_CDB);
}

/** Minutes/seconds/frames of a logical block (block 0 is at 00:02:00). */
function putMsf(b: Uint8Array, i: number, lba: number): void {
  lba += 150;
  b[i] = Math.floor(lba / (75 * 60));
  b[i + 1] = Math.floor(lba / 75) % 60;
  b[i + 2] = lba % 75;
}

/** An address field of a TOC entry: 0, M, S, F with MSF, else a big-endian LBA. */
function putAddress(b: Uint8Array, i: number, lba: number, msf: boolean): void {
  if (msf) {
    b[i] = 0;
    putMsf(b, i + 1, lba);
  } else putBe32(b, i, lba);
}

function readToc(drive: IdeDrive, cdb: Uint8Array): AtapiResult {
  const msf = (cdb[1] & 2) !== 0;
  const startTrack = cdb[6];
  const allocation = be16(cdb, 7);
  // The format comes from the top bits of byte 9 (SFF-8020); like QEMU, MMC's byte 2 is ignored.
  const format = cdb[9] >>> 6;
  const total = drive.sectorCount;
  const b = new Uint8Array(4 + 11 * 4);
  let n: number;
  switch (format) {
    case 0: {
      if (startTrack > 1 && startTrack !== 0xaa) return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_INVALID_FIELD_IN_CDB);
      b[2] = 1; // first track
      b[3] = 1; // last track
      n = 4;
      if (startTrack <= 1) {
        b.set([0, 0x14, 1, 0], n); // data track 1
        putAddress(b, n + 4, 0, msf);
        n += 8;
      }
      b.set([0, 0x16, 0xaa, 0], n); // lead-out
      putAddress(b, n + 4, total, msf);
      n += 8;
      break;
    }
    case 1:
      // Multisession information: one session, its first track starts at block 0.
      b[1] = 0x0a;
      b[2] = 1;
      b[3] = 1;
      n = 12;
      break;
    case 2: {
      // Raw TOC: points A0 (first track), A1 (last track), A2 (lead-out) and track 1.
      b[2] = 1;
      b[3] = 1;
      n = 4;
      const entry = (point: number, tail: (i: number) => void) => {
        b.set([1, 0x14, 0, point, 0, 0, 0], n);
        tail(n + 7);
        n += 11;
      };
      entry(0xa0, (i) => b.set([0, 1, 0, 0], i));
      entry(0xa1, (i) => b.set([0, 1, 0, 0], i));
      entry(0xa2, (i) => putAddress(b, i, total, msf));
      entry(0x01, (i) => putAddress(b, i, 0, msf));
      break;
    }
    default:
      return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_INVALID_FIELD_IN_CDB);
  }
  putBe16(b, 0, n - 2);
  return reply(b, n, allocation);
}

function getConfiguration(drive: IdeDrive, cdb: Uint8Array): AtapiResult {
  // Only the profile list feature (0) is reported.
  if (cdb[2] !== 0 || cdb[3] !== 0) return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_INVALID_FIELD_IN_CDB);
  const b = new Uint8Array(20);
  const current = !drive.mediumPresent ? 0 : drive.sectorCount > CD_MAX_BLOCKS ? PROFILE_DVD_ROM : PROFILE_CD_ROM;
  putBe16(b, 6, current);
  b[10] = 0x02 | 0x01; // persistent, current
  b[11] = 8; // two profile descriptors
  putBe16(b, 12, PROFILE_DVD_ROM);
  b[14] = current === PROFILE_DVD_ROM ? 1 : 0;
  putBe16(b, 16, PROFILE_CD_ROM);
  b[18] = current === PROFILE_CD_ROM ? 1 : 0;
  putBe32(b, 0, 20 - 4);
  return reply(b, 20, be16(cdb, 7));
}

function getEventStatus(drive: IdeDrive, cdb: Uint8Array): AtapiResult {
  // Only polled operation and the media event class (4) are supported.
  if (!(cdb[1] & 1)) return fail(drive, A.SENSE_ILLEGAL_REQUEST, A.ASC_INVALID_FIELD_IN_CDB);
  const b = new Uint8Array(8);
  b[3] = 1 << 4;
  let length = 4;
  if (cdb[4] & (1 << 4)) {
    b[2] = 4;
    const mediaStatus = drive.trayOpen ? 1 : drive.medium ? 2 : 0;
    let event = 0;
    if (!drive.trayOpen) {
      if (drive.newMediaEvent) {
        event = 2;
        drive.newMediaEvent = false;
      } else if (drive.ejectRequestEvent) {
        event = 1;
        drive.ejectRequestEvent = false;
      }
    }
    b[4] = event;
    b[5] = mediaStatus;
    length = 8;
  } else {
    b[2] = 0x80; // no event available
  }
  putBe16(b, 0, length - 4);
  return reply(b, length, be16(cdb, 7));
}

function writeAscii(b: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
}
