/**
 * Syscalls that change attributes (chmod, chown, truncate, utimensat) and
 * extended attributes, with Linux's rules (fs/attr.c setattr_prepare,
 * fs/open.c, fs/xattr.c): who may change what, setuid/setgid cleared on
 * chown and on truncation or writes by others, ctime bumped on every
 * change, mtime when the size changes.
 */
import { FsError } from '../errors.js';
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW } from '../fs/flags.js';
import { XATTR_CREATE, XATTR_REPLACE, type SetattrRequest } from '../fs/filesystem.js';
import { S_IALLUGO, isReg } from '../fs/mode.js';
import { utf8Length } from '../fs/names.js';
import type { Timespec } from '../fs/time.js';
import { annotate } from './annotate.js';
import type { CachedInode } from './dcache.js';
import type { OpenFile } from './file-description.js';
import type { Mount, PathRef } from './mount-tree.js';
import { MAY_WRITE, checkChmod, checkChown, checkUtimes, checkXattr, isPrivileged, modeAfterChown, modeAfterWrite } from './permissions.js';
import type { TimeArg, VfsProcess } from './process.js';

const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;

async function setattr(p: VfsProcess, mount: Mount, inode: CachedInode, changes: SetattrRequest, fh?: number): Promise<void> {
  const fs = mount.sb.fs;
  if (!fs.setattr) throw new FsError('EPERM', `${fs.name}: attributes cannot be changed`);
  const attr = await fs.setattr(inode.ino, changes, fh);
  inode.sb.updateAttr(inode, attr);
}

// ---- chmod ----

export async function fchmodat(p: VfsProcess, dirfd: number, path: string, mode: number, flags: number): Promise<void> {
  try {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new FsError('EINVAL', `bad flags 0x${flags.toString(16)}`);
    const ref = await p.lookupAt(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
    if (ref.dentry.inode!.isSymlink) throw new FsError('EOPNOTSUPP', 'the mode of a symbolic link cannot be changed');
    await chmodInode(p, ref.mount, ref.dentry.inode!, mode);
  } catch (e) {
    throw annotate(e, 'chmod', path);
  }
}

export async function fchmod(p: VfsProcess, fd: number, mode: number): Promise<void> {
  try {
    const f = p.file(fd);
    await chmodInode(p, f.mount, f.inode, mode);
  } catch (e) {
    throw annotate(e, 'fchmod');
  }
}

async function chmodInode(p: VfsProcess, mount: Mount, inode: CachedInode, mode: number): Promise<void> {
  p.requireWritable(mount, 'chmod');
  const fs = mount.sb.fs;
  if (!fs.capabilities.posixPermissions) throw new FsError('EPERM', `${fs.name}: modes cannot be changed`);
  const next = checkChmod(await p.permAttr(inode), mode & S_IALLUGO, p.checkCreds, 'chmod');
  await setattr(p, mount, inode, { mode: next });
}

// ---- chown ----

export async function fchownat(p: VfsProcess, dirfd: number, path: string, uid: number, gid: number, flags: number): Promise<void> {
  try {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new FsError('EINVAL', `bad flags 0x${flags.toString(16)}`);
    const ref = await p.lookupAt(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
    await chownInode(p, ref.mount, ref.dentry.inode!, uid, gid);
  } catch (e) {
    throw annotate(e, flags & AT_SYMLINK_NOFOLLOW ? 'lchown' : 'chown', path);
  }
}

export async function fchown(p: VfsProcess, fd: number, uid: number, gid: number): Promise<void> {
  try {
    const f = p.file(fd);
    await chownInode(p, f.mount, f.inode, uid, gid);
  } catch (e) {
    throw annotate(e, 'fchown');
  }
}

async function chownInode(p: VfsProcess, mount: Mount, inode: CachedInode, uid: number, gid: number): Promise<void> {
  const newUid = uid === -1 || uid === 0xffffffff ? undefined : uid;
  const newGid = gid === -1 || gid === 0xffffffff ? undefined : gid;
  for (const id of [newUid, newGid]) {
    if (id !== undefined && (!Number.isInteger(id) || id < 0 || id > 0xfffffffe)) throw new FsError('EINVAL', `bad id ${id}`);
  }
  p.requireWritable(mount, 'chown');
  const fs = mount.sb.fs;
  if (!fs.capabilities.posixPermissions) throw new FsError('EPERM', `${fs.name}: owners cannot be changed`);
  const attr = await p.permAttr(inode);
  checkChown(attr, newUid, newGid, p.checkCreds, 'chown');
  const changes: SetattrRequest = { ctime: 'now' };
  if (newUid !== undefined) changes.uid = newUid;
  if (newGid !== undefined) changes.gid = newGid;
  const mode = modeAfterChown(attr.mode);
  if (mode !== undefined) changes.mode = mode & S_IALLUGO;
  await setattr(p, mount, inode, changes);
}

// ---- truncate ----

export async function truncate(p: VfsProcess, path: string, length: number): Promise<void> {
  try {
    checkLength(length);
    const ref = await p.walker().lookup(p.startRef(-100), path, true);
    const inode = ref.dentry.inode!;
    if (inode.isDir) throw new FsError('EISDIR', 'is a directory');
    if (!isReg(inode.attr.mode)) throw new FsError('EINVAL', 'not a regular file');
    p.requireWritable(ref.mount, 'truncate');
    await p.may(inode, MAY_WRITE, 'truncate');
    await truncateInode(p, ref, inode, length);
  } catch (e) {
    throw annotate(e, 'truncate', path);
  }
}

export async function ftruncate(p: VfsProcess, fd: number, length: number): Promise<void> {
  try {
    checkLength(length);
    const f = p.file(fd);
    if (!f.writable) throw new FsError('EINVAL', 'file not open for writing');
    if (!isReg(f.inode.attr.mode)) throw new FsError('EINVAL', 'not a regular file');
    p.requireWritable(f.mount, 'ftruncate');
    await truncateInode(p, f, f.inode, length, f.fh);
  } catch (e) {
    throw annotate(e, 'ftruncate');
  }
}

/** O_TRUNC: size 0, and mtime and ctime are marked even if the file was empty (POSIX). */
export async function truncateOnOpen(p: VfsProcess, f: OpenFile): Promise<void> {
  const changes: SetattrRequest = { size: 0, mtime: 'now', ctime: 'now' };
  const mode = modeAfterWrite((await p.permAttr(f.inode)).mode, p.checkCreds);
  if (mode !== undefined) changes.mode = mode & S_IALLUGO;
  await setattr(p, f.mount, f.inode, changes, f.fh);
}

async function truncateInode(p: VfsProcess, ref: { mount: Mount }, inode: CachedInode, length: number, fh?: number): Promise<void> {
  const fs = ref.mount.sb.fs;
  if (length > fs.capabilities.maxFileSize) throw new FsError('EFBIG', `${length} exceeds the largest file size of ${fs.name}`);
  // Linux marks mtime and ctime on every truncate, even to the same size (tmpfs and ext4 alike).
  const changes: SetattrRequest = { size: length, mtime: 'now', ctime: 'now' };
  const mode = modeAfterWrite((await p.permAttr(inode)).mode, p.checkCreds);
  if (mode !== undefined) changes.mode = mode & S_IALLUGO;
  await setattr(p, ref.mount, inode, changes, fh);
}

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) throw new FsError('EINVAL', `bad length ${length}`);
}

// ---- utimensat ----

export async function utimensat(p: VfsProcess, dirfd: number, path: string, atime: TimeArg, mtime: TimeArg, flags: number): Promise<void> {
  try {
    checkTime(atime);
    checkTime(mtime);
    // "Nothing to do, we must not even check the path" (fs/utimes.c).
    if (atime === 'omit' && mtime === 'omit') return;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new FsError('EINVAL', `bad flags 0x${flags.toString(16)}`);
    const ref = await p.lookupAt(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
    await utimesInode(p, ref, ref.dentry.inode!, atime, mtime);
  } catch (e) {
    throw annotate(e, 'utimensat', path);
  }
}

export async function futimens(p: VfsProcess, fd: number, atime: TimeArg, mtime: TimeArg): Promise<void> {
  try {
    checkTime(atime);
    checkTime(mtime);
    const f = p.file(fd);
    if (atime === 'omit' && mtime === 'omit') return;
    await utimesInode(p, f, f.inode, atime, mtime);
  } catch (e) {
    throw annotate(e, 'futimens');
  }
}

async function utimesInode(p: VfsProcess, ref: { mount: Mount }, inode: CachedInode, atime: TimeArg, mtime: TimeArg): Promise<void> {
  p.requireWritable(ref.mount, 'utimensat');
  const explicit = typeof atime === 'object' || typeof mtime === 'object';
  checkUtimes(await p.permAttr(inode), explicit, p.checkCreds, 'utimensat');
  const changes: SetattrRequest = { ctime: 'now' };
  if (atime !== 'omit') changes.atime = atime;
  if (mtime !== 'omit') changes.mtime = mtime;
  await setattr(p, ref.mount, inode, changes);
}

function checkTime(t: TimeArg): void {
  if (t === 'now' || t === 'omit') return;
  const ts = t as Timespec;
  if (typeof ts !== 'object' || !Number.isSafeInteger(ts.sec) || !Number.isInteger(ts.nsec) || ts.nsec < 0 || ts.nsec >= 1e9) {
    throw new FsError('EINVAL', 'bad timestamp');
  }
}

// ---- extended attributes ----

function checkXattrName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || utf8Length(name) > XATTR_NAME_MAX) {
    throw new FsError('ERANGE', `attribute name must be 1 to ${XATTR_NAME_MAX} bytes`);
  }
}

function checkNamespace(ref: PathRef, name: string): void {
  const fs = ref.mount.sb.fs;
  const dot = name.indexOf('.');
  if (dot <= 0 || !fs.capabilities.xattrNamespaces.includes(name.slice(0, dot))) {
    throw new FsError('EOPNOTSUPP', `${fs.name}: attribute namespace of '${name}' is not supported`);
  }
}

export async function getxattr(p: VfsProcess, path: string, name: string, follow: boolean): Promise<Uint8Array> {
  try {
    checkXattrName(name);
    const ref = await p.walker().lookup(p.startRef(-100), path, follow);
    const inode = ref.dentry.inode!;
    checkXattr(await p.permAttr(inode), name, false, p.checkCreds, 'getxattr');
    checkNamespace(ref, name);
    const fs = ref.mount.sb.fs;
    if (!fs.getxattr) throw new FsError('ENODATA', `no attribute '${name}'`);
    return await fs.getxattr(inode.ino, name);
  } catch (e) {
    throw annotate(e, follow ? 'getxattr' : 'lgetxattr', path);
  }
}

export async function listxattr(p: VfsProcess, path: string, follow: boolean): Promise<string[]> {
  try {
    const ref = await p.walker().lookup(p.startRef(-100), path, follow);
    const fs = ref.mount.sb.fs;
    if (!fs.listxattr) return [];
    const names = await fs.listxattr(ref.dentry.inode!.ino);
    return isPrivileged(p.checkCreds) ? names : names.filter((n) => !n.startsWith('trusted.'));
  } catch (e) {
    throw annotate(e, follow ? 'listxattr' : 'llistxattr', path);
  }
}

export async function setxattr(p: VfsProcess, path: string, name: string, value: Uint8Array, flags: number, follow: boolean): Promise<void> {
  try {
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) throw new FsError('EINVAL', `bad flags ${flags}`);
    checkXattrName(name);
    if (value.length > XATTR_SIZE_MAX) throw new FsError('E2BIG', `attribute value larger than ${XATTR_SIZE_MAX} bytes`);
    const ref = await p.walker().lookup(p.startRef(-100), path, follow);
    p.requireWritable(ref.mount, 'setxattr');
    const inode = ref.dentry.inode!;
    checkXattr(await p.permAttr(inode), name, true, p.checkCreds, 'setxattr');
    checkNamespace(ref, name);
    const fs = ref.mount.sb.fs;
    if (!fs.setxattr) throw new FsError('EOPNOTSUPP', `${fs.name}: extended attributes cannot be set`);
    await fs.setxattr(inode.ino, name, value, flags);
  } catch (e) {
    throw annotate(e, follow ? 'setxattr' : 'lsetxattr', path);
  }
}

export async function removexattr(p: VfsProcess, path: string, name: string, follow: boolean): Promise<void> {
  try {
    checkXattrName(name);
    const ref = await p.walker().lookup(p.startRef(-100), path, follow);
    p.requireWritable(ref.mount, 'removexattr');
    const inode = ref.dentry.inode!;
    checkXattr(await p.permAttr(inode), name, true, p.checkCreds, 'removexattr');
    checkNamespace(ref, name);
    const fs = ref.mount.sb.fs;
    if (!fs.removexattr) throw new FsError('EOPNOTSUPP', `${fs.name}: extended attributes cannot be removed`);
    await fs.removexattr(inode.ino, name);
  } catch (e) {
    throw annotate(e, follow ? 'removexattr' : 'lremovexattr', path);
  }
}
