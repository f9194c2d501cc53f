// Test helper: an @xterm/headless terminal that the renderer's bytes (or a pty's) are fed into,
// with readers for text and cell colours.
import xterm from '@xterm/headless';

export type HeadlessTerminal = InstanceType<typeof xterm.Terminal>;

export function createTerminal(cols: number, rows: number): HeadlessTerminal {
  return new xterm.Terminal({ cols, rows, allowProposedApi: true });
}

export function writeAsync(term: HeadlessTerminal, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

export function screenLine(term: HeadlessTerminal, y: number): string {
  return term.buffer.active.getLine(y)?.translateToString(false) ?? '';
}

/** Foreground and background of a cell as 0xRRGGBB (truecolor cells only), or -1 for default. */
export function cellRgb(term: HeadlessTerminal, x: number, y: number): { ch: string; fg: number; bg: number } {
  const cell = term.buffer.active.getLine(y)!.getCell(x)!;
  return {
    ch: cell.getChars(),
    fg: cell.isFgDefault() ? -1 : cell.getFgColor(),
    bg: cell.isBgDefault() ? -1 : cell.getBgColor(),
  };
}
