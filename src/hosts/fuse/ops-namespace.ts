/**
 * Handlers that change names: MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR,
 * RENAME, RENAME2, CREATE. The kernel has already checked permissions
 * (default_permissions) and applied the umask (no FUSE_DONT_MASK); the
 * caller's fsuid and fsgid from the request header own what is created.
 */
import { FsError } from '../../errors.js';
import type { FileSystem } from '../../fs/filesystem.js';
import { O_TRUNC } from '../../fs/flags.js';
import type { Body } from './opcodes.js';
import { openOut } from './ops-file.js';
import type { fuse_create_in, fuse_link_in, fuse_mkdir_in, fuse_mknod_in, fuse_rename2_in, fuse_rename_in } from './protocol.js';
import type { FuseRequest, FuseSession } from './session.js';

function need<K extends keyof FileSystem>(s: FuseSession, op: K): NonNullable<FileSystem[K]> {
  const fn = s.fs[op];
  if (typeof fn !== 'function') {
    throw new FsError(s.fs.capabilities.write ? 'EPERM' : 'EROFS', `${s.fs.name}: ${String(op)} is not supported`);
  }
  return (fn as (...a: unknown[]) => unknown).bind(s.fs) as NonNullable<FileSystem[K]>;
}

export async function mknod(s: FuseSession, r: FuseRequest, a: fuse_mknod_in): Promise<Body> {
  const dir = s.node(r.header.nodeid);
  return s.entryOut(r, dir.nodeid, await need(s, 'mknod')(dir.ino, r.names[0]!, a.mode, a.rdev, r.caller));
}

export async function mkdir(s: FuseSession, r: FuseRequest, a: fuse_mkdir_in): Promise<Body> {
  const dir = s.node(r.header.nodeid);
  // The kernel passes permission bits only; the type is ours to add.
  return s.entryOut(r, dir.nodeid, await need(s, 'mkdir')(dir.ino, r.names[0]!, a.mode & 0o7777, r.caller));
}

export async function symlink(s: FuseSession, r: FuseRequest): Promise<Body> {
  const dir = s.node(r.header.nodeid);
  // SYMLINK carries the new name first, then the target.
  return s.entryOut(r, dir.nodeid, await need(s, 'symlink')(dir.ino, r.names[0]!, r.names[1]!, r.caller));
}

export async function link(s: FuseSession, r: FuseRequest, a: fuse_link_in): Promise<Body> {
  const dir = s.node(r.header.nodeid);
  const old = s.node(a.oldnodeid);
  return s.entryOut(r, dir.nodeid, await need(s, 'link')(old.ino, dir.ino, r.names[0]!));
}

export async function unlink(s: FuseSession, r: FuseRequest): Promise<Body> {
  await need(s, 'unlink')(s.node(r.header.nodeid).ino, r.names[0]!);
  return [];
}

export async function rmdir(s: FuseSession, r: FuseRequest): Promise<Body> {
  await need(s, 'rmdir')(s.node(r.header.nodeid).ino, r.names[0]!);
  return [];
}

export async function rename(s: FuseSession, r: FuseRequest, a: fuse_rename_in): Promise<Body> {
  await need(s, 'rename')(s.node(r.header.nodeid).ino, r.names[0]!, s.node(a.newdir).ino, r.names[1]!, 0);
  return [];
}

export async function rename2(s: FuseSession, r: FuseRequest, a: fuse_rename2_in): Promise<Body> {
  await need(s, 'rename')(s.node(r.header.nodeid).ino, r.names[0]!, s.node(a.newdir).ino, r.names[1]!, a.flags);
  return [];
}

export async function create(s: FuseSession, r: FuseRequest, a: fuse_create_in): Promise<Body> {
  const dir = s.node(r.header.nodeid);
  const { entry, fh } = await need(s, 'create')(dir.ino, r.names[0]!, a.mode, a.flags & ~O_TRUNC, r.caller);
  const id = s.handles.add({ ino: entry.ino, fh, flags: a.flags, dir: false });
  const out = s.entryOut(r, dir.nodeid, entry);
  const undoEntry = r.undo;
  // If the kernel never sees the reply it will not RELEASE: close here.
  r.undo = () => {
    undoEntry?.();
    s.handles.remove(id);
    void s.fs.release?.(entry.ino, fh).catch(() => undefined);
  };
  return [...out, ...openOut(s, id, entry.attr.mode)];
}
