// `info pic`: the I/O APIC's redirection table and the two 8259s, in the order and
// layout QEMU 7.2 prints them (ioapic_print_redtbl, pic_print_info); `info irq`: the
// rising edges each controller's inputs saw (QEMU's interrupt statistics).

import type { Pic8259 } from '../devices/pic-chip.js';
import type { PcBoard } from './pc-board.js';

const DELIVERY_MODES = ['fixed', 'lowest', 'SMI', '...', 'NMI', 'INIT', '...', 'extINT'];
const ENTRY_MASKED = 0x10000;
const ENTRY_LEVEL = 0x8000;
const ENTRY_REMOTE_IRR = 0x4000;
const ENTRY_ACTIVE_LOW = 0x2000;
const ENTRY_LOGICAL = 0x800;

const hex2 = (v: number) => v.toString(16).padStart(2, '0');

function pinList(name: string, bitmap: number): string {
  let out = `${name.padEnd(10)} `;
  if (bitmap === 0) return `${out}(none)\n`;
  for (let i = 0; i < 24; i++) if (bitmap & (1 << i)) out += `${String(i).padEnd(2)} `;
  return `${out}\n`;
}

interface IoApicState {
  id: number;
  select: number;
  low: number[];
  high: number[];
  lines: number;
}

function ioapicInfo(s: IoApicState): string {
  let out = `ioapic0: ver=0x20 id=0x${hex2(s.id)} sel=0x${hex2(s.select)}`;
  out += s.select ? ` (redir[${(s.select - 0x10) >> 1}])\n` : '\n';
  let remoteIrr = 0;
  let irr = 0;
  s.low.forEach((low, pin) => {
    const entry = (BigInt(s.high[pin] >>> 0) << 32n) | BigInt(low >>> 0);
    const logical = (low & ENTRY_LOGICAL) !== 0;
    const dest = (s.high[pin] >>> 24) & (logical ? 0xff : 0xf);
    out += `  pin ${String(pin).padEnd(2)} 0x${entry.toString(16).padStart(16, '0')} dest=${dest.toString(16)}`;
    out += ` vec=${String(low & 0xff).padEnd(3)} ${low & ENTRY_ACTIVE_LOW ? 'active-lo' : 'active-hi'} ${(low & ENTRY_LEVEL ? 'level' : 'edge').padEnd(5)}`;
    out += ` ${(low & ENTRY_MASKED ? 'masked' : '').padEnd(6)} ${DELIVERY_MODES[(low >> 8) & 7].padEnd(6)} ${logical ? 'logical' : 'physical'}\n`;
    if (low & ENTRY_LEVEL) {
      if (low & ENTRY_REMOTE_IRR) remoteIrr |= 1 << pin;
      // A level pin's request is pending while its line is up.
      if (s.lines & (1 << pin)) irr |= 1 << pin;
    }
  });
  return out + pinList('  IRR', irr) + pinList('  Remote IRR', remoteIrr);
}

function pic8259Info(p: Pic8259): string {
  return `pic${p.isMaster ? 0 : 1}: irr=${hex2(p.irr)} imr=${hex2(p.imr)} isr=${hex2(p.isr)} hprio=${p.priorityAdd} irq_base=${hex2(p.vectorBase)} rr_sel=${p.readIsr ? 1 : 0} elcr=${hex2(p.elcr)} fnm=${p.specialFullyNested ? 1 : 0}\n`;
}

export function picInfo(board: PcBoard): string {
  return ioapicInfo(board.ioapic.saveState() as IoApicState) + pic8259Info(board.pic.slave) + pic8259Info(board.pic.master);
}

function irqStatistics(name: string, raised: Float64Array): string {
  let out = `IRQ statistics for ${name}:\n`;
  raised.forEach((count, irq) => {
    if (count > 0) out += `${String(irq).padStart(2)}: ${count}\n`;
  });
  return out;
}

/** QEMU lists the 8259 pair once, as the master's 16 inputs. */
export function irqInfo(board: PcBoard): string {
  return irqStatistics('ioapic', board.ioapic.raised) + irqStatistics('isa-i8259', board.pic.raised);
}
