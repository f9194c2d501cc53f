// A growable byte buffer for composing terminal output without allocating a string per piece:
// ASCII text, decimal numbers and UTF-8 code points are written straight into it.

/** The decimal digits of 0…255, three bytes per number (left-aligned), and their counts. */
const UINT8_DIGITS = new Uint8Array(256 * 3);
const UINT8_DIGIT_COUNT = new Uint8Array(256);
for (let n = 0; n < 256; n++) {
  const s = String(n);
  UINT8_DIGIT_COUNT[n] = s.length;
  for (let k = 0; k < s.length; k++) UINT8_DIGITS[n * 3 + k] = s.charCodeAt(k);
}

/** Writes `n` (0…255) in decimal into `buf` at `at`; returns the position after it. */
export function putUint8Decimal(buf: Buffer, at: number, n: number): number {
  const count = UINT8_DIGIT_COUNT[n], from = n * 3;
  buf[at] = UINT8_DIGITS[from];
  if (count > 1) buf[at + 1] = UINT8_DIGITS[from + 1];
  if (count > 2) buf[at + 2] = UINT8_DIGITS[from + 2];
  return at + count;
}

export class ByteWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  length = 0;

  reset(): void { this.length = 0; }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  /**
   * Makes room for `n` more bytes and returns the buffer, for hot paths that write at `length`
   * themselves and then advance it.
   */
  room(n: number): Buffer {
    this.ensure(n);
    return this.buf;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  /** Writes an ASCII string (escape sequences, digits, punctuation). */
  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
  }

  /** Writes a non-negative integer in decimal. */
  decimal(n: number): void {
    this.ensure(10);
    if (n >= 100) {
      if (n >= 1000) { this.ascii(String(n)); return; }
      this.buf[this.length++] = 0x30 + ((n / 100) | 0);
      n %= 100;
      this.buf[this.length++] = 0x30 + ((n / 10) | 0);
    } else if (n >= 10) {
      this.buf[this.length++] = 0x30 + ((n / 10) | 0);
    }
    this.buf[this.length++] = 0x30 + (n % 10);
  }

  /** Writes one Unicode code point as UTF-8. */
  codePoint(cp: number): void {
    this.ensure(4);
    const b = this.buf;
    if (cp < 0x80) b[this.length++] = cp;
    else if (cp < 0x800) {
      b[this.length++] = 0xc0 | (cp >> 6);
      b[this.length++] = 0x80 | (cp & 63);
    } else if (cp < 0x10000) {
      b[this.length++] = 0xe0 | (cp >> 12);
      b[this.length++] = 0x80 | ((cp >> 6) & 63);
      b[this.length++] = 0x80 | (cp & 63);
    } else {
      b[this.length++] = 0xf0 | (cp >> 18);
      b[this.length++] = 0x80 | ((cp >> 12) & 63);
      b[this.length++] = 0x80 | ((cp >> 6) & 63);
      b[this.length++] = 0x80 | (cp & 63);
    }
  }

  /** A copy of what was written (the writer's own buffer is reused for the next frame). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.length));
    this.length = 0;
    return out;
  }
}
