/**
 * The mount tree: which FileSystem shows where. A mount puts a directory of
 * a Superblock (its root, or any subdirectory: a bind mount) over a
 * directory of another mount. The same FileSystem mounted twice shares one
 * Superblock and so one dentry cache, as in Linux.
 */
import type { Dentry, Superblock } from './dcache.js';

export interface MountOptions {
  /** Refuse every modification through this mount with EROFS (mount -o ro). */
  readOnly?: boolean;
}

export class Mount {
  readonly id: number;
  readonly sb: Superblock;
  /** The directory of `sb` this mount shows (sb.root, or a subdirectory for a bind mount). */
  readonly root: Dentry;
  /** Null for the root mount. */
  readonly parent: Mount | null;
  readonly mountpoint: Dentry | null;
  readonly readOnly: boolean;
  /** Open files and working directories inside this mount (umount is EBUSY while any). */
  users = 0;

  constructor(id: number, sb: Superblock, root: Dentry, parent: Mount | null, mountpoint: Dentry | null, options: MountOptions) {
    this.id = id;
    this.sb = sb;
    this.root = root;
    this.parent = parent;
    this.mountpoint = mountpoint;
    this.readOnly = options.readOnly ?? false;
  }

  /** Writable by this mount's options and its driver's capabilities. */
  get writable(): boolean {
    return !this.readOnly && this.sb.fs.capabilities.write;
  }
}

/** A place in the tree: a dentry as seen through a mount (Linux `struct path`). */
export interface PathRef {
  readonly mount: Mount;
  readonly dentry: Dentry;
}

export class MountTree {
  readonly root: Mount;
  private readonly children = new Map<Mount, Map<Dentry, Mount[]>>();
  private nextId = 2;

  constructor(root: Mount) {
    this.root = root;
  }

  newId(): number {
    return this.nextId++;
  }

  /** The mount on top of `dentry` as seen through `parent`, if any (the last one mounted wins). */
  mountedAt(parent: Mount, dentry: Dentry): Mount | undefined {
    if (dentry.mounts === 0) return undefined;
    const stack = this.children.get(parent)?.get(dentry);
    return stack?.[stack.length - 1];
  }

  add(mount: Mount): void {
    const parent = mount.parent!;
    const mp = mount.mountpoint!;
    let byDentry = this.children.get(parent);
    if (!byDentry) this.children.set(parent, (byDentry = new Map()));
    const stack = byDentry.get(mp) ?? [];
    stack.push(mount);
    byDentry.set(mp, stack);
    mp.mounts++;
  }

  remove(mount: Mount): void {
    const parent = mount.parent!;
    const mp = mount.mountpoint!;
    const byDentry = this.children.get(parent);
    const stack = byDentry?.get(mp);
    if (!stack) return;
    const i = stack.indexOf(mount);
    if (i >= 0) stack.splice(i, 1);
    if (stack.length === 0) byDentry!.delete(mp);
    mp.mounts--;
    this.children.delete(mount);
  }

  hasChildren(mount: Mount): boolean {
    const byDentry = this.children.get(mount);
    return byDentry !== undefined && byDentry.size > 0;
  }

  /** Every mount, root first (for listing and unmounting all). */
  all(): Mount[] {
    const out: Mount[] = [];
    const visit = (m: Mount): void => {
      out.push(m);
      for (const stack of this.children.get(m)?.values() ?? []) for (const c of stack) visit(c);
    };
    visit(this.root);
    return out;
  }

  /** Follows mounts stacked on a place until the top one (path walk entering a mountpoint). */
  down(ref: PathRef): PathRef {
    let cur = ref;
    for (let i = 0; i < 1000; i++) {
      const m = this.mountedAt(cur.mount, cur.dentry);
      if (!m) return cur;
      cur = { mount: m, dentry: m.root };
    }
    return cur;
  }
}
