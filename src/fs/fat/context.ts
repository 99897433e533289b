/**
 * FatContext: the state the FileSystem methods share — volume, directory
 * cache, inode table — and the steps they are built from: finding the
 * directory of an inode (with loop checks), turning a directory record into
 * an inode, the attributes of an inode, and writing entries.
 */
import { corrupt } from '../../block/corrupt.js';
import { FsError } from '../../errors.js';
import { S_IFDIR, S_IFREG } from '../mode.js';
import type { Stat } from '../filesystem.js';
import { EPOCH, type Timespec } from '../time.js';
import { freeChain } from './allocate.js';
import { ClusterChain } from './chain.js';
import { DirCache, type FatDir } from './dir-cache.js';
import type { DirRecord } from './directory.js';
import { ATTR_DIRECTORY, ATTR_READ_ONLY, DELETED, SLOT, encodeShortEntry, type ShortEntry } from './dirent.js';
import { InodeTable, ROOT_INO, type FatNode } from './inodes.js';
import { fatToUnix } from './time.js';
import type { FatVolume } from './volume.js';

const F = 'fat';
/** Deepest directory nesting the loop check follows. */
const MAX_DEPTH = 4096;

export class FatContext {
  readonly vol: FatVolume;
  readonly dirs: DirCache;
  readonly inodes = new InodeTable();
  readonly root: FatNode;
  /** First clusters of chains the cross-check found shared or broken: changes to them are refused. */
  readonly crossLinked = new Set<number>();

  constructor(vol: FatVolume) {
    this.vol = vol;
    this.dirs = new DirCache(vol);
    const entry: ShortEntry = {
      name: new Uint8Array(11).fill(0x20), attr: ATTR_DIRECTORY, ntCase: 0, crtCs: 0, crtTime: 0, crtDate: 0, accDate: 0,
      wrtTime: 0, wrtDate: 0, firstCluster: vol.geo.fatType === 32 ? vol.geo.RootClus : 0, size: 0,
    };
    this.root = {
      ino: ROOT_INO, isDir: true, entry, parent: ROOT_INO, loc: undefined, name: '/', nlookup: 1, open: 0, unlinked: false,
      ctime: EPOCH, chain: undefined,
    };
    this.inodes.add(this.root);
  }

  node(ino: number): FatNode {
    const n = this.inodes.get(ino);
    if (!n) throw new FsError('ESTALE', `${F}: inode ${ino} is not (or no longer) known`);
    return n;
  }

  dirNode(ino: number): FatNode {
    const n = this.node(ino);
    if (!n.isDir) throw new FsError('ENOTDIR', `${F}: inode ${ino} ('${n.name}') is not a directory`);
    return n;
  }

  describe(node: FatNode): string {
    return node === this.root ? 'root directory' : `'${node.name}' (entry at offset ${node.loc?.offset ?? node.ino})`;
  }

  /** The directory of a directory inode. EIO for a directory without clusters or one that contains an ancestor. */
  async dirOf(node: FatNode): Promise<FatDir> {
    if (node === this.root) return this.dirs.get(this.dirs.rootKey, 'root directory');
    if (node.unlinked) throw new FsError('ENOENT', `${F}: directory '${node.name}' was removed`);
    const key = node.entry.firstCluster;
    const what = `directory ${this.describe(node)}`;
    if (!this.vol.fat.isCluster(key)) throw corrupt(F, what, node.loc?.offset, `first cluster ${key} is not a data cluster`);
    // A directory entry pointing at its own directory or an ancestor would make the tree infinite.
    let up = node;
    for (let depth = 0; up !== this.root && depth < MAX_DEPTH; depth++) {
      const parent = this.inodes.get(up.parent);
      if (!parent) break;
      const pkey = parent === this.root ? this.dirs.rootKey : parent.entry.firstCluster;
      if (pkey === key) throw corrupt(F, what, node.loc?.offset, `cluster ${key} is also an ancestor directory's (a directory loop)`);
      up = parent;
    }
    return this.dirs.get(key, what);
  }

  /** The inode for a record of directory `dirNode` (the existing one if held). */
  nodeFor(dirNode: FatNode, dir: FatDir, rec: DirRecord): FatNode {
    const offset = this.dirs.slotOffset(dir, rec.slot);
    const ino = this.inodes.inoFor(offset);
    const held = this.inodes.get(ino);
    if (held) {
      held.name = rec.name;
      return held;
    }
    const node: FatNode = {
      ino,
      isDir: (rec.entry.attr & ATTR_DIRECTORY) !== 0,
      entry: rec.entry,
      parent: dirNode.ino,
      loc: { dirKey: dir.key, slot: rec.slot, first: rec.first, offset },
      name: rec.name,
      nlookup: 0,
      open: 0,
      unlinked: false,
      ctime: this.mtime(rec.entry),
      chain: undefined,
    };
    this.inodes.add(node);
    return node;
  }

  /** EIO if the chain starting at `first` is cross-linked (a change would corrupt another file). */
  assertChangeable(first: number, what: string, op: string): void {
    if (first !== 0 && this.crossLinked.has(first)) {
      throw new FsError('EIO', `${F}: ${op}: ${what} shares clusters with another file or directory (cross-linked); run fsck.fat`);
    }
  }

  /** Drops an inode nobody holds any more; frees the clusters of one unlinked while open. */
  async release(node: FatNode): Promise<void> {
    if (node === this.root || node.nlookup > 0 || node.open > 0) return;
    this.inodes.drop(node);
    if (node.unlinked && node.entry.firstCluster !== 0 && this.vol.writable && !this.crossLinked.has(node.entry.firstCluster)) {
      await this.vol.beginChange();
      await freeChain(this.vol, this.chainOf(node));
    }
  }

  chainOf(node: FatNode): ClusterChain {
    if (!node.chain || node.chain.first !== node.entry.firstCluster) {
      node.chain = new ClusterChain(this.vol.fat, node.entry.firstCluster, `file ${this.describe(node)}`);
    }
    return node.chain;
  }

  mtime(e: ShortEntry): Timespec {
    return fatToUnix(e.wrtDate, e.wrtTime, 0, this.vol.tz);
  }

  async stat(node: FatNode): Promise<Stat> {
    const vol = this.vol;
    const e = node.entry;
    const cs = vol.clusterSize;
    if (node.isDir) {
      // A directory that cannot be read still has attributes (readdir and lookups in it say EIO).
      const dir = await this.dirOf(node).catch((e: unknown) => {
        if (e instanceof FsError && e.code === 'EIO') return undefined;
        throw e;
      });
      const size = dir ? dir.index.slots * SLOT : 0;
      const times = node === this.root ? EPOCH : undefined;
      return {
        ino: node.ino,
        mode: S_IFDIR | (0o777 & ~vol.dmask),
        nlink: 2 + (dir?.index.subdirs ?? 0),
        uid: vol.uid,
        gid: vol.gid,
        rdev: 0,
        size,
        blocks: Math.ceil(size / 512),
        blksize: cs,
        atime: times ?? fatToUnix(e.accDate, 0, 0, vol.tz),
        mtime: times ?? this.mtime(e),
        ctime: times ?? node.ctime,
        btime: times ?? fatToUnix(e.crtDate, e.crtTime, e.crtCs, vol.tz),
      };
    }
    let mode = S_IFREG | (0o777 & ~vol.fmask);
    if (e.attr & ATTR_READ_ONLY) mode &= ~0o222;
    return {
      ino: node.ino,
      mode,
      nlink: node.unlinked ? 0 : 1,
      uid: vol.uid,
      gid: vol.gid,
      rdev: 0,
      size: e.size,
      blocks: (Math.ceil(e.size / cs) * cs) / 512,
      blksize: cs,
      atime: fatToUnix(e.accDate, 0, 0, vol.tz),
      mtime: this.mtime(e),
      ctime: node.ctime,
      btime: fatToUnix(e.crtDate, e.crtTime, e.crtCs, vol.tz),
    };
  }

  /** Writes a node's short entry where it lives (nothing for the root or an unlinked file). */
  async writeEntry(node: FatNode): Promise<void> {
    const loc = node.loc;
    if (!loc) return;
    await this.vol.dev.write(encodeShortEntry(node.entry), loc.offset);
    const dir = this.dirs.peek(loc.dirKey);
    if (dir) {
      const i = dir.index.indexFrom(loc.slot);
      const rec = dir.index.records[i];
      if (rec && rec.slot === loc.slot) rec.entry = node.entry;
    }
  }

  /** Marks slots first..last of `dir` deleted (one read and one write). */
  async deleteSlots(dir: FatDir, first: number, last: number): Promise<void> {
    const bytes = await this.dirs.readSlots(dir, first, last - first + 1);
    for (let s = 0; s <= last - first; s++) bytes[s * SLOT] = DELETED;
    await this.dirs.writeSlots(dir, first, bytes);
  }
}
