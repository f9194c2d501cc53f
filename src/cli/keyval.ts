// QEMU's option-string syntax (QemuOpts): `value,key=val,flag,noflag`, where the first
// element may omit its key (the "implied" key, e.g. the driver of -device) and `,,`
// stands for a literal comma.

export type KeyValues = Map<string, string>;

/** Splits on single commas; `,,` is an escaped comma. */
export function splitOptionList(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ',') {
      if (text[i + 1] === ',') {
        current += ',';
        i++;
        continue;
      }
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/**
 * Parses `text` into key/value pairs. The first element without `=` is the value of
 * `impliedKey`; later bare elements are booleans: `server` = server=on, `nowait` = wait=off.
 */
export function parseKeyValues(text: string, impliedKey?: string): KeyValues {
  const out: KeyValues = new Map();
  const parts = splitOptionList(text);
  parts.forEach((part, index) => {
    if (part === '' && index === parts.length - 1 && index > 0) return;
    const eq = part.indexOf('=');
    if (eq >= 0) out.set(part.slice(0, eq), part.slice(eq + 1));
    else if (index === 0 && impliedKey !== undefined) out.set(impliedKey, part);
    else if (part.startsWith('no') && part.length > 2) out.set(part.slice(2), 'off');
    else out.set(part, 'on');
  });
  return out;
}

/** QEMU's boolean values: on/off, yes/no, true/false. Undefined when not a boolean. */
export function parseBool(value: string): boolean | undefined {
  if (value === 'on' || value === 'yes' || value === 'true') return true;
  if (value === 'off' || value === 'no' || value === 'false') return false;
  return undefined;
}

/** An unsigned integer in C syntax (decimal, 0x hex, 0 octal); undefined when malformed. */
export function parseCInteger(value: string): number | undefined {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(value)) n = parseInt(value.slice(2), 16);
  else if (/^0[0-7]+$/.test(value)) n = parseInt(value.slice(1), 8);
  else if (/^[0-9]+$/.test(value)) n = parseInt(value, 10);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}
