/**
 * Syscalls that change names: creating (open O_CREAT, mkdir, mknod,
 * symlink, link), removing (unlink, rmdir) and renaming. Each follows
 * Linux's order of checks (fs/namei.c), so the errno for a path that is
 * wrong in several ways is the one Linux gives: EEXIST before EROFS for
 * creation, EROFS before ENOENT for removal, EXDEV before everything for
 * rename and link.
 */
import { FsError } from '../errors.js';
import { AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_FOLLOW } from '../fs/flags.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, type Entry } from '../fs/filesystem.js';
import { S_IALLUGO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, S_ISVTX, S_IXGRP, isDir, isReg } from '../fs/mode.js';
import { annotate } from './annotate.js';
import type { Dentry } from './dcache.js';
import type { PathRef } from './mount-tree.js';
import { MAY_EXEC, MAY_READ, MAY_WRITE, checkSticky, inGroup, isOwner, isPrivileged, mayAccess } from './permissions.js';
import type { VfsProcess } from './process.js';
import type { Last } from './resolve.js';

// ---- creation ----

/**
 * filename_create: the parent must exist, the name must not (EEXIST), a
 * trailing slash is only allowed for directories (ENOENT), then the mount
 * must be writable (EROFS) and the parent writable and searchable (EACCES).
 */
async function prepareCreate(p: VfsProcess, dirfd: number, path: string, forDir: boolean, what: string): Promise<Last> {
  const w = p.walker();
  const last = await w.parent(p.startRef(dirfd), path);
  if (last.type !== 'normal') throw new FsError('EEXIST', `'${path}' exists`);
  if (await w.lastRef(last)) throw new FsError('EEXIST', `'${last.name}' exists`);
  if (last.trailingSlash && !forDir) throw new FsError('ENOENT', `'${last.name}/': a trailing slash names a directory`);
  p.requireWritable(last.parent.mount, what);
  await p.may(last.parent.dentry.inode!, MAY_WRITE | MAY_EXEC, what);
  return last;
}

/** vfs_prepare_mode: umask, and setgid dropped when it would give away a group the caller lacks (mode_strip_sgid). */
async function prepareMode(p: VfsProcess, dir: PathRef, mode: number, allowed: number): Promise<number> {
  mode = mode & allowed & ~p.umaskValue;
  if ((mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP) && !isDir(mode)) {
    const attr = await p.permAttr(dir.dentry.inode!);
    const creds = p.checkCreds;
    if (attr.mode & S_ISGID && !inGroup(creds, attr.gid) && !isPrivileged(creds)) mode &= ~S_ISGID;
  }
  return mode;
}

function caller(p: VfsProcess): { uid: number; gid: number } {
  return { uid: p.creds.uid, gid: p.creds.gid };
}

function instantiate(last: Last, entry: Entry): PathRef {
  const dentry = last.parent.mount.sb.instantiate(last.parent.dentry, last.name, entry);
  return { mount: last.parent.mount, dentry };
}

/** The create half of open(O_CREAT) once the name is known to be absent. */
export async function createFile(p: VfsProcess, last: Last, mode: number, flags: number): Promise<{ ref: PathRef; fh: number }> {
  p.requireWritable(last.parent.mount, 'open');
  await p.may(last.parent.dentry.inode!, MAY_WRITE | MAY_EXEC, 'open');
  const fs = last.parent.mount.sb.fs;
  const dirIno = last.parent.dentry.inode!.ino;
  const fileMode = S_IFREG | (await prepareMode(p, last.parent, mode & S_IALLUGO, S_IALLUGO));
  if (fs.create) {
    const { entry, fh } = await fs.create(dirIno, last.name, fileMode, flags, caller(p));
    return { ref: instantiate(last, entry), fh };
  }
  if (!fs.mknod) throw new FsError('EPERM', `${fs.name}: cannot create files`);
  const entry = await fs.mknod(dirIno, last.name, fileMode, 0, caller(p));
  const ref = instantiate(last, entry);
  return { ref, fh: fs.open ? await fs.open(entry.ino, flags) : 0 };
}

export async function mkdirat(p: VfsProcess, dirfd: number, path: string, mode: number): Promise<void> {
  try {
    const last = await prepareCreate(p, dirfd, path, true, 'mkdir');
    const fs = last.parent.mount.sb.fs;
    if (!fs.mkdir) throw new FsError('EPERM', `${fs.name}: cannot create directories`);
    const dirMode = S_IFDIR | (await prepareMode(p, last.parent, mode, 0o777 | S_ISVTX));
    instantiate(last, await fs.mkdir(last.parent.dentry.inode!.ino, last.name, dirMode, caller(p)));
  } catch (e) {
    throw annotate(e, 'mkdir', path);
  }
}

export async function mknodat(p: VfsProcess, dirfd: number, path: string, mode: number, rdev: number): Promise<void> {
  try {
    let type = mode & S_IFMT;
    if (type === 0) type = S_IFREG;
    if (type === S_IFDIR) throw new FsError('EPERM', 'mknod cannot make directories');
    if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) throw new FsError('EINVAL', `bad file type in mode 0${mode.toString(8)}`);
    const last = await prepareCreate(p, dirfd, path, false, 'mknod');
    const fs = last.parent.mount.sb.fs;
    if ((type === S_IFCHR || type === S_IFBLK) && !isPrivileged(p.checkCreds)) throw new FsError('EPERM', 'only root may make device nodes');
    if (type !== S_IFREG && !fs.capabilities.specialFiles) throw new FsError('EPERM', `${fs.name}: special files are not supported`);
    if (!fs.mknod) throw new FsError('EPERM', `${fs.name}: mknod is not supported`);
    const m = type | (await prepareMode(p, last.parent, mode & S_IALLUGO, S_IALLUGO));
    instantiate(last, await fs.mknod(last.parent.dentry.inode!.ino, last.name, m, type === S_IFCHR || type === S_IFBLK ? rdev : 0, caller(p)));
  } catch (e) {
    throw annotate(e, 'mknod', path);
  }
}

export async function symlinkat(p: VfsProcess, target: string, dirfd: number, path: string): Promise<void> {
  try {
    if (typeof target !== 'string' || target.length === 0) throw new FsError('ENOENT', 'empty symlink target');
    if (target.includes('\0')) throw new FsError('EINVAL', 'symlink target contains a NUL byte');
    const last = await prepareCreate(p, dirfd, path, false, 'symlink');
    const fs = last.parent.mount.sb.fs;
    if (!fs.symlink || !fs.capabilities.symlinks) throw new FsError('EPERM', `${fs.name}: symbolic links are not supported`);
    instantiate(last, await fs.symlink(last.parent.dentry.inode!.ino, last.name, target, caller(p)));
  } catch (e) {
    throw annotate(e, 'symlink', path);
  }
}

export async function linkat(p: VfsProcess, oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags: number): Promise<void> {
  try {
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw new FsError('EINVAL', `bad flags 0x${flags.toString(16)}`);
    const old = await p.lookupAt(oldDirfd, oldPath, (flags & AT_SYMLINK_FOLLOW) !== 0, (flags & AT_EMPTY_PATH) !== 0);
    const last = await prepareCreateNoChecks(p, newDirfd, newPath);
    if (old.mount !== last.parent.mount) throw new FsError('EXDEV', 'hard links cannot cross mounts');
    const inode = old.dentry.inode!;
    await mayLink(p, inode);
    p.requireWritable(last.parent.mount, 'link');
    await p.may(last.parent.dentry.inode!, MAY_WRITE | MAY_EXEC, 'link');
    const fs = last.parent.mount.sb.fs;
    if (!fs.link || !fs.capabilities.hardlinks) throw new FsError('EPERM', `${fs.name}: hard links are not supported`);
    if (inode.isDir) throw new FsError('EPERM', 'cannot hard-link a directory');
    instantiate(last, await fs.link(inode.ino, last.parent.dentry.inode!.ino, last.name));
  } catch (e) {
    throw annotate(e, 'link', oldPath, newPath);
  }
}

/** filename_create's name checks without the permission checks, which link makes later (Linux order). */
async function prepareCreateNoChecks(p: VfsProcess, dirfd: number, path: string): Promise<Last> {
  const w = p.walker();
  const last = await w.parent(p.startRef(dirfd), path);
  if (last.type !== 'normal') throw new FsError('EEXIST', `'${path}' exists`);
  if (await w.lastRef(last)) throw new FsError('EEXIST', `'${last.name}' exists`);
  if (last.trailingSlash) throw new FsError('ENOENT', `'${last.name}/': a trailing slash names a directory`);
  return last;
}

/**
 * may_linkat with fs.protected_hardlinks=1 (the default): someone who does
 * not own a file may only hard-link it if it is a regular file they can
 * read and write, and not setuid or setgid-executable.
 */
async function mayLink(p: VfsProcess, inode: import('./dcache.js').CachedInode): Promise<void> {
  const creds = p.checkCreds;
  const attr = await p.permAttr(inode);
  if (isOwner(attr, creds)) return;
  const safe = isReg(attr.mode) && !(attr.mode & S_ISUID) && (attr.mode & (S_ISGID | S_IXGRP)) !== (S_ISGID | S_IXGRP)
    && mayAccess(attr, MAY_READ | MAY_WRITE, creds);
  if (!safe) throw new FsError('EPERM', 'protected hard links: not the owner, and the file is not read-writable by the caller');
}

// ---- removal ----

export async function unlinkat(p: VfsProcess, dirfd: number, path: string, flags: number): Promise<void> {
  const rmdir = (flags & AT_REMOVEDIR) !== 0;
  try {
    if (flags & ~AT_REMOVEDIR) throw new FsError('EINVAL', `bad flags 0x${flags.toString(16)}`);
    const w = p.walker();
    const last = await w.parent(p.startRef(dirfd), path);
    if (rmdir) {
      if (last.type === 'dotdot') throw new FsError('ENOTEMPTY', "cannot remove '..'");
      if (last.type === 'dot') throw new FsError('EINVAL', "cannot remove '.'");
      if (last.type === 'root') throw new FsError('EBUSY', 'cannot remove the root');
    } else if (last.type !== 'normal') throw new FsError('EISDIR', `'${path}' is a directory`);
    p.requireWritable(last.parent.mount, rmdir ? 'rmdir' : 'unlink');
    const dir = last.parent;
    const victim = await dir.mount.sb.lookup(dir.dentry, last.name);
    if (!rmdir && last.trailingSlash) {
      if (victim.negative) throw new FsError('ENOENT', `'${last.name}' does not exist`);
      throw new FsError(victim.inode!.isDir ? 'EISDIR' : 'ENOTDIR', `'${last.name}/'`);
    }
    await mayDelete(p, dir, victim, rmdir, rmdir ? 'rmdir' : 'unlink');
    if (rmdir && (dir.mount.root === victim || victim.mounts > 0)) throw new FsError('EBUSY', `'${last.name}' is a mount point`);
    if (!rmdir && victim.mounts > 0) throw new FsError('EBUSY', `'${last.name}' is a mount point`);
    const fs = dir.mount.sb.fs;
    const op = rmdir ? fs.rmdir : fs.unlink;
    if (!op) throw new FsError('EPERM', `${fs.name}: cannot remove entries`);
    await op.call(fs, dir.dentry.inode!.ino, last.name);
    dir.mount.sb.removed(victim);
  } catch (e) {
    throw annotate(e, rmdir ? 'rmdir' : 'unlink', path);
  }
}

/**
 * may_delete: the entry must exist (ENOENT), the directory be writable and
 * searchable (EACCES), the sticky rule hold (EPERM), and the type match
 * (ENOTDIR for rmdir of a non-directory, EISDIR for unlink of a directory).
 */
async function mayDelete(p: VfsProcess, dir: PathRef, victim: Dentry, wantDir: boolean, what: string): Promise<void> {
  if (victim.negative) throw new FsError('ENOENT', `'${victim.name}' does not exist`);
  await p.may(dir.dentry.inode!, MAY_WRITE | MAY_EXEC, what);
  checkSticky(await p.permAttr(dir.dentry.inode!), await p.permAttr(victim.inode!), p.checkCreds, what);
  if (wantDir && !victim.inode!.isDir) throw new FsError('ENOTDIR', `'${victim.name}' is not a directory`);
  if (!wantDir && victim.inode!.isDir) throw new FsError('EISDIR', `'${victim.name}' is a directory`);
}

// ---- rename ----

export async function renameat2(p: VfsProcess, oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags: number): Promise<void> {
  try {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) throw new FsError('EINVAL', `bad flags 0x${flags.toString(16)}`);
    if (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) && flags & RENAME_EXCHANGE) throw new FsError('EINVAL', 'RENAME_EXCHANGE with another flag');
    if (flags & RENAME_WHITEOUT) throw new FsError('EINVAL', 'RENAME_WHITEOUT is not supported');
    const w = p.walker();
    const o = await w.parent(p.startRef(oldDirfd), oldPath);
    const n = await p.walker().parent(p.startRef(newDirfd), newPath);
    if (o.parent.mount !== n.parent.mount) throw new FsError('EXDEV', 'rename cannot cross mounts');
    if (o.type !== 'normal') throw new FsError('EBUSY', `cannot rename '${oldPath}'`);
    if (n.type !== 'normal') throw new FsError(flags & RENAME_NOREPLACE ? 'EEXIST' : 'EBUSY', `cannot rename onto '${newPath}'`);
    const mount = o.parent.mount;
    p.requireWritable(mount, 'rename');
    const sb = mount.sb;
    const source = await sb.lookup(o.parent.dentry, o.name);
    if (source.negative) throw new FsError('ENOENT', `'${o.name}' does not exist`);
    const target = await sb.lookup(n.parent.dentry, n.name);
    if (flags & RENAME_NOREPLACE && !target.negative) throw new FsError('EEXIST', `'${n.name}' exists`);
    if (flags & RENAME_EXCHANGE) {
      if (target.negative) throw new FsError('ENOENT', `'${n.name}' does not exist`);
      if (!target.inode!.isDir && n.trailingSlash) throw new FsError('ENOTDIR', `'${n.name}' is not a directory`);
    }
    const sourceIsDir = source.inode!.isDir;
    if (!sourceIsDir) {
      if (o.trailingSlash) throw new FsError('ENOTDIR', `'${o.name}' is not a directory`);
      if (!(flags & RENAME_EXCHANGE) && n.trailingSlash) throw new FsError('ENOTDIR', `'${n.name}' is not a directory`);
    }
    // lock_rename's traps: a directory cannot move into itself, and a
    // target that contains the source is never empty.
    if (isAncestor(source, n.parent.dentry)) throw new FsError('EINVAL', `cannot move '${oldPath}' into itself`);
    if (!target.negative && isAncestor(target, o.parent.dentry)) {
      throw new FsError(flags & RENAME_EXCHANGE ? 'EINVAL' : 'ENOTEMPTY', `'${newPath}' contains '${oldPath}'`);
    }
    // vfs_rename
    if (!target.negative && source.inode === target.inode) return;
    await mayDelete(p, o.parent, source, sourceIsDir, 'rename');
    const targetIsDir = !target.negative && target.inode!.isDir;
    if (target.negative) await p.may(n.parent.dentry.inode!, MAY_WRITE | MAY_EXEC, 'rename');
    else await mayDelete(p, n.parent, target, flags & RENAME_EXCHANGE ? targetIsDir : sourceIsDir, 'rename');
    const fs = sb.fs;
    if (!fs.rename) throw new FsError('EPERM', `${fs.name}: rename is not supported`);
    if (o.parent.dentry !== n.parent.dentry) {
      // The directory's '..' changes: that needs write access to it.
      if (sourceIsDir) await p.may(source.inode!, MAY_WRITE, 'rename');
      if (flags & RENAME_EXCHANGE && targetIsDir) await p.may(target.inode!, MAY_WRITE, 'rename');
    }
    if (source.mounts > 0 || target.mounts > 0 || source === mount.root || target === mount.root) {
      throw new FsError('EBUSY', 'a mount point cannot be renamed or replaced');
    }
    if ((flags & RENAME_NOREPLACE && !fs.capabilities.renameNoReplace) || (flags & RENAME_EXCHANGE && !fs.capabilities.renameExchange)) {
      throw new FsError('EINVAL', `${fs.name}: rename flags 0x${flags.toString(16)} are not supported`);
    }
    await fs.rename(o.parent.dentry.inode!.ino, o.name, n.parent.dentry.inode!.ino, n.name, flags);
    if (flags & RENAME_EXCHANGE) sb.exchanged(source, target);
    else sb.moved(source, n.parent.dentry, n.name);
  } catch (e) {
    throw annotate(e, 'rename', oldPath, newPath);
  }
}

/** True if `ancestor` is `d` or one of its parents (within one dentry tree). */
function isAncestor(ancestor: Dentry, d: Dentry): boolean {
  for (let cur: Dentry | null = d; cur; cur = cur.parent) if (cur === ancestor) return true;
  return false;
}
