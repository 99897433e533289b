/**
 * Open file descriptions and descriptor tables, kept apart as in Linux:
 * an OpenFile (struct file) holds the offset, the open flags and the
 * driver's handle; descriptors are small integers pointing at one. dup()
 * makes a second descriptor for the same description, so both share the
 * offset; the driver's handle is released when the last one closes.
 */
import { FsError } from '../errors.js';
import { O_ACCMODE, O_RDONLY, O_WRONLY } from '../fs/flags.js';
import type { CachedInode, Dentry } from './dcache.js';
import type { Mount } from './mount-tree.js';

export class OpenFile {
  readonly mount: Mount;
  readonly dentry: Dentry;
  readonly inode: CachedInode;
  /** O_* flags as opened (O_APPEND, O_NONBLOCK may change with fcntl). */
  flags: number;
  /** Byte offset for files; readdir cookie for directories. */
  pos = 0;
  /** The driver's handle (0 when the driver keeps no per-open state). */
  readonly fh: number;
  /** The path it was opened by, for messages. */
  readonly path: string;
  /** Descriptors pointing here. */
  refs = 0;
  closed = false;
  /** Directories: the cookies batches ended at since the last rewind, to catch a driver that loops. */
  cookiesSeen?: Set<number>;

  constructor(mount: Mount, dentry: Dentry, inode: CachedInode, flags: number, fh: number, path: string) {
    this.mount = mount;
    this.dentry = dentry;
    this.inode = inode;
    this.flags = flags;
    this.fh = fh;
    this.path = path;
  }

  get readable(): boolean {
    return (this.flags & O_ACCMODE) !== O_WRONLY;
  }

  get writable(): boolean {
    return (this.flags & O_ACCMODE) !== O_RDONLY;
  }
}

/** Most descriptors per process (RLIMIT_NOFILE's usual soft limit is 1024; we allow more). */
export const MAX_FDS = 1 << 20;

export class FdTable {
  private readonly files = new Map<number, OpenFile>();
  /** Smallest descriptor that may be free (POSIX: open returns the lowest free one). */
  private lowest = 0;

  get size(): number {
    return this.files.size;
  }

  /** Installs `file` at the lowest free descriptor (≥ min) and returns it. */
  install(file: OpenFile, min = 0): number {
    let fd = Math.max(min, this.lowest);
    while (this.files.has(fd)) fd++;
    if (fd >= MAX_FDS) throw new FsError('EMFILE', `too many open files (${MAX_FDS})`);
    this.files.set(fd, file);
    file.refs++;
    if (min <= this.lowest) this.lowest = fd + 1;
    return fd;
  }

  /** Puts `file` at exactly `fd` (dup2), returning what was there, if anything. */
  installAt(file: OpenFile, fd: number): OpenFile | undefined {
    if (!Number.isInteger(fd) || fd < 0 || fd >= MAX_FDS) throw new FsError('EBADF', `bad file descriptor ${fd}`);
    const old = this.files.get(fd);
    this.files.set(fd, file);
    file.refs++;
    return old;
  }

  get(fd: number): OpenFile {
    const f = this.files.get(fd);
    if (!f) throw new FsError('EBADF', `bad file descriptor ${fd}`);
    return f;
  }

  /** Removes a descriptor; returns the description if this was its last descriptor. */
  remove(fd: number): OpenFile | undefined {
    const f = this.get(fd);
    this.files.delete(fd);
    if (fd < this.lowest) this.lowest = fd;
    f.refs--;
    return f.refs === 0 ? f : undefined;
  }

  entries(): IterableIterator<[number, OpenFile]> {
    return this.files.entries();
  }
}
