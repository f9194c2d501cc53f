// saveState()/loadState() by field name for devices whose state is a list of numbers,
// booleans and typed arrays: values are copied out (structured-clone safe) and copied
// back in place, so typed arrays keep their identity and size.

export function saveFields(source: object, keys: readonly string[]): Record<string, unknown> {
  const from = source as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = structuredClone(from[k]);
  return out;
}

export function loadFields(target: object, state: Record<string, unknown>, keys: readonly string[]): void {
  const to = target as Record<string, unknown>;
  for (const k of keys) {
    if (!(k in state)) continue;
    const current = to[k];
    const value = state[k];
    if (ArrayBuffer.isView(current) && ArrayBuffer.isView(value)) {
      const dst = current as Uint8Array;
      dst.fill(0);
      dst.set((value as Uint8Array).subarray(0, dst.length));
    } else if (current === undefined || value === undefined || typeof current === typeof value) {
      to[k] = value;
    }
  }
}
