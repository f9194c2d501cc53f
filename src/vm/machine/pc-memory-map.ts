// termu's pc memory and I/O maps in QEMU's memory-region terms, read from the board's
// current state (RAM size, firmware, the i440FX's PAM/SMRAM switches, PCI BARs, the port
// ranges devices registered), so `info mtree` changes when the guest remaps something.

import { BAR_UNMAPPED, type PciDevice } from '../devices/pci/pci-device.js';
import type { BiosHardware } from './bios-hardware.js';
import { WHOLE_SPACE, type AddressSpace, type MemoryRegionNode, type RegionType } from './memory-tree.js';
import { ISA_BIOS_SIZE } from './pam-shadow.js';
import type { PcBoard } from './pc-board.js';
import { PAGE_MMIO, PAGE_RAM, PAGE_SHIFT } from './physical-memory.js';
import { inQemuCreationOrder, qemuPciName } from './qemu-device-names.js';

const VGA_WINDOW = 0xa0000;
const VGA_WINDOW_SIZE = 0x20000;
const OPTION_ROM_SPACE = 0xc0000;
const IOAPIC_BASE = 0xfec00000;
const HPET_BASE = 0xfed00000;
const MSI_BASE = 0xfee00000;
/** QEMU maps the APIC's MSI window above everything else. */
const MSI_PRIORITY = 4096;
const SMRAM_D_OPEN = 0x40;
/** PAM modes (RE | WE) as QEMU names its four aliases per segment. */
const PAM_ALIAS = ['pam-pci', 'pam-rom', 'pam-pci', 'pam-ram'];

interface BarRegion {
  name: string;
  type: RegionType;
  children?: MemoryRegionNode[];
}

const region = (name: string, addr: number | bigint, size: number | bigint, type: RegionType, priority = 0, children?: MemoryRegionNode[]): MemoryRegionNode => ({
  name,
  addr: BigInt(addr),
  size: BigInt(size),
  type,
  priority,
  children,
});

const container = (name: string, addr: number, size: bigint, priority = 0, children: MemoryRegionNode[] = []): MemoryRegionNode => ({
  ...region(name, addr, size, 'i/o', priority, children),
  container: true,
});

const alias = (name: string, addr: number, size: number, target: MemoryRegionNode, offset: number, priority: number): MemoryRegionNode => ({
  name,
  addr: BigInt(addr),
  size: BigInt(size),
  priority,
  alias: { target, offset: BigInt(offset) },
});

/** QEMU's regions behind each memory BAR of the devices termu has. */
function barRegion(device: PciDevice, index: number): BarRegion | undefined {
  if (qemuPciName(device) !== 'VGA') return undefined;
  if (index === 0) return { name: 'vga.vram', type: 'ram' };
  if (index !== 2) return undefined;
  // termu's MMIO BAR decodes the same blocks as QEMU's; it has no EDID block at 0.
  return {
    name: 'vga.mmio',
    type: 'i/o',
    children: [region('vga ioports remapped', 0x400, 0x20, 'i/o'), region('bochs dispi interface', 0x500, 0x16, 'i/o'), region('qemu extended regs', 0x600, 8, 'i/o')],
  };
}

/** QEMU's subregions of an I/O BAR whose registers termu decodes the same way. */
function ioBarChildren(device: PciDevice, index: number): MemoryRegionNode[] | undefined {
  if (qemuPciName(device) !== 'piix3-ide' || index !== 4) return undefined;
  // Per channel: command and status (piix-bmdma), then the PRD table address (bmdma).
  return [0, 8].flatMap((ch) => [region('piix-bmdma', ch, 4, 'i/o'), region('bmdma', ch + 4, 4, 'i/o')]);
}

/** The port ranges devices registered; PCI I/O BARs lie over the bus at priority 1, as in QEMU. */
function ioRegions(board: PcBoard): MemoryRegionNode[] {
  const bars = new Map<number, MemoryRegionNode[] | undefined>();
  for (const { device } of board.pciHost.devices) {
    device.barAddress.forEach((address, index) => {
      if (address !== BAR_UNMAPPED && device.barSpec(index)?.io) bars.set(address, ioBarChildren(device, index));
    });
  }
  return board.io.portRanges().map((r) => {
    if (!bars.has(r.base)) return region(r.name, r.base, r.count, 'i/o', r.priority);
    const children = bars.get(r.base);
    // A BAR with QEMU's subregions is QEMU's container of them.
    return children ? container(r.name, r.base, BigInt(r.count), r.priority + 1, children) : region(r.name, r.base, r.count, 'i/o', r.priority + 1);
  });
}

function pciMemoryRegions(board: PcBoard): MemoryRegionNode[] {
  const out: MemoryRegionNode[] = [];
  for (const { device } of board.pciHost.devices) {
    device.barAddress.forEach((address, index) => {
      const spec = device.barSpec(index);
      const bar = spec && !spec.io && address !== BAR_UNMAPPED ? barRegion(device, index) : undefined;
      if (bar) out.push(region(bar.name, address >>> 0, spec!.size, bar.type, 1, bar.children));
    });
  }
  return out;
}

/** The PAM segments in address order: 0xc0000-0xeffff in 16 KiB steps, then the F segment. */
const PAM_SEGMENTS = [...Array.from({ length: 12 }, (_, i) => ({ base: OPTION_ROM_SPACE + i * 0x4000, size: 0x4000 })), { base: 0xf0000, size: 0x10000 }];

export function pcAddressSpaces(board: PcBoard, hw: BiosHardware | undefined): AddressSpace[] {
  const memory = board.memory;
  const ram = region('pc.ram', 0, memory.ramSize, 'ram');
  const pci = container('pci', 0, WHOLE_SPACE, -1);
  const pciChildren = pci.children!;
  if (hw?.display) pciChildren.push(region('vga-lowmem', VGA_WINDOW, VGA_WINDOW_SIZE, 'i/o', 1));
  const biosSize = hw?.biosSize;
  if (biosSize !== undefined) {
    const bios = region('pc.bios', 2 ** 32 - biosSize, biosSize, 'rom');
    pciChildren.push(region('pc.rom', OPTION_ROM_SPACE, 0x20000, 'rom', 1), { ...alias('isa-bios', 0x100000 - ISA_BIOS_SIZE, ISA_BIOS_SIZE, bios, biosSize - ISA_BIOS_SIZE, 1), readonly: true });
    pciChildren.push(bios);
  }
  pciChildren.push(...pciMemoryRegions(board));

  const system = container('system', 0, WHOLE_SPACE, 0, [alias('ram-below-4g', 0, memory.ramSize, ram, 0, 0), pci]);
  const sys = system.children!;
  // The VGA window shows through while SMRAM is closed (without firmware it is always mapped).
  const smramClosed = hw?.pam ? (hw.pam.smram & SMRAM_D_OPEN) === 0 : memory.pageKind[VGA_WINDOW >>> PAGE_SHIFT] === PAGE_MMIO;
  if (smramClosed) sys.push(alias('smram-region', VGA_WINDOW, VGA_WINDOW_SIZE, pci, VGA_WINDOW, 1));
  if (hw?.pam) {
    for (const seg of [...hw.pam.pamSegments].sort((a, b) => a.base - b.base)) {
      // Mode 1 (read-enable only) is QEMU's read-only pam-rom alias of RAM.
      sys.push({ ...alias(PAM_ALIAS[seg.mode], seg.base, seg.size, seg.mode === 0 ? pci : ram, seg.base, 1), readonly: seg.mode === 1 });
    }
  } else {
    // Without firmware nothing shadows 0xc0000-0xfffff: it is plain RAM, QEMU's pam-ram.
    for (const { base, size } of PAM_SEGMENTS) if (memory.pageKind[base >>> PAGE_SHIFT] === PAGE_RAM) sys.push(alias('pam-ram', base, size, ram, base, 1));
  }
  sys.push(region('ioapic', IOAPIC_BASE, 0x1000, 'i/o'), region('hpet', HPET_BASE, 0x400, 'i/o'), region('apic-msi', MSI_BASE, 0x100000, 'i/o', MSI_PRIORITY));

  const io = region('io', 0, 0x10000, 'i/o', 0, ioRegions(board));
  return [
    { name: 'memory', root: system },
    { name: 'I/O', root: io },
    { name: 'cpu-memory-0', root: system },
    ...inQemuCreationOrder(board.pciHost.devices).map(({ device }) => ({ name: qemuPciName(device), root: container('bus master container', 0, WHOLE_SPACE) })),
  ];
}
