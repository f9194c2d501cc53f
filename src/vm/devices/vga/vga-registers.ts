// Register indices and bit masks of the standard VGA and the Bochs VBE ("dispi") extension,
// named as in Linux's <video/vga.h> and Bochs' vbe.h so the code reads like the datasheets.

export const SEQ_CLOCK_MODE = 0x01;
export const SEQ_PLANE_WRITE = 0x02;
export const SEQ_CHARACTER_MAP = 0x03;
export const SEQ_MEMORY_MODE = 0x04;
export const SR01_CHAR_CLK_8DOTS = 0x01;
export const SR01_DOUBLE_WIDTH = 0x08;
export const SR04_CHAIN4 = 0x08;

export const GFX_SR_VALUE = 0x00;
export const GFX_SR_ENABLE = 0x01;
export const GFX_COMPARE_VALUE = 0x02;
export const GFX_DATA_ROTATE = 0x03;
export const GFX_PLANE_READ = 0x04;
export const GFX_MODE = 0x05;
export const GFX_MISC = 0x06;
export const GFX_COMPARE_MASK = 0x07;
export const GFX_BIT_MASK = 0x08;
export const GR06_GRAPHICS_MODE = 0x01;

export const ATC_MODE = 0x10;
export const ATC_PLANE_ENABLE = 0x12;
export const ATC_COLOR_PAGE = 0x14;
/** Bit 5 of the attribute index: palette access done, the display is enabled. */
export const ATC_PALETTE_ENABLED = 0x20;

export const CRTC_H_DISP = 0x01;
export const CRTC_OVERFLOW = 0x07;
export const CRTC_MAX_SCAN = 0x09;
export const CRTC_CURSOR_START = 0x0a;
export const CRTC_CURSOR_END = 0x0b;
export const CRTC_START_HI = 0x0c;
export const CRTC_START_LO = 0x0d;
export const CRTC_CURSOR_HI = 0x0e;
export const CRTC_CURSOR_LO = 0x0f;
export const CRTC_V_SYNC_END = 0x11;
export const CRTC_V_DISP_END = 0x12;
export const CRTC_OFFSET = 0x13;
export const CRTC_MODE = 0x17;
export const CRTC_LINE_COMPARE = 0x18;
export const CR11_LOCK_CR0_CR7 = 0x80;

/** Misc output bit 0: CRTC at 0x3d4 (colour) rather than 0x3b4 (mono). */
export const MIS_COLOR = 0x01;

/** Input status 1: display disabled (any retrace) and vertical retrace. */
export const ST01_DISP_ENABLE = 0x01;
export const ST01_V_RETRACE = 0x08;

// Writable bits of each sequencer and graphics controller register.
export const SR_MASK = Uint8Array.of(0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0xff);
export const GR_MASK = Uint8Array.of(0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff, 0, 0, 0, 0, 0, 0, 0);

// Bochs VBE: ports and register indices.
/** Index at 0x1ce, data at 0x1cf and (QEMU decodes it too) 0x1d0. */
export const VBE_PORT_INDEX = 0x1ce;
export const VBE_PORT_COUNT = 3;

export const VBE_INDEX_ID = 0;
export const VBE_INDEX_XRES = 1;
export const VBE_INDEX_YRES = 2;
export const VBE_INDEX_BPP = 3;
export const VBE_INDEX_ENABLE = 4;
export const VBE_INDEX_BANK = 5;
export const VBE_INDEX_VIRT_WIDTH = 6;
export const VBE_INDEX_VIRT_HEIGHT = 7;
export const VBE_INDEX_X_OFFSET = 8;
export const VBE_INDEX_Y_OFFSET = 9;
export const VBE_INDEX_COUNT = 10;
export const VBE_INDEX_VIDEO_MEMORY_64K = 0x0a;

export const VBE_ID0 = 0xb0c0;
export const VBE_ID5 = 0xb0c5;

export const VBE_ENABLED = 0x01;
export const VBE_GETCAPS = 0x02;
export const VBE_8BIT_DAC = 0x20;
export const VBE_NOCLEARMEM = 0x80;

// QEMU's limits (VBE_DISPI_MAX_*); the 16 MiB of VRAM limits the usable modes further.
export const VBE_MAX_XRES = 16000;
export const VBE_MAX_YRES = 12000;
export const VBE_MAX_BPP = 32;
