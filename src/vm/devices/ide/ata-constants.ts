// ATA status/error bits, ATA command opcodes and the SCSI (MMC) opcodes, sense keys and
// additional sense codes the ATAPI CD-ROM uses. Names follow the ATA/ATAPI and MMC specs.

export const STATUS_ERR = 0x01;
export const STATUS_DRQ = 0x08;
/** Device seek complete (DSC); set with DRDY on an idle disk. */
export const STATUS_DSC = 0x10;
export const STATUS_DF = 0x20;
export const STATUS_DRDY = 0x40;
export const STATUS_BSY = 0x80;

export const ERROR_ABRT = 0x04;
/** Media change request (ATAPI unit attention, in the error register's low bits). */
export const ERROR_MC = 0x20;

/** Device control register bits (port 0x3f6/0x376). */
export const CONTROL_NIEN = 0x02;
export const CONTROL_SRST = 0x04;
export const CONTROL_HOB = 0x80;

/** Drive/head register: LBA addressing and the drive select bit. */
export const SELECT_LBA = 0x40;
export const SELECT_DRIVE1 = 0x10;

export const ATA_NOP = 0x00;
export const ATA_DATA_SET_MANAGEMENT = 0x06;
export const ATA_DEVICE_RESET = 0x08;
export const ATA_READ_SECTORS = 0x20;
export const ATA_READ_SECTORS_NORETRY = 0x21;
export const ATA_READ_SECTORS_EXT = 0x24;
export const ATA_READ_DMA_EXT = 0x25;
export const ATA_READ_NATIVE_MAX_EXT = 0x27;
export const ATA_READ_MULTIPLE_EXT = 0x29;
export const ATA_WRITE_SECTORS = 0x30;
export const ATA_WRITE_SECTORS_NORETRY = 0x31;
export const ATA_WRITE_SECTORS_EXT = 0x34;
export const ATA_WRITE_DMA_EXT = 0x35;
export const ATA_WRITE_MULTIPLE_EXT = 0x39;
export const ATA_READ_VERIFY = 0x40;
export const ATA_READ_VERIFY_NORETRY = 0x41;
export const ATA_READ_VERIFY_EXT = 0x42;
export const ATA_SEEK = 0x70;
export const ATA_EXECUTE_DIAGNOSTIC = 0x90;
export const ATA_INITIALIZE_DEVICE_PARAMETERS = 0x91;
export const ATA_PACKET = 0xa0;
export const ATA_IDENTIFY_PACKET = 0xa1;
export const ATA_READ_MULTIPLE = 0xc4;
export const ATA_WRITE_MULTIPLE = 0xc5;
export const ATA_SET_MULTIPLE_MODE = 0xc6;
export const ATA_READ_DMA = 0xc8;
export const ATA_READ_DMA_NORETRY = 0xc9;
export const ATA_WRITE_DMA = 0xca;
export const ATA_WRITE_DMA_NORETRY = 0xcb;
export const ATA_STANDBY_IMMEDIATE = 0xe0;
export const ATA_IDLE_IMMEDIATE = 0xe1;
export const ATA_STANDBY = 0xe2;
export const ATA_IDLE = 0xe3;
export const ATA_CHECK_POWER_MODE = 0xe5;
export const ATA_SLEEP = 0xe6;
export const ATA_FLUSH_CACHE = 0xe7;
export const ATA_IDENTIFY = 0xec;
export const ATA_FLUSH_CACHE_EXT = 0xea;
export const ATA_SET_FEATURES = 0xef;
export const ATA_READ_NATIVE_MAX = 0xf8;
/** Legacy power management opcodes some BIOSes still send (STANDBY/IDLE, old numbering). */
export const ATA_LEGACY_POWER = [0x94, 0x95, 0x96, 0x97, 0x98, 0x99];

export const SCSI_TEST_UNIT_READY = 0x00;
export const SCSI_REQUEST_SENSE = 0x03;
export const SCSI_INQUIRY = 0x12;
export const SCSI_MODE_SENSE_6 = 0x1a;
export const SCSI_START_STOP_UNIT = 0x1b;
export const SCSI_PREVENT_ALLOW = 0x1e;
export const SCSI_READ_CAPACITY = 0x25;
export const SCSI_READ_10 = 0x28;
export const SCSI_SEEK_10 = 0x2b;
export const SCSI_READ_TOC = 0x43;
export const SCSI_GET_CONFIGURATION = 0x46;
export const SCSI_GET_EVENT_STATUS = 0x4a;
export const SCSI_READ_DISC_INFORMATION = 0x51;
export const SCSI_MODE_SENSE_10 = 0x5a;
export const SCSI_READ_12 = 0xa8;
export const SCSI_SET_CD_SPEED = 0xbb;
export const SCSI_MECHANISM_STATUS = 0xbd;
export const SCSI_READ_CD = 0xbe;

export const SENSE_NONE = 0x00;
export const SENSE_NOT_READY = 0x02;
export const SENSE_ILLEGAL_REQUEST = 0x05;
export const SENSE_UNIT_ATTENTION = 0x06;

export const ASC_ILLEGAL_OPCODE = 0x20;
export const ASC_LBA_OUT_OF_RANGE = 0x21;
export const ASC_INVALID_FIELD_IN_CDB = 0x24;
export const ASC_MEDIUM_MAY_HAVE_CHANGED = 0x28;
export const ASC_SAVING_PARAMETERS_NOT_SUPPORTED = 0x39;
export const ASC_MEDIUM_NOT_PRESENT = 0x3a;
export const ASC_MEDIA_REMOVAL_PREVENTED = 0x53;
