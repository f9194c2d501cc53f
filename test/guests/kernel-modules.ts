// Picks kernel modules and their dependencies out of an unpacked linux-image package.
// Debian ships no modules.dep in the .deb (depmod writes it at install time), so the
// dependencies come from where depmod's own data comes from: each module's `.modinfo`
// section, whose `depends=` lists the modules it needs. We write the matching modules.dep.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface KernelModule {
  /** Canonical module name (dashes as underscores), e.g. `ne2k_pci`. */
  name: string;
  /** Path relative to /lib/modules/<version>/, e.g. `kernel/drivers/ata/ata_piix.ko`. */
  path: string;
  depends: string[];
}

export function canonicalModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

/** The key=value strings of an ELF module's `.modinfo` section, grouped by key. */
export function readModinfo(image: Uint8Array, what = 'module'): Map<string, string[]> {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image.length < 52 || view.getUint32(0) !== 0x7f454c46) throw new Error(`${what}: not an ELF file`);
  const is64 = image[4] === 2;
  const little = image[5] === 1;
  if (!little) throw new Error(`${what}: big-endian ELF is not supported`);
  const word = (off: number): number => (is64 ? Number(view.getBigUint64(off, true)) : view.getUint32(off, true));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = view.getUint16(is64 ? 0x3a : 0x2e, true);
  const shnum = view.getUint16(is64 ? 0x3c : 0x30, true);
  const shstrndx = view.getUint16(is64 ? 0x3e : 0x32, true);
  if (shoff + shnum * shentsize > image.length || shstrndx >= shnum) throw new Error(`${what}: truncated ELF section table`);
  const section = (i: number) => {
    const base = shoff + i * shentsize;
    return {
      name: view.getUint32(base, true),
      offset: word(base + (is64 ? 0x18 : 0x10)),
      size: word(base + (is64 ? 0x20 : 0x14)),
    };
  };
  const names = section(shstrndx);
  const decoder = new TextDecoder();
  const nameAt = (off: number): string => {
    const start = names.offset + off;
    const end = image.indexOf(0, start);
    return decoder.decode(image.subarray(start, end < 0 ? image.length : end));
  };
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (nameAt(s.name) !== '.modinfo') continue;
    if (s.offset + s.size > image.length) throw new Error(`${what}: truncated .modinfo section`);
    const info = new Map<string, string[]>();
    for (const item of decoder.decode(image.subarray(s.offset, s.offset + s.size)).split('\0')) {
      const eq = item.indexOf('=');
      if (eq <= 0) continue;
      const key = item.slice(0, eq);
      info.set(key, [...(info.get(key) ?? []), item.slice(eq + 1)]);
    }
    return info;
  }
  throw new Error(`${what}: no .modinfo section`);
}

/** Maps module names to their .ko files under `<modulesDir>/kernel`. */
export function indexModuleFiles(modulesDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ko')) index.set(canonicalModuleName(entry.name.slice(0, -3)), relative(modulesDir, full));
    }
  };
  walk(join(modulesDir, 'kernel'));
  return index;
}

/** Names listed in modules.builtin (compiled into the kernel, so nothing to load). */
export function builtinModules(modulesDir: string): Set<string> {
  const file = join(modulesDir, 'modules.builtin');
  if (!existsSync(file)) return new Set();
  return new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean)
    .map((p) => canonicalModuleName(p.replace(/^.*\//, '').replace(/\.ko$/, ''))));
}

/**
 * The wanted modules and everything they depend on, in an order that loads every module
 * after its dependencies (ties broken by the order asked for, then by name).
 */
export function moduleLoadOrder(modulesDir: string, wanted: readonly string[]): KernelModule[] {
  const files = indexModuleFiles(modulesDir);
  const builtin = builtinModules(modulesDir);
  const order: KernelModule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, neededBy: string): void => {
    if (state.get(name) === 'done' || builtin.has(name)) return;
    if (state.get(name) === 'visiting') throw new Error(`kernel modules: dependency cycle through ${name}`);
    const path = files.get(name);
    if (!path) throw new Error(`kernel module '${name}' (needed by ${neededBy}) is neither in ${modulesDir} nor built in`);
    state.set(name, 'visiting');
    const info = readModinfo(readFileSync(join(modulesDir, path)), path);
    const depends = (info.get('depends')?.[0] ?? '').split(',').filter(Boolean).map(canonicalModuleName).sort();
    for (const dep of depends) visit(dep, name);
    state.set(name, 'done');
    order.push({ name, path, depends });
  };
  for (const name of wanted) visit(canonicalModuleName(name), 'the guest');
  return order;
}

/** modules.dep lines (as depmod writes them: every transitive dependency, nearest first). */
export function modulesDep(modules: readonly KernelModule[]): string {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const lines = modules.map((m) => {
    const all: string[] = [];
    const add = (name: string): void => {
      const dep = byName.get(name);
      if (!dep || all.includes(dep.path)) return;
      all.push(dep.path);
      dep.depends.forEach(add);
    };
    m.depends.forEach(add);
    return `${m.path}:${all.map((p) => ' ' + p).join('')}`;
  });
  return lines.sort().join('\n') + '\n';
}
