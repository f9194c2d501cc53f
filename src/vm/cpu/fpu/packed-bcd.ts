// The x87's 80-bit packed BCD format (FBLD/FBSTP): 18 digits in bytes 0-8, two per byte
// (low digit in the low nibble), sign in bit 7 of byte 9. Rare instructions, so BigInt is
// used for the exact 60-bit magnitudes.

/** Decodes 10 BCD bytes to a signed integer (nibbles above 9 decode as their binary value, as the 387 does). */
export function bcdToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 8; i >= 0; i--) {
    v = v * 100n + BigInt((bytes[i] >>> 4) * 10 + (bytes[i] & 15));
  }
  return bytes[9] & 0x80 ? -v : v;
}

/** Encodes |v| < 10^18 into 10 BCD bytes; `negative` carries the sign (so -0 keeps it). */
export function bigIntToBcd(magnitude: bigint, negative: boolean, out: Uint8Array): void {
  let v = magnitude;
  for (let i = 0; i < 9; i++) {
    const two = Number(v % 100n);
    v /= 100n;
    out[i] = ((Math.floor(two / 10) << 4) | two % 10) & 0xff;
  }
  out[9] = negative ? 0x80 : 0;
}

export const BCD_LIMIT = 10n ** 18n;
