// Fetches Debian i386 packages without touching the system's apt state: apt runs with a
// private sources list, list directory, cache and (empty) dpkg status under
// `.cache/guests/apt/`, pointed at the same Debian mirrors and suites the machine uses.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUEST_CACHE, withCacheLock } from './guest-cache.js';
import { runCommand } from './run-command.js';

const ARCH = 'i386';
const LISTS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const FALLBACK_SOURCE = `deb [arch=${ARCH}] http://deb.debian.org/debian bookworm main`;

export interface DebianPackage {
  name: string;
  version: string;
}

export class DebianArchive {
  private readonly root = join(GUEST_CACHE, 'apt');
  private readonly debs = join(GUEST_CACHE, 'debs');
  // apt reads $APT_CONFIG before anything else; ours points every directory at the private
  // tree and replaces the system's apt.conf.d, whose hooks must not run for our lists.
  private readonly env = { ...process.env, APT_CONFIG: join(this.root, 'apt.conf'), LC_ALL: 'C' };

  /** Writes the private configuration and refreshes the package lists when a day old. */
  async refresh(): Promise<void> {
    await withCacheLock('apt', async () => {
      for (const dir of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'apt.conf.d']) {
        mkdirSync(join(this.root, dir), { recursive: true });
      }
      writeFileSync(join(this.root, 'apt.conf'), await this.privateConfig());
      writeFileSync(join(this.root, 'sources.list'), systemDebianSources().join('\n') + '\n');
      if (!existsSync(join(this.root, 'status'))) writeFileSync(join(this.root, 'status'), '');
      const stamp = join(this.root, 'updated');
      if (existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < LISTS_MAX_AGE_MS && this.haveLists()) return;
      // A mirror that is mid-sync makes apt exit non-zero for that one index; the others are
      // still usable, and resolve() reports clearly if a package we need is missing.
      const r = await runCommand('apt-get', ['-q', 'update'], { env: this.env, allowFailure: true });
      if (r.status !== 0 && !this.haveLists()) {
        throw new Error(`apt-get update (private lists for ${ARCH}) failed:\n${r.stderr.trim()}`);
      }
      writeFileSync(stamp, '');
    });
  }

  private async privateConfig(): Promise<string> {
    // How the machine reaches its mirror (proxies, snapshot date checks) still applies.
    const system = await runCommand('apt-config', ['dump'], { env: { ...process.env, APT_CONFIG: '' }, allowFailure: true });
    const carried = system.stdout.split('\n').filter((l) => /^Acquire::(https?::Proxy|ftp::Proxy|Check-Valid-Until|Check-Date|Retries)\b/.test(l));
    const dir = (key: string, path: string): string => `${key} "${join(this.root, path)}";`;
    return [
      dir('Dir::Etc::Parts', 'apt.conf.d'),
      'Dir::Etc::Main "/dev/null";',
      dir('Dir::Etc::SourceList', 'sources.list'),
      dir('Dir::Etc::SourceParts', 'sources.list.d'),
      dir('Dir::State::Lists', 'lists'),
      dir('Dir::State::status', 'status'),
      dir('Dir::Cache', 'cache'),
      'Dir::Cache::pkgcache "pkgcache.bin";',
      'Dir::Cache::srcpkgcache "srcpkgcache.bin";',
      `APT::Architecture "${ARCH}";`,
      `APT::Architectures { "${ARCH}"; };`,
      'Acquire::Languages "none";',
      // Downloads land in our own directory, which apt's unprivileged sandbox user cannot write.
      'APT::Sandbox::User "root";',
      'Debug::NoLocking "true";',
      ...carried,
      '',
    ].join('\n');
  }

  private haveLists(): boolean {
    const lists = join(this.root, 'lists');
    return existsSync(lists) && readdirSync(lists).some((f) => f.includes('_Packages'));
  }

  /** The candidate version of a package and its Depends field, split into package names. */
  async resolve(name: string): Promise<DebianPackage & { depends: string[] }> {
    const r = await runCommand('apt-cache', ['show', '--no-all-versions', name], { env: this.env, allowFailure: true });
    const version = /^Version: (.+)$/m.exec(r.stdout)?.[1];
    if (r.status !== 0 || !version) {
      throw new Error(`Debian package '${name}' (${ARCH}) not found in the private apt lists: ${r.stderr.trim()}`);
    }
    const dependsField = /^Depends: (.+)$/m.exec(r.stdout)?.[1] ?? '';
    const depends = dependsField.split(',').map((d) => d.trim().split(/[\s|(]/)[0]).filter(Boolean);
    return { name, version, depends };
  }

  /** Downloads a package once into `.cache/guests/debs/` and returns the .deb's path. */
  async fetch(pkg: DebianPackage): Promise<string> {
    const file = join(this.debs, `${pkg.name}_${pkg.version.replace(/:/g, '%3a')}_${ARCH}.deb`);
    if (existsSync(file)) return file;
    return withCacheLock(`deb-${pkg.name}`, async () => {
      if (existsSync(file)) return file;
      const tmp = join(this.debs, `.download-${pkg.name}-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      try {
        await runCommand('apt-get', ['-q', 'download', `${pkg.name}=${pkg.version}`], { cwd: tmp, env: this.env });
        const got = readdirSync(tmp).filter((f) => f.endsWith('.deb'));
        if (got.length !== 1) throw new Error(`apt-get download ${pkg.name}: expected one .deb, got ${got.join(', ') || 'none'}`);
        renameSync(join(tmp, got[0]), file);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      return file;
    });
  }

  /** Unpacks a .deb's files (not its maintainer scripts) into `dir`. */
  async extract(deb: string, dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    await runCommand('dpkg-deb', ['-x', deb, dir]);
  }
}

/**
 * The machine's enabled Debian sources as one-line entries restricted to i386: from
 * /etc/apt/sources.list and /etc/apt/sources.list.d/ (*.list and deb822 *.sources).
 */
export function systemDebianSources(etc = '/etc/apt'): string[] {
  const entries: { uri: string; suite: string; components: string; signedBy?: string }[] = [];
  const files = [join(etc, 'sources.list')];
  const partsDir = join(etc, 'sources.list.d');
  if (existsSync(partsDir)) {
    for (const f of readdirSync(partsDir).sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join(partsDir, f));
    }
  }
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) entries.push(...parseDeb822(text));
    else entries.push(...parseOneLine(text));
  }
  const debian = entries.filter((e) => /debian/i.test(e.uri));
  if (!debian.length) return [FALLBACK_SOURCE];
  return debian.map((e) => {
    const opts = [`arch=${ARCH}`, ...(e.signedBy ? [`signed-by=${e.signedBy}`] : [])].join(' ');
    return `deb [${opts}] ${e.uri} ${e.suite} ${e.components}`;
  });
}

function parseOneLine(text: string) {
  const out: { uri: string; suite: string; components: string; signedBy?: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const signedBy = /signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
    out.push({ uri: m[2], suite: m[3], components: m[4], signedBy });
  }
  return out;
}

function parseDeb822(text: string) {
  const out: { uri: string; suite: string; components: string; signedBy?: string }[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m && !line.startsWith('#')) fields.set(m[1].toLowerCase(), m[2].trim());
    }
    if (fields.get('enabled') === 'no' || !(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    const signedBy = fields.get('signed-by');
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      for (const suite of (fields.get('suites') ?? '').split(/\s+/).filter(Boolean)) {
        out.push({ uri, suite, components: fields.get('components') ?? 'main', signedBy });
      }
    }
  }
  return out;
}
