// Exact conversions between virtual nanoseconds and the tick counts of a device clock
// (PIT 1.193182 MHz, RTC 32.768 kHz, ACPI PM timer 3.579545 MHz). Splitting into whole
// seconds keeps every product below 2^53, so long uptimes never lose ticks.

const NS_PER_SECOND = 1e9;

/** Whole ticks of a `hz` clock that fit in `deltaNs` (deltaNs >= 0). */
export function ticksIn(deltaNs: number, hz: number): number {
  const seconds = Math.floor(deltaNs / NS_PER_SECOND);
  const rest = deltaNs - seconds * NS_PER_SECOND;
  return seconds * hz + Math.floor((rest * hz) / NS_PER_SECOND);
}

/** The first nanosecond at which `ticks` ticks of a `hz` clock have elapsed. */
export function nsForTicks(ticks: number, hz: number): number {
  const seconds = Math.floor(ticks / hz);
  const rest = ticks - seconds * hz;
  return seconds * NS_PER_SECOND + Math.ceil((rest * NS_PER_SECOND) / hz);
}

export function toBcd(value: number): number {
  return ((Math.floor(value / 10) % 10) << 4) | (value % 10);
}

export function fromBcd(value: number): number {
  return (value >> 4) * 10 + (value & 0x0f);
}
