/**
 * MemFileSystem (memfs): the reference driver, a POSIX filesystem in memory
 * that behaves like Linux tmpfs: hard links with nlink, symlinks, unlinked
 * files that live until the last close and forget, sparse files, xattrs,
 * nanosecond timestamps updated where Linux updates them, and readdir
 * cookies that survive insertions and removals.
 *
 * Permission checks, sticky-bit and setuid rules belong to the VFS (as in
 * Linux); memfs stores what it is told and checks only what a filesystem
 * checks: types, emptiness, names, sizes.
 */
import { FsError } from '../../errors.js';
import { POSIX_CAPABILITIES, type Capabilities } from '../../fs/capabilities.js';
import {
  RENAME_EXCHANGE, RENAME_NOREPLACE, XATTR_CREATE, XATTR_REPLACE,
  type Caller, type DirEntry, type Entry, type FileSystem, type FsChange, type Ino, type SetattrRequest, type Stat, type StatFs,
} from '../../fs/filesystem.js';
import { DT_DIR, S_IALLUGO, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_ISGID } from '../../fs/mode.js';
import { compareTime, realtimeClock, type Clock, type Timespec } from '../../fs/time.js';
import { MemInode } from './inode.js';
import { checkName as checkNameOf, utf8Length } from '../../fs/names.js';
import { PAGE_SIZE } from './file-data.js';

export interface MemFileSystemOptions {
  /** Owner and mode of the root directory (tmpfs: 0, 0, 01777). */
  rootUid?: number;
  rootGid?: number;
  rootMode?: number;
  /** Size limit in bytes (ENOSPC past it); unlimited by default. */
  maxBytes?: number;
  /** Inode limit (ENOSPC past it). */
  maxInodes?: number;
  clock?: Clock;
  /** Report every namespace change to `watch` listeners (for several VFSs over one memfs). */
  notify?: boolean;
  name?: string;
}

const TMPFS_MAGIC = 0x01021994;
const DAY_SEC = 86400;
const MAX_XATTR_NAME = 255;
const MAX_XATTR_VALUE = 65536;
const PATH_MAX = 4096;
const MAX_CURSORS = 4096;

interface DirCursor {
  cookie: number;
  iterator: Iterator<[string, { ino: number; type: number; seq: number }]>;
}

export class MemFileSystem implements FileSystem {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly rootIno = 1;
  private readonly inodes = new Map<number, MemInode>();
  private nextIno = 2;
  private readonly clock: Clock;
  private readonly maxBytes: number;
  private readonly maxInodes: number;
  private usedPages = 0;
  private nextFh = 1;
  private readonly handles = new Map<number, number>();
  private readonly cursors = new Map<number, DirCursor>();
  private readonly listeners = new Set<(change: FsChange) => void>();
  private readonly notify: boolean;

  constructor(options: MemFileSystemOptions = {}) {
    this.name = options.name ?? 'memfs';
    this.clock = options.clock ?? realtimeClock;
    this.maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.maxInodes = options.maxInodes ?? Number.MAX_SAFE_INTEGER;
    this.notify = options.notify ?? false;
    this.capabilities = Object.freeze({ ...POSIX_CAPABILITIES, consistency: options.notify ? 'remote' : 'local-exclusive' });
    const root = new MemInode(1, S_IFDIR | ((options.rootMode ?? 0o1777) & S_IALLUGO), options.rootUid ?? 0, options.rootGid ?? 0, this.clock());
    root.nlink = 2;
    root.parent = 1;
    this.inodes.set(1, root);
  }

  // ---- lookups and attributes ----

  async lookup(dir: Ino, name: string): Promise<Entry> {
    const d = this.dir(dir, 'lookup');
    const rec = d.entries!.get(name);
    if (!rec) throw missing(`${this.name}: lookup: no entry '${name}' in directory ${dir}`);
    const inode = this.inode(rec.ino);
    inode.nlookup++;
    return { ino: inode.ino, attr: inode.stat() };
  }

  forget(ino: Ino, nlookup: number): void {
    const inode = this.inodes.get(ino);
    if (!inode || ino === this.rootIno) return;
    inode.nlookup = Math.max(0, inode.nlookup - nlookup);
    this.maybeFree(inode);
  }

  async getattr(ino: Ino): Promise<Stat> {
    return this.inode(ino).stat();
  }

  async readlink(ino: Ino): Promise<string> {
    const inode = this.inode(ino);
    if (inode.target === undefined) throw new FsError('EINVAL', `${this.name}: readlink: inode ${ino} is not a symlink`);
    return inode.target;
  }

  async statfs(): Promise<StatFs> {
    const totalPages = Math.floor(Math.min(this.maxBytes, Number.MAX_SAFE_INTEGER) / PAGE_SIZE);
    const freePages = Math.max(0, totalPages - this.usedPages);
    const files = Math.min(this.maxInodes, Number.MAX_SAFE_INTEGER);
    return {
      type: TMPFS_MAGIC, bsize: PAGE_SIZE, frsize: PAGE_SIZE,
      blocks: totalPages, bfree: freePages, bavail: freePages,
      files, ffree: Math.max(0, files - this.inodes.size), namemax: 255,
    };
  }

  // ---- files ----

  async open(ino: Ino, _flags: number): Promise<number> {
    const inode = this.inode(ino);
    inode.opens++;
    const fh = this.nextFh++;
    this.handles.set(fh, ino);
    return fh;
  }

  async release(ino: Ino, fh: number): Promise<void> {
    if (this.handles.get(fh) !== ino) return;
    this.handles.delete(fh);
    const inode = this.inodes.get(ino);
    if (!inode) return;
    inode.opens--;
    this.maybeFree(inode);
  }

  async read(ino: Ino, _fh: number, buf: Uint8Array, pos: number): Promise<number> {
    const inode = this.inode(ino);
    if (inode.isDir) throw new FsError('EISDIR', `${this.name}: read: inode ${ino} is a directory`);
    if (!inode.data) throw new FsError('EINVAL', `${this.name}: read: inode ${ino} is not a regular file`);
    checkPosition(this.name, 'read', pos);
    const n = inode.data.read(buf, pos);
    this.touchAtime(inode);
    return n;
  }

  async write(ino: Ino, _fh: number, data: Uint8Array, pos: number): Promise<number> {
    const inode = this.inode(ino);
    if (inode.isDir) throw new FsError('EISDIR', `${this.name}: write: inode ${ino} is a directory`);
    if (!inode.data) throw new FsError('EINVAL', `${this.name}: write: inode ${ino} is not a regular file`);
    checkPosition(this.name, 'write', pos);
    if (data.length === 0) return 0;
    if (pos + data.length > this.capabilities.maxFileSize) {
      throw new FsError('EFBIG', `${this.name}: write: ${data.length} bytes at ${pos} exceed the largest file size`);
    }
    const pages = inode.data.pagesNeeded(pos, data.length);
    this.reservePages(pages, 'write');
    inode.data.write(data, pos);
    this.usedPages += pages;
    const now = this.clock();
    inode.mtime = inode.ctime = now;
    return data.length;
  }

  async fsync(): Promise<void> {}

  // ---- directories ----

  async opendir(ino: Ino): Promise<number> {
    this.dir(ino, 'opendir');
    const fh = this.nextFh++;
    this.handles.set(fh, ino);
    return fh;
  }

  async releasedir(_ino: Ino, fh: number): Promise<void> {
    this.handles.delete(fh);
    this.cursors.delete(fh);
  }

  async readdir(ino: Ino, fh: number, cookie: number, limit = Infinity): Promise<DirEntry[]> {
    const d = this.dir(ino, 'readdir');
    if (!(limit >= 1)) limit = 1;
    const out: DirEntry[] = [];
    // Cookies: 1 after '.', 2 after '..', then 2 + seq of the entry.
    if (cookie < 1 && out.length < limit) out.push({ name: '.', ino: d.ino, type: DT_DIR, next: 1 });
    if (cookie < 2 && out.length < limit) out.push({ name: '..', ino: d.parent, type: DT_DIR, next: 2 });
    if (out.length >= limit) return out;
    // Resume where the last call on this handle stopped (O(1)); any other
    // cookie means a seekdir: scan from the start for the first later entry.
    const key = fh || -ino;
    let cursor = this.cursors.get(key);
    if (!cursor || cursor.cookie !== cookie || cookie < 2) {
      cursor = { cookie, iterator: d.entries!.entries() };
      if (cookie > 2) {
        for (;;) {
          const peek = cursor.iterator.next();
          if (peek.done) return this.finishDir(d, key, out);
          const [name, rec] = peek.value;
          if (2 + rec.seq > cookie) {
            out.push({ name, ino: rec.ino, type: rec.type, next: 2 + rec.seq });
            break;
          }
        }
      }
      this.cursors.set(key, cursor);
      // Handle-less readers (fh 0) that never finish must not pile up cursors.
      if (this.cursors.size > MAX_CURSORS) this.cursors.delete(this.cursors.keys().next().value!);
    }
    while (out.length < limit) {
      const step = cursor.iterator.next();
      if (step.done) return this.finishDir(d, key, out);
      const [name, rec] = step.value;
      // Entries re-inserted (renamed into this directory) after the cursor got
      // their new sequence number; skip anything at or before the cookie.
      if (2 + rec.seq <= cookie) continue;
      out.push({ name, ino: rec.ino, type: rec.type, next: 2 + rec.seq });
    }
    cursor.cookie = out[out.length - 1]!.next;
    this.touchAtime(d);
    return out;
  }

  private finishDir(d: MemInode, key: number, out: DirEntry[]): DirEntry[] {
    this.cursors.delete(key);
    this.touchAtime(d);
    return out;
  }

  // ---- creation ----

  async create(dir: Ino, name: string, mode: number, _flags: number, caller: Caller): Promise<{ entry: Entry; fh: number }> {
    const inode = this.newChild(dir, name, S_IFREG | (mode & S_IALLUGO), caller, 'create');
    inode.nlookup++;
    const fh = await this.open(inode.ino, _flags);
    return { entry: { ino: inode.ino, attr: inode.stat() }, fh };
  }

  async mknod(dir: Ino, name: string, mode: number, rdev: number, caller: Caller): Promise<Entry> {
    const type = mode & S_IFMT;
    if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) {
      throw new FsError('EINVAL', `${this.name}: mknod: mode 0${mode.toString(8)} is not a file, device, fifo or socket`);
    }
    const inode = this.newChild(dir, name, mode, caller, 'mknod');
    if (type === S_IFCHR || type === S_IFBLK) inode.rdev = rdev;
    inode.nlookup++;
    return { ino: inode.ino, attr: inode.stat() };
  }

  async mkdir(dir: Ino, name: string, mode: number, caller: Caller): Promise<Entry> {
    const inode = this.newChild(dir, name, S_IFDIR | (mode & S_IALLUGO), caller, 'mkdir');
    inode.nlookup++;
    return { ino: inode.ino, attr: inode.stat() };
  }

  async symlink(dir: Ino, name: string, target: string, caller: Caller): Promise<Entry> {
    if (target.length === 0) throw new FsError('ENOENT', `${this.name}: symlink: empty target`);
    if (utf8Length(target) >= PATH_MAX) throw new FsError('ENAMETOOLONG', `${this.name}: symlink: target longer than ${PATH_MAX - 1} bytes`);
    const inode = this.newChild(dir, name, S_IFLNK | 0o777, caller, 'symlink', (i) => (i.target = target));
    inode.nlookup++;
    return { ino: inode.ino, attr: inode.stat() };
  }

  async link(ino: Ino, newDir: Ino, newName: string): Promise<Entry> {
    const inode = this.inode(ino);
    if (inode.isDir) throw new FsError('EPERM', `${this.name}: link: inode ${ino} is a directory`);
    if (inode.nlink === 0) throw new FsError('ENOENT', `${this.name}: link: inode ${ino} has been deleted`);
    if (inode.nlink >= this.capabilities.maxLinks) throw new FsError('EMLINK', `${this.name}: link: inode ${ino} has too many links`);
    const d = this.dir(newDir, 'link');
    this.checkNewName(d, newName, 'link');
    const now = this.clock();
    this.insert(d, newName, inode);
    inode.nlink++;
    inode.ctime = now;
    d.mtime = d.ctime = now;
    inode.nlookup++;
    this.changed(newDir, newName);
    return { ino, attr: inode.stat() };
  }

  // ---- removal and rename ----

  async unlink(dir: Ino, name: string): Promise<void> {
    const d = this.dir(dir, 'unlink');
    const inode = this.child(d, name, 'unlink');
    if (inode.isDir) throw new FsError('EISDIR', `${this.name}: unlink: '${name}' is a directory`);
    const now = this.clock();
    d.entries!.delete(name);
    d.mtime = d.ctime = now;
    inode.nlink--;
    inode.ctime = now;
    this.maybeFree(inode);
    this.changed(dir, name);
  }

  async rmdir(dir: Ino, name: string): Promise<void> {
    const d = this.dir(dir, 'rmdir');
    const inode = this.child(d, name, 'rmdir');
    if (!inode.isDir) throw new FsError('ENOTDIR', `${this.name}: rmdir: '${name}' is not a directory`);
    if (inode.entries!.size > 0) throw new FsError('ENOTEMPTY', `${this.name}: rmdir: directory '${name}' is not empty`);
    const now = this.clock();
    d.entries!.delete(name);
    d.nlink--;
    d.mtime = d.ctime = now;
    inode.nlink = 0;
    inode.ctime = now;
    this.maybeFree(inode);
    this.changed(dir, name);
  }

  async rename(oldDir: Ino, oldName: string, newDir: Ino, newName: string, flags: number): Promise<void> {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) || (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE)) {
      throw new FsError('EINVAL', `${this.name}: rename: unsupported flags 0x${flags.toString(16)}`);
    }
    const od = this.dir(oldDir, 'rename');
    const nd = this.dir(newDir, 'rename');
    checkName(this.name, newName, 'rename');
    const moving = this.child(od, oldName, 'rename');
    const targetRec = nd.entries!.get(newName);
    const target = targetRec ? this.inode(targetRec.ino) : undefined;
    if (moving.isDir && newDir !== oldDir && this.isAncestor(moving, nd)) {
      throw new FsError('EINVAL', `${this.name}: rename: cannot move directory '${oldName}' into itself`);
    }
    if (flags & RENAME_EXCHANGE) {
      if (!target) throw new FsError('ENOENT', `${this.name}: rename: exchange target '${newName}' does not exist`);
      if (target.isDir && oldDir !== newDir && this.isAncestor(target, od)) {
        throw new FsError('EINVAL', `${this.name}: rename: cannot move directory '${newName}' into itself`);
      }
      return this.exchange(od, oldName, moving, nd, newName, target);
    }
    if (target && flags & RENAME_NOREPLACE) throw new FsError('EEXIST', `${this.name}: rename: '${newName}' exists`);
    if (target === moving) return; // two names of one inode: nothing to do (POSIX)
    if (target) {
      if (moving.isDir && !target.isDir) throw new FsError('ENOTDIR', `${this.name}: rename: '${newName}' is not a directory`);
      if (!moving.isDir && target.isDir) throw new FsError('EISDIR', `${this.name}: rename: '${newName}' is a directory`);
      if (target.isDir && target.entries!.size > 0) throw new FsError('ENOTEMPTY', `${this.name}: rename: directory '${newName}' is not empty`);
    }
    const now = this.clock();
    if (target) {
      nd.entries!.delete(newName);
      if (target.isDir) {
        target.nlink = 0;
        nd.nlink--;
      } else target.nlink--;
      target.ctime = now;
    }
    od.entries!.delete(oldName);
    this.insert(nd, newName, moving);
    if (moving.isDir && od !== nd) {
      od.nlink--;
      nd.nlink++;
      moving.parent = nd.ino;
    }
    moving.ctime = now;
    od.mtime = od.ctime = now;
    nd.mtime = nd.ctime = now;
    if (target) this.maybeFree(target);
    this.changed(oldDir, oldName);
    this.changed(newDir, newName);
  }

  private exchange(od: MemInode, oldName: string, a: MemInode, nd: MemInode, newName: string, b: MemInode): void {
    const now = this.clock();
    od.entries!.set(oldName, { ino: b.ino, type: b.dtype, seq: od.entries!.get(oldName)!.seq });
    nd.entries!.set(newName, { ino: a.ino, type: a.dtype, seq: nd.entries!.get(newName)!.seq });
    if (od !== nd && a.isDir !== b.isDir) {
      // One directory changed parents: move its '..' link count along.
      if (a.isDir) {
        od.nlink--;
        nd.nlink++;
      } else {
        nd.nlink--;
        od.nlink++;
      }
    }
    if (a.isDir) a.parent = nd.ino;
    if (b.isDir) b.parent = od.ino;
    a.ctime = b.ctime = now;
    od.mtime = od.ctime = now;
    nd.mtime = nd.ctime = now;
    this.changed(od.ino, oldName);
    this.changed(nd.ino, newName);
  }

  // ---- attributes ----

  async setattr(ino: Ino, changes: SetattrRequest): Promise<Stat> {
    const inode = this.inode(ino);
    const now = this.clock();
    if (changes.size !== undefined) {
      if (inode.isDir) throw new FsError('EISDIR', `${this.name}: truncate: inode ${ino} is a directory`);
      if (!inode.data) throw new FsError('EINVAL', `${this.name}: truncate: inode ${ino} is not a regular file`);
      if (!Number.isSafeInteger(changes.size) || changes.size < 0) throw new FsError('EINVAL', `${this.name}: truncate: bad size ${changes.size}`);
      if (changes.size > this.capabilities.maxFileSize) throw new FsError('EFBIG', `${this.name}: truncate: ${changes.size} exceeds the largest file size`);
      if (changes.size !== inode.data.size) {
        const before = inode.data.allocatedBytes;
        inode.data.truncate(changes.size);
        this.usedPages -= (before - inode.data.allocatedBytes) / PAGE_SIZE;
        inode.mtime = inode.ctime = now;
      }
    }
    if (changes.mode !== undefined) inode.mode = (inode.mode & S_IFMT) | (changes.mode & S_IALLUGO);
    if (changes.uid !== undefined) inode.uid = changes.uid;
    if (changes.gid !== undefined) inode.gid = changes.gid;
    if (changes.atime !== undefined) inode.atime = changes.atime === 'now' ? now : changes.atime;
    if (changes.mtime !== undefined) inode.mtime = changes.mtime === 'now' ? now : changes.mtime;
    const touched = changes.mode !== undefined || changes.uid !== undefined || changes.gid !== undefined
      || changes.atime !== undefined || changes.mtime !== undefined;
    if (changes.ctime !== undefined) inode.ctime = changes.ctime === 'now' ? now : changes.ctime;
    else if (touched) inode.ctime = now;
    return inode.stat();
  }

  // ---- extended attributes ----

  async getxattr(ino: Ino, name: string): Promise<Uint8Array> {
    const inode = this.inode(ino);
    this.checkXattrName(name, 'getxattr');
    const value = inode.xattrs?.get(name);
    if (!value) throw new FsError('ENODATA', `${this.name}: getxattr: inode ${ino} has no attribute '${name}'`);
    return value.slice();
  }

  async listxattr(ino: Ino): Promise<string[]> {
    return [...(this.inode(ino).xattrs?.keys() ?? [])];
  }

  async setxattr(ino: Ino, name: string, value: Uint8Array, flags: number): Promise<void> {
    const inode = this.inode(ino);
    this.checkXattrName(name, 'setxattr');
    if (value.length > MAX_XATTR_VALUE) throw new FsError('E2BIG', `${this.name}: setxattr: value of ${value.length} bytes exceeds ${MAX_XATTR_VALUE}`);
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) throw new FsError('EINVAL', `${this.name}: setxattr: bad flags ${flags}`);
    const exists = inode.xattrs?.has(name) ?? false;
    if (flags & XATTR_CREATE && exists) throw new FsError('EEXIST', `${this.name}: setxattr: '${name}' exists`);
    if (flags & XATTR_REPLACE && !exists) throw new FsError('ENODATA', `${this.name}: setxattr: '${name}' does not exist`);
    (inode.xattrs ??= new Map()).set(name, value.slice());
    inode.ctime = this.clock();
  }

  async removexattr(ino: Ino, name: string): Promise<void> {
    const inode = this.inode(ino);
    this.checkXattrName(name, 'removexattr');
    if (!inode.xattrs?.delete(name)) throw new FsError('ENODATA', `${this.name}: removexattr: inode ${ino} has no attribute '${name}'`);
    inode.ctime = this.clock();
  }

  watch(listener: (change: FsChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async destroy(): Promise<void> {
    this.inodes.clear();
    this.handles.clear();
    this.cursors.clear();
  }

  /** Number of live inodes (tests check that unlinked, closed, forgotten inodes go away). */
  get inodeCount(): number {
    return this.inodes.size;
  }

  // ---- helpers ----

  private inode(ino: Ino): MemInode {
    const inode = this.inodes.get(ino);
    if (!inode) throw new FsError('ESTALE', `${this.name}: inode ${ino} does not exist (deleted and forgotten)`);
    return inode;
  }

  private dir(ino: Ino, op: string): MemInode {
    const inode = this.inode(ino);
    if (!inode.entries) throw new FsError('ENOTDIR', `${this.name}: ${op}: inode ${ino} is not a directory`);
    if (inode.nlink === 0 && op !== 'readdir' && op !== 'lookup' && op !== 'opendir') {
      throw new FsError('ENOENT', `${this.name}: ${op}: directory ${ino} has been removed`);
    }
    return inode;
  }

  private child(d: MemInode, name: string, op: string): MemInode {
    const rec = d.entries!.get(name);
    if (!rec) throw new FsError('ENOENT', `${this.name}: ${op}: no entry '${name}' in directory ${d.ino}`);
    return this.inode(rec.ino);
  }

  private checkNewName(d: MemInode, name: string, op: string): void {
    checkName(this.name, name, op);
    if (d.entries!.has(name)) throw new FsError('EEXIST', `${this.name}: ${op}: '${name}' exists in directory ${d.ino}`);
  }

  private newChild(dir: Ino, name: string, mode: number, caller: Caller, op: string, init?: (inode: MemInode) => void): MemInode {
    const d = this.dir(dir, op);
    this.checkNewName(d, name, op);
    if (this.inodes.size >= this.maxInodes) throw new FsError('ENOSPC', `${this.name}: ${op}: inode limit of ${this.maxInodes} reached`);
    const now = this.clock();
    // Like Linux inode_init_owner: a setgid directory passes its group on,
    // and its setgid bit to new subdirectories.
    let gid = caller.gid;
    if (d.mode & S_ISGID) {
      gid = d.gid;
      if ((mode & S_IFMT) === S_IFDIR) mode |= S_ISGID;
    }
    const inode = new MemInode(this.nextIno++, mode, caller.uid, gid, now);
    init?.(inode);
    this.inodes.set(inode.ino, inode);
    this.insert(d, name, inode);
    if (inode.isDir) {
      inode.nlink = 2;
      inode.parent = d.ino;
      d.nlink++;
    } else inode.nlink = 1;
    d.mtime = d.ctime = now;
    this.changed(dir, name);
    return inode;
  }

  private insert(d: MemInode, name: string, inode: MemInode): void {
    d.entries!.set(name, { ino: inode.ino, type: inode.dtype, seq: d.nextSeq++ });
  }

  private isAncestor(candidate: MemInode, dir: MemInode): boolean {
    let cur = dir;
    for (let depth = 0; depth < 1e6; depth++) {
      if (cur === candidate) return true;
      if (cur.ino === this.rootIno) return false;
      const parent = this.inodes.get(cur.parent);
      if (!parent || parent === cur) return false;
      cur = parent;
    }
    return false;
  }

  private maybeFree(inode: MemInode): void {
    if (inode.nlink > 0 || inode.nlookup > 0 || inode.opens > 0 || inode.ino === this.rootIno) return;
    if (inode.data) this.usedPages -= inode.data.allocatedBytes / PAGE_SIZE;
    this.inodes.delete(inode.ino);
  }

  private reservePages(pages: number, op: string): void {
    if ((this.usedPages + pages) * PAGE_SIZE > this.maxBytes) {
      throw new FsError('ENOSPC', `${this.name}: ${op}: size limit of ${this.maxBytes} bytes reached`);
    }
  }

  /** Linux relatime: update atime only if it is older than mtime or ctime, or a day old. */
  private touchAtime(inode: MemInode): void {
    const now = this.clock();
    if (compareTime(inode.atime, inode.mtime) <= 0 || compareTime(inode.atime, inode.ctime) <= 0 || now.sec - inode.atime.sec >= DAY_SEC) {
      inode.atime = now;
    }
  }

  private checkXattrName(name: string, op: string): void {
    if (name.length === 0 || utf8Length(name) > MAX_XATTR_NAME) throw new FsError('ERANGE', `${this.name}: ${op}: bad attribute name length`);
    const ns = name.slice(0, name.indexOf('.'));
    if (name.indexOf('.') <= 0 || !this.capabilities.xattrNamespaces.includes(ns)) {
      throw new FsError('EOPNOTSUPP', `${this.name}: ${op}: attribute namespace of '${name}' is not supported`);
    }
  }

  private changed(dir: Ino, name: string): void {
    if (!this.notify || this.listeners.size === 0) return;
    for (const l of this.listeners) l({ kind: 'entry', dir, name });
  }
}

function checkName(fs: string, name: string, op: string): void {
  checkNameOf(fs, op, name);
}

/**
 * ENOENT from lookup without a stack trace: every file creation looks its
 * name up first, and capturing a stack costs more than the rest of the
 * lookup. (Error.stackTraceLimit is V8's; elsewhere setting it does nothing.)
 */
function missing(message: string): FsError {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = 0;
  try {
    return new FsError('ENOENT', message);
  } finally {
    E.stackTraceLimit = limit;
  }
}

function checkPosition(fs: string, op: string, pos: number): void {
  if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `${fs}: ${op}: bad position ${pos}`);
}

export type { Timespec };
