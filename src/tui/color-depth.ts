// Colour output for the terminal at hand: truecolor, the xterm 256-colour palette or the 16 ANSI
// colours, and the SGR parameters that select a colour in each.
import { DEFAULT_COLOR } from './cell-grid.js';

export type ColorDepth = 'truecolor' | '256' | '16';

/** Chooses the colour depth from the environment, the way terminal programs usually do. */
export function detectColorDepth(env: NodeJS.ProcessEnv): ColorDepth {
  const colorterm = (env.COLORTERM ?? '').toLowerCase();
  const term = (env.TERM ?? '').toLowerCase();
  if (colorterm === 'truecolor' || colorterm === '24bit') return 'truecolor';
  if (term.endsWith('-direct') || term === 'xterm-kitty' || term === 'xterm-ghostty' || term === 'alacritty' || term === 'foot') {
    return 'truecolor';
  }
  if (term.includes('256color') || env.TMUX) return '256';
  return '16';
}

/** The VGA default palette in VGA order; the 16-colour output matches against it. */
export const VGA_DEFAULT_PALETTE: readonly number[] = [
  0x000000, 0x0000aa, 0x00aa00, 0x00aaaa, 0xaa0000, 0xaa00aa, 0xaa5500, 0xaaaaaa,
  0x555555, 0x5555ff, 0x55ff55, 0x55ffff, 0xff5555, 0xff55ff, 0xffff55, 0xffffff,
];
// VGA colour order (blue = 1) → ANSI order (red = 1).
const VGA_TO_ANSI = [0, 4, 2, 6, 1, 5, 3, 7];
const CUBE_LEVELS = [0, 95, 135, 175, 215, 255];

function distance(a: number, b: number): number {
  const dr = ((a >> 16) & 255) - ((b >> 16) & 255);
  const dg = ((a >> 8) & 255) - ((b >> 8) & 255);
  const db = (a & 255) - (b & 255);
  return 2 * dr * dr + 4 * dg * dg + 3 * db * db;
}

/** Index of the nearest of the cube levels 0, 95, 135, 175, 215, 255 (midpoints 48, 115, 155, …). */
function nearestCubeLevel(v: number): number {
  return v < 48 ? 0 : v < 115 ? 1 : ((v - 35) / 40) | 0;
}

/** The xterm 256-colour index closest to an RGB colour (the 6×6×6 cube or the grey ramp). */
export function rgbTo256(rgb: number): number {
  const r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
  const ri = nearestCubeLevel(r), gi = nearestCubeLevel(g), bi = nearestCubeLevel(b);
  const cube = (CUBE_LEVELS[ri] << 16) | (CUBE_LEVELS[gi] << 8) | CUBE_LEVELS[bi];
  const greyStep = Math.max(0, Math.min(23, Math.round(((r + g + b) / 3 - 8) / 10)));
  const grey = 8 + greyStep * 10;
  const greyRgb = (grey << 16) | (grey << 8) | grey;
  return distance(rgb, greyRgb) < distance(rgb, cube) ? 232 + greyStep : 16 + 36 * ri + 6 * gi + bi;
}

/** The ANSI colour number (0–15) closest to an RGB colour, judged by the VGA palette. */
export function rgbTo16(rgb: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let v = 0; v < 16; v++) {
    const d = distance(rgb, VGA_DEFAULT_PALETTE[v]);
    if (d < bestDistance) { bestDistance = d; best = v; }
  }
  return VGA_TO_ANSI[best & 7] + (best & 8);
}

/** SGR parameters selecting `color` as foreground (or background) at the given depth. */
export function sgrColor(color: number, depth: ColorDepth, background: boolean): string {
  if (color === DEFAULT_COLOR) return background ? '49' : '39';
  if (depth === 'truecolor') {
    return `${background ? 48 : 38};2;${(color >> 16) & 255};${(color >> 8) & 255};${color & 255}`;
  }
  if (depth === '256') return `${background ? 48 : 38};5;${rgbTo256(color)}`;
  const ansi = rgbTo16(color);
  return String((ansi < 8 ? (background ? 40 : 30) : (background ? 92 : 82)) + ansi);
}
