// QEMU's size syntax (qemu_strtosz): a decimal number, optionally with a fraction, or a
// hex integer, followed by an optional suffix B/K/M/G/T/P/E (powers of 1024). A bare
// number takes the default unit; a fraction needs an explicit suffix.

const UNITS: Record<string, number> = { B: 0, K: 10, M: 20, G: 30, T: 40, P: 50, E: 60 };

export const SIZE_ERROR =
  "Parameter 'size' expects a non-negative number below 2^64\n" +
  'Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n' +
  'and exabytes, respectively.';

export interface ParsedSize {
  bytes: number;
  /** QEMU warns when a hex number carries a suffix. */
  deprecatedHexSuffix: boolean;
}

/** Returns undefined when `text` is not a valid size. */
export function parseSize(text: string, defaultUnit: keyof typeof UNITS): ParsedSize | undefined {
  const m = /^\s*(0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?)([bBkKmMgGtTpPeE]?)$/.exec(text);
  if (!m) return undefined;
  const [, digits, suffix] = m;
  const hex = /^0[xX]/.test(digits);
  const value = hex ? parseInt(digits.slice(2), 16) : parseFloat(digits);
  const hasFraction = !hex && digits.includes('.') && value !== Math.floor(value);
  if (hasFraction && suffix === '') return undefined;
  const shift = UNITS[(suffix || defaultUnit).toUpperCase()];
  const bytes = Math.floor(value * 2 ** shift);
  if (!Number.isFinite(bytes) || bytes >= 2 ** 64) return undefined;
  return { bytes, deprecatedHexSuffix: hex && shift !== 0 };
}
