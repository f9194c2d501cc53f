// Errors raised by the block layer carry the exact text qemu would print after its
// "Could not open 'x': " style prefixes, so callers can reproduce qemu-img's messages.
export class BlockError extends Error {
  /** errno-style code when the failure came from the host ('ENOENT', 'ENOSPC', …). */
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'BlockError';
    this.code = code;
  }
}

/** strerror() text for the errno codes a file operation can produce. */
export function errnoText(code: string | undefined): string {
  switch (code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': return 'Permission denied';
    case 'EISDIR': return 'Is a directory';
    case 'ENOTDIR': return 'Not a directory';
    case 'EROFS': return 'Read-only file system';
    case 'ENOSPC': return 'No space left on device';
    case 'EEXIST': return 'File exists';
    case 'EPERM': return 'Operation not permitted';
    case 'ELOOP': return 'Too many levels of symbolic links';
    case 'EFBIG': return 'File too large';
    case 'EINVAL': return 'Invalid argument';
    case 'ENOTSUP': return 'Operation not supported';
    case 'EIO': return 'Input/output error';
    default: return code ? `Error ${code}` : 'Input/output error';
  }
}
