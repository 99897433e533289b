/**
 * Target: the syscall surface a conformance case talks to. Every setup
 * adapts its system to it: our VFS over a driver, or node:fs (plus a few
 * raw syscalls through perl) over a real Linux directory, so the same case
 * runs against the kernel and against us. Paths are relative to the case's
 * own directory; errors carry the errno name in `code`.
 */

export interface TStat {
  ino: number;
  dev: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** A timestamp for utimens: nanoseconds since the epoch, now, or unchanged. */
export type TTime = bigint | 'now' | 'omit';

export interface Creds {
  uid: number;
  gid: number;
  groups?: number[];
}

export interface Target {
  /** Which system this is, for messages. */
  readonly label: string;

  open(path: string, flags: number, mode?: number): Promise<number>;
  close(fd: number): Promise<void>;
  /** Reads up to `length` bytes at `position` (or the file offset when null). */
  read(fd: number, length: number, position?: number | null): Promise<Uint8Array>;
  write(fd: number, data: Uint8Array | string, position?: number | null): Promise<number>;
  fstat(fd: number): Promise<TStat>;
  ftruncate(fd: number, length: number): Promise<void>;
  /** lseek; returns the new offset. */
  lseek(fd: number, offset: number, whence: number): Promise<number>;
  /** dup(2): a second descriptor for the same open file description. */
  dup(fd: number): Promise<number>;

  stat(path: string): Promise<TStat>;
  lstat(path: string): Promise<TStat>;
  access(path: string, mode: number): Promise<void>;
  /** Names in a directory, without '.' and '..', sorted. */
  readdir(path: string): Promise<string[]>;
  /** Names with d_type ('file', 'dir', 'symlink', 'other'), sorted by name. */
  readdirTypes(path: string): Promise<Array<[string, string]>>;
  readlink(path: string): Promise<string>;
  realpath(path: string): Promise<string>;

  mkdir(path: string, mode?: number): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** renameat2 with RENAME_* flags. */
  rename(from: string, to: string, flags?: number): Promise<void>;
  link(from: string, to: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  mknod(path: string, mode: number, rdev?: number): Promise<void>;

  chmod(path: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  lchown(path: string, uid: number, gid: number): Promise<void>;
  truncate(path: string, length: number): Promise<void>;
  utimens(path: string, atime: TTime, mtime: TTime, nofollow?: boolean): Promise<void>;

  getxattr(path: string, name: string, nofollow?: boolean): Promise<Uint8Array>;
  listxattr(path: string, nofollow?: boolean): Promise<string[]>;
  setxattr(path: string, name: string, value: Uint8Array | string, flags?: number, nofollow?: boolean): Promise<void>;
  removexattr(path: string, name: string, nofollow?: boolean): Promise<void>;

  /** Sets the umask for later creations; returns the old one. */
  umask(mask: number): Promise<number>;
  /** The same tree seen by a process with other credentials. */
  as(creds: Creds): Promise<Target>;
  /** Ends whatever `as` started. */
  dispose?(): Promise<void>;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);
