/**
 * FsError: the one error type every layer throws.
 *
 * Lower layers throw an errno name plus a message that says what failed and
 * where ("qcow2: L2 table at 0x50000: offset 0x1234 not cluster aligned").
 * Upper layers (the VFS, hosts) add the path and syscall; the edges map the
 * errno onto their wire (FUSE, 9P, HTTP status, process exit code).
 */

/** Linux errno numbers (asm-generic/errno-base.h, errno.h) for the names we use. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  ETIME: 62,
  EPROTO: 71,
  EOVERFLOW: 75,
  EBADFD: 77,
  EILSEQ: 84,
  ENOTSOCK: 88,
  EOPNOTSUPP: 95,
  ENOTSUP: 95,
  EADDRINUSE: 98,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  ESTALE: 116,
  EUCLEAN: 117,
  EDQUOT: 122,
  ECANCELED: 125,
} as const;

export type ErrnoCode = keyof typeof ERRNO;

/** Short descriptions, as strerror(3) gives them, for messages and CLI output. */
const DESCRIPTIONS: Partial<Record<ErrnoCode, string>> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  EBADF: 'bad file descriptor',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  EXDEV: 'invalid cross-device link',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  EFBIG: 'file too large',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EMLINK: 'too many links',
  ERANGE: 'numerical result out of range',
  ENAMETOOLONG: 'file name too long',
  ENOSYS: 'function not implemented',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  ENODATA: 'no data available',
  EOVERFLOW: 'value too large for defined data type',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  ESTALE: 'stale file handle',
  EUCLEAN: 'structure needs cleaning',
  ECANCELED: 'operation canceled',
};

export function describeErrno(code: ErrnoCode): string {
  return DESCRIPTIONS[code] ?? code;
}

export interface FsErrorOptions {
  /** The path the caller used, added by the VFS or a host. */
  path?: string;
  /** The operation, named like the syscall (`open`, `readdir`). */
  syscall?: string;
  cause?: unknown;
}

export class FsError extends Error {
  /** Errno name, as Node's `err.code` ('ENOENT'). */
  readonly code: ErrnoCode;
  /** Errno number, negative like Node's `err.errno` (-2 for ENOENT). */
  readonly errno: number;
  path?: string;
  syscall?: string;

  constructor(code: ErrnoCode, message: string, options: FsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FsError';
    this.code = code;
    this.errno = -ERRNO[code];
    if (options.path !== undefined) this.path = options.path;
    if (options.syscall !== undefined) this.syscall = options.syscall;
  }

  /** Positive errno number, as the kernel and 9P want it. */
  get errnoNumber(): number {
    return ERRNO[this.code];
  }
}

export function isFsError(e: unknown, code?: ErrnoCode): e is FsError {
  return e instanceof FsError && (code === undefined || e.code === code);
}

/**
 * Turn anything thrown into an FsError: errors that already carry an errno
 * name (ours, or Node's system errors) keep it; anything else is EIO, because
 * an unexpected exception inside a parser means the data did not add up.
 */
export function toFsError(e: unknown, context?: string): FsError {
  if (e instanceof FsError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  let message = e instanceof Error ? e.message : String(e);
  // Node's system errors start with their code ("ENOENT: no such file…"); the code is shown separately.
  if (typeof code === 'string' && message.startsWith(`${code}: `)) message = message.slice(code.length + 2);
  const what = context ? `${context}: ${message}` : message;
  if (typeof code === 'string' && code in ERRNO) return new FsError(code as ErrnoCode, what, { cause: e });
  return new FsError('EIO', what, { cause: e });
}
