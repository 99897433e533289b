/**
 * What a FileSystem driver can do, declared up front, so callers (the VFS,
 * FUSE and 9P hosts, the CLI) refuse an operation early with the errno Linux
 * would give on such a filesystem, instead of pretending every backend is
 * POSIX and failing halfway.
 */

/**
 * How the data behind a driver may change, which decides how long the VFS
 * may cache names and attributes:
 * - `immutable`: nothing changes it (a read-only image): cache forever.
 * - `local-exclusive`: only this driver instance changes it (memfs, an image
 *   opened for writing): caches are exact as long as changes go through it.
 * - `remote`: someone else may change it at any time (9P, a guest): cached
 *   entries expire and the driver may report changes (`FileSystem.watch`).
 */
export type Consistency = 'immutable' | 'local-exclusive' | 'remote';

export interface Capabilities {
  /** Any modification at all (create, write, setattr …). False → EROFS. */
  readonly write: boolean;
  /** Symbolic links can be created (and exist). False → symlink() is EPERM. */
  readonly symlinks: boolean;
  /** More than one name per inode. False → link() is EPERM. */
  readonly hardlinks: boolean;
  /** Mode bits, uid and gid are stored and changeable. False → chmod/chown are EPERM. */
  readonly posixPermissions: boolean;
  /** FIFOs, sockets and device nodes can be created with mknod. False → EPERM. */
  readonly specialFiles: boolean;
  /** Extended attribute namespaces supported ('user', 'trusted', 'security'); empty → EOPNOTSUPP. */
  readonly xattrNamespaces: readonly string[];
  /** Names that differ only in case are the same file (FAT, exFAT, HFS+ by default). */
  readonly caseInsensitive: boolean;
  /** rename() replaces the target in one step (no window where neither name exists). */
  readonly atomicRename: boolean;
  /** rename() flags supported: RENAME_NOREPLACE, RENAME_EXCHANGE. Others → EINVAL. */
  readonly renameNoReplace: boolean;
  readonly renameExchange: boolean;
  /** Holes in files cost no space (st_blocks counts only written data). */
  readonly sparseFiles: boolean;
  /** Longest name in bytes (UTF-8); longer → ENAMETOOLONG. */
  readonly maxNameLength: number;
  /** Largest file size in bytes; writes or truncates beyond → EFBIG. */
  readonly maxFileSize: number;
  /** Most names one inode may have; more → EMLINK. */
  readonly maxLinks: number;
  /** Smallest step timestamps are stored in, in nanoseconds (1 for ext4, 2e9 for FAT mtime). */
  readonly timestampGranularityNs: number;
  /** Stat has a birth (creation) time. */
  readonly birthTime: boolean;
  readonly consistency: Consistency;
}

/** The capabilities of a full POSIX filesystem in memory; drivers spread and override. */
export const POSIX_CAPABILITIES: Capabilities = Object.freeze({
  write: true,
  symlinks: true,
  hardlinks: true,
  posixPermissions: true,
  specialFiles: true,
  xattrNamespaces: Object.freeze(['user', 'trusted', 'security']),
  caseInsensitive: false,
  atomicRename: true,
  renameNoReplace: true,
  renameExchange: true,
  sparseFiles: true,
  maxNameLength: 255,
  maxFileSize: Number.MAX_SAFE_INTEGER,
  maxLinks: 0xffffffff,
  timestampGranularityNs: 1,
  birthTime: true,
  consistency: 'local-exclusive',
});

/** The same with every modification refused (what a read-only image driver declares). */
export function readOnlyCapabilities(base: Capabilities): Capabilities {
  return Object.freeze({ ...base, write: false, consistency: base.consistency === 'remote' ? 'remote' : 'immutable' });
}

/** One line for `anymount info` and error messages. */
export function describeCapabilities(c: Capabilities): string {
  const parts = [c.write ? 'read-write' : 'read-only'];
  if (c.symlinks) parts.push('symlinks');
  if (c.hardlinks) parts.push('hardlinks');
  if (c.posixPermissions) parts.push('posix permissions');
  if (c.specialFiles) parts.push('special files');
  if (c.xattrNamespaces.length) parts.push(`xattrs (${c.xattrNamespaces.join(', ')})`);
  if (c.caseInsensitive) parts.push('case-insensitive');
  parts.push(`names ≤ ${c.maxNameLength} bytes`, c.consistency);
  return parts.join(', ');
}
