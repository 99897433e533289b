/**
 * OverlayFileSystem: Linux overlayfs semantics over any FileSystems — one or
 * more read-only lower layers and an optional writable upper layer (memfs,
 * later a directory or an image). Nothing below is ever written; every
 * change lands in the upper layer, in the kernel's own format, so an upper
 * written here can serve the kernel's overlayfs and the other way round.
 * See docs/overlay.md for the behaviour and README.md for the decisions.
 */
import { FsError, isFsError } from '../../errors.js';
import type { Capabilities } from '../../fs/capabilities.js';
import {
  RENAME_EXCHANGE, RENAME_NOREPLACE,
  type Caller, type DirEntry, type Entry, type FileSystem, type Ino, type SetattrRequest, type Stat, type StatFs,
} from '../../fs/filesystem.js';
import { O_ACCMODE, O_RDONLY, O_TRUNC, O_WRONLY } from '../../fs/flags.js';
import { DT_DIR, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, isDir } from '../../fs/mode.js';
import { checkName } from '../../fs/names.js';
import { realtimeClock, type Timespec } from '../../fs/time.js';
import { copyAttributes, copyData, copyXattrs } from './copy-up.js';
import { OvlInode, lowerKey, overlayIno, type LowerRef } from './inode.js';
import { Layer, isPrivateXattr, type Opacity } from './layer.js';
import { mergeDirs, entryIsWhiteout, readWholeDir, type LayerDir, type MergedEntry } from './merged-dir.js';

export interface OverlayOptions {
  /** Read-only layers, top first (like lowerdir=top:…:bottom). At least one. */
  lowers: FileSystem[];
  /** Writable layer for every change; without it the overlay is read-only. */
  upper?: FileSystem;
  /**
   * chmod, chown, utimes and xattr changes copy up metadata only; the data
   * follows on the first write (overlayfs metacopy=on). Default true.
   */
  metacopy?: boolean;
  name?: string;
}

interface Found {
  upper: Entry | null;
  upperOpaque: boolean;
  lowers: Array<{ ref: LowerRef; entry: Entry }>;
}

interface FileHandle {
  layer: Layer;
  ino: Ino;
  fh: number;
}

interface DirHandle {
  o: OvlInode;
  /** Read straight from one layer: its handle. */
  direct?: { dir: LayerDir; fh: number };
  /** Merged listing, made at cookie 0. */
  list?: DirEntry[];
}

/** Hard-link bookkeeping for a lower inode with several names (overlayfs index=on). */
interface IndexEntry {
  /** Its copy in the upper layer, once one name was copied up. */
  upper: Ino | null;
  /** Names still only in the lower layer (not copied up, not removed). */
  aliasesLeft: number;
  /** When a name last went away, for the ctime of a file that is still only in the lower layer. */
  ctime?: Timespec;
}

/** What a copy-up brings: metadata only (when metacopy is on), the data too, or an empty file (O_TRUNC). */
type CopyUpWhat = 'meta' | 'data' | 'empty';

const OPAQUE = new TextEncoder().encode('y');
const EMPTY = new Uint8Array(0);

export class OverlayFileSystem implements FileSystem {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly rootIno: Ino;
  /** @internal layers[0] is the upper layer (absent → null), then the lowers. */
  readonly layers: Array<Layer | null>;
  private readonly upperLayer: Layer | null;
  private readonly metacopyEnabled: boolean;
  private readonly inodes = new Map<Ino, OvlInode>();
  private readonly byUpper = new Map<Ino, OvlInode>();
  /** Upper inode → overlay inode number of its origin, so st_ino survives copy-up and forget. */
  private readonly originOf = new Map<Ino, Ino>();
  private readonly index = new Map<string, IndexEntry>();
  private readonly lowerOpacity = new Map<string, Opacity>();
  private readonly files = new Map<number, FileHandle>();
  private readonly dirs = new Map<number, DirHandle>();
  private nextFh = 1;
  private readonly root: OvlInode;

  private constructor(options: OverlayOptions, root: OvlInode, layers: Array<Layer | null>) {
    this.name = options.name ?? 'overlay';
    this.layers = layers;
    this.upperLayer = layers[0] ?? null;
    const upper = options.upper;
    const prefix = this.upperLayer?.prefix ?? 'trusted.overlay.';
    this.metacopyEnabled = (options.metacopy ?? true) && upper !== undefined && (upper.capabilities.xattrNamespaces.includes(prefix.split('.')[0]!));
    this.capabilities = overlayCapabilities(options.lowers, upper);
    this.root = root;
    this.rootIno = root.ino;
    this.inodes.set(root.ino, root);
  }

  /** Builds an overlay; checks that the upper layer can hold whiteouts and overlay xattrs. */
  static async create(options: OverlayOptions): Promise<OverlayFileSystem> {
    const { lowers, upper } = options;
    if (!lowers.length) throw new FsError('EINVAL', 'overlay: at least one lower layer is needed');
    let prefix = 'trusted.overlay.';
    if (upper) {
      if (!upper.capabilities.write) throw new FsError('EROFS', `overlay: upper layer ${upper.name} is read-only`);
      const ns = upper.capabilities.xattrNamespaces;
      if (ns.includes('trusted')) prefix = 'trusted.overlay.';
      else if (ns.includes('user')) prefix = 'user.overlay.';
      else throw new FsError('EOPNOTSUPP', `overlay: upper layer ${upper.name} has no extended attributes for opaque directories`);
      if (!upper.capabilities.specialFiles || !upper.mknod) throw new FsError('EOPNOTSUPP', `overlay: upper layer ${upper.name} cannot hold whiteouts (device nodes)`);
    }
    const layers: Array<Layer | null> = [upper ? new Layer(upper, 0, prefix) : null, ...lowers.map((fs, i) => new Layer(fs, i + 1, prefix))];
    const count = layers.length;
    const rootLowers: LowerRef[] = lowers.map((fs, i) => ({ layer: i + 1, ino: fs.rootIno }));
    const rootIno = overlayIno(lowers[0]!.rootIno, 1, count);
    const root = new OvlInode(rootIno, S_IFDIR, upper ? upper.rootIno : null, rootLowers, null, '');
    root.nlookup = 1;
    if (upper) root.opaque = (await layers[0]!.opacity(upper.rootIno)) === 'opaque';
    return new OverlayFileSystem(options, root, layers);
  }

  // ---- layers and inode bookkeeping ----

  private get upper(): Layer {
    if (!this.upperLayer) throw new FsError('EROFS', `${this.name}: no upper layer: read-only overlay`);
    return this.upperLayer;
  }

  private lower(ref: LowerRef): Layer {
    return this.layers[ref.layer]!;
  }

  private ovlIno(ino: Ino, layer: number): Ino {
    return overlayIno(ino, layer, this.layers.length);
  }

  private inode(ino: Ino): OvlInode {
    const o = this.inodes.get(ino);
    if (!o) throw new FsError('ESTALE', `${this.name}: inode ${ino} is not known (forgotten)`);
    return o;
  }

  private dirInode(ino: Ino, op: string): OvlInode {
    const o = this.inode(ino);
    if (!o.isDir) throw new FsError('ENOTDIR', `${this.name}: ${op}: inode ${ino} is not a directory`);
    return o;
  }

  private async lowerOpacityOf(ref: LowerRef): Promise<Opacity> {
    const key = lowerKey(ref);
    let v = this.lowerOpacity.get(key);
    if (v === undefined) {
      v = await this.lower(ref).opacity(ref.ino);
      this.lowerOpacity.set(key, v);
    }
    return v;
  }

  /** Looks `name` up in every layer of directory `d`, as ovl_lookup does. */
  private async find(d: OvlInode, name: string): Promise<Found | null> {
    let upperEntry: Entry | null = null;
    let upperOpaque = false;
    if (d.upper !== null) {
      const up = this.upper;
      const e = await up.lookup(d.upper, name);
      if (e) {
        if (await up.isWhiteout(e, 'none')) {
          up.drop(e.ino);
          return null;
        }
        upperEntry = e;
        if (!isDir(e.attr.mode)) return { upper: e, upperOpaque: false, lowers: [] };
        upperOpaque = (await up.opacity(e.ino)) === 'opaque';
        if (upperOpaque || d.opaque || d.lowers.length === 0) return { upper: e, upperOpaque, lowers: [] };
      }
    }
    const stack: Found['lowers'] = [];
    if (!d.opaque) {
      for (const lr of d.lowers) {
        const layer = this.lower(lr);
        const e = await layer.lookup(lr.ino, name);
        if (!e) continue;
        if (await layer.isWhiteout(e, await this.lowerOpacityOf(lr))) {
          layer.drop(e.ino);
          break;
        }
        if (!isDir(e.attr.mode)) {
          // A non-directory only shows if nothing above it has the name.
          if (upperEntry || stack.length) {
            layer.drop(e.ino);
            break;
          }
          return { upper: null, upperOpaque: false, lowers: [{ ref: { layer: lr.layer, ino: e.ino }, entry: e }] };
        }
        if (upperEntry && !isDir(upperEntry.attr.mode)) {
          layer.drop(e.ino);
          break;
        }
        const ref = { layer: lr.layer, ino: e.ino };
        stack.push({ ref, entry: e });
        if ((await this.lowerOpacityOf(ref)) === 'opaque') break;
      }
    }
    if (!upperEntry && stack.length === 0) return null;
    return { upper: upperEntry, upperOpaque, lowers: stack };
  }

  /** The OvlInode for what `find` found (one object per overlay inode), taking over its references. */
  private async adopt(found: Found, parent: OvlInode, name: string): Promise<OvlInode> {
    const up = found.upper;
    const lowers = found.lowers.map((l) => l.ref);
    const type = (up ?? found.lowers[0]!.entry).attr.mode & S_IFMT;
    let o: OvlInode | undefined;
    if (type === S_IFDIR) {
      const ino = lowers.length ? this.ovlIno(lowers[0]!.ino, lowers[0]!.layer) : this.originOf.get(up!.ino) ?? this.ovlIno(up!.ino, 0);
      o = this.inodes.get(ino);
      if (!o) o = this.register(new OvlInode(ino, S_IFDIR, up?.ino ?? null, lowers, parent, name));
      else {
        o.upper = up?.ino ?? o.upper;
        o.lowers = lowers;
      }
      o.opaque = found.upperOpaque;
    } else if (up) {
      o = this.byUpper.get(up.ino);
      if (!o) {
        const ino = this.originOf.get(up.ino) ?? this.ovlIno(up.ino, 0);
        o = this.inodes.get(ino) ?? this.register(new OvlInode(ino, type, up.ino, [], parent, name));
        o.upper = up.ino;
        this.byUpper.set(up.ino, o);
        if (type === S_IFREG && (await this.upper.xattr(up.ino, 'metacopy')) !== null) await this.findMetacopyOrigin(o, parent, name);
      }
    } else {
      const ref = lowers[0]!;
      const ino = this.ovlIno(ref.ino, ref.layer);
      o = this.inodes.get(ino);
      if (!o) {
        o = this.register(new OvlInode(ino, type, null, [ref], parent, name));
        const idx = this.index.get(lowerKey(ref));
        if (idx?.upper != null) {
          // Another name of this hard-linked file was copied up: this name shows that copy.
          o.upper = idx.upper;
          this.byUpper.set(idx.upper, o);
        }
      }
    }
    o.parent = parent;
    o.name = name;
    if (up) o.upperRefs++;
    for (const l of found.lowers) {
      const k = lowerKey(l.ref);
      o.lowerRefs.set(k, (o.lowerRefs.get(k) ?? 0) + 1);
    }
    return o;
  }

  /** A metacopy upper file found without its lower: the origin is the lower file at the same path. */
  private async findMetacopyOrigin(o: OvlInode, parent: OvlInode, name: string): Promise<void> {
    for (const lr of parent.lowers) {
      const e = await this.lower(lr).lookup(lr.ino, name);
      if (!e) continue;
      if (isDir(e.attr.mode) || (await this.lower(lr).isWhiteout(e, await this.lowerOpacityOf(lr)))) {
        this.lower(lr).drop(e.ino);
        break;
      }
      const ref = { layer: lr.layer, ino: e.ino };
      o.lowers = [ref];
      o.metacopy = true;
      o.lowerRefs.set(lowerKey(ref), (o.lowerRefs.get(lowerKey(ref)) ?? 0) + 1);
      return;
    }
    throw new FsError('EIO', `${this.name}: upper file '${name}' is a metadata-only copy but no lower file holds its data`);
  }

  private register(o: OvlInode): OvlInode {
    this.inodes.set(o.ino, o);
    if (o.upper !== null && !o.isDir) this.byUpper.set(o.upper, o);
    return o;
  }

  /** Drops an inode nobody references any more, giving back the layers' references. */
  private maybeFree(o: OvlInode): void {
    if (o.nlookup > 0 || o.opens > 0 || o === this.root) return;
    if (this.inodes.get(o.ino) === o) this.inodes.delete(o.ino);
    if (o.upper !== null && this.byUpper.get(o.upper) === o) this.byUpper.delete(o.upper);
    if (o.upper !== null && o.upperRefs > 0) this.upperLayer?.fs.forget?.(o.upper, o.upperRefs);
    for (const [k, n] of o.lowerRefs) {
      const [layer, ino] = k.split(':').map(Number) as [number, number];
      this.layers[layer]?.fs.forget?.(ino, n);
    }
    o.upperRefs = 0;
    o.lowerRefs.clear();
  }

  // ---- FileSystem: lookups and attributes ----

  async lookup(dir: Ino, name: string): Promise<Entry> {
    const d = this.dirInode(dir, 'lookup');
    const found = await this.find(d, name);
    if (!found) throw new FsError('ENOENT', `${this.name}: lookup: no entry '${name}' in directory ${dir}`);
    const o = await this.adopt(found, d, name);
    o.nlookup++;
    return { ino: o.ino, attr: await this.stat(o) };
  }

  forget(ino: Ino, nlookup: number): void {
    const o = this.inodes.get(ino);
    if (!o || o === this.root) return;
    o.nlookup = Math.max(0, o.nlookup - nlookup);
    this.maybeFree(o);
  }

  async getattr(ino: Ino): Promise<Stat> {
    return this.stat(this.inode(ino));
  }

  /** Attributes: the upper copy's if there is one, else the top lower's; overlay inode number; overlay link counts. */
  private async stat(o: OvlInode): Promise<Stat> {
    let st: Stat;
    if (o.upper !== null) st = await this.upper.fs.getattr(o.upper);
    else st = await this.lower(o.lowers[0]!).fs.getattr(o.lowers[0]!.ino);
    let nlink = st.nlink;
    let blocks = st.blocks;
    let ctime = st.ctime;
    if (o.isDir) {
      if (o.merged) nlink = 1; // as overlayfs: a merged directory's subdirectories cannot be counted cheaply
    } else if (o.lowers.length) {
      const idx = this.index.get(lowerKey(o.lowers[0]!));
      if (idx) {
        nlink = (o.upper !== null ? st.nlink : 0) + idx.aliasesLeft;
        if (o.upper === null && idx.ctime) ctime = idx.ctime;
      }
      if (o.metacopy) blocks = (await this.lower(o.lowers[0]!).fs.getattr(o.lowers[0]!.ino)).blocks;
    }
    return { ...st, ino: o.ino, nlink, blocks, ctime };
  }

  async readlink(ino: Ino): Promise<string> {
    const o = this.inode(ino);
    if (o.upper !== null) return this.upper.fs.readlink(o.upper);
    return this.lower(o.lowers[0]!).fs.readlink(o.lowers[0]!.ino);
  }

  async statfs(): Promise<StatFs> {
    const fs = this.upperLayer?.fs ?? this.layers[1]!.fs;
    return fs.statfs();
  }

  // ---- files ----

  async open(ino: Ino, flags: number): Promise<number> {
    const o = this.inode(ino);
    const write = (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
    // O_TRUNC: the data is about to go, so copy up an empty file (as ovl_open does).
    if (write) await this.copyUp(o, flags & O_TRUNC ? 'empty' : 'data');
    let handle: FileHandle;
    if (o.upper !== null && !o.metacopy) {
      const fs = this.upper.fs;
      handle = { layer: this.upper, ino: o.upper, fh: fs.open ? await fs.open(o.upper, flags) : 0 };
    } else {
      const ref = o.lowers[0]!;
      const fs = this.lower(ref).fs;
      handle = { layer: this.lower(ref), ino: ref.ino, fh: fs.open ? await fs.open(ref.ino, flags & ~O_ACCMODE) : 0 };
    }
    const fh = this.nextFh++;
    this.files.set(fh, handle);
    o.opens++;
    return fh;
  }

  async release(ino: Ino, fh: number): Promise<void> {
    const h = this.files.get(fh);
    if (!h) return;
    this.files.delete(fh);
    await h.layer.fs.release?.(h.ino, h.fh);
    const o = this.inodes.get(ino);
    if (o) {
      o.opens--;
      this.maybeFree(o);
    }
  }

  private handle(fh: number, op: string): FileHandle {
    const h = this.files.get(fh);
    if (!h) throw new FsError('EBADF', `${this.name}: ${op}: no open file ${fh}`);
    return h;
  }

  async read(_ino: Ino, fh: number, buf: Uint8Array, pos: number): Promise<number> {
    const h = this.handle(fh, 'read');
    return h.layer.fs.read(h.ino, h.fh, buf, pos);
  }

  async write(ino: Ino, fh: number, data: Uint8Array, pos: number): Promise<number> {
    const h = this.handle(fh, 'write');
    if (!h.layer.isUpper) throw new FsError('EBADF', `${this.name}: write: inode ${ino} was not opened for writing`);
    return h.layer.fs.write!(h.ino, h.fh, data, pos);
  }

  async fsync(ino: Ino, fh: number, datasync: boolean): Promise<void> {
    const h = this.files.get(fh);
    if (h?.layer.isUpper) await h.layer.fs.fsync?.(h.ino, h.fh, datasync);
    else if (!h && this.inode(ino).upper !== null) await this.upper.fs.fsync?.(this.inode(ino).upper!, 0, datasync);
  }

  // ---- directories ----

  async opendir(ino: Ino): Promise<number> {
    const o = this.dirInode(ino, 'opendir');
    const h: DirHandle = { o };
    const single = this.singleLayer(o);
    if (single) {
      const fs = single.layer.fs;
      h.direct = { dir: single, fh: fs.opendir ? await fs.opendir(single.ino) : 0 };
    }
    const fh = this.nextFh++;
    this.dirs.set(fh, h);
    o.opens++;
    return fh;
  }

  async releasedir(ino: Ino, fh: number): Promise<void> {
    const h = this.dirs.get(fh);
    if (!h) return;
    this.dirs.delete(fh);
    if (h.direct) await h.direct.dir.layer.fs.releasedir?.(h.direct.dir.ino, h.direct.fh);
    const o = this.inodes.get(ino);
    if (o) {
      o.opens--;
      this.maybeFree(o);
    }
  }

  /** The one layer directory a non-merged directory lives in, or null for a merged one. */
  private singleLayer(o: OvlInode): LayerDir | null {
    if (o.upper !== null && (o.opaque || o.lowers.length === 0)) return { layer: this.upper, ino: o.upper, opacity: 'none' };
    if (o.upper === null && o.lowers.length === 1) return { layer: this.lower(o.lowers[0]!), ino: o.lowers[0]!.ino, opacity: this.lowerOpacity.get(lowerKey(o.lowers[0]!)) ?? 'none' };
    return null;
  }

  async readdir(ino: Ino, fh: number, cookie: number, limit = Infinity): Promise<DirEntry[]> {
    const o = this.dirInode(ino, 'readdir');
    if (!(limit >= 1)) limit = 1;
    let h = this.dirs.get(fh);
    if (!h || h.o !== o) h = { o };
    const dots: DirEntry[] = [];
    if (cookie < 1) dots.push({ name: '.', ino: o.ino, type: DT_DIR, next: 1 });
    if (cookie < 2 && dots.length < limit) dots.push({ name: '..', ino: (o.parent ?? o).ino, type: DT_DIR, next: 2 });
    if (dots.length >= limit) return dots;
    const room = limit - dots.length;
    if (cookie === 0 && h.direct && !sameDir(h.direct.dir, this.singleLayer(o))) {
      // Rewound after the directory changed shape (copied up, or merged): start over.
      await h.direct.dir.layer.fs.releasedir?.(h.direct.dir.ino, h.direct.fh);
      delete h.direct;
      const single = this.singleLayer(o);
      if (single) h.direct = { dir: single, fh: single.layer.fs.opendir ? await single.layer.fs.opendir(single.ino) : 0 };
    }
    const single = h.direct?.dir ?? this.singleLayer(o);
    if (single) return dots.concat(await this.readdirDirect(single, h.direct?.fh ?? 0, cookie, room));
    // Merged: cookies are positions in the list made at cookie 0 (2 + index + 1).
    if (!h.list || cookie === 0) h.list = await this.mergedList(o);
    const start = Math.max(0, cookie - 2);
    return dots.concat(h.list.slice(start, start + room));
  }

  /** One layer's directory, its own cookies (offset by 2 for '.' and '..'), whiteouts filtered out. */
  private async readdirDirect(dir: LayerDir, fh: number, cookie: number, room: number): Promise<DirEntry[]> {
    const out: DirEntry[] = [];
    // Layer cookies are shifted by 2 so 1 and 2 stay ours.
    let c = cookie <= 2 ? 0 : cookie - 2;
    for (;;) {
      const batch = await dir.layer.fs.readdir(dir.ino, fh, c, room + 2);
      if (batch.length === 0) return out;
      for (const e of batch) {
        c = e.next;
        if (e.name === '.' || e.name === '..') continue;
        if (await entryIsWhiteout(dir, e)) continue;
        out.push({ name: e.name, ino: this.entryIno(dir.layer, e.ino, e.type), type: e.type, next: e.next + 2 });
        if (out.length >= room) return out;
      }
      if (out.length > 0) return out;
    }
  }

  private entryIno(layer: Layer, ino: Ino, _type: number): Ino {
    if (layer.isUpper) return this.byUpper.get(ino)?.ino ?? this.originOf.get(ino) ?? this.ovlIno(ino, 0);
    return this.ovlIno(ino, layer.index);
  }

  private async mergedList(o: OvlInode): Promise<DirEntry[]> {
    const dirs: LayerDir[] = [];
    if (o.upper !== null) dirs.push({ layer: this.upper, ino: o.upper, opacity: 'none' });
    for (const lr of o.lowers) dirs.push({ layer: this.lower(lr), ino: lr.ino, opacity: await this.lowerOpacityOf(lr) });
    const merged = await mergeDirs(dirs);
    const out: DirEntry[] = [];
    for (let i = 0; i < merged.length; i++) {
      const m = merged[i]!;
      out.push({ name: m.name, ino: await this.mergedIno(m), type: m.type, next: i + 3 });
    }
    return out;
  }

  /** d_ino of a merged entry: an upper directory merged with a lower one shows the lower's number, as stat does. */
  private async mergedIno(m: MergedEntry): Promise<Ino> {
    if (m.lowerDir && m.layer.isUpper && (await m.layer.opacity(m.ino)) !== 'opaque') return this.ovlIno(m.lowerDir.ino, m.lowerDir.layer.index);
    return this.entryIno(m.layer, m.ino, m.type);
  }

  /** Whether a merged directory holds anything visible (rmdir, rename over it). */
  private async isEmpty(o: OvlInode): Promise<boolean> {
    const single = this.singleLayer(o);
    if (single) return (await this.readdirDirect(single, 0, 0, 1)).length === 0;
    return (await this.mergedList(o)).length === 0;
  }

  // ---- copy-up ----

  /**
   * Makes sure `o` exists in the upper layer: parents first (metadata only,
   * their times restored afterwards, as overlayfs does), then `o` itself,
   * with its data if `data` (or its metadata only when metacopy allows).
   */
  private async copyUp(o: OvlInode, what: CopyUpWhat): Promise<void> {
    for (;;) {
      if (o.copying) {
        await o.copying;
        continue;
      }
      const needData = what !== 'meta' && !(what === 'empty' && o.metacopy);
      if (o.upper !== null && !(needData && o.metacopy)) return;
      const work = o.upper !== null ? this.copyUpData(o, what === 'empty') : this.copyUpNew(o, what);
      o.copying = work;
      try {
        await work;
      } finally {
        delete o.copying;
      }
    }
  }

  private async copyUpNew(o: OvlInode, what: CopyUpWhat): Promise<void> {
    const parent = o.parent ? this.inodes.get(o.parent.ino) ?? o.parent : null;
    if (!parent) throw new FsError('EIO', `${this.name}: copy-up of inode ${o.ino}: no parent known`);
    await this.copyUp(parent, 'meta');
    const up = this.upper;
    const src = o.lowers[0]!;
    const lowerFs = this.lower(src).fs;
    const st = await lowerFs.getattr(src.ino);
    const parentTimes = await up.fs.getattr(parent.upper!);
    const owner: Caller = { uid: st.uid, gid: st.gid };
    const type = st.mode & S_IFMT;
    const key = lowerKey(src);
    const idx = this.index.get(key);
    let entry: Entry;
    if (type === S_IFDIR) {
      // Another lookup may already have made it (a stale parent object): adopt that one.
      const existing = await up.lookup(parent.upper!, o.name);
      if (existing && isDir(existing.attr.mode)) entry = existing;
      else {
        if (existing) up.drop(existing.ino);
        entry = await up.fs.mkdir!(parent.upper!, o.name, st.mode, owner);
        await copyAttributes(up.fs, entry.ino, st);
        await copyXattrs(lowerFs, src.ino, up.fs, entry.ino);
      }
    } else if (idx?.upper != null) {
      // Another name of this hard-linked inode was copied up already: link to it (index=on).
      entry = await up.fs.link!(idx.upper, parent.upper!, o.name);
    } else if (type === S_IFLNK) {
      entry = await up.fs.symlink!(parent.upper!, o.name, await lowerFs.readlink(src.ino), owner);
      await up.fs.setattr!(entry.ino, { uid: st.uid, gid: st.gid, atime: st.atime, mtime: st.mtime });
      await copyXattrs(lowerFs, src.ino, up.fs, entry.ino);
    } else if (type === S_IFREG) {
      const metaOnly = what === 'meta' && this.metacopyEnabled;
      const created = up.fs.create
        ? await up.fs.create(parent.upper!, o.name, st.mode & 0o777, O_WRONLY, owner)
        : { entry: await up.fs.mknod!(parent.upper!, o.name, S_IFREG | (st.mode & 0o777), 0, owner), fh: 0 };
      entry = created.entry;
      try {
        if (metaOnly) {
          await up.fs.setattr!(entry.ino, { size: st.size });
          await up.fs.setxattr!(entry.ino, up.prefix + 'metacopy', EMPTY, 0);
        } else if (what === 'data') await copyData(lowerFs, src.ino, up.fs, entry.ino, created.fh, st.size);
      } finally {
        await up.fs.release?.(entry.ino, created.fh);
      }
      await copyXattrs(lowerFs, src.ino, up.fs, entry.ino);
      await copyAttributes(up.fs, entry.ino, st);
      o.metacopy = metaOnly;
    } else {
      entry = await up.fs.mknod!(parent.upper!, o.name, st.mode, st.rdev, owner);
      await copyXattrs(lowerFs, src.ino, up.fs, entry.ino);
      await copyAttributes(up.fs, entry.ino, st);
    }
    await up.fs.setattr!(parent.upper!, { atime: parentTimes.atime, mtime: parentTimes.mtime });
    o.upper = entry.ino;
    o.upperRefs++;
    if (!o.isDir) {
      this.byUpper.set(entry.ino, o);
      this.originOf.set(entry.ino, o.ino);
      if (st.nlink > 1 || idx) {
        const e = idx ?? { upper: null, aliasesLeft: st.nlink };
        e.upper = entry.ino;
        e.aliasesLeft--;
        this.index.set(key, e);
      }
    }
  }

  /** The data of a metadata-only copy, on first write (none if it is about to be truncated). */
  private async copyUpData(o: OvlInode, empty: boolean): Promise<void> {
    const up = this.upper;
    const src = o.lowers[0]!;
    const lowerFs = this.lower(src).fs;
    const before = await up.fs.getattr(o.upper!);
    if (empty) await up.fs.setattr!(o.upper!, { size: 0 });
    else {
      const fh = up.fs.open ? await up.fs.open(o.upper!, O_WRONLY) : 0;
      try {
        await copyData(lowerFs, src.ino, up.fs, o.upper!, fh, before.size);
      } finally {
        await up.fs.release?.(o.upper!, fh);
      }
    }
    await up.fs.removexattr!(o.upper!, up.prefix + 'metacopy');
    await up.fs.setattr!(o.upper!, { mtime: before.mtime, atime: before.atime });
    o.metacopy = false;
  }

  /**
   * Makes the name `name` in `d` an upper entry for `o` (which is copied
   * up): a hard-linked lower name not yet in the upper layer is linked to
   * the upper copy there (and counts as one lower alias fewer).
   */
  private async ensureUpperName(d: OvlInode, name: string, o: OvlInode): Promise<void> {
    await this.copyUp(d, 'meta');
    // With its data: a metadata-only copy must stay at the path of its lower file.
    await this.copyUp(o, 'data');
    const up = this.upper;
    const e = await up.lookup(d.upper!, name);
    if (e) {
      up.drop(e.ino);
      if (e.ino === o.upper) return;
      throw new FsError('EIO', `${this.name}: '${name}' in the upper layer is not the object it names`);
    }
    await up.fs.link!(o.upper!, d.upper!, name);
    up.drop(o.upper!);
    const idx = o.lowers.length ? this.index.get(lowerKey(o.lowers[0]!)) : undefined;
    if (idx) idx.aliasesLeft--;
  }

  /** Does any lower layer of `d` show `name`? Then removing it needs a whiteout. */
  private async lowerHas(d: OvlInode, name: string): Promise<boolean> {
    if (d.opaque) return false;
    for (const lr of d.lowers) {
      const layer = this.lower(lr);
      const e = await layer.lookup(lr.ino, name);
      if (!e) continue;
      const whiteout = await layer.isWhiteout(e, await this.lowerOpacityOf(lr));
      layer.drop(e.ino);
      return !whiteout;
    }
    return false;
  }

  /** The upper entry at `name` if it is a whiteout (it must go before something is made there). */
  private async removeUpperWhiteout(d: OvlInode, name: string): Promise<boolean> {
    const up = this.upper;
    const e = await up.lookup(d.upper!, name);
    if (!e) return false;
    up.drop(e.ino);
    if (!(await up.isWhiteout(e, 'none'))) return false;
    await up.fs.unlink!(d.upper!, name);
    return true;
  }

  private async makeWhiteout(d: OvlInode, name: string): Promise<void> {
    const e = await this.upper.fs.mknod!(d.upper!, name, S_IFCHR, 0, { uid: 0, gid: 0 });
    this.upper.drop(e.ino);
  }

  /** Removes the whiteouts inside an upper directory that looks empty, so the directory itself can go. */
  private async clearWhiteouts(dirUpper: Ino): Promise<void> {
    const up = this.upper;
    for (const e of await readAllNames(up, dirUpper)) await up.fs.unlink!(dirUpper, e);
  }

  // ---- creation ----

  /** Common start of every creating operation: the parent in the upper layer, the name free in the merged view. */
  private async prepareCreate(dir: Ino, name: string, op: string): Promise<{ d: OvlInode; overWhiteout: boolean }> {
    const d = this.dirInode(dir, op);
    checkName(this.name, op, name, this.capabilities.maxNameLength);
    if (this.dropFound(await this.find(d, name))) throw new FsError('EEXIST', `${this.name}: ${op}: '${name}' exists`);
    await this.copyUp(d, 'meta');
    const overWhiteout = await this.removeUpperWhiteout(d, name);
    return { d, overWhiteout };
  }

  /** Gives back the references of a `find` whose result is only looked at; true if something was found. */
  private dropFound(f: Found | null): boolean {
    if (!f) return false;
    if (f.upper) this.upper.drop(f.upper.ino);
    for (const l of f.lowers) this.lower(l.ref).drop(l.entry.ino);
    return true;
  }

  private async created(d: OvlInode, name: string, entry: Entry): Promise<Entry> {
    const found: Found = { upper: entry, upperOpaque: false, lowers: [] };
    const o = await this.adopt(found, d, name);
    o.nlookup++;
    return { ino: o.ino, attr: await this.stat(o) };
  }

  async create(dir: Ino, name: string, mode: number, flags: number, caller: Caller): Promise<{ entry: Entry; fh: number }> {
    const { d } = await this.prepareCreate(dir, name, 'create');
    const up = this.upper;
    let made: { entry: Entry; fh: number };
    if (up.fs.create) made = await up.fs.create(d.upper!, name, mode, flags, caller);
    else {
      const e = await up.fs.mknod!(d.upper!, name, S_IFREG | (mode & 0o7777), 0, caller);
      made = { entry: e, fh: up.fs.open ? await up.fs.open(e.ino, flags) : 0 };
    }
    const entry = await this.created(d, name, made.entry);
    const fh = this.nextFh++;
    this.files.set(fh, { layer: up, ino: made.entry.ino, fh: made.fh });
    this.inode(entry.ino).opens++;
    return { entry, fh };
  }

  async mknod(dir: Ino, name: string, mode: number, rdev: number, caller: Caller): Promise<Entry> {
    const { d } = await this.prepareCreate(dir, name, 'mknod');
    return this.created(d, name, await this.upper.fs.mknod!(d.upper!, name, mode, rdev, caller));
  }

  async mkdir(dir: Ino, name: string, mode: number, caller: Caller): Promise<Entry> {
    const { d, overWhiteout } = await this.prepareCreate(dir, name, 'mkdir');
    const up = this.upper;
    const e = await up.fs.mkdir!(d.upper!, name, mode, caller);
    // Made where a lower entry was removed: nothing below may show through.
    if (overWhiteout || (await this.lowerHas(d, name))) await up.fs.setxattr!(e.ino, up.prefix + 'opaque', OPAQUE, 0);
    const found: Found = { upper: e, upperOpaque: overWhiteout, lowers: [] };
    const o = await this.adopt(found, d, name);
    o.opaque = true;
    o.lowers = [];
    o.nlookup++;
    return { ino: o.ino, attr: await this.stat(o) };
  }

  async symlink(dir: Ino, name: string, target: string, caller: Caller): Promise<Entry> {
    const { d } = await this.prepareCreate(dir, name, 'symlink');
    return this.created(d, name, await this.upper.fs.symlink!(d.upper!, name, target, caller));
  }

  async link(ino: Ino, newDir: Ino, newName: string): Promise<Entry> {
    const o = this.inode(ino);
    if (o.isDir) throw new FsError('EPERM', `${this.name}: link: inode ${ino} is a directory`);
    const { d } = await this.prepareCreate(newDir, newName, 'link');
    await this.copyUp(o, 'data');
    await this.upper.fs.link!(o.upper!, d.upper!, newName);
    o.upperRefs++;
    o.nlookup++;
    return { ino: o.ino, attr: await this.stat(o) };
  }

  // ---- removal ----

  async unlink(dir: Ino, name: string): Promise<void> {
    const d = this.dirInode(dir, 'unlink');
    const found = await this.find(d, name);
    if (!found) throw new FsError('ENOENT', `${this.name}: unlink: no entry '${name}'`);
    const o = await this.adopt(found, d, name);
    try {
      if (o.isDir) throw new FsError('EISDIR', `${this.name}: unlink: '${name}' is a directory`);
      await this.removeEntry(d, name, o, found);
    } finally {
      this.maybeFree(o);
    }
  }

  async rmdir(dir: Ino, name: string): Promise<void> {
    const d = this.dirInode(dir, 'rmdir');
    const found = await this.find(d, name);
    if (!found) throw new FsError('ENOENT', `${this.name}: rmdir: no entry '${name}'`);
    const o = await this.adopt(found, d, name);
    try {
      if (!o.isDir) throw new FsError('ENOTDIR', `${this.name}: rmdir: '${name}' is not a directory`);
      if (!(await this.isEmpty(o))) throw new FsError('ENOTEMPTY', `${this.name}: rmdir: '${name}' is not empty`);
      if (o.upper !== null) await this.clearWhiteouts(o.upper);
      await this.removeEntry(d, name, o, found);
    } finally {
      this.maybeFree(o);
    }
  }

  /** Removes the upper entry (if any) and leaves a whiteout if a lower layer still has the name. */
  private async removeEntry(d: OvlInode, name: string, o: OvlInode, found: Found): Promise<void> {
    const needWhiteout = found.lowers.length > 0 || (await this.lowerHas(d, name));
    await this.copyUp(d, 'meta');
    const up = this.upper;
    if (found.upper) {
      if (o.isDir) await up.fs.rmdir!(d.upper!, name);
      else await up.fs.unlink!(d.upper!, name);
    } else if (!o.isDir && o.lowers.length) await this.dropLowerAlias(o);
    if (needWhiteout) await this.makeWhiteout(d, name);
  }

  /**
   * A name of a lower file goes away (unlink, or replaced by rename): if the
   * file has other names, the index counts one alias fewer and its ctime
   * moves, as the kernel's index does.
   */
  private async dropLowerAlias(o: OvlInode): Promise<void> {
    const key = lowerKey(o.lowers[0]!);
    let idx = this.index.get(key);
    if (!idx) {
      const lowerNlink = (await this.lower(o.lowers[0]!).fs.getattr(o.lowers[0]!.ino)).nlink;
      if (lowerNlink <= 1) return;
      idx = { upper: null, aliasesLeft: lowerNlink };
      this.index.set(key, idx);
    }
    idx.aliasesLeft--;
    idx.ctime = realtimeClock();
    if (o.upper !== null) await this.upper.fs.setattr!(o.upper, { ctime: 'now' });
  }

  // ---- rename ----

  async rename(oldDir: Ino, oldName: string, newDir: Ino, newName: string, flags: number): Promise<void> {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) || (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE)) {
      throw new FsError('EINVAL', `${this.name}: rename: unsupported flags 0x${flags.toString(16)}`);
    }
    const od = this.dirInode(oldDir, 'rename');
    const nd = this.dirInode(newDir, 'rename');
    checkName(this.name, 'rename', newName, this.capabilities.maxNameLength);
    const sf = await this.find(od, oldName);
    if (!sf) throw new FsError('ENOENT', `${this.name}: rename: no entry '${oldName}'`);
    const s = await this.adopt(sf, od, oldName);
    const tf = await this.find(nd, newName);
    const t = tf ? await this.adopt(tf, nd, newName) : null;
    try {
      if (t && flags & RENAME_NOREPLACE) throw new FsError('EEXIST', `${this.name}: rename: '${newName}' exists`);
      if (flags & RENAME_EXCHANGE && !t) throw new FsError('ENOENT', `${this.name}: rename: '${newName}' does not exist`);
      if (t === s) return;
      // No redirect_dir: a directory with anything in a lower layer cannot move.
      if (s.isDir && s.lowers.length > 0) throw new FsError('EXDEV', `${this.name}: rename: directory '${oldName}' is in a lower layer`);
      if (flags & RENAME_EXCHANGE && t!.isDir && t!.lowers.length > 0) throw new FsError('EXDEV', `${this.name}: rename: directory '${newName}' is in a lower layer`);
      if (t && !(flags & RENAME_EXCHANGE)) {
        if (s.isDir && !t.isDir) throw new FsError('ENOTDIR', `${this.name}: rename: '${newName}' is not a directory`);
        if (!s.isDir && t.isDir) throw new FsError('EISDIR', `${this.name}: rename: '${newName}' is a directory`);
        if (t.isDir && !(await this.isEmpty(t))) throw new FsError('ENOTEMPTY', `${this.name}: rename: '${newName}' is not empty`);
      }
      const up = this.upper;
      await this.ensureUpperName(od, oldName, s);
      await this.copyUp(nd, 'meta');
      if (flags & RENAME_EXCHANGE) {
        await this.ensureUpperName(nd, newName, t!);
        await up.fs.rename!(od.upper!, oldName, nd.upper!, newName, RENAME_EXCHANGE);
        // A directory now standing where a lower entry is must not let it show through.
        if (s.isDir && (await this.lowerHas(nd, newName))) await up.fs.setxattr!(s.upper!, up.prefix + 'opaque', OPAQUE, 0);
        if (t!.isDir && (await this.lowerHas(od, oldName))) await up.fs.setxattr!(t!.upper!, up.prefix + 'opaque', OPAQUE, 0);
        [s.parent, s.name, t!.parent, t!.name] = [nd, newName, od, oldName];
        return;
      }
      const oldNeedsWhiteout = await this.lowerHas(od, oldName);
      const newHasLower = await this.lowerHas(nd, newName);
      if (t && tf!.upper) {
        // Replacing an upper directory (empty in the merged view): its whiteouts go first.
        if (t.isDir) await this.clearWhiteouts(t.upper!);
      } else {
        // Nothing of the target in the upper layer, or only a whiteout there.
        await this.removeUpperWhiteout(nd, newName);
        if (t && !t.isDir && t.lowers.length) await this.dropLowerAlias(t);
      }
      await up.fs.rename!(od.upper!, oldName, nd.upper!, newName, 0);
      if (s.isDir && newHasLower) {
        await up.fs.setxattr!(s.upper!, up.prefix + 'opaque', OPAQUE, 0);
        s.opaque = true;
      }
      if (oldNeedsWhiteout) await this.makeWhiteout(od, oldName);
      s.parent = nd;
      s.name = newName;
    } finally {
      this.maybeFree(s);
      if (t) this.maybeFree(t);
    }
  }

  // ---- attributes ----

  async setattr(ino: Ino, changes: SetattrRequest): Promise<Stat> {
    const o = this.inode(ino);
    await this.copyUp(o, changes.size !== undefined ? 'data' : 'meta');
    await this.upper.fs.setattr!(o.upper!, changes);
    return this.stat(o);
  }

  async getxattr(ino: Ino, name: string): Promise<Uint8Array> {
    const o = this.inode(ino);
    if (isPrivateXattr(name)) throw new FsError('ENODATA', `${this.name}: getxattr: no attribute '${name}'`);
    const [fs, real] = o.upper !== null ? [this.upper.fs, o.upper] : [this.lower(o.lowers[0]!).fs, o.lowers[0]!.ino];
    if (!fs.getxattr) throw new FsError('ENODATA', `${this.name}: getxattr: no attribute '${name}'`);
    return fs.getxattr(real, name);
  }

  async listxattr(ino: Ino): Promise<string[]> {
    const o = this.inode(ino);
    const [fs, real] = o.upper !== null ? [this.upper.fs, o.upper] : [this.lower(o.lowers[0]!).fs, o.lowers[0]!.ino];
    if (!fs.listxattr) return [];
    return (await fs.listxattr(real)).filter((n) => !isPrivateXattr(n));
  }

  async setxattr(ino: Ino, name: string, value: Uint8Array, flags: number): Promise<void> {
    const o = this.inode(ino);
    if (isPrivateXattr(name)) throw new FsError('EPERM', `${this.name}: setxattr: '${name}' belongs to the overlay`);
    await this.copyUp(o, 'meta');
    await this.upper.fs.setxattr!(o.upper!, name, value, flags);
  }

  async removexattr(ino: Ino, name: string): Promise<void> {
    const o = this.inode(ino);
    if (isPrivateXattr(name)) throw new FsError('EPERM', `${this.name}: removexattr: '${name}' belongs to the overlay`);
    await this.copyUp(o, 'meta');
    await this.upper.fs.removexattr!(o.upper!, name);
  }

  async destroy(): Promise<void> {
    this.inodes.clear();
    this.files.clear();
    this.dirs.clear();
  }
}

function sameDir(a: LayerDir, b: LayerDir | null): boolean {
  return b !== null && a.layer === b.layer && a.ino === b.ino;
}

async function readAllNames(layer: Layer, dir: Ino): Promise<string[]> {
  return (await readWholeDir(layer, dir)).map((e) => e.name);
}

function overlayCapabilities(lowers: FileSystem[], upper: FileSystem | undefined): Capabilities {
  const all = upper ? [upper, ...lowers] : lowers;
  const top = upper ?? lowers[0]!;
  return Object.freeze({
    write: upper !== undefined,
    symlinks: top.capabilities.symlinks,
    hardlinks: top.capabilities.hardlinks,
    posixPermissions: top.capabilities.posixPermissions,
    specialFiles: top.capabilities.specialFiles,
    xattrNamespaces: top.capabilities.xattrNamespaces,
    caseInsensitive: false,
    atomicRename: upper?.capabilities.atomicRename ?? false,
    renameNoReplace: upper?.capabilities.renameNoReplace ?? false,
    renameExchange: upper?.capabilities.renameExchange ?? false,
    sparseFiles: top.capabilities.sparseFiles,
    maxNameLength: Math.min(...all.map((f) => f.capabilities.maxNameLength)),
    maxFileSize: top.capabilities.maxFileSize,
    maxLinks: top.capabilities.maxLinks,
    timestampGranularityNs: Math.max(...all.map((f) => f.capabilities.timestampGranularityNs)),
    birthTime: false,
    consistency: upper ? 'local-exclusive' : 'immutable',
  });
}

