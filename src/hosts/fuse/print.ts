/**
 * Debug output driven by tables: opcode names, INIT flag names, open and
 * setattr flag names, so every request logs readably (go-fuse's print.go).
 */
import { OPCODE_NAMES } from './opcodes.js';
import * as P from './protocol.js';
import type { fuse_in_header } from './protocol.js';

const INIT_FLAGS: Array<[number, string]> = [
  [P.FUSE_ASYNC_READ, 'ASYNC_READ'], [P.FUSE_POSIX_LOCKS, 'POSIX_LOCKS'], [P.FUSE_FILE_OPS, 'FILE_OPS'],
  [P.FUSE_ATOMIC_O_TRUNC, 'ATOMIC_O_TRUNC'], [P.FUSE_EXPORT_SUPPORT, 'EXPORT_SUPPORT'], [P.FUSE_BIG_WRITES, 'BIG_WRITES'],
  [P.FUSE_DONT_MASK, 'DONT_MASK'], [P.FUSE_SPLICE_WRITE, 'SPLICE_WRITE'], [P.FUSE_SPLICE_MOVE, 'SPLICE_MOVE'],
  [P.FUSE_SPLICE_READ, 'SPLICE_READ'], [P.FUSE_FLOCK_LOCKS, 'FLOCK_LOCKS'], [P.FUSE_HAS_IOCTL_DIR, 'IOCTL_DIR'],
  [P.FUSE_AUTO_INVAL_DATA, 'AUTO_INVAL_DATA'], [P.FUSE_DO_READDIRPLUS, 'READDIRPLUS'], [P.FUSE_READDIRPLUS_AUTO, 'READDIRPLUS_AUTO'],
  [P.FUSE_ASYNC_DIO, 'ASYNC_DIO'], [P.FUSE_WRITEBACK_CACHE, 'WRITEBACK_CACHE'], [P.FUSE_NO_OPEN_SUPPORT, 'NO_OPEN_SUPPORT'],
  [P.FUSE_PARALLEL_DIROPS, 'PARALLEL_DIROPS'], [P.FUSE_HANDLE_KILLPRIV, 'HANDLE_KILLPRIV'], [P.FUSE_POSIX_ACL, 'POSIX_ACL'],
  [P.FUSE_ABORT_ERROR, 'ABORT_ERROR'], [P.FUSE_MAX_PAGES, 'MAX_PAGES'], [P.FUSE_CACHE_SYMLINKS, 'CACHE_SYMLINKS'],
  [P.FUSE_NO_OPENDIR_SUPPORT, 'NO_OPENDIR_SUPPORT'], [P.FUSE_EXPLICIT_INVAL_DATA, 'EXPLICIT_INVAL_DATA'],
  [P.FUSE_MAP_ALIGNMENT, 'MAP_ALIGNMENT'], [P.FUSE_SUBMOUNTS, 'SUBMOUNTS'], [P.FUSE_HANDLE_KILLPRIV_V2, 'HANDLE_KILLPRIV_V2'],
  [P.FUSE_SETXATTR_EXT, 'SETXATTR_EXT'], [P.FUSE_INIT_EXT, 'INIT_EXT'],
];

const SETATTR_FLAGS: Array<[number, string]> = [
  [P.FATTR_MODE, 'MODE'], [P.FATTR_UID, 'UID'], [P.FATTR_GID, 'GID'], [P.FATTR_SIZE, 'SIZE'], [P.FATTR_ATIME, 'ATIME'],
  [P.FATTR_MTIME, 'MTIME'], [P.FATTR_FH, 'FH'], [P.FATTR_ATIME_NOW, 'ATIME_NOW'], [P.FATTR_MTIME_NOW, 'MTIME_NOW'],
  [P.FATTR_LOCKOWNER, 'LOCKOWNER'], [P.FATTR_CTIME, 'CTIME'], [P.FATTR_KILL_SUIDGID, 'KILL_SUIDGID'],
];

const OPEN_FLAGS: Array<[number, string]> = [
  [0o1, 'WRONLY'], [0o2, 'RDWR'], [0o100, 'CREAT'], [0o200, 'EXCL'], [0o400, 'NOCTTY'], [0o1000, 'TRUNC'], [0o2000, 'APPEND'],
  [0o4000, 'NONBLOCK'], [0o10000, 'DSYNC'], [0o40000, 'DIRECT'], [0o100000, 'LARGEFILE'], [0o200000, 'DIRECTORY'],
  [0o400000, 'NOFOLLOW'], [0o1000000, 'NOATIME'], [0o2000000, 'CLOEXEC'],
];

/** `A|B|0x40` for the bits of `flags` named in `table`, the rest in hex. */
export function flagNames(flags: number, table: Array<[number, string]>): string {
  const names: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of table) {
    if ((rest & bit) >>> 0 === bit >>> 0 && bit !== 0) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.length ? names.join('|') : '0';
}

export const initFlagNames = (f: number): string => flagNames(f, INIT_FLAGS);
export const setattrFlagNames = (f: number): string => flagNames(f, SETATTR_FLAGS);
export const openFlagNames = (f: number): string => (f & 3) === 0 ? `RDONLY|${flagNames(f, OPEN_FLAGS)}` : flagNames(f, OPEN_FLAGS);

export function opcodeName(opcode: number): string {
  return OPCODE_NAMES.get(opcode) ?? `OPCODE_${opcode}`;
}

/** One line: unique, opcode, node, caller, and the decoded arguments with flag names. */
export function describeRequest(h: fuse_in_header, name: string, arg: unknown, names: string[]): string {
  const parts = [`${h.unique} ${name} node ${h.nodeid} uid ${h.uid} pid ${h.pid}`];
  if (names.length) parts.push(names.map((n) => JSON.stringify(n)).join(' '));
  if (arg && typeof arg === 'object') {
    const a = { ...(arg as Record<string, unknown>) };
    if (name === 'INIT' && typeof a.flags === 'number') a.flags = initFlagNames(a.flags);
    if (name === 'SETATTR' && typeof a.valid === 'number') a.valid = setattrFlagNames(a.valid);
    if ((name === 'OPEN' || name === 'CREATE' || name === 'OPENDIR') && typeof a.flags === 'number') a.flags = openFlagNames(a.flags);
    parts.push(JSON.stringify(a));
  }
  return parts.join(' ');
}
