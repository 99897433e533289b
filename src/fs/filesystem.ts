/**
 * FileSystem: the interface every driver implements (memfs, overlay, ext4,
 * FAT, ISO 9660, squashfs, the 9P client, guests).
 *
 * Inode-based like Linux's inode_operations and FUSE's lowlevel API, never
 * path-based: the caller (the VFS, the FUSE host, the 9P server) resolves
 * paths and holds inode numbers. The mandatory part is what a read-only
 * image needs; everything that modifies is optional, and `capabilities`
 * says up front which of it works. See README.md for the decisions.
 */
import type { Capabilities } from './capabilities.js';
import type { Timespec } from './time.js';

/** Inode number, unique within one FileSystem while the inode is referenced. Below 2^53. */
export type Ino = number;

/** Full stat, like Linux `struct statx` reduced to what every host needs. */
export interface Stat {
  readonly ino: Ino;
  /** File type and permission bits (S_IFMT | 07777). */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  /** Device number of a char/block device (glibc makedev encoding), else 0. */
  readonly rdev: number;
  /** Bytes for files, target length for symlinks, driver-defined for directories. */
  readonly size: number;
  /** Space used in 512-byte units, whatever the block size, so `du` is right. */
  readonly blocks: number;
  /** Preferred I/O size. */
  readonly blksize: number;
  readonly atime: Timespec;
  readonly mtime: Timespec;
  readonly ctime: Timespec;
  /** Creation time, when the format keeps one. */
  readonly btime?: Timespec;
}

/** What lookup and every creating operation return: the inode and its attributes. */
export interface Entry {
  readonly ino: Ino;
  readonly attr: Stat;
}

/** One readdir entry. `next` is the cookie that resumes after this entry. */
export interface DirEntry {
  readonly name: string;
  readonly ino: Ino;
  /** DT_* value (mode >> 12); DT_UNKNOWN (0) when the driver cannot tell cheaply. */
  readonly type: number;
  readonly next: number;
}

/**
 * Changes for setattr. Absent fields stay as they are. Drivers set ctime to
 * now on every setattr (unless `ctime` is given); a size change also sets
 * mtime, as Linux filesystems do. Permission rules (who may chmod, clearing
 * setuid on chown) are the VFS's job, not the driver's.
 */
export interface SetattrRequest {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec | 'now';
  mtime?: Timespec | 'now';
  ctime?: Timespec | 'now';
}

/** Like struct statfs; counts in units of `frsize`. */
export interface StatFs {
  /** Filesystem magic (EXT4_SUPER_MAGIC …), 0 when there is none. */
  readonly type: number;
  readonly bsize: number;
  readonly frsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
  readonly namemax: number;
}

/** Owner of new inodes: the caller's fsuid and fsgid. */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
}

/** renameat2(2) flags. */
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

/** setxattr(2) flags. */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** A change the driver saw that the caller did not make (remote drivers): drop cached state. */
export type FsChange =
  | { readonly kind: 'entry'; readonly dir: Ino; readonly name: string }
  | { readonly kind: 'inode'; readonly ino: Ino }
  | { readonly kind: 'all' };

export interface FileSystem {
  /** Short driver name for messages ('memfs', 'ext4'). */
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Inode number of the root directory. The root is always referenced; it is never forgotten. */
  readonly rootIno: Ino;

  /**
   * Looks `name` up in directory `dir` (never '.' or '..': the VFS resolves
   * those). ENOENT if absent, ENOTDIR if `dir` is not a directory. Every
   * successful call counts one reference on the inode for `forget`, as do
   * create, mknod, mkdir, symlink and link.
   */
  lookup(dir: Ino, name: string): Promise<Entry>;
  /** The caller drops `nlookup` references; at zero the driver may free the inode's state. */
  forget?(ino: Ino, nlookup: number): void;

  /**
   * Export operations (Linux `export_operations`, NFS file handles): a few
   * bytes that name inode `ino` in every instance of the same image, so
   * another instance (a worker thread that opened the image too) reaches
   * it without a path walk. `ino` is one the caller holds (from lookup,
   * readdir or decodeHandle). Optional: both or neither.
   */
  encodeHandle?(ino: Ino): Uint8Array;
  /**
   * The inode a handle names, with its attributes; counts one lookup
   * reference, like lookup. ESTALE when the handle names no inode of this
   * image (anymore).
   */
  decodeHandle?(handle: Uint8Array): Promise<Entry>;
  /** `fh` is given when the caller has the inode open (fstat), so unlinked inodes still answer. */
  getattr(ino: Ino, fh?: number): Promise<Stat>;
  /** Symlink target. EINVAL if not a symlink. */
  readlink(ino: Ino): Promise<string>;
  statfs(): Promise<StatFs>;

  /**
   * Opens for I/O and returns a handle passed back to read/write/release.
   * Optional: drivers without per-open state omit it and get fh 0. `flags`
   * are the O_* flags; O_CREAT/O_EXCL were handled by the caller. O_TRUNC
   * is only a hint (the overlay skips copying data that is about to go):
   * the truncation itself follows as setattr.
   */
  open?(ino: Ino, flags: number): Promise<number>;
  /** Reads up to buf.length bytes at `pos`; returns the count, short only at end of file. */
  read(ino: Ino, fh: number, buf: Uint8Array, pos: number): Promise<number>;
  /** Last close of a handle; also ends the inode if it was unlinked and nothing else holds it. */
  release?(ino: Ino, fh: number): Promise<void>;

  /** Opens a directory for reading; drivers with per-open listing state (overlay) need it. */
  opendir?(ino: Ino): Promise<number>;
  /**
   * Entries after `cookie` (0 = from the start), at most `limit` if given, in
   * a stable order; an empty array means the end. Includes '.' and '..' (like
   * Linux dir_emit_dots) so FUSE and 9P pass them through. Cookies stay valid
   * while the handle is open, so FUSE readdir offsets and 9P Treaddir offsets
   * map straight onto them; they are non-zero, below 2^53 and opaque.
   */
  readdir(ino: Ino, fh: number, cookie: number, limit?: number): Promise<DirEntry[]>;
  releasedir?(ino: Ino, fh: number): Promise<void>;

  // Modification: only where capabilities.write (and the finer capability) allow.

  /** Creates and opens a regular file atomically; EEXIST if the name exists. */
  create?(dir: Ino, name: string, mode: number, flags: number, caller: Caller): Promise<{ entry: Entry; fh: number }>;
  /** Creates a file of any type (S_IFREG, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK in mode). */
  mknod?(dir: Ino, name: string, mode: number, rdev: number, caller: Caller): Promise<Entry>;
  mkdir?(dir: Ino, name: string, mode: number, caller: Caller): Promise<Entry>;
  symlink?(dir: Ino, name: string, target: string, caller: Caller): Promise<Entry>;
  /** Adds a name for `ino` in `newDir`. EPERM for directories, EEXIST if taken. */
  link?(ino: Ino, newDir: Ino, newName: string): Promise<Entry>;
  /** Removes a non-directory name. EISDIR for directories. */
  unlink?(dir: Ino, name: string): Promise<void>;
  /** Removes an empty directory. ENOTDIR, ENOTEMPTY. */
  rmdir?(dir: Ino, name: string): Promise<void>;
  /**
   * rename/renameat2. Replaces a target of a compatible type (ENOTDIR,
   * EISDIR, ENOTEMPTY otherwise); RENAME_NOREPLACE → EEXIST if it exists;
   * RENAME_EXCHANGE swaps both (ENOENT if the target is missing). The
   * caller has already refused moving a directory into itself.
   */
  rename?(oldDir: Ino, oldName: string, newDir: Ino, newName: string, flags: number): Promise<void>;
  /** Writes all of `data` at `pos` (growing the file); returns data.length. */
  write?(ino: Ino, fh: number, data: Uint8Array, pos: number): Promise<number>;
  setattr?(ino: Ino, changes: SetattrRequest, fh?: number): Promise<Stat>;
  /** ENODATA if absent. Names include their namespace ('user.comment'). */
  getxattr?(ino: Ino, name: string): Promise<Uint8Array>;
  listxattr?(ino: Ino): Promise<string[]>;
  /** flags: XATTR_CREATE (EEXIST if present), XATTR_REPLACE (ENODATA if absent). */
  setxattr?(ino: Ino, name: string, value: Uint8Array, flags: number): Promise<void>;
  removexattr?(ino: Ino, name: string): Promise<void>;
  /** Makes the inode's data (and metadata unless `datasync`) durable. */
  fsync?(ino: Ino, fh: number, datasync: boolean): Promise<void>;

  /** Subscribes to changes made behind the caller's back; returns the unsubscribe function. */
  watch?(listener: (change: FsChange) => void): () => void;
  /** Flushes and releases everything (unmount). */
  destroy?(): Promise<void>;
}

/** The modifying operations, for wrappers and capability checks. */
export const WRITE_OPERATIONS = [
  'create', 'mknod', 'mkdir', 'symlink', 'link', 'unlink', 'rmdir', 'rename', 'write', 'setattr', 'setxattr', 'removexattr',
] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];
