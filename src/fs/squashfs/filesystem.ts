/**
 * SquashfsFileSystem: a read-only FileSystem over a squashfs 4.0 image.
 * Inode numbers are squashfs's own (what the kernel shows). squashfs
 * cannot turn an inode number into the inode's location without the
 * optional export table, so every inode the caller learns about through
 * lookup/readdir is remembered (number → reference); the export table, when
 * present, answers the rest.
 */
import { corrupt } from '../../block/corrupt.js';
import { readBytes, type BlockDevice } from '../../block/device.js';
import { getCodec } from '../../codecs/index.js';
import { FsError } from '../../errors.js';
import { LruCache } from '../../util/lru.js';
import { POSIX_CAPABILITIES, readOnlyCapabilities, type Capabilities } from '../capabilities.js';
import type { DirEntry, Entry, FileSystem, Ino, Stat, StatFs } from '../filesystem.js';
import { S_IFDIR, S_IFLNK, S_IFREG } from '../mode.js';
import { CACHE_BUDGET } from './cache.js';
import { DataReader } from './data.js';
import { DirectoryReader, FIRST_ENTRY_COOKIE, validName, type DirHit } from './directory.js';
import { FRAGMENT_ENTRY_SIZE } from './fragments.js';
import { lookupId, lookupIdSync } from './ids.js';
import { parseInode, readInode, type Inode, type InodeContext } from './inode.js';
import { MetadataReader, type Decompress } from './metadata.js';
import { COMPRESSORS, FLAGS, INVALID_BLOCK, METADATA_SIZE, NO_XATTR, parseSuperblock, SQUASHFS_MAGIC, SUPERBLOCK_SIZE, type Superblock } from './superblock.js';
import { u32 } from './le.js';
import { LookupTable } from './table.js';
import { XattrTable } from './xattr.js';

const CAPABILITIES: Capabilities = readOnlyCapabilities({
  ...POSIX_CAPABILITIES,
  // squashfs stores up to 256 bytes, but Linux's NAME_MAX (255) is what any name we are asked about must fit.
  maxNameLength: 255,
  timestampGranularityNs: 1e9,
  birthTime: false,
});

const utf8 = new TextDecoder();
const encoder = new TextEncoder();
/** DT_* value of each basic inode type 1..7. */
const DT_OF_TYPE = [0, 4, 8, 10, 6, 2, 1, 12];
/** encodeHandle: inode number (u32), then the inode reference (u48) as two u32. */
const HANDLE_SIZE = 12;

export class SquashfsFileSystem implements FileSystem {
  readonly name = 'squashfs';
  readonly capabilities = CAPABILITIES;
  readonly rootIno: Ino;
  readonly superblock: Superblock;
  /** Compressor name ('gzip', 'xz' …). */
  readonly compression: string;

  private readonly meta: MetadataReader;
  private readonly inodeCtx: InodeContext;
  private readonly dirs: DirectoryReader;
  private readonly data: DataReader;
  private readonly ids: LookupTable;
  private readonly exportTable: LookupTable | undefined;
  private readonly xattrs: XattrTable | undefined;
  /** Parsed inodes by reference; loads in progress apart, so the cache holds plain objects. */
  private readonly inodes = new LruCache<number, Inode>(CACHE_BUDGET.inodes);
  private readonly loading = new Map<number, Promise<Inode>>();
  /** inode number → inode reference, for every inode handed out. */
  private readonly refs = new Map<number, number>();

  private constructor(init: {
    sb: Superblock;
    meta: MetadataReader;
    data: DataReader;
    ids: LookupTable;
    exportTable: LookupTable | undefined;
    xattrs: XattrTable | undefined;
    root: Inode;
  }) {
    this.superblock = init.sb;
    this.compression = COMPRESSORS[init.sb.compression]!.name;
    this.meta = init.meta;
    this.data = init.data;
    this.ids = init.ids;
    this.exportTable = init.exportTable;
    this.xattrs = init.xattrs;
    this.inodeCtx = inodeContext(init.sb, init.meta);
    this.dirs = new DirectoryReader(init.meta, init.sb.directory_table_start, CACHE_BUDGET.directoryBytes);
    this.rootIno = init.root.inode_number;
    this.refs.set(this.rootIno, init.root.ref);
    this.inodes.set(init.root.ref, init.root);
  }

  static async open(device: BlockDevice): Promise<SquashfsFileSystem> {
    if (device.size < SUPERBLOCK_SIZE) throw corrupt('squashfs', 'superblock', 0, `device of ${device.size} bytes is smaller than the superblock`);
    const sb = parseSuperblock(await readBytes(device, 0, SUPERBLOCK_SIZE), device.size);
    const codec = getCodec(COMPRESSORS[sb.compression]!.codec, `squashfs (${COMPRESSORS[sb.compression]!.name})`);
    const decompress: Decompress = (input, max) => codec(input, max);
    const meta = new MetadataReader(device, sb.bytes_used, decompress, CACHE_BUDGET.metadataBytes);
    if (sb.flags & FLAGS.COMPRESSOR_OPTIONS) await checkCompressorOptions(sb, meta);
    const lowest = sb.directory_table_start;
    const ids = await LookupTable.open(device, meta, 'id', sb.id_table_start, sb.no_ids, 4, lowest);
    const fragments = sb.fragments > 0 ? await LookupTable.open(device, meta, 'fragment', sb.fragment_table_start, sb.fragments, FRAGMENT_ENTRY_SIZE, lowest) : undefined;
    const exportTable = sb.lookup_table_start !== INVALID_BLOCK ? await LookupTable.open(device, meta, 'export', sb.lookup_table_start, sb.inodes, 8, lowest) : undefined;
    const xattrs = sb.xattr_id_table_start !== INVALID_BLOCK ? await XattrTable.open(device, meta, sb.xattr_id_table_start, sb.bytes_used, lowest) : undefined;
    const data = new DataReader(
      { device, meta, decompress, fragments, blockSize: sb.block_size, bytesUsed: sb.bytes_used },
      { dataBytes: CACHE_BUDGET.dataBytes, fragmentBytes: CACHE_BUDGET.fragmentBytes, blockListBytes: CACHE_BUDGET.blockListBytes },
    );
    const root = await readInode(inodeContext(sb, meta), sb.root_inode);
    if ((root.mode & S_IFDIR) !== S_IFDIR || root.type !== 1) throw corrupt('squashfs', 'root inode', undefined, 'is not a directory');
    return new SquashfsFileSystem({ sb, meta, data, ids, exportTable, xattrs, root });
  }

  /** The inode at `ref` if cached or parseable from cached metadata blocks (no I/O). */
  private inodeSync(ref: number): Inode | undefined {
    let inode = this.inodes.get(ref);
    if (inode) return inode;
    inode = parseInode(this.inodeCtx, ref, undefined);
    if (inode) this.inodes.set(ref, inode);
    return inode;
  }

  private inode(ref: number): Promise<Inode> {
    const inode = this.inodeSync(ref);
    if (inode) return Promise.resolve(inode);
    let p = this.loading.get(ref);
    if (!p) {
      const loading = readInode(this.inodeCtx, ref);
      p = loading;
      this.loading.set(ref, loading);
      loading.then(
        (i) => {
          this.inodes.set(ref, i);
          this.loading.delete(ref);
        },
        () => this.loading.delete(ref),
      );
    }
    return p;
  }

  /** The inode numbered `ino` when its reference is known and it needs no I/O. */
  private byInoSync(ino: Ino): Inode | undefined {
    const ref = this.refs.get(ino);
    if (ref === undefined) return undefined;
    const inode = this.inodeSync(ref);
    if (inode && inode.inode_number !== ino) throw corrupt('squashfs', `inode ${ino}`, undefined, `its reference leads to inode ${inode.inode_number}`);
    return inode;
  }

  private async byIno(ino: Ino): Promise<Inode> {
    const known = this.byInoSync(ino);
    if (known) return known;
    let ref = this.refs.get(ino);
    if (ref === undefined) {
      if (!this.exportTable || !Number.isInteger(ino) || ino < 1 || ino > this.superblock.inodes) {
        throw new FsError('ESTALE', `squashfs: inode ${ino} is unknown (not reached through lookup or readdir)`);
      }
      const b = await this.exportTable.entry(ino - 1);
      const v = new DataView(b.buffer, b.byteOffset, 8);
      ref = v.getUint32(4, true) * 0x1_0000_0000 + v.getUint32(0, true);
    }
    const inode = await this.inode(ref);
    if (inode.inode_number !== ino) throw corrupt('squashfs', `inode ${ino}`, undefined, `its reference leads to inode ${inode.inode_number}`);
    this.refs.set(ino, ref);
    return inode;
  }

  private async dir(ino: Ino): Promise<Inode> {
    const d = this.byInoSync(ino) ?? (await this.byIno(ino));
    if (d.type !== 1) throw new FsError('ENOTDIR', `squashfs: inode ${ino} is not a directory`);
    return d;
  }

  async lookup(dirIno: Ino, name: string): Promise<Entry> {
    const dir = await this.dir(dirIno);
    // A walk looks up the names readdir just gave, in order: answered without encoding or searching.
    let e: DirHit | undefined = this.dirs.lookupHinted(dir, name);
    if (!e) {
      const bytes = encoder.encode(name);
      if (!validName(bytes) || bytes.length === 0) throw new FsError('ENOENT', `squashfs: no entry '${name}' in directory inode ${dirIno}`);
      e = await this.dirs.lookup(dir, bytes);
      if (!e) throw new FsError('ENOENT', `squashfs: no entry '${name}' in directory inode ${dirIno}`);
    }
    const inode = this.inodeSync(e.ref) ?? (await this.inode(e.ref));
    if (inode.inode_number !== e.inode_number) {
      throw corrupt('squashfs', `directory inode ${dirIno}`, undefined, `entry '${name}' says inode ${e.inode_number} but its reference holds inode ${inode.inode_number}`);
    }
    this.refs.set(e.inode_number, e.ref);
    return { ino: e.inode_number, attr: this.statSync(inode) ?? (await this.stat(inode)) };
  }

  /**
   * A handle for inode `ino` (one handed out by lookup, readdir or
   * decodeHandle): its number and its inode reference, which name the same
   * inode in every instance of this image.
   */
  encodeHandle(ino: Ino): Uint8Array {
    const ref = this.refs.get(ino);
    if (ref === undefined) throw new FsError('ESTALE', `squashfs: inode ${ino} is unknown (not reached through lookup or readdir)`);
    // Little-endian by hand: a DataView per handle costs an extraction's walk more than the rest of this.
    const h = new Uint8Array(HANDLE_SIZE);
    putU32(h, 0, ino);
    putU32(h, 4, ref % 0x1_0000_0000);
    putU32(h, 8, Math.floor(ref / 0x1_0000_0000));
    return h;
  }

  /** The inode a handle from encodeHandle names; ESTALE if it is not one of this image's inodes. Counts a lookup. */
  async decodeHandle(handle: Uint8Array): Promise<Entry> {
    if (handle.length !== HANDLE_SIZE) throw new FsError('ESTALE', `squashfs: a handle has ${HANDLE_SIZE} bytes, not ${handle.length}`);
    const ino = u32(handle, 0);
    const high = u32(handle, 8);
    const ref = high * 0x1_0000_0000 + u32(handle, 4);
    if (high > 0xffff || ino === 0) throw new FsError('ESTALE', `squashfs: handle of inode ${ino} is malformed`);
    let inode: Inode;
    try {
      inode = this.inodeSync(ref) ?? (await this.inode(ref));
    } catch (e) {
      if (e instanceof FsError && e.code === 'EIO') throw new FsError('ESTALE', `squashfs: handle of inode ${ino} does not lead to an inode (${e.message})`);
      throw e;
    }
    if (inode.inode_number !== ino) throw new FsError('ESTALE', `squashfs: handle of inode ${ino} leads to inode ${inode.inode_number}`);
    this.refs.set(ino, ref);
    return { ino, attr: this.statSync(inode) ?? (await this.stat(inode)) };
  }

  async getattr(ino: Ino): Promise<Stat> {
    const inode = this.byInoSync(ino) ?? (await this.byIno(ino));
    return this.statSync(inode) ?? this.stat(inode);
  }

  /** Attributes from cached tables (no I/O), kept on the inode; undefined when a table block must be read. */
  private statSync(inode: Inode): Stat | undefined {
    if (inode.attr) return inode.attr;
    if (inode.xattr !== NO_XATTR && this.xattrs) return undefined;
    const uid = lookupIdSync(this.ids, inode.uid_idx, inode.inode_number);
    const gid = lookupIdSync(this.ids, inode.gid_idx, inode.inode_number);
    if (uid === undefined || gid === undefined) return undefined;
    return (inode.attr = this.makeStat(inode, uid, gid, 0));
  }

  private async stat(inode: Inode): Promise<Stat> {
    if (inode.attr) return inode.attr;
    const uid = await lookupId(this.ids, inode.uid_idx, inode.inode_number);
    const gid = await lookupId(this.ids, inode.gid_idx, inode.inode_number);
    // The kernel adds the xattrs' size to the blocks.
    let xattrBlocks = 0;
    if (inode.xattr !== NO_XATTR && this.xattrs) xattrBlocks = Math.floor((Math.max(1, await this.xattrs.size(inode.xattr)) - 1) / 512) + 1;
    return (inode.attr = this.makeStat(inode, uid, gid, xattrBlocks));
  }

  private makeStat(inode: Inode, uid: number, gid: number, xattrBlocks: number): Stat {
    let blocks = xattrBlocks;
    if (inode.type === 2) {
      // As the kernel counts them (fs/squashfs/inode.c): sparse bytes are not counted in extended inodes.
      blocks += inode.extended ? Math.max(0, Math.floor((inode.size - inode.sparse + 511) / 512)) : inode.size > 0 ? Math.floor((inode.size - 1) / 512) + 1 : 0;
    }
    const t = { sec: inode.mtime, nsec: 0 };
    return {
      ino: inode.inode_number,
      mode: inode.mode,
      nlink: inode.nlink,
      uid,
      gid,
      rdev: inode.rdev,
      size: inode.size,
      blocks,
      blksize: this.superblock.block_size,
      atime: t,
      mtime: t,
      ctime: t,
    };
  }

  async readlink(ino: Ino): Promise<string> {
    const inode = await this.byIno(ino);
    if ((inode.mode & 0o170000) !== S_IFLNK) throw new FsError('EINVAL', `squashfs: inode ${ino} is not a symlink`);
    return utf8.decode(inode.target);
  }

  async statfs(): Promise<StatFs> {
    const sb = this.superblock;
    return {
      type: SQUASHFS_MAGIC,
      bsize: sb.block_size,
      frsize: sb.block_size,
      blocks: Math.floor((sb.bytes_used - 1) / sb.block_size) + 1,
      bfree: 0,
      bavail: 0,
      files: sb.inodes,
      ffree: 0,
      namemax: 256,
    };
  }

  async read(ino: Ino, _fh: number, buf: Uint8Array, pos: number): Promise<number> {
    const inode = this.byInoSync(ino) ?? (await this.byIno(ino));
    if (inode.type === 1) throw new FsError('EISDIR', `squashfs: inode ${ino} is a directory`);
    if ((inode.mode & 0o170000) !== S_IFREG) throw new FsError('EINVAL', `squashfs: inode ${ino} is not a regular file`);
    if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `squashfs: read at position ${pos}`);
    return this.data.read(inode, buf, pos);
  }

  async readdir(ino: Ino, _fh: number, cookie: number, limit = 1024): Promise<DirEntry[]> {
    const dir = await this.dir(ino);
    if (!Number.isSafeInteger(cookie) || cookie < 0) throw new FsError('EINVAL', `squashfs: readdir cookie ${cookie}`);
    const out: DirEntry[] = [];
    if (limit <= 0) return out;
    if (cookie === 0) out.push({ name: '.', ino, type: S_IFDIR >>> 12, next: 1 });
    if (cookie <= 1 && out.length < limit) {
      const parent = ino === this.rootIno ? ino : dir.parent_inode;
      out.push({ name: '..', ino: parent, type: S_IFDIR >>> 12, next: 2 });
    }
    if (out.length >= limit) return out;
    await this.dirs.list(dir, Math.max(cookie, FIRST_ENTRY_COOKIE), limit - out.length, (g, i, next) => {
      const child = g.inos[i]!;
      this.refs.set(child, g.refs[i]!);
      out.push({ name: g.names[i]!, ino: child, type: DT_OF_TYPE[g.types[i]!]!, next });
    });
    return out;
  }

  async listxattr(ino: Ino): Promise<string[]> {
    return (await this.xattrList(await this.byIno(ino))).map((x) => x.name);
  }

  async getxattr(ino: Ino, name: string): Promise<Uint8Array> {
    const x = (await this.xattrList(await this.byIno(ino))).find((a) => a.name === name);
    if (!x) throw new FsError('ENODATA', `squashfs: inode ${ino} has no xattr ${name}`);
    return x.value;
  }

  private async xattrList(inode: Inode) {
    if (inode.xattr === NO_XATTR) return [];
    if (!this.xattrs) throw corrupt('squashfs', `inode ${inode.inode_number}`, undefined, `xattr index ${inode.xattr} but the image has no xattr table`);
    return this.xattrs.list(inode.xattr, inode.inode_number);
  }

  async destroy(): Promise<void> {
    this.inodes.clear();
    this.loading.clear();
    this.refs.clear();
  }
}

function inodeContext(sb: Superblock, meta: MetadataReader): InodeContext {
  return { meta, inodeTable: sb.inode_table_start, blockSize: sb.block_size, blockLog: sb.block_log, fragments: sb.fragments, bytesUsed: sb.bytes_used };
}

/**
 * The compressor options block right after the superblock. Nothing in it
 * changes how blocks decode except lz4's version (only 1, "legacy", exists).
 */
async function checkCompressorOptions(sb: Superblock, meta: MetadataReader): Promise<void> {
  const blk = await meta.block(SUPERBLOCK_SIZE);
  const b = blk.data;
  if (b.length > METADATA_SIZE) throw corrupt('squashfs', 'compressor options', SUPERBLOCK_SIZE, 'too long');
  if (COMPRESSORS[sb.compression]!.name === 'lz4') {
    if (b.length < 8) throw corrupt('squashfs', 'compressor options', SUPERBLOCK_SIZE, `lz4 options of ${b.length} bytes`);
    const version = b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);
    if (version !== 1) throw new FsError('EOPNOTSUPP', `squashfs: lz4 format version ${version} is not supported (only 1)`);
  }
}

function putU32(b: Uint8Array, at: number, x: number): void {
  b[at] = x;
  b[at + 1] = x >>> 8;
  b[at + 2] = x >>> 16;
  b[at + 3] = x >>> 24;
}
