// QEMU's memory-region tree as `info mtree` prints it (QEMU 7.2's mtree_print_mr): address
// spaces with their root region, then every region some alias points at. termu describes
// its maps in these terms (pc-memory-map.ts) so the monitor output reads like QEMU's.

export type RegionType = 'ram' | 'rom' | 'i/o';

export interface MemoryRegionNode {
  name: string;
  /** Offset inside the parent region. */
  addr: bigint;
  size: bigint;
  priority: number;
  /** An alias's type is its target's; leave it unset for aliases. */
  type?: RegionType;
  alias?: { target: MemoryRegionNode; offset: bigint };
  /** A disabled region's line is not printed, but its subregions are (as in QEMU). */
  disabled?: boolean;
  /** A pure container: only its subregions decode (QEMU's memory_region_init without ops). */
  container?: boolean;
  /** Writes are ignored through this region (QEMU's read-only aliases of RAM). */
  readonly?: boolean;
  /** In the order they were added; the printer sorts them as QEMU does. */
  children?: MemoryRegionNode[];
}

/** In the order QEMU creates them. */
export interface AddressSpace {
  name: string;
  root: MemoryRegionNode;
}

export const WHOLE_SPACE = 1n << 64n;

function hex(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

export function typeOf(r: MemoryRegionNode): RegionType {
  return r.alias ? typeOf(r.alias.target) : (r.type ?? 'i/o');
}

/** QEMU's print order: by address, then higher priority first, then the most recently added first. */
function printOrder(children: readonly MemoryRegionNode[]): MemoryRegionNode[] {
  return children
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.addr !== b.r.addr ? (a.r.addr < b.r.addr ? -1 : 1) : b.r.priority - a.r.priority || b.i - a.i))
    .map(({ r }) => r);
}

function printRegion(out: string[], r: MemoryRegionNode, level: number, base: bigint, aliasTargets: MemoryRegionNode[]): void {
  const start = base + r.addr;
  if (!r.disabled) {
    const head = `${'  '.repeat(level)}${hex(start)}-${hex(start + r.size - 1n)} (prio ${r.priority}, ${typeOf(r)}): `;
    if (r.alias) {
      if (!aliasTargets.includes(r.alias.target)) aliasTargets.push(r.alias.target);
      const { target, offset } = r.alias;
      out.push(`${head}alias ${r.name} @${target.name} ${hex(offset)}-${hex(offset + r.size - 1n)}\n`);
    } else out.push(`${head}${r.name}\n`);
  }
  for (const child of printOrder(r.children ?? [])) printRegion(out, child, level + 1, start, aliasTargets);
}

/** `info mtree`: address spaces sharing a root are listed together (newest first), then the aliased regions. */
export function formatMemoryTree(spaces: readonly AddressSpace[]): string {
  const out: string[] = [];
  const aliasTargets: MemoryRegionNode[] = [];
  const roots: MemoryRegionNode[] = [];
  for (const s of spaces) if (!roots.includes(s.root)) roots.push(s.root);
  for (const root of roots) {
    for (const s of [...spaces].reverse()) if (s.root === root) out.push(`address-space: ${s.name}\n`);
    printRegion(out, root, 1, 0n, aliasTargets);
    out.push('\n');
  }
  for (let i = 0; i < aliasTargets.length; i++) {
    out.push(`memory-region: ${aliasTargets[i].name}\n`);
    printRegion(out, aliasTargets[i], 1, 0n, aliasTargets);
    out.push('\n');
  }
  return out.join('');
}
