// termu's pc devices as QEMU's qdev tree (`info qtree`): the board's real device list (PCI
// functions, ISA devices, drives) in QEMU's types, with the properties QEMU prints for them.
// Values come from termu's devices where termu holds them (ports, IRQs, BARs, IDs, drives,
// geometry, VGA BIOS); the rest are QEMU's property defaults, except where termu lacks the
// feature a property switches on, which is printed as off.

import { IOAPIC_VERSION } from '../devices/apic/ioapic.js';
import { BAR_UNMAPPED, ROM_BAR, type PciDevice } from '../devices/pci/pci-device.js';
import { COM_PORTS } from '../devices/uart16550.js';
import type { BiosHardware } from './bios-hardware.js';
import { prop, type QdevBus, type QdevDevice } from './device-tree.js';
import type { PcBoard } from './pc-board.js';
import { deviceName } from './pc-storage.js';
import { CLASS_NAMES } from './pci-info.js';
import { inQemuCreationOrder, qemuPciName } from './qemu-device-names.js';

const { uint, size, str, bool, raw } = prop;
const gpio = (dir: 'in' | 'out', name: string, n: number) => `gpio-${dir} "${name}" ${n}`;
const NO_ROM = 0xffffffff;
const FLOPPY_DRIVE_TYPES: Record<number, string> = { 2: '120', 4: '144', 5: '288' };

function hex(v: number, width: number): string {
  return v.toString(16).padStart(width, '0');
}

/** The properties every PCI device has, its class line and its BARs (qdev's pci_dev_print). */
function pciLines(devfn: number, d: PciDevice, rom: { file: string; size: number }, multifunction: boolean): string[] {
  const c = d.config;
  const word = (o: number) => c[o] | (c[o + 1] << 8);
  const slot = `${hex(devfn >> 3, 2)}.${devfn & 7}`;
  const classCode = word(0x0a);
  const lines = [
    raw('addr', slot),
    str('romfile', rom.file),
    uint('romsize', rom.size),
    uint('rombar', 1),
    bool('multifunction', multifunction),
    bool('x-pcie-lnksta-dllla', true),
    bool('x-pcie-extcap-init', true),
    str('failover_pair_id', ''),
    uint('acpi-index', 0),
    `class ${CLASS_NAMES[classCode] ?? `Class ${hex(classCode, 4)}`}, addr 00:${slot}, pci id ${hex(word(0), 4)}:${hex(word(2), 4)} (sub ${hex(word(0x2c), 4)}:${hex(word(0x2e), 4)})`,
  ];
  for (const bar of [0, 1, 2, 3, 4, 5, ROM_BAR]) {
    const spec = d.barSpec(bar);
    if (!spec) continue;
    const address = d.barAddress[bar] === BAR_UNMAPPED ? (1n << 64n) - 1n : BigInt(d.barAddress[bar]);
    const last = BigInt.asUintN(64, address + BigInt(spec.size) - 1n);
    lines.push(`bar ${bar}: ${spec.io ? 'i/o' : 'mem'} at 0x${address.toString(16)} [0x${last.toString(16)}]`);
  }
  return lines;
}

function ideBuses(hw: BiosHardware | undefined): QdevBus[] {
  const buses: QdevBus[] = [0, 1].map((n) => ({ name: `ide.${n}`, type: 'IDE', devices: [] }));
  for (const opened of hw?.storage.drives ?? []) {
    const { config } = opened;
    if (config.interface !== 'ide') continue;
    const bus = config.index >> 1;
    const unit = config.index & 1;
    const drive = hw!.storage.ide.drive({ bus: bus as 0 | 1, unit: unit as 0 | 1 });
    if (!drive) continue;
    const disk = drive.kind === 'disk';
    const lines = [
      str('drive', deviceName(opened)),
      str('backend_defaults', 'auto'),
      size('logical_block_size', 512),
      size('physical_block_size', 512),
      size('min_io_size', 0),
      size('opt_io_size', 0),
      size('discard_granularity', 512),
      str('write-cache', 'auto'),
      bool('share-rw', false),
      str('account-invalid', 'auto'),
      str('account-failed', 'auto'),
      str('rerror', 'auto'),
      str('werror', 'auto'),
      str('ver', '2.5+'),
      uint('wwn', 0),
      str('serial', `QM0000${config.index + 1}`),
      str('model', ''),
    ];
    if (disk) {
      const { cylinders, heads, sectors } = drive.geometry;
      lines.push(uint('cyls', cylinders), uint('heads', heads), uint('secs', sectors), uint('lcyls', 0), uint('lheads', 0), uint('lsecs', 0));
      lines.push(str('bios-chs-trans', cylinders > 1024 ? 'lba' : 'none'), uint('rotation_rate', 0));
    }
    lines.push(uint('unit', unit));
    // A master is created before its slave, and qtree lists the newest first.
    buses[bus].devices.unshift({ type: disk ? 'ide-hd' : 'ide-cd', lines });
  }
  return buses.reverse();
}

function floppyBus(hw: BiosHardware | undefined): QdevBus {
  const devices: QdevDevice[] = [];
  hw?.storage.fdc.drives.forEach((drive, unit) => {
    if (!drive.medium) return;
    const lines = [uint('unit', unit), str('drive', `floppy${unit}`), str('backend_defaults', 'auto')];
    lines.push(size('logical_block_size', 512), size('physical_block_size', 512), size('min_io_size', 0), size('opt_io_size', 0), size('discard_granularity', 0xffffffff));
    lines.push(str('write-cache', 'auto'), bool('share-rw', false), str('account-invalid', 'auto'), str('account-failed', 'auto'));
    lines.push(str('drive-type', FLOPPY_DRIVE_TYPES[drive.format.driveType] ?? 'auto'));
    devices.unshift({ type: 'floppy', lines });
  });
  return { name: 'floppy-bus.0', type: 'floppy-bus', devices };
}

/** The ISA devices, newest first in QEMU's creation order; -device/-debugcon ones come last, so first. */
function isaDevices(board: PcBoard, hw: BiosHardware | undefined): QdevDevice[] {
  const devices: QdevDevice[] = [];
  const added = (d: QdevDevice) => devices.unshift(d);
  for (const [base, pageBase, shift] of [[0, 0x80, 0], [0xc0, 0x88, 1]]) {
    added({ type: 'i8257', lines: [uint('base', base), uint('page-base', pageBase), uint('pageh-base', -1), uint('dshift', shift)] });
  }
  for (const chip of [board.pic.master, board.pic.slave]) {
    const master = chip === board.pic.master;
    const iobase = master ? 0x20 : 0xa0;
    added({ type: 'isa-i8259', lines: [gpio('in', '', 8), gpio('out', '', 1), uint('iobase', iobase), uint('elcr_addr', master ? 0x4d0 : 0x4d1), uint('elcr_mask', chip.elcrMask), bool('master', master)] });
  }
  added({ type: 'mc146818rtc', lines: [gpio('out', '', 1), uint('base_year', 0), uint('iobase', 0x70), uint('irq', 8), str('lost_tick_policy', 'discard')] });
  added({ type: 'isa-pit', lines: [gpio('in', '', 1), gpio('out', '', 1), uint('iobase', 0x40)] });
  added({ type: 'isa-pcspk', lines: [str('audiodev', ''), uint('iobase', 0x61), bool('migrate', true)] });
  board.uarts.forEach((_, i) => added({ type: 'isa-serial', lines: [uint('index', i), uint('iobase', COM_PORTS[i].base), uint('irq', COM_PORTS[i].irq)] }));
  if (hw) {
    const fdc = ['iobase', 'irq', 'dma'].map((k, i) => uint(k, [0x3f0, 6, 2][i]));
    added({ type: 'isa-fdc', lines: [...fdc, str('fdtypeA', 'auto'), str('fdtypeB', 'auto'), str('fallback', '288')], buses: [floppyBus(hw)] });
  }
  added({
    type: 'i8042',
    lines: [gpio('in', 'ps2-mouse-input-irq', 1), gpio('in', 'ps2-kbd-input-irq', 1), gpio('out', '', 2), gpio('out', 'a20', 1), bool('extended-state', true), bool('kbd-throttle', false), uint('kbd-irq', 1), uint('mouse-irq', 12)],
  });
  added({ type: 'port92', lines: [gpio('out', 'a20', 1)] });
  // QEMU creates -device devices, then -debugcon's (with the id "debugcon").
  const ranges = board.io.portRanges();
  for (const r of ranges) if (r.name === 'isa-debug-exit') added({ type: 'isa-debug-exit', lines: [uint('iobase', r.base), uint('iosize', r.count)] });
  for (const r of ranges) if (r.name === 'isa-debugcon') added({ type: 'isa-debugcon', id: 'debugcon', lines: [uint('iobase', r.base), str('chardev', 'debugcon'), uint('readback', 0xe9)] });
  return devices;
}

function pciDevice(board: PcBoard, hw: BiosHardware | undefined, devfn: number, device: PciDevice): QdevDevice {
  const type = qemuPciName(device);
  const noRom = { file: '', size: NO_ROM };
  switch (type) {
    case 'i440FX':
      return { type, lines: pciLines(devfn, device, noRom, false) };
    case 'PIIX3':
      return { type, lines: pciLines(devfn, device, noRom, true), buses: [{ name: 'isa.0', type: 'ISA', devices: isaDevices(board, hw) }] };
    case 'piix3-ide':
      return { type, lines: pciLines(devfn, device, noRom, false), buses: ideBuses(hw) };
    case 'VGA': {
      const romSize = device.barSpec(ROM_BAR)?.size;
      const rom = romSize ? { file: 'vgabios-stdvga.bin', size: romSize } : noRom;
      // termu's VGA has no EDID block (QEMU's edid = true).
      const vga = [uint('vgamem_mb', 16), bool('mmio', true), bool('qemu-extended-regs', true), bool('edid', false), uint('xres', 1280), uint('yres', 800)];
      vga.push(uint('xmax', 0), uint('ymax', 0), uint('refresh_rate', 0), bool('global-vmstate', false));
      return { type, lines: [...vga, ...pciLines(devfn, device, rom, false)] };
    }
    case 'PIIX4_PM': {
      // termu's PIIX4 has no SMBus, SMM or ACPI hotplug: those switches read off.
      // smb_io_base follows the SMBus base register once the guest programs it (QEMU's default before).
      const smbBase = (device.config[0x90] | (device.config[0x91] << 8)) & 0xfff0 || 0xb100;
      const pm = [gpio('out', 'smi-irq', 1), gpio('out', '', 1), uint('smb_io_base', smbBase), uint('disable_s3', 0), uint('disable_s4', 0), uint('s4_val', 2)];
      pm.push(bool('acpi-pci-hotplug-with-bridge-support', false), bool('acpi-root-pci-hotplug', false), bool('memory-hotplug-support', false), bool('smm-compat', false), bool('smm-enabled', false));
      pm.push(bool('x-not-migrate-acpi-index', false));
      return { type, lines: [...pm, ...pciLines(devfn, device, noRom, false)] };
    }
    default:
      return { type, lines: pciLines(devfn, device, noRom, false) };
  }
}

export function pcDeviceTree(board: PcBoard, hw: BiosHardware | undefined): QdevBus {
  // qtree lists the newest first.
  const functions = inQemuCreationOrder(board.pciHost.devices).reverse();
  const pciHost: QdevDevice = {
    type: 'i440FX-pcihost',
    lines: [size('pci-hole64-size', 2 ** 31), uint('short_root_bus', 0), bool('x-pci-hole64-fix', true), bool('x-config-reg-migration-enabled', true), bool('bypass-iommu', false)],
    buses: [{ name: 'pci.0', type: 'PCI', devices: functions.map(({ devfn, device }) => pciDevice(board, hw, devfn, device)) }],
  };
  return {
    name: 'main-system-bus',
    type: 'System',
    devices: [
      { type: 'ps2-mouse', lines: [gpio('out', '', 1)] },
      { type: 'ps2-kbd', lines: [gpio('out', '', 1)] },
      {
        type: 'hpet',
        lines: [gpio('in', '', 2), gpio('out', '', 1), gpio('out', 'sysbus-irq', 32), uint('timers', 3), bool('msi', false), uint('hpet-intcap', 4), bool('hpet-offset-saved', true), 'mmio 00000000fed00000/0000000000000400'],
      },
      { type: 'ioapic', lines: [gpio('in', '', 24), uint('version', IOAPIC_VERSION), 'mmio 00000000fec00000/0000000000001000'] },
      pciHost,
      { type: 'fw_cfg_io', lines: [bool('dma_enabled', board.io.portRanges().some((r) => r.name === 'fwcfg.dma')), uint('x-file-slots', 32), bool('acpi-mr-restore', true)] },
    ],
  };
}
