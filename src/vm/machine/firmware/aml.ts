// A tiny AML (ACPI Machine Language) encoder: just the terms termu's DSDT needs. Each
// function returns the encoded bytes of one term (ACPI 6.x, section 20.2).

export type Aml = number[];

/** PkgLength: 1 to 4 bytes, counting itself. */
function pkgLength(contentLength: number): Aml {
  for (let extra = 0; extra <= 3; extra++) {
    const total = contentLength + 1 + extra;
    if (extra === 0 && total < 0x40) return [total];
    if (extra > 0 && total < 1 << (4 + 8 * extra)) {
      const out = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) out.push((total >> (4 + 8 * i)) & 0xff);
      return out;
    }
  }
  throw new Error('AML package too large');
}

/** A NameString: `\`-rooted or relative, made of 4-character segments. */
export function nameString(path: string): Aml {
  const out: Aml = [];
  let rest = path;
  if (rest.startsWith('\\')) {
    out.push(0x5c);
    rest = rest.slice(1);
  }
  const segs = rest === '' ? [] : rest.split('.');
  if (segs.length === 2) out.push(0x2e);
  else if (segs.length > 2) out.push(0x2f, segs.length);
  else if (segs.length === 0) out.push(0x00);
  for (const seg of segs) {
    const padded = seg.padEnd(4, '_');
    if (padded.length !== 4) throw new Error(`bad AML name segment ${seg}`);
    for (const c of padded) out.push(c.charCodeAt(0));
  }
  return out;
}

export function integer(v: number): Aml {
  if (v === 0) return [0x00];
  if (v === 1) return [0x01];
  if (v < 0x100) return [0x0a, v];
  if (v < 0x10000) return [0x0b, v & 0xff, v >> 8];
  return [0x0c, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
}

export function name(n: string, value: Aml): Aml {
  return [0x08, ...nameString(n), ...value];
}

export function pkg(elements: Aml[]): Aml {
  const body = [elements.length, ...elements.flat()];
  return [0x12, ...pkgLength(body.length), ...body];
}

export function scope(n: string, terms: Aml[]): Aml {
  const body = [...nameString(n), ...terms.flat()];
  return [0x10, ...pkgLength(body.length), ...body];
}

/** An EISA id such as PNP0A03 in its compressed 32-bit form (ACPI's EisaId macro). */
export function eisaId(id: string): Aml {
  const letter = (i: number) => id.charCodeAt(i) - 0x40;
  const v = ((letter(0) << 26) | (letter(1) << 21) | (letter(2) << 16) | parseInt(id.slice(3), 16)) >>> 0;
  // Stored big-endian: the bytes in memory read as the id's letters and digits in order.
  const swapped = ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) >>> 0;
  return integer(swapped);
}

export function device(n: string, terms: Aml[]): Aml {
  const body = [...nameString(n), ...terms.flat()];
  return [0x5b, 0x82, ...pkgLength(body.length), ...body];
}

export function buffer(bytes: number[]): Aml {
  const body = [...integer(bytes.length), ...bytes];
  return [0x11, ...pkgLength(body.length), ...body];
}

const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];

/** Resource descriptors (ACPI 6.x, 6.4) for a ResourceTemplate; `endTag` closes the list. */
export const resource = {
  /** A fixed 16-bit-decoded I/O port range the device consumes. */
  io: (base: number, length: number) => [0x47, 0x01, ...le16(base), ...le16(base), 0x01, length],
  /** A bus-number (type 2) or I/O (type 1) window the bridge produces: [min, max], fixed. */
  word: (type: 1 | 2, min: number, max: number) => [0x88, 0x0d, 0x00, type, 0x0c, type === 1 ? 0x03 : 0x00, ...le16(0), ...le16(min), ...le16(max), ...le16(0), ...le16(max - min + 1)],
  /** A cacheable read/write memory window the bridge produces: [min, max], fixed. */
  memory32: (min: number, max: number) => [0x87, 0x17, 0x00, 0x00, 0x0c, 0x03, ...le32(0), ...le32(min), ...le32(max), ...le32(0), ...le32(max - min + 1)],
  /** IRQNoFlags: one edge-triggered, active-high ISA interrupt. */
  irq: (line: number) => [0x22, ...le16(1 << line)],
  endTag: () => [0x79, 0x00],
};
