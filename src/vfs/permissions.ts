/**
 * Permission checks against caller credentials, as Linux does them in the
 * VFS (generic_permission, may_delete, setattr_prepare, xattr_permission).
 * Only used when the Vfs is created with `permissions: true`; front ends
 * that trust their caller (the library used by its owner) leave it off.
 * uid 0 has every capability (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN …).
 */
import { FsError } from '../errors.js';
import { isDir, S_ISGID, S_ISUID, S_ISVTX, S_IXGRP, isReg } from '../fs/mode.js';

export interface Credentials {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups. */
  readonly groups: readonly number[];
}

export const ROOT_CREDENTIALS: Credentials = Object.freeze({ uid: 0, gid: 0, groups: Object.freeze([]) as readonly number[] });

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

/** The attributes a permission check needs. */
export interface Owned {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export function isPrivileged(creds: Credentials): boolean {
  return creds.uid === 0;
}

export function inGroup(creds: Credentials, gid: number): boolean {
  return creds.gid === gid || creds.groups.includes(gid);
}

/** generic_permission: may `creds` access an inode with `mask` (MAY_*)? */
export function mayAccess(inode: Owned, mask: number, creds: Credentials): boolean {
  if (isPrivileged(creds)) {
    // Root may read and write anything, and execute what anyone may execute.
    return !(mask & MAY_EXEC) || isDir(inode.mode) || (inode.mode & 0o111) !== 0;
  }
  let bits: number;
  if (creds.uid === inode.uid) bits = (inode.mode >> 6) & 7;
  else if (inGroup(creds, inode.gid)) bits = (inode.mode >> 3) & 7;
  else bits = inode.mode & 7;
  return (mask & ~bits & 7) === 0;
}

export function checkAccess(inode: Owned, mask: number, creds: Credentials, what: string): void {
  if (!mayAccess(inode, mask, creds)) throw new FsError('EACCES', `${what}: permission denied`);
}

/** Owner or privileged (inode_owner_or_capable). */
export function isOwner(inode: Owned, creds: Credentials): boolean {
  return isPrivileged(creds) || creds.uid === inode.uid;
}

/**
 * may_delete's sticky rule: in a sticky directory only the owner of the
 * entry, the owner of the directory or root may remove or rename it.
 */
export function checkSticky(dir: Owned, victim: Owned, creds: Credentials, what: string): void {
  if (!(dir.mode & S_ISVTX) || isPrivileged(creds)) return;
  if (creds.uid === victim.uid || creds.uid === dir.uid) return;
  throw new FsError('EPERM', `${what}: sticky directory: only the owner may remove or rename`);
}

/** chmod: owner or root; a non-member of the file's group loses S_ISGID silently. */
export function checkChmod(inode: Owned, mode: number, creds: Credentials, what: string): number {
  if (!isOwner(inode, creds)) throw new FsError('EPERM', `${what}: only the owner may change the mode`);
  if (!isPrivileged(creds) && !inGroup(creds, inode.gid)) mode &= ~S_ISGID;
  return mode;
}

/**
 * chown (chown_ok, chgrp_ok): root may give any owner; the owner may only
 * "change" the owner to itself and the group to one of its groups (or the
 * current one); anyone else may change neither, not even to the same value.
 */
export function checkChown(inode: Owned, uid: number | undefined, gid: number | undefined, creds: Credentials, what: string): void {
  if (isPrivileged(creds)) return;
  const owner = creds.uid === inode.uid;
  if (uid !== undefined && !(owner && uid === inode.uid)) throw new FsError('EPERM', `${what}: only root may change the owner`);
  if (gid !== undefined && !(owner && (gid === inode.gid || inGroup(creds, gid)))) {
    throw new FsError('EPERM', `${what}: may not change the group to ${gid}`);
  }
}

/**
 * What chown takes away (Linux ATTR_KILL_SUID/SGID, even for root): setuid,
 * and setgid when group-executable (otherwise it marks mandatory locking).
 * Directories keep both.
 */
export function modeAfterChown(mode: number): number | undefined {
  if (isDir(mode)) return undefined;
  let next = mode;
  if (next & S_ISUID) next &= ~S_ISUID;
  if ((next & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP)) next &= ~S_ISGID;
  return next === mode ? undefined : next;
}

/** What a write by an unprivileged caller takes away (file_remove_privs). */
export function modeAfterWrite(mode: number, creds: Credentials): number | undefined {
  if (isPrivileged(creds) || !isReg(mode)) return undefined;
  return modeAfterChown(mode);
}

/**
 * utimensat: setting explicit times needs ownership (EPERM); setting both
 * to now needs ownership or write access (EACCES).
 */
export function checkUtimes(inode: Owned, explicit: boolean, creds: Credentials, what: string): void {
  if (isOwner(inode, creds)) return;
  if (explicit) throw new FsError('EPERM', `${what}: only the owner may set explicit times`);
  if (!mayAccess(inode, MAY_WRITE, creds)) throw new FsError('EACCES', `${what}: permission denied`);
}

/**
 * xattr_permission: trusted.* needs root (EPERM), user.* only on files and
 * directories (EPERM to write, ENODATA to read elsewhere) and needs read or
 * write access; security.* needs write access only to write (LSMs aside).
 */
export function checkXattr(inode: Owned, name: string, write: boolean, creds: Credentials, what: string): void {
  checkXattrType(inode, name, write, what);
  if (name.startsWith('trusted.')) {
    if (!isPrivileged(creds)) {
      if (write) throw new FsError('EPERM', `${what}: trusted.* attributes need root`);
      throw new FsError('ENODATA', `${what}: no attribute '${name}'`);
    }
    return;
  }
  if (name.startsWith('user.')) {
    if (isDir(inode.mode) && inode.mode & S_ISVTX && write && !isOwner(inode, creds)) {
      throw new FsError('EPERM', `${what}: sticky directory: only the owner may set user.* attributes`);
    }
  }
  checkAccess(inode, write ? MAY_WRITE : MAY_READ, creds, what);
}

/** The part of xattr_permission that holds whoever asks: user.* only on files and directories. */
export function checkXattrType(inode: Owned, name: string, write: boolean, what: string): void {
  if (name.startsWith('user.') && !isReg(inode.mode) && !isDir(inode.mode)) {
    if (write) throw new FsError('EPERM', `${what}: user.* attributes only exist on files and directories`);
    throw new FsError('ENODATA', `${what}: no attribute '${name}'`);
  }
}
