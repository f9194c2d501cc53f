// JSON in qemu's pretty style: 4-space indentation, keys in the order given (callers
// build objects in qemu's observed key order).
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json | undefined };

export function toQemuJson(v: Json, indent = 0): string {
  const pad = ' '.repeat(indent + 4);
  const end = ' '.repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => pad + toQemuJson(x, indent + 4)).join(',\n')}\n${end}]`;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${pad}${JSON.stringify(k)}: ${toQemuJson(v[k] as Json, indent + 4)}`).join(',\n')}\n${end}}`;
  }
  return JSON.stringify(v);
}
