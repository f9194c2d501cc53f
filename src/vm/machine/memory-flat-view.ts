// `info mtree -f`: each address space's memory-region tree rendered flat, as QEMU 7.2's
// flatview does it (render_memory_region + flatview_simplify): higher-priority subregions
// claim their range first, aliases render their target, a region that decodes itself fills
// the gaps left in its range, and adjacent pieces of one region merge.

import { typeOf, type AddressSpace, type MemoryRegionNode } from './memory-tree.js';

interface FlatRange {
  start: bigint;
  end: bigint;
  region: MemoryRegionNode;
  offset: bigint;
  readonly: boolean;
}

const hex = (v: bigint) => v.toString(16).padStart(16, '0');

/** QEMU's subregion list order: higher priority first, then the most recently added. */
function renderOrder(children: readonly MemoryRegionNode[]): MemoryRegionNode[] {
  return children
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.priority - a.r.priority || b.i - a.i)
    .map(({ r }) => r);
}

function render(out: FlatRange[], r: MemoryRegionNode, base: bigint, clipStart: bigint, clipEnd: bigint, readonly: boolean): void {
  if (r.disabled) return;
  base += r.addr;
  const start = clipStart > base ? clipStart : base;
  const end = clipEnd < base + r.size ? clipEnd : base + r.size;
  if (start >= end) return;
  readonly ||= r.readonly === true;
  if (r.alias) {
    render(out, r.alias.target, base - r.alias.offset - r.alias.target.addr, start, end, readonly);
    return;
  }
  for (const child of renderOrder(r.children ?? [])) render(out, child, base, start, end, readonly);
  if (r.container) return;
  // Fill what no higher-priority region took.
  let at = start;
  for (const taken of [...out].sort((a, b) => (a.start < b.start ? -1 : 1))) {
    if (taken.end <= at || taken.start >= end) continue;
    if (taken.start > at) out.push({ start: at, end: taken.start, region: r, offset: at - base, readonly });
    at = taken.end;
  }
  if (at < end) out.push({ start: at, end, region: r, offset: at - base, readonly });
}

function flatten(root: MemoryRegionNode): FlatRange[] {
  const ranges: FlatRange[] = [];
  render(ranges, root, 0n, 0n, root.size, false);
  ranges.sort((a, b) => (a.start < b.start ? -1 : 1));
  const merged: FlatRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && last.region === r.region && last.end === r.start && last.offset + (last.end - last.start) === r.offset && last.readonly === r.readonly) last.end = r.end;
    else merged.push({ ...r });
  }
  return merged;
}

export function formatFlatViews(spaces: readonly AddressSpace[]): string {
  // Address spaces whose roots render alike share a view; roots that render nothing share the empty one.
  const views: { root: MemoryRegionNode | undefined; ranges: FlatRange[]; names: string[] }[] = [];
  for (const s of spaces) {
    const ranges = flatten(s.root);
    const root = ranges.length ? s.root : undefined;
    const view = views.find((v) => v.root === root);
    if (view) view.names.push(s.name);
    else views.push({ root, ranges, names: [s.name] });
  }
  const spaceRoot = (name: string) => spaces.find((s) => s.name === name)!.root.name;
  return views
    .map((v, i) => {
      let text = `FlatView #${i}\n`;
      for (const name of v.names) text += ` AS "${name}", root: ${spaceRoot(name)}\n`;
      text += ` Root memory region: ${v.root?.name ?? '(none)'}\n`;
      if (!v.ranges.length) return `${text}  No rendered FlatView\n\n`;
      for (const r of v.ranges) {
        text += `  ${hex(r.start)}-${hex(r.end - 1n)} (prio ${r.region.priority}, ${r.readonly ? 'rom' : typeOf(r.region)}): ${r.region.name}`;
        text += r.offset ? ` @${hex(r.offset)}\n` : '\n';
      }
      return `${text}\n`;
    })
    .join('');
}
