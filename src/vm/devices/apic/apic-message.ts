// An interrupt message on the APIC bus, as the IOAPIC's redirection entries and the
// local APIC's ICR describe it.

export const DELIVERY_FIXED = 0;
export const DELIVERY_LOWEST = 1;
export const DELIVERY_SMI = 2;
export const DELIVERY_NMI = 4;
export const DELIVERY_INIT = 5;
export const DELIVERY_STARTUP = 6;
export const DELIVERY_EXTINT = 7;

export interface ApicMessage {
  vector: number;
  /** One of the DELIVERY_* modes. */
  deliveryMode: number;
  /** false: physical destination (APIC ID); true: logical (LDR/DFR match). */
  logical: boolean;
  destination: number;
  /** Level-triggered: the local APIC sets TMR and broadcasts its EOI. */
  levelTriggered: boolean;
}
