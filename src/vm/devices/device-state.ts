// Helpers for devices' saveState()/loadState(): a snapshot is a plain object of fields.

/**
 * The entries of a snapshot `s` that name fields `target` already has, so stale or
 * foreign keys in a snapshot are ignored instead of growing the device.
 */
export function pickKnown<T extends object>(target: T, s: object, exclude: readonly string[] = []): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k in target && !exclude.includes(k) && typeof (target as Record<string, unknown>)[k] !== 'function') out[k] = v;
  }
  return out as Partial<T>;
}
