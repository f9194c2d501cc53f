// QEMU's wording for files it cannot open: `Could not open 'PATH': <strerror>`.

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ECONNREFUSED: 'Connection refused',
};

export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code && STRERROR[code]) ?? (e instanceof Error ? e.message : String(e));
}

export function openErrorText(path: string, e: unknown): string {
  return `Could not open '${path}': ${strerror(e)}`;
}
