// The small interfaces through which the board feeds the terminal UI and receives its input.
// The VGA device implements TextScreen / Framebuffer (backed by shared memory when the guest runs
// in a worker), the monitor implements MonitorPort, each `vc` serial chardev a SerialPort, and
// the i8042 receives keys through KeyboardSink. The front end only reads displays, so a producer
// may update them at any time; the optional dirty hints are set by the producer and cleared
// (set to 0) by the front end after it has drawn them.

/** A VGA text screen: `cells` holds `char | attr << 8` per cell, row by row, as in VGA memory. */
export interface TextScreen {
  readonly kind: 'text';
  readonly columns: number;
  readonly rows: number;
  readonly cells: Uint16Array;
  /** Hardware cursor: cell position, scanline range inside the character cell, visibility. */
  readonly cursor: {
    readonly column: number;
    readonly row: number;
    readonly visible: boolean;
    readonly startLine: number;
    readonly endLine: number;
  };
  /** Character cell height in scanlines (16 for the usual 80×25 mode); shapes the cursor. */
  readonly cellHeight: number;
  /** The 16 attribute colours as 0xRRGGBB, already resolved through the attribute controller and DAC. */
  readonly palette: Uint32Array;
  /** Attribute bit 7 blinks the character (true) or selects a bright background (false). */
  readonly blinkEnabled: boolean;
  /** Optional: one byte per row, non-zero when the row changed since the front end last cleared it. */
  readonly dirtyRows?: Uint8Array;
}

/**
 * Pixel formats of a graphics framebuffer:
 * - `xrgb8888`: one Uint32 per pixel, 0x00RRGGBB;
 * - `rgb565`: one Uint16 per pixel;
 * - `indexed8`: one byte per pixel into `palette` (256 entries of 0xRRGGBB).
 */
export type PixelFormat = 'xrgb8888' | 'rgb565' | 'indexed8';

/** A graphics mode framebuffer. `stride` is in pixels. */
export interface Framebuffer {
  readonly kind: 'graphics';
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly format: PixelFormat;
  readonly pixels: Uint32Array | Uint16Array | Uint8Array;
  readonly palette?: Uint32Array;
  /** Optional: one byte per scanline, non-zero when it changed since the front end last cleared it. */
  readonly dirtyLines?: Uint8Array;
}

/** What the guest shows now: the display device switches between these on mode sets. */
export interface DisplaySource {
  current(): TextScreen | Framebuffer | null;
}

/** The human monitor (HMP). */
export interface MonitorPort {
  /** Runs one command line and resolves with its output (QEMU's text, lines ending in \n). */
  execute(line: string): Promise<string>;
  /** Output the monitor prints on its own (events, the banner); optional. */
  onOutput?(listener: (text: string) => void): void;
  /** Command names for tab completion. */
  commandNames(): readonly string[];
  /** Shown once when the pane first opens, e.g. `QEMU 8.2.0 monitor - type 'help' for more information`. */
  readonly banner?: string;
}

/** A serial port whose chardev is a `vc`: bytes from the guest, bytes to the guest. */
export interface SerialPort {
  readonly label: string;
  onOutput(listener: (bytes: Uint8Array) => void): void;
  write(bytes: Uint8Array): void;
}

/** Receives PS/2 scancodes (set 1 as the i8042 delivers them translated, E0 prefixes included). */
export type KeyboardSink = (scancodes: readonly number[]) => void;

/** Machine state for the status line. */
export interface MachineStatus {
  readonly running: boolean;
  /** Guest instructions per second over the last interval, in millions. */
  readonly mips: number;
}
