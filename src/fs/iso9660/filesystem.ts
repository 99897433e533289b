/**
 * Iso9660FileSystem: a read-only ISO 9660 volume (levels 1–3,
 * multi-extent files), read through Rock Ridge, Joliet or the plain tree,
 * with El Torito boot images as virtual files and the last session of a
 * multisession image. See README.md for the layout and the decisions.
 *
 * Nothing is read up front beyond the volume descriptors, the root's
 * first block and the boot catalogue; directories are indexed when first
 * listed or searched, into a bounded cache.
 */
import type { BlockDevice } from '../../block/device.js';
import { corrupt } from '../../block/corrupt.js';
import { FsError } from '../../errors.js';
import { LruCache } from '../../util/lru.js';
import { POSIX_CAPABILITIES, readOnlyCapabilities, type Capabilities } from '../capabilities.js';
import type { DirEntry, Entry, FileSystem, Ino, Stat, StatFs } from '../filesystem.js';
import { DT_DIR, S_IFMT, S_IFREG, S_IFLNK, S_IFDIR } from '../mode.js';
import { BOOT_DIR_INO, BootDirectory, bootDirectoryName } from './boot-directory.js';
import { FLAG_DIRECTORY, FLAG_MULTI_EXTENT, isDotDotRecord, isDotRecord, parseDirectoryRecord } from './directory-record.js';
import { FIRST_DATA_OFFSET, indexDirectory, type IsoDirectory, type SerialRegistry } from './directory.js';
import { readBootCatalog, type BootEntry } from './el-torito.js';
import { buildDirectoryInode, buildFileInode, inodeWhere, recordExtent, type IsoInode, type RecordExtent } from './inode.js';
import { MetadataCache } from './metadata-cache.js';
import { SmallReads } from './small-reads.js';
import { findSessions } from './multisession.js';
import type { Iso9660Options } from './options.js';
import { parseRockRidge } from './rock-ridge.js';
import { extensionIds, findSp, parseSuspArea, readSuspEntries } from './susp.js';
import { rockRidgeOf, warn, type IsoVolume, type Namespace } from './volume.js';
import type { VolumeDescriptorSet, VolumeInfo } from './volume-descriptors.js';
import { ZisofsFile } from './zisofs.js';

export const ISOFS_SUPER_MAGIC = 0x9660;
/** Directory indexes kept, counted in entries (each holds its name and a small inode, ~800 bytes: ~40 MiB at most). */
export const DIRECTORY_CACHE_ENTRIES = 50_000;
/** Inodes kept after their last forget, and observed parents / serial owners remembered. */
export const INODE_CACHE = 4096;
export const PARENT_CACHE = 65536;
export const SERIAL_CACHE = 65536;
/** Decompressed zisofs blocks kept (bytes). */
export const ZISOFS_CACHE_BYTES = 8 << 20;
/** Directories nested deeper than this are refused with ELOOP (a depth bomb or an undetected loop). */
export const MAX_DEPTH = 1000;
/** Records a multi-extent file may have when rebuilt from its inode number. */
const MAX_EXTENTS = 65536;
const RRIP_IDS = ['RRIP_1991A', 'IEEE_P1282', 'IEEE_1282'];

export interface Iso9660Info {
  readonly namespace: Namespace;
  readonly volume: VolumeInfo;
  readonly joliet: VolumeInfo | undefined;
  readonly rockRidge: boolean;
  /** Extension ids from the root's ER entries. */
  readonly extensions: readonly string[];
  /** First sector of each session found, oldest first, and the one being read (index). */
  readonly sessions: readonly number[];
  readonly session: number;
}

interface RootSusp {
  /** Bytes before the root '.' record's SUSP entries (14 with CD-ROM XA). */
  readonly rootSkip: number;
  /** Bytes before every other record's SUSP entries. */
  readonly skip: number;
  readonly rockRidge: boolean;
  readonly extensions: string[];
}

export class Iso9660FileSystem implements FileSystem {
  readonly name = 'iso9660';
  readonly capabilities: Capabilities;
  readonly rootIno: Ino;
  readonly info: Iso9660Info;
  /** Entries skipped and structures ignored, for `anymount info` (bounded). */
  readonly warnings: string[];

  private readonly vol: IsoVolume;
  private readonly rootSkip: number;
  private readonly volumeSpaceSize: number;
  private bootDir: BootDirectory | undefined;
  private readonly pinned = new Map<Ino, { inode: IsoInode; refs: number }>();
  private readonly recent = new LruCache<Ino, IsoInode>(INODE_CACHE);
  private readonly dirs = new LruCache<Ino, Promise<IsoDirectory>>(DIRECTORY_CACHE_ENTRIES);
  private readonly parents = new LruCache<Ino, Ino>(PARENT_CACHE);
  private readonly serialOwners = new LruCache<Ino, number>(SERIAL_CACHE);
  private readonly zisofsBlocks = new LruCache<string, Uint8Array>(ZISOFS_CACHE_BYTES);
  private readonly zisofsFiles = new LruCache<Ino, ZisofsFile>(256);
  private readonly serials: SerialRegistry;
  private readonly smallReads: SmallReads;

  private constructor(vol: IsoVolume, rootIno: Ino, rootSkip: number, info: Iso9660Info, volumeSpaceSize: number) {
    this.vol = vol;
    this.rootIno = rootIno;
    this.rootSkip = rootSkip;
    this.info = info;
    this.warnings = vol.warnings;
    this.volumeSpaceSize = volumeSpaceSize;
    this.smallReads = new SmallReads(vol.dev);
    const rr = vol.namespace === 'rockridge';
    this.capabilities = readOnlyCapabilities({
      ...POSIX_CAPABILITIES,
      symlinks: rr,
      hardlinks: rr,
      posixPermissions: rr,
      specialFiles: rr,
      xattrNamespaces: [],
      atomicRename: false,
      renameNoReplace: false,
      renameExchange: false,
      sparseFiles: false,
      maxNameLength: 255,
      maxFileSize: Number.MAX_SAFE_INTEGER,
      maxLinks: rr ? 0xffffffff : 1,
      timestampGranularityNs: 1e9,
      birthTime: false,
    });
    this.serials = {
      claim: (ino, identity) => {
        const owner = this.serialOwners.get(ino);
        if (owner === undefined) {
          this.serialOwners.set(ino, identity);
          return true;
        }
        return owner === identity;
      },
    };
  }

  static async open(dev: BlockDevice, options: Iso9660Options = {}): Promise<Iso9660FileSystem> {
    const sessions = await findSessions(dev);
    const index = options.session === undefined ? sessions.length - 1 : options.session - 1;
    const set = sessions[index];
    if (!set) throw new FsError('EINVAL', `iso9660: session ${options.session} asked for, but the image has ${sessions.length}`);
    const pvd = set.primary;
    const warnings = [...set.warnings];
    const meta = new MetadataCache(dev, pvd.logicalBlockSize);
    const probe: IsoVolume = { dev, blockSize: pvd.logicalBlockSize, namespace: 'rockridge', suspSkip: 0, map: options.map ?? 'normal', meta, warnings };
    const susp = await detectRockRidge(probe, pvd);
    const namespace: Namespace = options.namespace ?? (susp.rockRidge ? 'rockridge' : set.joliet ? 'joliet' : 'plain');
    if (namespace === 'rockridge' && !susp.rockRidge) throw new FsError('EINVAL', 'iso9660: namespace=rockridge asked for, but the volume has no Rock Ridge');
    if (namespace === 'joliet' && !set.joliet) throw new FsError('EINVAL', 'iso9660: namespace=joliet asked for, but the volume has no Joliet tree');
    const tree = namespace === 'joliet' ? set.joliet! : pvd;
    const blockSize = tree.logicalBlockSize;
    const vol: IsoVolume = {
      dev,
      blockSize,
      namespace,
      suspSkip: susp.skip,
      map: options.map ?? 'normal',
      meta: blockSize === pvd.logicalBlockSize ? meta : new MetadataCache(dev, blockSize),
      warnings,
    };
    const rootIno = (tree.root.extent + tree.root.extAttrLength) * blockSize;
    if (rootIno < FIRST_DATA_OFFSET || rootIno >= dev.size) {
      throw corrupt('iso9660', 'root directory record', tree.sector * 2048 + 156, `extent ${tree.root.extent} lies ${rootIno < FIRST_DATA_OFFSET ? 'in the system area' : 'past the end of the image'}`);
    }
    const info: Iso9660Info = {
      namespace,
      volume: pvd,
      joliet: set.joliet,
      rockRidge: susp.rockRidge,
      extensions: susp.extensions,
      sessions: sessions.map((s) => s.sessionStart),
      session: index,
    };
    const fs = new Iso9660FileSystem(vol, rootIno, susp.rootSkip, info, tree.volumeSpaceSize);
    await fs.setUpBoot(set, options.boot ?? true);
    return fs;
  }

  private async setUpBoot(set: VolumeDescriptorSet, show: boolean): Promise<void> {
    if (!show || set.bootCatalog === undefined) return;
    const catalog = await readBootCatalog(this.vol.dev, set.bootCatalog);
    for (const w of catalog.warnings) warn(this.vol, w);
    if (catalog.entries.length === 0) return;
    const root = await this.directory(this.rootIno);
    const name = bootDirectoryName((n) => root.byName.has(n));
    this.bootDir = new BootDirectory(name, catalog.entries, this.rootIno, this.vol.blockSize, set.primary.creation ?? set.primary.modification);
  }

  /** The El Torito boot entries shown in the virtual boot directory, and its name. */
  get boot(): { readonly name: string; readonly entries: readonly BootEntry[] } | undefined {
    return this.bootDir ? { name: this.bootDir.name, entries: this.bootDir.entries } : undefined;
  }

  // ----- inodes -----

  private remember(inode: IsoInode): IsoInode {
    if (!this.pinned.has(inode.ino)) this.recent.set(inode.ino, inode);
    return inode;
  }

  private known(ino: Ino): IsoInode | undefined {
    return this.pinned.get(ino)?.inode ?? this.recent.get(ino);
  }

  /** The inode `ino`, from memory or rebuilt from the record its number names. */
  private async inode(ino: Ino): Promise<IsoInode> {
    const k = this.known(ino);
    if (k) return k;
    if (!Number.isSafeInteger(ino) || ino <= 0) throw new FsError('ESTALE', `iso9660: no inode ${ino}`);
    if (ino % 2 === 1) throw new FsError('ESTALE', `iso9660: inode ${ino} (a Rock Ridge serial number) is not known; look it up again`);
    if (ino < FIRST_DATA_OFFSET || ino >= this.vol.dev.size) throw new FsError('ESTALE', `iso9660: no inode ${ino}`);
    const head = await this.vol.meta.read(ino, Math.min(2048, this.vol.dev.size - ino), `directory record at offset ${ino}`);
    if (head[0] === 0) throw new FsError('ESTALE', `iso9660: no directory record at offset ${ino} (inode ${ino})`);
    const r = parseDirectoryRecord(head, 0, ino);
    if (isDotRecord(r)) return this.directoryInode(ino);
    if (isDotDotRecord(r) || (r.flags & FLAG_DIRECTORY) !== 0) throw new FsError('ESTALE', `iso9660: inode ${ino} names no file`);
    return this.remember(await this.fileFromRecord(ino, head));
  }

  /** Rebuilds a file inode from its (first) record at `ino`, following multi-extent records. */
  private async fileFromRecord(ino: Ino, head: Uint8Array): Promise<IsoInode> {
    const first = parseDirectoryRecord(head, 0, ino);
    const extents: RecordExtent[] = [recordExtent(first)];
    const bs = this.vol.blockSize;
    let last = first;
    let pos = ino + first.length;
    while ((last.flags & FLAG_MULTI_EXTENT) !== 0) {
      if (extents.length >= MAX_EXTENTS) throw corrupt('iso9660', 'multi-extent file', ino, `more than ${MAX_EXTENTS} extents`);
      if (pos >= this.vol.dev.size) throw corrupt('iso9660', 'multi-extent file', ino, 'its records run past the end of the image');
      const b = await this.vol.meta.read(pos, Math.min(256, this.vol.dev.size - pos), `directory record at offset ${pos}`);
      if (b[0] === 0) {
        pos = (Math.floor(pos / bs) + 1) * bs;
        continue;
      }
      const r = parseDirectoryRecord(b, 0, pos);
      if (r.identifier.length !== first.identifier.length || !r.identifier.every((c, i) => c === first.identifier[i])) {
        throw corrupt('iso9660', 'multi-extent file', ino, `record at offset ${pos} does not continue it`);
      }
      extents.push(recordExtent(r));
      last = r;
      pos += r.length;
    }
    return buildFileInode(this.vol, ino, extents, first.date, await rockRidgeOf(this.vol, first));
  }

  /** A directory's inode from its '.' and '..' records at the start of its extent. */
  private async directoryInode(ino: Ino): Promise<IsoInode> {
    const k = this.known(ino);
    if (k) {
      if (!k.dir) throw new FsError('ENOTDIR', `iso9660: inode ${ino} is not a directory`);
      return k;
    }
    if (ino < FIRST_DATA_OFFSET || ino >= this.vol.dev.size) throw corrupt('iso9660', 'directory', ino, 'lies outside the image');
    const head = await this.vol.meta.read(ino, Math.min(2048, this.vol.dev.size - ino), `directory at offset ${ino}`);
    const dot = parseDirectoryRecord(head, 0, ino);
    if (!isDotRecord(dot) || (dot.flags & FLAG_DIRECTORY) === 0) throw corrupt('iso9660', 'directory', ino, "does not start with a '.' record");
    if (dot.length >= head.length || head[dot.length] === 0) throw corrupt('iso9660', 'directory', ino, "has no '..' record after '.'");
    const dotdot = parseDirectoryRecord(head, dot.length, ino + dot.length);
    if (!isDotDotRecord(dotdot)) throw corrupt('iso9660', 'directory', ino, "second record is not '..'");
    const isRoot = ino === this.rootIno;
    const rr = await rockRidgeOf(this.vol, dot, isRoot ? this.rootSkip : this.vol.suspSkip);
    const bs = this.vol.blockSize;
    let parent = this.rootIno;
    if (!isRoot) {
      const rrUp = await rockRidgeOf(this.vol, dotdot);
      parent = (rrUp?.parentLink ?? dotdot.extent + dotdot.extAttrLength) * bs;
    }
    if (dot.dataLength < dot.length + dotdot.length) throw corrupt('iso9660', 'directory', ino, `'.' says it is ${dot.dataLength} bytes long`);
    return this.remember(buildDirectoryInode(this.vol, ino, dot, rr, parent));
  }

  /** The inode numbers of `ino` and every directory above it (observed parents first, then '..'). */
  private async ancestors(ino: Ino): Promise<Set<Ino>> {
    const seen = new Set<Ino>([ino]);
    let cur = ino;
    for (let depth = 0; cur !== this.rootIno; depth++) {
      if (depth >= MAX_DEPTH) throw new FsError('ELOOP', `iso9660: directory at offset ${ino} is nested more than ${MAX_DEPTH} levels deep`);
      let up = this.parents.get(cur);
      if (up === undefined) {
        const d = await this.directoryInode(cur);
        up = d.dir!.parent;
      }
      if (seen.has(up)) break; // the on-disk '..' chain loops; the listing check below still applies
      seen.add(up);
      cur = up;
    }
    return seen;
  }

  private directory(ino: Ino): Promise<IsoDirectory> {
    let p = this.dirs.get(ino);
    if (!p) {
      p = (async () => {
        const inode = await this.directoryInode(ino);
        const d = await indexDirectory(this.vol, inode, await this.ancestors(ino), this.serials);
        for (const e of d.entries) if (e.type === DT_DIR && !this.parents.has(e.ino)) this.parents.set(e.ino, ino);
        return d;
      })();
      const mine = p;
      this.dirs.set(ino, p, 1);
      p.then(
        (d) => {
          if (this.dirs.peek(ino) === mine) this.dirs.set(ino, mine, d.entries.length + 1);
        },
        () => {
          if (this.dirs.peek(ino) === mine) this.dirs.delete(ino);
        },
      );
    }
    return p;
  }

  private async dirFor(ino: Ino, op: string): Promise<IsoDirectory> {
    const inode = await this.inode(ino);
    if (!inode.dir) throw new FsError('ENOTDIR', `iso9660: ${op}: inode ${ino} is not a directory`);
    return this.directory(ino);
  }

  // ----- FileSystem -----

  async lookup(dir: Ino, name: string): Promise<Entry> {
    if (this.bootDir) {
      if (dir === this.rootIno && name === this.bootDir.name) return this.pin(BOOT_DIR_INO);
      if (dir === BOOT_DIR_INO) return this.pin(this.bootDir.lookup(name));
    }
    const d = await this.dirFor(dir, 'lookup');
    const i = d.byName.get(name);
    if (i === undefined) throw new FsError('ENOENT', `iso9660: no '${name}' in directory ${dir}`);
    const e = d.entries[i]!;
    const inode = e.inode ?? (await this.directoryInode(e.ino));
    if (e.inode) this.remember(e.inode);
    return this.pin(inode.ino);
  }

  private async pin(ino: Ino): Promise<Entry> {
    if (this.bootDir?.owns(ino)) return { ino, attr: this.bootDir.stat(ino) };
    const p = this.pinned.get(ino);
    if (p) {
      p.refs++;
      return { ino, attr: p.inode.stat };
    }
    const inode = await this.inode(ino);
    // Another lookup of the same inode may have pinned it while we waited.
    const again = this.pinned.get(ino);
    if (again) {
      again.refs++;
      return { ino, attr: again.inode.stat };
    }
    this.pinned.set(ino, { inode, refs: 1 });
    this.recent.delete(ino);
    return { ino, attr: inode.stat };
  }

  forget(ino: Ino, nlookup: number): void {
    const p = this.pinned.get(ino);
    if (!p) return;
    p.refs -= nlookup;
    if (p.refs <= 0) {
      this.pinned.delete(ino);
      this.recent.set(ino, p.inode);
    }
  }

  async getattr(ino: Ino): Promise<Stat> {
    if (this.bootDir?.owns(ino)) return this.bootDir.stat(ino);
    return (await this.inode(ino)).stat;
  }

  async readlink(ino: Ino): Promise<string> {
    if (this.bootDir?.owns(ino)) throw new FsError('EINVAL', `iso9660: inode ${ino} is not a symbolic link`);
    const inode = await this.inode(ino);
    if ((inode.stat.mode & S_IFMT) !== S_IFLNK) throw new FsError('EINVAL', `iso9660: inode ${ino} is not a symbolic link`);
    if (inode.symlink === undefined) throw corrupt('iso9660', `symlink (${inodeWhere(inode)})`, undefined, inode.symlinkError ?? 'no target');
    return inode.symlink;
  }

  async statfs(): Promise<StatFs> {
    const bs = this.vol.blockSize;
    return { type: ISOFS_SUPER_MAGIC, bsize: bs, frsize: bs, blocks: this.volumeSpaceSize, bfree: 0, bavail: 0, files: 0, ffree: 0, namemax: 255 };
  }

  async readdir(ino: Ino, _fh: number, cookie: number, limit = Number.MAX_SAFE_INTEGER): Promise<DirEntry[]> {
    if (this.bootDir?.owns(ino)) return this.bootDir.readdir(cookie, limit);
    const d = await this.dirFor(ino, 'readdir');
    const out: DirEntry[] = [];
    // Positions: 0 '.', 1 '..', then the entries, then (in the root) the boot directory.
    const total = d.entries.length + 2 + (ino === this.rootIno && this.bootDir ? 1 : 0);
    for (let pos = cookie; pos < total && out.length < limit; pos++) {
      const next = pos + 1;
      if (pos === 0) out.push({ name: '.', ino, type: DT_DIR, next });
      else if (pos === 1) out.push({ name: '..', ino: await this.parentOf(ino), type: DT_DIR, next });
      else if (pos - 2 < d.entries.length) {
        const e = d.entries[pos - 2]!;
        // Files' inodes are built already: keep them, so getattr right after readdir works even for serial numbers.
        if (e.inode && !this.pinned.has(e.ino)) this.recent.set(e.ino, e.inode);
        out.push({ name: e.name, ino: e.ino, type: e.type, next });
      } else out.push({ name: this.bootDir!.name, ino: BOOT_DIR_INO, type: DT_DIR, next });
    }
    return out;
  }

  private async parentOf(ino: Ino): Promise<Ino> {
    if (ino === this.rootIno) return ino;
    return this.parents.get(ino) ?? (await this.directoryInode(ino)).dir!.parent;
  }

  async read(ino: Ino, _fh: number, buf: Uint8Array, pos: number): Promise<number> {
    if (this.bootDir?.owns(ino)) return this.bootDir.read(this.vol.dev, ino, buf, pos);
    const inode = await this.inode(ino);
    const type = inode.stat.mode & S_IFMT;
    if (type === S_IFDIR) throw new FsError('EISDIR', `iso9660: inode ${ino} is a directory`);
    if (type !== S_IFREG) throw new FsError('EINVAL', `iso9660: inode ${ino} is not a regular file`);
    if (inode.refuse) throw new FsError('EOPNOTSUPP', `iso9660: ${inodeWhere(inode)}: ${inode.refuse}`);
    if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `iso9660: read at offset ${pos}`);
    if (inode.zisofs) return this.zisofs(inode).read(buf, pos);
    const n = Math.max(0, Math.min(buf.length, inode.storedSize - pos));
    if (n > 0) await this.readStored(inode, buf.subarray(0, n), pos);
    return n;
  }

  private zisofs(inode: IsoInode): ZisofsFile {
    let z = this.zisofsFiles.get(inode.ino);
    if (!z) {
      z = new ZisofsFile(inode.zisofs!, inode.storedSize, (b, p) => this.readStored(inode, b, p), this.zisofsBlocks, String(inode.ino), inodeWhere(inode));
      this.zisofsFiles.set(inode.ino, z);
    }
    return z;
  }

  /**
   * Reads stored bytes [pos, pos + buf.length) of a file from its extents,
   * merging pieces that are contiguous on the device into one read.
   */
  private async readStored(inode: IsoInode, buf: Uint8Array, pos: number): Promise<void> {
    const dev = this.vol.dev;
    const pieces: Array<{ dev: number; at: number; len: number }> = [];
    let fileOff = 0;
    const end = pos + buf.length;
    for (const x of inode.extents) {
      const from = Math.max(pos, fileOff);
      const to = Math.min(end, fileOff + x.length);
      if (from < to) {
        const d = x.offset + (from - fileOff);
        if (d + (to - from) > dev.size) {
          throw corrupt('iso9660', inodeWhere(inode), x.offset, `extent of ${x.length} bytes runs past the end of the image (${dev.size} bytes)`);
        }
        const prev = pieces[pieces.length - 1];
        if (prev && prev.dev + prev.len === d && prev.at + prev.len === from - pos) prev.len += to - from;
        else pieces.push({ dev: d, at: from - pos, len: to - from });
      }
      fileOff += x.length;
      if (fileOff >= end) break;
    }
    await Promise.all(pieces.map((p) => this.smallReads.read(buf.subarray(p.at, p.at + p.len), p.dev)));
  }

  async destroy(): Promise<void> {
    this.dirs.clear();
    this.recent.clear();
    this.pinned.clear();
    this.zisofsBlocks.clear();
  }
}

/**
 * Looks for Rock Ridge on the root '.' record: an SP entry at the start
 * of its system use area (or after 14 bytes of CD-ROM XA data), then ER
 * naming RRIP or any Rock Ridge entry in its chain. Without SP, Rock Ridge
 * entries at offset 0 still count (old writers), as in Linux.
 */
async function detectRockRidge(vol: IsoVolume, pvd: VolumeInfo): Promise<RootSusp> {
  const bs = pvd.logicalBlockSize;
  const at = (pvd.root.extent + pvd.root.extAttrLength) * bs;
  const none: RootSusp = { rootSkip: 0, skip: 0, rockRidge: false, extensions: [] };
  if (at < FIRST_DATA_OFFSET || at >= vol.dev.size) return none;
  const head = await vol.meta.read(at, Math.min(2048, vol.dev.size - at), 'root directory');
  if (head[0] === 0) return none;
  const dot = parseDirectoryRecord(head, 0, at);
  if (!isDotRecord(dot)) return none;
  const su = dot.systemUse;
  let rootSkip = 0;
  let lenSkip = findSp(su);
  if (lenSkip === undefined && su.length >= 14 + 7 && su[6] === 0x58 && su[7] === 0x41) {
    lenSkip = findSp(su.subarray(14));
    if (lenSkip !== undefined) rootSkip = 14;
  }
  const area = parseSuspArea(su.subarray(rootSkip));
  const { entries, error } = await readSuspEntries(area, (block, offset, length) => vol.meta.read(block * bs + offset, length, 'SUSP continuation area of the root'), bs, at);
  if (error) warn(vol, error.message);
  const extensions = extensionIds(entries);
  const rr = parseRockRidge(entries).hasRockRidge || extensions.some((id) => RRIP_IDS.includes(id));
  if (lenSkip === undefined) return { rootSkip: 0, skip: 0, rockRidge: parseRockRidge(entries).hasRockRidge, extensions };
  return { rootSkip, skip: rootSkip + lenSkip, rockRidge: rr, extensions };
}
