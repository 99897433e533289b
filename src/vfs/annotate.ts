/**
 * The VFS adds the syscall and path to a driver's error (drivers say what
 * and where inside the filesystem; only the VFS knows the caller's path).
 * Anything that is not an FsError becomes EIO: an unexpected exception in a
 * driver means its data did not add up.
 */
import { toFsError, type FsError } from '../errors.js';

export function annotate(e: unknown, syscall: string, path?: string, dest?: string): FsError {
  const err = toFsError(e);
  if (err.syscall === undefined) err.syscall = syscall;
  if (err.path === undefined && path !== undefined) err.path = path;
  const withDest = err as FsError & { dest?: string };
  if (dest !== undefined && withDest.dest === undefined) withDest.dest = dest;
  return err;
}
