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

export function toNodeError(e: unknown, syscall: string, path?: string, dest?: string): NodeStyleError {
  // Already in Node's form (ERR_FS_* codes from rm and cp, or an error converted before).
  if (e instanceof FsError && (String(e.code).startsWith('ERR_') || e.cause instanceof FsError)) return e as NodeStyleError;
  const inner = toFsError(e) as NodeStyleError;
  const call = inner.syscall ?? syscall;
  const p = path ?? inner.path;
  const d = dest ?? inner.dest;
  let message = `${inner.code}: ${describeErrno(inner.code)}, ${call}`;
  if (p !== undefined) message += ` '${p}'`;
  if (d !== undefined) message += ` -> '${d}'`;
  if ((inner.code === 'EIO' || inner.code === 'EUCLEAN') && inner.message) message += ` (${inner.message})`;
  const out = new FsError(inner.code, message, { syscall: call, cause: inner, ...(p !== undefined ? { path: p } : {}) }) as NodeStyleError;
  if (d !== undefined) out.dest = d;
  return out;
}

/** Node's own error codes for rm/cp misuse (ERR_FS_EISDIR, ERR_FS_CP_EINVAL …), with the errno they stand for. */
export function nodeCodeError(nodeCode: string, errno: ErrnoCode, message: string, syscall: string, path: string): NodeStyleError {
  const e = new FsError(errno, `${message}: ${syscall} returned ${errno} (${describeErrno(errno)}) ${path}`, { syscall, path }) as NodeStyleError;
  Object.defineProperty(e, 'code', { value: nodeCode, enumerable: true });
  return e;
}
