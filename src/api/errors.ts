/**
 * Errors as Node's fs gives them: `code`, negative `errno`, `syscall`,
 * `path` (and `dest` for two-path calls), and a message in Node's form
 * ("ENOENT: no such file or directory, open '/x'"). They stay FsErrors, so
 * `instanceof FsError` holds; the driver's own description (what and where
 * inside the image) is the `cause`, and is added to the message for
 * corruption (EIO, EUCLEAN), where it is what the user needs to see.
 */
import { FsError, describeErrno, toFsError, type ErrnoCode } from '../errors.js';

export type NodeStyleError = FsError & { dest?: string };

/** Node's wording (libuv's uv_strerror), which differs from strerror(3) for some errnos. */
const NODE_MESSAGES: Partial<Record<ErrnoCode, string>> = {
  E2BIG: 'argument list too long', EACCES: 'permission denied', EAGAIN: 'resource temporarily unavailable', EBADF: 'bad file descriptor',
  EBUSY: 'resource busy or locked', ECANCELED: 'operation canceled', EEXIST: 'file already exists', EFAULT: 'bad address in system call argument',
  EFBIG: 'file too large', EINTR: 'interrupted system call', EINVAL: 'invalid argument', EIO: 'i/o error', EISDIR: 'illegal operation on a directory',
  ELOOP: 'too many symbolic links encountered', EMFILE: 'too many open files', EMLINK: 'too many links', ENAMETOOLONG: 'name too long',
  ENFILE: 'file table overflow', ENODATA: 'no data available', ENODEV: 'no such device', ENOENT: 'no such file or directory',
  ENOMEM: 'not enough memory', ENOSPC: 'no space left on device', ENOSYS: 'function not implemented', ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty', ENOTSUP: 'operation not supported on socket', EOPNOTSUPP: 'operation not supported on socket',
  ENXIO: 'no such device or address', EOVERFLOW: 'value too large for defined data type', EPERM: 'operation not permitted',
  ERANGE: 'result too large', EROFS: 'read-only file system', ESPIPE: 'invalid seek', ETXTBSY: 'text file is busy',
  EXDEV: 'cross-device link not permitted', EILSEQ: 'illegal byte sequence',
};

export function nodeMessage(code: ErrnoCode): string {
  return NODE_MESSAGES[code] ?? describeErrno(code);
}

export function toNodeError(e: unknown, syscall: string, path?: string, dest?: string): NodeStyleError {
  // Already in Node's form (ERR_FS_* codes from rm and cp, or an error converted before).
  if (e instanceof FsError && (String(e.code).startsWith('ERR_') || e.cause instanceof FsError)) return e as NodeStyleError;
  const inner = toFsError(e) as NodeStyleError;
  const call = syscall || inner.syscall || "";
  const p = path ?? inner.path;
  const d = dest ?? inner.dest;
  let message = `${inner.code}: ${nodeMessage(inner.code)}, ${call}`;
  if (p !== undefined) message += ` '${p}'`;
  if (d !== undefined) message += ` -> '${d}'`;
  if ((inner.code === 'EIO' || inner.code === 'EUCLEAN') && inner.message) message += ` (${inner.message})`;
  const out = new FsError(inner.code, message, { syscall: call, cause: inner, ...(p !== undefined ? { path: p } : {}) }) as NodeStyleError;
  if (d !== undefined) out.dest = d;
  return out;
}

/** Node's own error codes for rm/cp misuse (ERR_FS_EISDIR, ERR_FS_CP_EINVAL …), with the errno they stand for. */
export function nodeCodeError(nodeCode: string, errno: ErrnoCode, message: string, syscall: string, path: string): NodeStyleError {
  // Node's SystemErrors for these use strerror(3) wording and a positive errno.
  const e = new FsError(errno, `${message}: ${syscall} returned ${errno} (${describeErrno(errno)}) ${path}`, { syscall, path }) as NodeStyleError;
  Object.defineProperty(e, 'code', { value: nodeCode, enumerable: true });
  Object.defineProperty(e, 'errno', { value: -e.errno, enumerable: true });
  return e;
}
