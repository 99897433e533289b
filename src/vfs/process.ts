/**
 * VfsProcess: what a Linux task brings to a syscall — credentials, a root,
 * a working directory, a umask and a descriptor table — and the syscalls
 * themselves, named and ordered as in Linux (`openat`, `fstatat`,
 * `renameat2` …; the plain forms resolve relative to the cwd). Errors are
 * FsErrors carrying the errno Linux would return, the syscall and the path.
 *
 * This file holds the process state, path helpers and file I/O; namespace
 * changes are in namespace.ts, attribute changes and xattrs in attributes.ts.
 */
import { FsError } from '../errors.js';
import type { Stat, StatFs, DirEntry } from '../fs/filesystem.js';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, F_OK, O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH,
  O_RDONLY, O_TMPFILE, O_TRUNC, R_OK, SEEK_CUR, SEEK_END, SEEK_SET, W_OK, X_OK, wantsWrite,
} from '../fs/flags.js';
import { S_IALLUGO, S_IFMT, S_IFREG, isReg } from '../fs/mode.js';
import type { Timespec } from '../fs/time.js';
import { annotate } from './annotate.js';
import type { CachedInode } from './dcache.js';
import { FdTable, OpenFile } from './file-description.js';
import type { Mount, PathRef } from './mount-tree.js';
import { MAY_EXEC, MAY_READ, MAY_WRITE, ROOT_CREDENTIALS, checkAccess, mayAccess, modeAfterWrite, type Credentials, type Owned } from './permissions.js';
import { Walker, type ResolveContext } from './resolve.js';
import type { Vfs } from './vfs.js';
import * as ns from './namespace.js';
import * as attrs from './attributes.js';

export interface ProcessOptions {
  /** Credentials for permission checks and the owner of new files (root if absent). */
  creds?: Credentials;
  /** File mode creation mask (default 0o022). */
  umask?: number;
}

/** Stat as the VFS reports it: the driver's plus the device of the mount. */
export interface VfsStat extends Stat {
  readonly dev: number;
}

/** A timestamp for utimensat: a time, now (UTIME_NOW) or unchanged (UTIME_OMIT). */
export type TimeArg = Timespec | 'now' | 'omit';

export class VfsProcess {
  readonly vfs: Vfs;
  creds: Credentials;
  private mask: number;
  /** @internal */
  rootRef: PathRef;
  private cwdRef: PathRef;
  readonly fds = new FdTable();

  constructor(vfs: Vfs, options: ProcessOptions = {}) {
    this.vfs = vfs;
    this.creds = options.creds ?? ROOT_CREDENTIALS;
    this.mask = (options.umask ?? 0o022) & 0o777;
    const root = vfs.tree.root;
    this.rootRef = { mount: root, dentry: root.root };
    this.cwdRef = this.rootRef;
  }

  // ---- internals shared with namespace.ts and attributes.ts ----

  /** @internal credentials the checks use: the caller's, or root's when the Vfs does not check. */
  get checkCreds(): Credentials {
    return this.vfs.permissions ? this.creds : ROOT_CREDENTIALS;
  }

  /** @internal */
  get umaskValue(): number {
    return this.mask;
  }

  /** @internal */
  resolveContext(): ResolveContext {
    return {
      tree: this.vfs.tree,
      root: this.rootRef,
      creds: this.checkCreds,
      checkPermissions: this.vfs.permissions,
      permAttr: (inode) => this.permAttr(inode),
      readlink: (inode) => this.readlinkInode(inode),
    };
  }

  /** @internal */
  walker(): Walker {
    return new Walker(this.resolveContext());
  }

  /** @internal where a relative path starts: the cwd or an open directory. */
  startRef(dirfd: number): PathRef {
    if (dirfd === AT_FDCWD) return this.cwdRef;
    const f = this.fds.get(dirfd);
    return { mount: f.mount, dentry: f.dentry };
  }

  /** @internal mode, uid and gid for permission checks (cached while valid). */
  async permAttr(inode: CachedInode): Promise<Owned> {
    if (inode.sb.attrValid(inode)) return inode.attr;
    const attr = await inode.sb.fs.getattr(inode.ino);
    inode.sb.updateAttr(inode, attr);
    return attr;
  }

  /** @internal EACCES unless the caller may access `inode` with `mask`. */
  async may(inode: CachedInode, mask: number, what: string): Promise<void> {
    checkAccess(await this.permAttr(inode), mask, this.checkCreds, what);
  }

  /** @internal EROFS unless the mount (options and driver) allows changes. */
  requireWritable(mount: Mount, what: string): void {
    if (!mount.writable) throw new FsError('EROFS', `${what}: read-only file system (${mount.sb.fs.name}${mount.readOnly ? ', mounted read-only' : ''})`);
  }

  /** @internal fresh attributes from the driver, also refreshing the permission cache. */
  async getattr(inode: CachedInode, fh?: number): Promise<VfsStat> {
    const attr = await inode.sb.fs.getattr(inode.ino, fh);
    inode.sb.updateAttr(inode, attr);
    return withDev(attr, inode.sb.dev);
  }

  private async readlinkInode(inode: CachedInode): Promise<string> {
    if (inode.target !== undefined) return inode.target;
    const target = await inode.sb.fs.readlink(inode.ino);
    if (inode.sb.fs.capabilities.consistency !== 'remote') inode.target = target;
    return target;
  }

  /** @internal the path of a place as this process sees it (for getcwd, realpath, mounts). */
  pathOf(ref: PathRef): string {
    const parts: string[] = [];
    let cur = ref;
    for (let guard = 0; guard < 100000; guard++) {
      if (cur.mount === this.rootRef.mount && cur.dentry === this.rootRef.dentry) break;
      if (cur.dentry === cur.mount.root) {
        if (!cur.mount.parent || !cur.mount.mountpoint) break;
        cur = { mount: cur.mount.parent, dentry: cur.mount.mountpoint };
        continue;
      }
      parts.push(cur.dentry.name);
      if (!cur.dentry.parent) break;
      cur = { mount: cur.mount, dentry: cur.dentry.parent };
    }
    return '/' + parts.reverse().join('/');
  }

  /** @internal resolves an existing object for the *at calls (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW). */
  async lookupAt(dirfd: number, path: string, follow: boolean, emptyPath = false): Promise<PathRef> {
    if (path === '' && emptyPath) return this.startRef(dirfd);
    return this.walker().lookup(this.startRef(dirfd), path, follow);
  }

  // ---- working directory and umask ----

  async chdir(path: string): Promise<void> {
    try {
      const ref = await this.walker().lookup(this.cwdRef, path, true, true);
      await this.may(ref.dentry.inode!, MAY_EXEC, `chdir '${path}'`);
      this.setCwd(ref);
    } catch (e) {
      throw annotate(e, 'chdir', path);
    }
  }

  async fchdir(fd: number): Promise<void> {
    try {
      const f = this.fds.get(fd);
      if (!f.inode.isDir) throw new FsError('ENOTDIR', 'not a directory');
      await this.may(f.inode, MAY_EXEC, 'fchdir');
      this.setCwd({ mount: f.mount, dentry: f.dentry });
    } catch (e) {
      throw annotate(e, 'fchdir');
    }
  }

  private setCwd(ref: PathRef): void {
    ref.mount.sb.hold(ref.dentry);
    ref.mount.users++;
    const old = this.cwdRef;
    this.cwdRef = ref;
    if (old !== this.rootRef) {
      old.mount.sb.release(old.dentry);
      old.mount.users--;
    }
  }

  /** The working directory's path; ENOENT if it was removed. */
  getcwd(): string {
    if (!this.cwdRef.dentry.hashed || this.cwdRef.dentry.inode === null) throw annotate(new FsError('ENOENT', 'working directory was removed'), 'getcwd');
    return this.pathOf(this.cwdRef);
  }

  /** Sets the umask, returning the old one. */
  umask(mask?: number): number {
    const old = this.mask;
    if (mask !== undefined) this.mask = mask & 0o777;
    return old;
  }

  // ---- opening and closing ----

  open(path: string, flags: number, mode = 0o666): Promise<number> {
    return this.openat(AT_FDCWD, path, flags, mode);
  }

  async openat(dirfd: number, path: string, flags: number, mode = 0o666): Promise<number> {
    try {
      if ((flags & O_TMPFILE) === O_TMPFILE) throw new FsError('EOPNOTSUPP', 'O_TMPFILE is not supported');
      if ((flags & O_ACCMODE) === O_ACCMODE) throw new FsError('EINVAL', 'invalid access mode');
      const w = this.walker();
      let last = await w.parent(this.startRef(dirfd), path);
      let ref: PathRef | null;
      let created: { fh: number } | null = null;
      if (flags & O_CREAT) {
        if (flags & O_PATH) throw new FsError('EINVAL', 'O_PATH with O_CREAT');
        // Linux: '.', '..' and '/' exist (O_EXCL: EEXIST, else EISDIR); a trailing slash on a name is EISDIR.
        if (last.type !== 'normal') throw new FsError(flags & O_EXCL ? 'EEXIST' : 'EISDIR', `'${path}' is a directory`);
        if (last.trailingSlash) throw new FsError('EISDIR', 'cannot create a directory with open');
        for (;;) {
          ref = await w.lastRef(last);
          if (!ref) {
            const made = await ns.createFile(this, last, mode, flags);
            ref = made.ref;
            created = { fh: made.fh };
            break;
          }
          if (flags & O_EXCL) throw new FsError('EEXIST', `'${last.name}' exists`);
          if (!ref.dentry.inode!.isSymlink) break;
          if (flags & O_NOFOLLOW) throw new FsError('ELOOP', `'${last.name}' is a symbolic link (O_NOFOLLOW)`);
          // Follow the link; a dangling one makes O_CREAT create its target.
          const target = await w.linkTarget(ref);
          last = await w.parent(last.parent, target);
          if (last.trailingSlash || last.type !== 'normal') {
            const end = await w.lastRef(last);
            if (!end) throw new FsError('EISDIR', 'cannot create a directory with open');
            ref = await w.followLast(last, end, true, false);
            break;
          }
        }
        if (!created && ref.dentry.inode!.isDir) throw new FsError('EISDIR', `'${last.name}' is a directory`);
      } else {
        ref = await w.lastRef(last);
        if (!ref) throw new FsError('ENOENT', `'${last.name}' does not exist`);
        if (ref.dentry.inode!.isSymlink && flags & O_NOFOLLOW) {
          if (!(flags & O_PATH)) throw new FsError('ELOOP', `'${last.name}' is a symbolic link (O_NOFOLLOW)`);
        } else {
          ref = await w.followLast(last, ref, true, (flags & O_DIRECTORY) !== 0);
        }
      }
      if (flags & O_DIRECTORY && !ref.dentry.inode!.isDir) throw new FsError('ENOTDIR', `'${last.name}' is not a directory`);
      const file = created ? this.newOpenFile(ref, flags, created.fh, path) : await this.openExisting(ref, flags, path);
      return this.install(file);
    } catch (e) {
      throw annotate(e, 'open', path);
    }
  }

  private async openExisting(ref: PathRef, flags: number, path: string): Promise<OpenFile> {
    const inode = ref.dentry.inode!;
    const fs = ref.mount.sb.fs;
    if (flags & O_PATH) return this.newOpenFile(ref, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW), 0, path);
    const write = wantsWrite(flags) || (flags & O_TRUNC) !== 0;
    if (inode.isDir && write) throw new FsError('EISDIR', 'is a directory');
    const type = inode.type;
    if (type !== S_IFREG && !inode.isDir && !inode.isSymlink) {
      throw new FsError('ENXIO', 'device nodes, FIFOs and sockets cannot be opened through the VFS');
    }
    // Linux order: EROFS (inode_permission on a read-only mount) before EACCES.
    if (write) this.requireWritable(ref.mount, 'open');
    let mask = 0;
    if ((flags & O_ACCMODE) !== 1) mask |= MAY_READ;
    if (write) mask |= MAY_WRITE;
    await this.may(inode, mask, 'open');
    let fh = 0;
    if (inode.isDir) {
      if (fs.opendir) fh = await fs.opendir(inode.ino);
    } else if (fs.open) fh = await fs.open(inode.ino, flags & ~(O_CREAT | O_EXCL));
    const file = this.newOpenFile(ref, flags, fh, path);
    if (flags & O_TRUNC && isReg(inode.attr.mode)) {
      try {
        await attrs.truncateOnOpen(this, file);
      } catch (e) {
        await this.releaseFile(file);
        throw e;
      }
    }
    return file;
  }

  /** @internal */
  newOpenFile(ref: PathRef, flags: number, fh: number, path: string): OpenFile {
    ref.mount.sb.hold(ref.dentry);
    ref.mount.users++;
    return new OpenFile(ref.mount, ref.dentry, ref.dentry.inode!, flags, fh, path);
  }

  private install(file: OpenFile): number {
    try {
      return this.fds.install(file);
    } catch (e) {
      void this.releaseFile(file);
      throw e;
    }
  }

  async close(fd: number): Promise<void> {
    try {
      const last = this.fds.remove(fd);
      if (last) await this.releaseFile(last);
    } catch (e) {
      throw annotate(e, 'close');
    }
  }

  /** Closes every descriptor (process exit). */
  async closeAll(): Promise<void> {
    for (const [fd] of [...this.fds.entries()]) await this.close(fd);
  }

  private async releaseFile(file: OpenFile): Promise<void> {
    if (file.closed) return;
    file.closed = true;
    const fs = file.mount.sb.fs;
    try {
      if (!(file.flags & O_PATH)) {
        if (file.inode.isDir) await fs.releasedir?.(file.inode.ino, file.fh);
        else await fs.release?.(file.inode.ino, file.fh);
      }
    } finally {
      file.mount.sb.release(file.dentry, file.inode);
      file.mount.users--;
    }
  }

  dup(fd: number): number {
    try {
      return this.fds.install(this.fds.get(fd));
    } catch (e) {
      throw annotate(e, 'dup');
    }
  }

  async dup2(fd: number, fd2: number): Promise<number> {
    try {
      const f = this.fds.get(fd);
      if (fd === fd2) return fd2;
      const old = this.fds.installAt(f, fd2);
      if (old && --old.refs === 0) await this.releaseFile(old);
      return fd2;
    } catch (e) {
      throw annotate(e, 'dup2');
    }
  }

  /** @internal */
  file(fd: number): OpenFile {
    return this.fds.get(fd);
  }

  // ---- I/O ----

  /** Reads into `buf` at `position`, or at (and advancing) the file offset when position is null. */
  async read(fd: number, buf: Uint8Array, position: number | null = null): Promise<number> {
    try {
      const f = this.fds.get(fd);
      if (!f.readable || f.flags & O_PATH) throw new FsError('EBADF', 'file not open for reading');
      if (f.inode.isDir) throw new FsError('EISDIR', 'is a directory');
      const pos = position ?? f.pos;
      if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `bad position ${pos}`);
      if (buf.length === 0) return 0;
      const n = await f.mount.sb.fs.read(f.inode.ino, f.fh, buf, pos);
      if (position === null) f.pos = pos + n;
      return n;
    } catch (e) {
      throw annotate(e, 'read');
    }
  }

  /**
   * Writes all of `data` at `position`, or at (and advancing) the file
   * offset when null. With O_APPEND every write goes to the end, as on
   * Linux (even pwrite).
   */
  async write(fd: number, data: Uint8Array, position: number | null = null): Promise<number> {
    try {
      const f = this.fds.get(fd);
      if (!f.writable || f.flags & O_PATH) throw new FsError('EBADF', 'file not open for writing');
      const fs = f.mount.sb.fs;
      if (!fs.write) throw new FsError('EROFS', `${fs.name}: writing is not supported`);
      let pos = position ?? f.pos;
      if (f.flags & O_APPEND) pos = (await fs.getattr(f.inode.ino, f.fh)).size;
      if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `bad position ${pos}`);
      if (data.length === 0) return 0;
      if (pos + data.length > fs.capabilities.maxFileSize) throw new FsError('EFBIG', `file would exceed ${fs.capabilities.maxFileSize} bytes`);
      await this.killPrivileges(f.inode);
      const n = await fs.write(f.inode.ino, f.fh, data, pos);
      if (position === null) f.pos = pos + n;
      return n;
    } catch (e) {
      throw annotate(e, 'write');
    }
  }

  /** A write by an unprivileged caller clears setuid/setgid (file_remove_privs). */
  private async killPrivileges(inode: CachedInode): Promise<void> {
    const attr = await this.permAttr(inode);
    const mode = modeAfterWrite(attr.mode, this.checkCreds);
    if (mode === undefined) return;
    const fs = inode.sb.fs;
    const next = await fs.setattr!(inode.ino, { mode: mode & S_IALLUGO });
    inode.sb.updateAttr(inode, next);
  }

  async lseek(fd: number, offset: number, whence: number): Promise<number> {
    try {
      const f = this.fds.get(fd);
      let base: number;
      if (whence === SEEK_SET) base = 0;
      else if (whence === SEEK_CUR) base = f.pos;
      else if (whence === SEEK_END) base = (await f.mount.sb.fs.getattr(f.inode.ino, f.fh)).size;
      else throw new FsError('EINVAL', `bad whence ${whence}`);
      const pos = base + offset;
      if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `resulting offset ${pos} is invalid`);
      f.pos = pos;
      if (f.inode.isDir) delete f.cookiesSeen;
      return pos;
    } catch (e) {
      throw annotate(e, 'lseek');
    }
  }

  /**
   * Next directory entries (getdents64), '.' and '..' included, at most
   * `limit`; an empty array at the end. The file offset is the driver's
   * cookie, so telldir/seekdir (lseek) work.
   */
  async getdents(fd: number, limit = 1024): Promise<DirEntry[]> {
    try {
      const f = this.fds.get(fd);
      if (f.flags & O_PATH) throw new FsError('EBADF', 'O_PATH descriptor');
      if (!f.inode.isDir) throw new FsError('ENOTDIR', 'not a directory');
      const entries = await f.mount.sb.fs.readdir(f.inode.ino, f.fh, f.pos, limit);
      if (entries.length) {
        // A corrupt image could send a reader round in circles: a cookie may come back only after a rewind.
        const next = entries[entries.length - 1]!.next;
        if (!Number.isSafeInteger(next) || next === 0) throw new FsError('EIO', `${f.mount.sb.fs.name}: readdir: invalid cookie ${String(next)}`);
        const seen = (f.cookiesSeen ??= new Set());
        if (seen.has(next)) throw new FsError('EIO', `${f.mount.sb.fs.name}: readdir of inode ${f.inode.ino}: cookie ${next} came back (the directory loops)`);
        seen.add(next);
        f.pos = next;
      }
      return entries;
    } catch (e) {
      throw annotate(e, 'getdents64');
    }
  }

  async fstat(fd: number): Promise<VfsStat> {
    try {
      const f = this.fds.get(fd);
      return await this.getattr(f.inode, f.fh || undefined);
    } catch (e) {
      throw annotate(e, 'fstat');
    }
  }

  async fsync(fd: number, datasync = false): Promise<void> {
    try {
      const f = this.fds.get(fd);
      if (f.flags & O_PATH) throw new FsError('EBADF', 'O_PATH descriptor');
      await f.mount.sb.fs.fsync?.(f.inode.ino, f.fh, datasync);
    } catch (e) {
      throw annotate(e, datasync ? 'fdatasync' : 'fsync');
    }
  }

  // ---- lookups ----

  stat(path: string): Promise<VfsStat> {
    return this.fstatat(AT_FDCWD, path, 0);
  }

  lstat(path: string): Promise<VfsStat> {
    return this.fstatat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW);
  }

  async fstatat(dirfd: number, path: string, flags: number): Promise<VfsStat> {
    try {
      const ref = await this.lookupAt(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
      return await this.getattr(ref.dentry.inode!);
    } catch (e) {
      throw annotate(e, flags & AT_SYMLINK_NOFOLLOW ? 'lstat' : 'stat', path);
    }
  }

  /** access(2)/faccessat: F_OK, or any of R_OK, W_OK, X_OK. */
  async access(path: string, mode = F_OK, dirfd = AT_FDCWD, flags = 0): Promise<void> {
    try {
      if (mode & ~(R_OK | W_OK | X_OK)) throw new FsError('EINVAL', `bad access mode ${mode}`);
      const ref = await this.lookupAt(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW));
      if (mode === F_OK) return;
      const inode = ref.dentry.inode!;
      if (mode & W_OK && (isReg(inode.attr.mode) || inode.isDir || inode.isSymlink)) this.requireWritable(ref.mount, 'access');
      const attr = await this.permAttr(inode);
      if (!mayAccess(attr, mode, this.checkCreds)) throw new FsError('EACCES', 'permission denied');
    } catch (e) {
      throw annotate(e, 'access', path);
    }
  }

  async readlink(path: string, dirfd = AT_FDCWD): Promise<string> {
    try {
      const ref = await this.lookupAt(dirfd, path, false, true);
      if (!ref.dentry.inode!.isSymlink) throw new FsError('EINVAL', 'not a symbolic link');
      return await ref.mount.sb.fs.readlink(ref.dentry.inode!.ino);
    } catch (e) {
      throw annotate(e, 'readlink', path);
    }
  }

  /** The canonical absolute path (every symlink, '.' and '..' resolved). */
  async realpath(path: string): Promise<string> {
    try {
      return this.pathOf(await this.walker().lookup(this.cwdRef, path, true));
    } catch (e) {
      throw annotate(e, 'realpath', path);
    }
  }

  async statfs(path: string): Promise<StatFs> {
    try {
      const ref = await this.walker().lookup(this.cwdRef, path, true);
      return await ref.mount.sb.fs.statfs();
    } catch (e) {
      throw annotate(e, 'statfs', path);
    }
  }

  /** The mount a path is on and whether it is writable (for callers that check capabilities early). */
  async mountOf(path: string): Promise<{ fs: import('../fs/filesystem.js').FileSystem; readOnly: boolean; dev: number }> {
    try {
      const ref = await this.walker().lookup(this.cwdRef, path, true);
      return { fs: ref.mount.sb.fs, readOnly: !ref.mount.writable, dev: ref.mount.sb.dev };
    } catch (e) {
      throw annotate(e, 'statfs', path);
    }
  }

  // ---- namespace changes (namespace.ts) ----

  mkdir(path: string, mode = 0o777): Promise<void> {
    return ns.mkdirat(this, AT_FDCWD, path, mode);
  }
  mkdirat(dirfd: number, path: string, mode = 0o777): Promise<void> {
    return ns.mkdirat(this, dirfd, path, mode);
  }
  mknod(path: string, mode: number, rdev = 0): Promise<void> {
    return ns.mknodat(this, AT_FDCWD, path, mode, rdev);
  }
  mknodat(dirfd: number, path: string, mode: number, rdev = 0): Promise<void> {
    return ns.mknodat(this, dirfd, path, mode, rdev);
  }
  symlink(target: string, path: string): Promise<void> {
    return ns.symlinkat(this, target, AT_FDCWD, path);
  }
  symlinkat(target: string, dirfd: number, path: string): Promise<void> {
    return ns.symlinkat(this, target, dirfd, path);
  }
  link(oldPath: string, newPath: string): Promise<void> {
    return ns.linkat(this, AT_FDCWD, oldPath, AT_FDCWD, newPath, 0);
  }
  linkat(oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags = 0): Promise<void> {
    return ns.linkat(this, oldDirfd, oldPath, newDirfd, newPath, flags);
  }
  unlink(path: string): Promise<void> {
    return ns.unlinkat(this, AT_FDCWD, path, 0);
  }
  rmdir(path: string): Promise<void> {
    return ns.unlinkat(this, AT_FDCWD, path, 0x200);
  }
  unlinkat(dirfd: number, path: string, flags = 0): Promise<void> {
    return ns.unlinkat(this, dirfd, path, flags);
  }
  rename(oldPath: string, newPath: string, flags = 0): Promise<void> {
    return ns.renameat2(this, AT_FDCWD, oldPath, AT_FDCWD, newPath, flags);
  }
  renameat2(oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags = 0): Promise<void> {
    return ns.renameat2(this, oldDirfd, oldPath, newDirfd, newPath, flags);
  }

  // ---- attribute changes and xattrs (attributes.ts) ----

  chmod(path: string, mode: number): Promise<void> {
    return attrs.fchmodat(this, AT_FDCWD, path, mode, 0);
  }
  fchmodat(dirfd: number, path: string, mode: number, flags = 0): Promise<void> {
    return attrs.fchmodat(this, dirfd, path, mode, flags);
  }
  fchmod(fd: number, mode: number): Promise<void> {
    return attrs.fchmod(this, fd, mode);
  }
  chown(path: string, uid: number, gid: number): Promise<void> {
    return attrs.fchownat(this, AT_FDCWD, path, uid, gid, 0);
  }
  lchown(path: string, uid: number, gid: number): Promise<void> {
    return attrs.fchownat(this, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
  }
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags = 0): Promise<void> {
    return attrs.fchownat(this, dirfd, path, uid, gid, flags);
  }
  fchown(fd: number, uid: number, gid: number): Promise<void> {
    return attrs.fchown(this, fd, uid, gid);
  }
  truncate(path: string, length: number): Promise<void> {
    return attrs.truncate(this, path, length);
  }
  ftruncate(fd: number, length: number): Promise<void> {
    return attrs.ftruncate(this, fd, length);
  }
  /** utimensat: atime and mtime each a time, 'now' or 'omit'. */
  utimens(path: string, atime: TimeArg, mtime: TimeArg, flags = 0): Promise<void> {
    return attrs.utimensat(this, AT_FDCWD, path, atime, mtime, flags);
  }
  utimensat(dirfd: number, path: string, atime: TimeArg, mtime: TimeArg, flags = 0): Promise<void> {
    return attrs.utimensat(this, dirfd, path, atime, mtime, flags);
  }
  futimens(fd: number, atime: TimeArg, mtime: TimeArg): Promise<void> {
    return attrs.futimens(this, fd, atime, mtime);
  }
  getxattr(path: string, name: string, follow = true): Promise<Uint8Array> {
    return attrs.getxattr(this, path, name, follow);
  }
  listxattr(path: string, follow = true): Promise<string[]> {
    return attrs.listxattr(this, path, follow);
  }
  setxattr(path: string, name: string, value: Uint8Array, flags = 0, follow = true): Promise<void> {
    return attrs.setxattr(this, path, name, value, flags, follow);
  }
  removexattr(path: string, name: string, follow = true): Promise<void> {
    return attrs.removexattr(this, path, name, follow);
  }
}

export function withDev(attr: Stat, dev: number): VfsStat {
  return {
    dev, ino: attr.ino, mode: attr.mode, nlink: attr.nlink, uid: attr.uid, gid: attr.gid, rdev: attr.rdev,
    size: attr.size, blocks: attr.blocks, blksize: attr.blksize,
    atime: attr.atime, mtime: attr.mtime, ctime: attr.ctime, ...(attr.btime ? { btime: attr.btime } : {}),
  };
}
