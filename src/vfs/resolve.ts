/**
 * Path resolution (Linux namei): absolute or relative paths, '.' and '..'
 * (which cross mount points and stop at the process root), symlinks
 * followed in the middle of a path always and at the end on request, at
 * most 40 of them per resolution (ELOOP), trailing slashes meaning "must be
 * a directory (and follow)", and search permission on every directory
 * passed through when permissions are checked.
 */
import { FsError } from '../errors.js';
import type { CachedInode, Dentry } from './dcache.js';
import type { MountTree, PathRef } from './mount-tree.js';
import { MAY_EXEC, checkAccess, mayAccess, type Credentials, type Owned } from './permissions.js';
import { utf8Length } from '../fs/names.js';

/** Linux MAXSYMLINKS. */
export const MAX_SYMLINKS = 40;
/** Linux PATH_MAX, counting the terminating NUL. */
export const PATH_MAX = 4096;

export interface ResolveContext {
  readonly tree: MountTree;
  /** The process root ('/' and the limit of '..'). */
  readonly root: PathRef;
  readonly creds: Credentials;
  readonly checkPermissions: boolean;
  /** Attributes for permission checks (cached when valid). */
  permAttr(inode: CachedInode): Promise<Owned>;
  /** A symlink's target (cached). */
  readlink(inode: CachedInode): Promise<string>;
}

export type LastType = 'normal' | 'dot' | 'dotdot' | 'root';

/** The directory a path ends in and its last component, not yet looked up. */
export interface Last {
  readonly parent: PathRef;
  readonly name: string;
  readonly type: LastType;
  readonly trailingSlash: boolean;
}

/** One resolution: shares the symlink count across nested symlink targets. */
export class Walker {
  private links = 0;
  private readonly ctx: ResolveContext;

  constructor(ctx: ResolveContext) {
    this.ctx = ctx;
  }

  /** Resolves everything but the last component (filename_parentat). */
  async parent(start: PathRef, path: string): Promise<Last> {
    checkPath(path);
    let cur = path.startsWith('/') ? this.ctx.root : start;
    const parts = path.split('/').filter((p) => p.length > 0);
    if (parts.length === 0) return { parent: cur, name: '', type: 'root', trailingSlash: false };
    // Most components are in the dentry cache: take those without an await (a 20-level path is 20 steps).
    for (let i = 0; i < parts.length - 1; i++) cur = this.stepCached(cur, parts[i]!) ?? (await this.step(cur, parts[i]!));
    if (!this.mayLookupCached(cur)) await this.mayLookup(cur);
    const name = parts[parts.length - 1]!;
    const type: LastType = name === '.' ? 'dot' : name === '..' ? 'dotdot' : 'normal';
    if (type === 'normal') checkNameLength(cur, name);
    return { parent: cur, name, type, trailingSlash: path.endsWith('/') };
  }

  /** Resolves a whole path to an existing object (path_lookupat). */
  async lookup(start: PathRef, path: string, follow: boolean, directory = false): Promise<PathRef> {
    return this.finish(await this.parent(start, path), follow, directory);
  }

  /** Looks up the last component found by `parent`. */
  async finish(last: Last, follow: boolean, directory = false): Promise<PathRef> {
    const ref = await this.lastRef(last);
    if (!ref) throw new FsError('ENOENT', `'${last.name}' does not exist`);
    return this.followLast(last, ref, follow, directory);
  }

  /** The object named by `last`, or null if absent (no symlink following yet). */
  async lastRef(last: Last): Promise<PathRef | null> {
    switch (last.type) {
      case 'root':
      case 'dot':
        return last.parent;
      case 'dotdot':
        return this.up(last.parent);
      default: {
        const d = await this.child(last.parent, last.name);
        return d.negative ? null : this.ctx.tree.down({ mount: last.parent.mount, dentry: d });
      }
    }
  }

  /** Follows a symlink at the end if asked (or if a trailing slash demands it) and checks directory-ness. */
  async followLast(last: Last, ref: PathRef, follow: boolean, directory: boolean): Promise<PathRef> {
    const mustBeDir = directory || last.trailingSlash;
    if (ref.dentry.inode!.isSymlink && (follow || last.trailingSlash)) {
      return this.followLink(last.parent, ref, mustBeDir);
    }
    if (mustBeDir && !ref.dentry.inode!.isDir) throw new FsError('ENOTDIR', `'${last.name}' is not a directory`);
    return ref;
  }

  /** Resolves the target of the symlink at `link` (which lives in `dir`). */
  async followLink(dir: PathRef, link: PathRef, directory: boolean): Promise<PathRef> {
    const target = await this.linkTarget(link);
    return this.lookup(dir, target, true, directory);
  }

  /** The target of a symlink, counting it against the 40-link limit. */
  async linkTarget(link: PathRef): Promise<string> {
    if (++this.links > MAX_SYMLINKS) throw new FsError('ELOOP', `more than ${MAX_SYMLINKS} symbolic links`);
    const target = await this.ctx.readlink(link.dentry.inode!);
    if (target.length === 0) throw new FsError('ENOENT', 'symbolic link with an empty target');
    return target;
  }

  /** '..': the parent directory, across mount points, never above the process root. */
  up(ref: PathRef): PathRef {
    let cur = ref;
    for (;;) {
      if (cur.mount === this.ctx.root.mount && cur.dentry === this.ctx.root.dentry) return cur;
      if (cur.dentry === cur.mount.root) {
        if (!cur.mount.parent || !cur.mount.mountpoint) return cur;
        cur = { mount: cur.mount.parent, dentry: cur.mount.mountpoint };
        continue;
      }
      const parent = cur.dentry.parent ?? cur.dentry;
      return this.ctx.tree.down({ mount: cur.mount, dentry: parent });
    }
  }

  /** One step from the caches alone, or null when it needs the driver (miss, symlink, expired attributes, error). */
  private stepCached(cur: PathRef, name: string): PathRef | null {
    if (!this.mayLookupCached(cur)) return null;
    if (name === '.') return cur;
    if (name === '..') return this.up(cur);
    if (name.length > 63) return null; // let step() check the length in bytes
    const d = cur.mount.sb.cached(cur.dentry, name);
    if (!d || d.negative || d.inode!.isSymlink) return null;
    return d.mounts ? this.ctx.tree.down({ mount: cur.mount, dentry: d }) : { mount: cur.mount, dentry: d };
  }

  /** Search permission from cached attributes; false when they must be fetched (or the check fails: step() reports it). */
  private mayLookupCached(dir: PathRef): boolean {
    const inode = dir.dentry.inode;
    if (!inode || !inode.isDir || !inode.sb.attrValid(inode)) return false;
    return !this.ctx.checkPermissions || mayAccess(inode.attr, MAY_EXEC, this.ctx.creds);
  }

  private async step(cur: PathRef, name: string): Promise<PathRef> {
    await this.mayLookup(cur);
    if (name === '.') return cur;
    if (name === '..') return this.up(cur);
    checkNameLength(cur, name);
    const d = await this.child(cur, name);
    if (d.negative) throw new FsError('ENOENT', `'${name}' does not exist`);
    const ref = this.ctx.tree.down({ mount: cur.mount, dentry: d });
    if (ref.dentry.inode!.isSymlink) return this.followLink(cur, ref, true);
    return ref;
  }

  private async child(dir: PathRef, name: string): Promise<Dentry> {
    return dir.mount.sb.lookup(dir.dentry, name);
  }

  /** The directory must be one, and searchable. */
  private async mayLookup(dir: PathRef): Promise<void> {
    const inode = dir.dentry.inode;
    if (!inode) throw new FsError('ENOENT', 'directory has been removed');
    if (!inode.isDir) throw new FsError('ENOTDIR', `'${dir.dentry.name}' is not a directory`);
    if (this.ctx.checkPermissions) checkAccess(await this.ctx.permAttr(inode), MAY_EXEC, this.ctx.creds, `search '${dir.dentry.name}'`);
  }
}

export function checkPath(path: string): void {
  if (typeof path !== 'string') throw new FsError('EINVAL', 'path must be a string');
  if (path.length === 0) throw new FsError('ENOENT', 'empty path');
  if (path.includes('\0')) throw new FsError('EINVAL', 'path contains a NUL byte');
  if (path.length >= PATH_MAX && utf8Length(path) >= PATH_MAX) throw new FsError('ENAMETOOLONG', `path longer than ${PATH_MAX - 1} bytes`);
}

function checkNameLength(dir: PathRef, name: string): void {
  const max = dir.mount.sb.fs.capabilities.maxNameLength;
  if (name.length > max / 4 && utf8Length(name) > max) throw new FsError('ENAMETOOLONG', `name longer than ${max} bytes`);
}
