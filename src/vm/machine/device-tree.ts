// QEMU's qdev tree as `info qtree` prints it (qdev-monitor.c: qbus_print/qdev_print): each
// bus with its type, each device with its GPIO lists, properties and bus-specific lines, then
// the buses it provides. Devices are listed newest first, as QEMU's child lists are.

export interface QdevDevice {
  type: string;
  /** The qdev id ('' when none was given). */
  id?: string;
  /** Property and bus-specific lines, already formatted, without indentation. */
  lines: string[];
  buses?: QdevBus[];
}

export interface QdevBus {
  name: string;
  type: string;
  devices: QdevDevice[];
}

/** Property line formats of QEMU's property types. */
export const prop = {
  uint: (name: string, v: number | bigint) => `${name} = ${v} (0x${BigInt.asUintN(64, BigInt(v)).toString(16)})`,
  size: (name: string, v: number) => `${name} = ${v} (${humanSize(v)})`,
  str: (name: string, v: string) => `${name} = "${v}"`,
  bool: (name: string, v: boolean) => `${name} = ${v}`,
  raw: (name: string, v: string) => `${name} = ${v}`,
};

/** QEMU's size_to_str: the largest unit that keeps the value at least 1, up to 3 significant digits. */
function humanSize(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (i < units.length - 1 && v >= 1024 ** (i + 1)) i++;
  if (i === 0) return `${v} B`;
  return `${Number((v / 1024 ** i).toPrecision(3))} ${units[i]}`;
}

function printBus(out: string[], bus: QdevBus, indent: number): void {
  const pad = ' '.repeat(indent);
  out.push(`${pad}bus: ${bus.name}\n`, `${pad}  type ${bus.type}\n`);
  for (const dev of bus.devices) {
    out.push(`${pad}  dev: ${dev.type}, id "${dev.id ?? ''}"\n`);
    for (const line of dev.lines) out.push(`${pad}    ${line}\n`);
    for (const child of dev.buses ?? []) printBus(out, child, indent + 4);
  }
}

export function formatDeviceTree(root: QdevBus): string {
  const out: string[] = [];
  printBus(out, root, 0);
  return out.join('');
}
