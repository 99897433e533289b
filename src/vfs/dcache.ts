/**
 * The dentry and inode cache, one Superblock per mounted FileSystem.
 *
 * What is cached is identity, not attributes: name → inode number
 * (positive dentries), name → absent (negative dentries), inode number →
 * type and symlink target. These change only through namespace operations,
 * which the VFS makes itself and mirrors here in the same step, or behind our
 * back on a remote driver, which reports them (`FileSystem.watch`) and whose
 * entries also expire. Attributes for stat() always come from the driver.
 *
 * Every inode the driver handed out (lookup, create …) carries its lookup
 * count; when the last dentry and open file let go of it, the driver gets
 * `forget(ino, nlookup)`, as FUSE prescribes.
 */
import { FsError, isFsError } from '../errors.js';
import type { Entry, FileSystem, FsChange, Stat } from '../fs/filesystem.js';
import { S_IFMT, S_IFDIR, S_IFLNK } from '../fs/mode.js';

export interface DcacheOptions {
  /** Most dentries kept (unreferenced ones beyond this are evicted, oldest first). */
  maxDentries: number;
  /** How long a remote driver's names stay valid, in ms. */
  entryTimeoutMs: number;
  /** How long a remote driver's attributes (used for permission checks) stay valid, in ms. */
  attrTimeoutMs: number;
  now: () => number;
}

export class CachedInode {
  readonly sb: Superblock;
  readonly ino: number;
  /** S_IFMT bits: fixed for the life of an inode. */
  readonly type: number;
  /** References the driver handed us and expects back in forget(). */
  nlookup = 0;
  /** Positive dentries and open files pointing here. */
  refs = 0;
  /** Last attributes seen (lookup, getattr, setattr): used for permission checks, not for stat(). */
  attr: Stat;
  attrExpires: number;
  /** Symlinks: the target, read once. */
  target?: string;
  /** Directories: their one dentry. */
  dentry?: Dentry;

  constructor(sb: Superblock, ino: number, attr: Stat, expires: number) {
    this.sb = sb;
    // The entry's number, not attr.ino: a corrupt driver answer must not split one inode in two.
    this.ino = ino;
    this.type = attr.mode & S_IFMT;
    this.attr = attr;
    this.attrExpires = expires;
  }

  get isDir(): boolean {
    return this.type === S_IFDIR;
  }
  get isSymlink(): boolean {
    return this.type === S_IFLNK;
  }
}

export class Dentry {
  name: string;
  parent: Dentry | null;
  readonly sb: Superblock;
  inode: CachedInode | null;
  children: Map<string, Dentry> | null = null;
  /** Open files, working directories and mounts holding this dentry. */
  refs = 0;
  /** Mounts that have this dentry as mountpoint. */
  mounts = 0;
  expires: number;
  /** False once removed from its parent's table (unlinked while open, or invalidated). */
  hashed = true;
  /** Used since the eviction clock last passed (second chance). */
  referenced = false;
  /** Its inode reference was given back (it stays pointed to, for walks in progress). */
  dropped = false;

  constructor(sb: Superblock, parent: Dentry | null, name: string, inode: CachedInode | null, expires: number) {
    this.sb = sb;
    this.parent = parent;
    this.name = name;
    this.inode = inode;
    this.expires = expires;
  }

  get negative(): boolean {
    return this.inode === null;
  }
}

export class Superblock {
  readonly fs: FileSystem;
  /** Device number for st_dev: one per mounted FileSystem. */
  readonly dev: number;
  readonly root: Dentry;
  private readonly inodes = new Map<number, CachedInode>();
  /**
   * Every dentry, oldest first, for eviction by the CLOCK algorithm: a hit
   * only sets `referenced` (no reordering on the hot path); eviction gives
   * referenced entries a second chance by moving them to the end.
   */
  private readonly lru = new Set<Dentry>();
  private readonly options: DcacheOptions;
  private readonly exact: boolean;
  private unwatch?: () => void;

  constructor(fs: FileSystem, dev: number, rootAttr: Stat, options: DcacheOptions) {
    this.fs = fs;
    this.dev = dev;
    this.options = options;
    this.exact = fs.capabilities.consistency !== 'remote';
    const rootInode = new CachedInode(this, fs.rootIno, rootAttr, this.attrExpiry());
    rootInode.refs = 1; // pinned: the root is never forgotten
    this.inodes.set(rootInode.ino, rootInode);
    this.root = new Dentry(this, null, '/', rootInode, Infinity);
    this.root.refs = 1;
    rootInode.dentry = this.root;
    if (fs.watch) this.unwatch = fs.watch((change) => this.invalidate(change));
  }

  get dentryCount(): number {
    return this.lru.size;
  }

  get inodeCount(): number {
    return this.inodes.size;
  }

  /** A cached, still valid dentry for `name` in `parent`, positive or negative. */
  cached(parent: Dentry, name: string): Dentry | undefined {
    const d = parent.children?.get(name);
    if (!d) return undefined;
    if (d.expires !== Infinity && d.expires < this.options.now()) return undefined;
    d.referenced = true;
    return d;
  }

  /** Looks `name` up in directory dentry `parent`: from the cache, else from the driver. */
  async lookup(parent: Dentry, name: string): Promise<Dentry> {
    const hit = this.cached(parent, name);
    if (hit) return hit;
    const dir = parent.inode;
    if (!dir) throw new FsError('ENOENT', `${this.fs.name}: lookup in a removed directory`);
    let entry: Entry;
    try {
      entry = await this.fs.lookup(dir.ino, name);
    } catch (e) {
      if (isFsError(e, 'ENOENT')) return this.setNegative(parent, name);
      throw e;
    }
    return this.instantiate(parent, name, entry);
  }

  /** Records a name the driver just returned (lookup or a creating operation), taking over its lookup count. */
  instantiate(parent: Dentry, name: string, entry: Entry): Dentry {
    const inode = this.inodeFor(entry);
    inode.nlookup++;
    // Held while old dentries give way below, so dropping them cannot forget the inode we are returning.
    inode.refs++;
    try {
      return this.instantiateHeld(parent, name, inode);
    } finally {
      this.releaseInode(inode);
    }
  }

  private instantiateHeld(parent: Dentry, name: string, inode: CachedInode): Dentry {
    const old = parent.children?.get(name);
    if (old && old.inode === inode) {
      old.expires = this.entryExpiry();
      old.referenced = true;
      return old;
    }
    if (inode.isDir && inode.dentry && inode.dentry.hashed && inode.dentry !== old) {
      // A directory has one dentry. Found under a second name it was either
      // moved behind our back (the old dentry gives way) or, if the old one
      // is an ancestor of the new place, the driver claims a directory inside
      // itself: a corrupt filesystem (Linux d_splice_alias says ELOOP).
      for (let a: Dentry | null = parent; a; a = a.parent) {
        if (a === inode.dentry) {
          inode.nlookup--;
          this.fs.forget?.(inode.ino, 1);
          throw new FsError('EIO', `${this.fs.name}: directory inode ${inode.ino} appears inside itself as '${name}' (corrupt filesystem)`);
        }
      }
      this.detach(inode.dentry);
    }
    if (old) this.detach(old);
    const d = new Dentry(this, parent, name, inode, this.entryExpiry());
    inode.refs++;
    if (inode.isDir) inode.dentry = d;
    this.attach(parent, d);
    return d;
  }

  setNegative(parent: Dentry, name: string): Dentry {
    const old = parent.children?.get(name);
    if (old) this.detach(old);
    const d = new Dentry(this, parent, name, null, this.entryExpiry());
    this.attach(parent, d);
    return d;
  }

  /** After unlink/rmdir: the name is gone. An open file keeps its (now unhashed) dentry and inode. */
  removed(d: Dentry): void {
    const parent = d.parent;
    const name = d.name;
    this.detach(d);
    if (parent) this.setNegative(parent, name);
  }

  /** After rename: `d` now lives at newParent/newName; whatever was there is gone. */
  moved(d: Dentry, newParent: Dentry, newName: string): void {
    const old = newParent.children?.get(newName);
    if (old && old !== d) this.detach(old);
    if (d.parent && d.hashed) {
      d.parent.children?.delete(d.name);
      this.setNegative(d.parent, d.name);
    }
    d.parent = newParent;
    d.name = newName;
    d.hashed = true;
    this.dropCaseAliases(newParent, newName, d);
    d.expires = this.entryExpiry();
    (newParent.children ??= new Map()).set(newName, d);
    d.referenced = true;
  }

  /** After RENAME_EXCHANGE: the two dentries swap places. */
  exchanged(a: Dentry, b: Dentry): void {
    const [pa, na, pb, nb] = [a.parent!, a.name, b.parent!, b.name];
    pa.children!.set(na, b);
    pb.children!.set(nb, a);
    a.parent = pb;
    a.name = nb;
    b.parent = pa;
    b.name = na;
  }

  /** Takes a reference on a dentry (open file, cwd, mount) so it is never evicted. */
  hold(d: Dentry): void {
    d.refs++;
    if (d.inode) d.inode.refs++;
  }

  release(d: Dentry, inode: CachedInode | null = d.inode): void {
    d.refs--;
    if (inode) this.releaseInode(inode);
    if (d.refs === 0 && !d.hashed) this.dropUnhashed(d);
  }

  /** Updates the attributes kept for permission checks. */
  updateAttr(inode: CachedInode, attr: Stat): void {
    inode.attr = attr;
    inode.attrExpires = this.attrExpiry();
  }

  attrValid(inode: CachedInode): boolean {
    return inode.attrExpires === Infinity || inode.attrExpires >= this.options.now();
  }

  /** Drops what a driver says changed behind our back. */
  invalidate(change: FsChange): void {
    if (change.kind === 'all') {
      for (const d of [...this.lru]) if (d.refs === 0 && d.mounts === 0) this.detach(d);
      for (const inode of this.inodes.values()) inode.attrExpires = 0;
      return;
    }
    if (change.kind === 'inode') {
      const inode = this.inodes.get(change.ino);
      if (inode) {
        inode.attrExpires = 0;
        delete inode.target;
      }
      return;
    }
    const dir = this.inodes.get(change.dir)?.dentry;
    const d = dir?.children?.get(change.name);
    if (d && d.mounts === 0) this.detach(d);
  }

  /** Forgets everything not held (unmount of one of several mounts, tests). */
  shrink(): void {
    for (const d of [...this.lru]) if (d.refs === 0 && d.mounts === 0 && !d.children?.size) this.detach(d);
  }

  close(): void {
    this.unwatch?.();
  }

  // ---- internals ----

  private inodeFor(entry: Entry): CachedInode {
    let inode = this.inodes.get(entry.ino);
    if (inode && inode.type !== (entry.attr.mode & S_IFMT)) {
      // Inode number reused for another file (remote driver): the old object is stale.
      this.inodes.delete(inode.ino);
      inode = undefined;
    }
    if (!inode) {
      inode = new CachedInode(this, entry.ino, entry.attr, this.attrExpiry());
      this.inodes.set(inode.ino, inode);
    } else this.updateAttr(inode, entry.attr);
    return inode;
  }

  private attach(parent: Dentry, d: Dentry): void {
    this.dropCaseAliases(parent, d.name, d);
    (parent.children ??= new Map()).set(d.name, d);
    this.lru.add(d);
    if (this.lru.size > this.options.maxDentries) this.evict();
  }

  /**
   * On a case-insensitive filesystem 'foo' and 'FOO' are one name: when one
   * spelling changes (created, removed, renamed), every cached spelling of it
   * in that directory, positive or negative, is stale and goes.
   */
  private dropCaseAliases(parent: Dentry, name: string, keep: Dentry): void {
    if (!this.fs.capabilities.caseInsensitive || !parent.children) return;
    const folded = foldCase(name);
    for (const [other, d] of parent.children) {
      if (d !== keep && other !== name && foldCase(other) === folded) this.detach(d);
    }
  }

  /** Takes a dentry out of its parent's table; frees it unless something holds it. */
  private detach(d: Dentry): void {
    if (d.hashed && d.parent?.children?.get(d.name) === d) d.parent.children.delete(d.name);
    d.hashed = false;
    this.lru.delete(d);
    if (d.refs === 0) this.dropUnhashed(d);
  }

  /**
   * Frees an unhashed, unreferenced dentry. Its inode pointer stays: a path
   * walk may still stand on it (walks hold no references), and will then ask
   * the driver about a forgotten inode (ESTALE) rather than meet a null.
   */
  private dropUnhashed(d: Dentry): void {
    if (d.children) {
      for (const c of [...d.children.values()]) this.detach(c);
      d.children = null;
    }
    const inode = d.inode;
    if (inode && !d.dropped) {
      d.dropped = true;
      if (inode.dentry === d) delete inode.dentry;
      this.releaseInode(inode);
    }
  }

  private releaseInode(inode: CachedInode): void {
    inode.refs--;
    if (inode.refs > 0) return;
    if (this.inodes.get(inode.ino) === inode) this.inodes.delete(inode.ino);
    if (inode.nlookup > 0) {
      const n = inode.nlookup;
      inode.nlookup = 0;
      this.fs.forget?.(inode.ino, n);
    }
  }

  private evict(): void {
    let budget = 128;
    for (const d of this.lru) {
      if (this.lru.size <= this.options.maxDentries || budget-- <= 0) break;
      if (d.referenced || d.refs > 0 || d.mounts > 0 || d.children?.size) {
        // Second chance: to the end of the clock.
        d.referenced = false;
        this.lru.delete(d);
        this.lru.add(d);
      } else this.detach(d);
    }
  }

  private entryExpiry(): number {
    return this.exact ? Infinity : this.options.now() + this.options.entryTimeoutMs;
  }

  private attrExpiry(): number {
    if (this.fs.capabilities.consistency === 'immutable') return Infinity;
    if (this.exact) return Infinity; // kept exact by updateAttr after every change we make
    return this.options.now() + this.options.attrTimeoutMs;
  }
}

/** Simple case folding, close to what FAT and exFAT compare (upper then lower catches ß/ſ-style pairs). */
function foldCase(name: string): string {
  return name.toUpperCase().toLowerCase();
}
