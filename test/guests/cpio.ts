// A writer for the cpio "newc" (SVR4, no CRC) format, the format the Linux kernel unpacks
// as an initramfs. Output is deterministic: entries are sorted by path (parents before
// children), inode numbers are assigned in that order, and every entry gets the same mtime.

export type CpioEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; data: Uint8Array }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev' | 'blockdev'; path: string; mode: number; major: number; minor: number };

export interface CpioOptions {
  /** Seconds since the epoch stamped on every entry (default 0). */
  mtime?: number;
}

const FILE_TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000, chardev: 0o020000, blockdev: 0o060000 };
const HEADER_SIZE = 110;
const MAX_FIELD = 0xffffffff;
const TRAILER = 'TRAILER!!!';

export function writeCpioNewc(entries: readonly CpioEntry[], options: CpioOptions = {}): Buffer {
  const mtime = options.mtime ?? 0;
  checkField('mtime', mtime);
  const sorted = [...entries].sort((a, b) => compareBytes(a.path, b.path));
  const chunks: Buffer[] = [];
  let offset = 0;
  const push = (chunk: Buffer): void => {
    chunks.push(chunk);
    offset += chunk.length;
  };
  const pad = (): void => {
    const fill = (4 - (offset % 4)) % 4;
    if (fill) push(Buffer.alloc(fill));
  };

  let previous: string | undefined;
  sorted.forEach((entry, index) => {
    validatePath(entry.path);
    if (entry.path === previous) throw new Error(`cpio: duplicate entry '${entry.path}'`);
    previous = entry.path;
    const body = entryBody(entry);
    const permissions = entry.type === 'symlink' ? 0o777 : entry.mode;
    if (!Number.isInteger(permissions) || permissions < 0 || permissions > 0o7777) {
      throw new Error(`cpio: '${entry.path}': mode ${permissions} is not a permission mask (0..0o7777)`);
    }
    const isDevice = entry.type === 'chardev' || entry.type === 'blockdev';
    push(header({
      ino: index + 1,
      mode: FILE_TYPE_BITS[entry.type] | permissions,
      nlink: entry.type === 'dir' ? 2 : 1,
      mtime,
      fileSize: body.length,
      rdevMajor: isDevice ? entry.major : 0,
      rdevMinor: isDevice ? entry.minor : 0,
      name: entry.path,
    }));
    pad();
    if (body.length) {
      push(body);
      pad();
    }
  });
  push(header({ ino: 0, mode: 0, nlink: 1, mtime: 0, fileSize: 0, rdevMajor: 0, rdevMinor: 0, name: TRAILER }));
  pad();
  return Buffer.concat(chunks);
}

function entryBody(entry: CpioEntry): Buffer {
  if (entry.type === 'file') return Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
  if (entry.type === 'symlink') {
    if (!entry.target) throw new Error(`cpio: symlink '${entry.path}' has an empty target`);
    return Buffer.from(entry.target, 'utf8');
  }
  return Buffer.alloc(0);
}

interface HeaderFields {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  fileSize: number;
  rdevMajor: number;
  rdevMinor: number;
  name: string;
}

function header(f: HeaderFields): Buffer {
  const name = Buffer.from(f.name + '\0', 'utf8');
  checkField(`'${f.name}' size`, f.fileSize);
  checkField(`'${f.name}' device major`, f.rdevMajor);
  checkField(`'${f.name}' device minor`, f.rdevMinor);
  // c_ino c_mode c_uid c_gid c_nlink c_mtime c_filesize c_devmajor c_devminor c_rdevmajor c_rdevminor c_namesize c_check
  const fields = [f.ino, f.mode, 0, 0, f.nlink, f.mtime, f.fileSize, 0, 0, f.rdevMajor, f.rdevMinor, name.length, 0];
  const text = '070701' + fields.map((v) => v.toString(16).padStart(8, '0')).join('');
  const out = Buffer.alloc(HEADER_SIZE + name.length);
  out.write(text, 0, 'latin1');
  name.copy(out, HEADER_SIZE);
  return out;
}

function checkField(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_FIELD) {
    throw new Error(`cpio: ${what} ${value} does not fit a newc header field`);
  }
}

function validatePath(path: string): void {
  const parts = path.split('/');
  if (!path || path.startsWith('/') || path.endsWith('/') || path.includes('\0') ||
      parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`cpio: invalid entry path '${path}' (must be relative, normalised, without '..')`);
  }
  if (path === TRAILER) throw new Error(`cpio: '${TRAILER}' is reserved for the archive trailer`);
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
