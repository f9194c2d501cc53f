// qemu's size syntax (qemu_strtosz) and its human-readable sizes (size_to_str).

const SUFFIXES = 'bkmgtpe';

/** Parses "64M", "1.5G", "0x1000", … into bytes; null when the syntax is invalid (callers range-check). */
export function parseSize(text: string): bigint | null {
  const m = /^\s*\+?(0[xX][0-9a-fA-F]+|[0-9]+)(\.[0-9]*)?([bBkKmMgGtTpPeE])?$/.exec(text);
  if (!m) return null;
  const [, intPart, frac, suffix] = m;
  const hex = /^0[xX]/.test(intPart);
  const digits = frac ? frac.slice(1) : '';
  const fractional = /[1-9]/.test(digits);
  if (frac !== undefined && hex) return null;
  // A fraction needs a unit ("1.5M"); "1." or "1.0" still mean whole bytes.
  if (fractional && suffix === undefined) return null;
  const shift = suffix ? SUFFIXES.indexOf(suffix.toLowerCase()) * 10 : 0;
  const unit = 1n << BigInt(shift);
  let value = BigInt(intPart) * unit;
  if (fractional) {
    const scale = 10n ** BigInt(digits.length);
    value += (BigInt(digits) * unit * 2n + scale) / (2n * scale);
  }
  return value;
}

/** qemu warns (but accepts) "0x10M": hexadecimal with a unit suffix. */
export function isHexWithSuffix(text: string): boolean {
  return /^\s*\+?0[xX][0-9a-fA-F]+[kKmMgGtTpPeE]$/.test(text);
}

/** size_to_str(): three significant digits, binary prefixes, C "%0.3g" rounding. */
export function sizeToStr(val: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  const x = val / (1000 / 1024);
  let e = 0;
  if (x > 0) {
    e = Math.floor(Math.log2(x)) + 1;
    if (2 ** (e - 1) > x) e--;
    else if (2 ** e <= x) e++;
  }
  const u = Math.min(6, Math.max(0, Math.trunc((e - 1) / 10)));
  return `${formatG3(BigInt(Math.round(val)), 1n << BigInt(10 * u))} ${units[u]}B`;
}

/** printf("%.3g") of num/den, rounding ties to even like glibc. */
function formatG3(num: bigint, den: bigint): string {
  if (num === 0n) return '0';
  const p10 = (k: number) => 10n ** BigInt(k);
  let x = 0;
  while (num >= den * p10(x + 1)) x++;
  while (x >= 0 ? num < den * p10(x) : num * p10(-x) < den) x--;
  const s = 2 - x;
  const n = s >= 0 ? num * p10(s) : num;
  const d = s >= 0 ? den : den * p10(-s);
  let q = n / d;
  const r2 = 2n * (n % d);
  if (r2 > d || (r2 === d && q % 2n === 1n)) q++;
  if (q === 1000n) {
    q = 100n;
    x++;
  }
  const digits = q.toString();
  if (x < -4 || x >= 3) {
    const mant = (digits[0] + '.' + digits.slice(1)).replace(/\.?0+$/, '');
    return `${mant}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  const ip = x >= 0 ? digits.slice(0, x + 1) : '0';
  const fp = (x >= 0 ? digits.slice(x + 1) : '0'.repeat(-x - 1) + digits).replace(/0+$/, '');
  return fp ? `${ip}.${fp}` : ip;
}
