/**
 * Inodes: a 16-byte common header (inode_type, mode, uid and gid indexes
 * into the id table, mtime, inode_number), then a type-specific body. Types
 * 1–7 are the basic forms (dir, file, symlink, blkdev, chrdev, fifo,
 * socket), 8–14 the extended ones with nlink, 64-bit sizes, a sparse byte
 * count and an xattr index. Files end with their block list (one u32 per
 * full block) and directories (extended) with their directory index, both
 * read lazily elsewhere; here we only note where they start.
 */
import { corrupt } from '../../block/corrupt.js';
import type { Stat } from '../filesystem.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK } from '../mode.js';
import { u16, u32, u64 } from './le.js';
import type { MetadataBlock, MetadataCursor, MetadataReader } from './metadata.js';
import { NO_FRAGMENT, NO_XATTR, refBlock, refOffset } from './superblock.js';

export const TYPE_IFMT = [0, S_IFDIR, S_IFREG, S_IFLNK, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK];
/** Longest symlink target we accept (Linux PATH_MAX). */
const SYMLINK_MAX = 4096;
/** Longest name in a directory index (SQUASHFS_NAME_LEN). */
export const NAME_MAX = 256;

export interface DirIndexEntry {
  /** Byte offset of a directory header inside the listing. */
  index: number;
  /** Metadata block (relative to the directory table) holding that header. */
  start_block: number;
  /** First name under that header. */
  name: Uint8Array;
}

export interface Inode {
  /** Inode reference (block << 16 | offset) it was read from. */
  ref: number;
  /** Basic type 1..7 (extended types folded onto them). */
  type: number;
  extended: boolean;
  inode_number: number;
  /** S_IFMT | permission bits. */
  mode: number;
  uid_idx: number;
  gid_idx: number;
  mtime: number;
  nlink: number;
  /** Bytes (files), target length (symlinks), file_size (directories: listing + 3). */
  size: number;
  xattr: number;
  rdev: number;
  // Regular files.
  start_block: number;
  fragment: number;
  offset: number;
  sparse: number;
  /** Where the block list starts, and how many u32 entries it has. */
  blockList: MetadataCursor;
  blockCount: number;
  // Directories.
  dirStart: number;
  dirOffset: number;
  parent_inode: number;
  dirIndex: DirIndexEntry[];
  // Symlinks.
  target: Uint8Array;
  /** Attributes, once the filesystem has made them (they never change). */
  attr: Stat | undefined;
}

export interface InodeContext {
  meta: MetadataReader;
  inodeTable: number;
  blockSize: number;
  blockLog: number;
  fragments: number;
  bytesUsed: number;
}

const NO_INDEX: DirIndexEntry[] = [];
/** What a metadata read names when the inode table itself is corrupt (the block position follows). */
const INODE_TABLE = 'inode table';
const NO_TARGET = new Uint8Array(0);

/** Reads the inode at `ref`, loading the metadata blocks it needs (parseWithLoads tries the cached blocks first). */
export function readInode(ctx: InodeContext, ref: number): Promise<Inode> {
  return ctx.meta.parseWithLoads((pinned) => parseInode(ctx, ref, pinned));
}

/**
 * Parses the inode at `ref` from cached metadata blocks; undefined (and
 * `ctx.meta.missing` set) when one it needs is not in the cache. No I/O,
 * no promise: the walk of a tree parses most inodes from a block already
 * in memory.
 */
export function parseInode(ctx: InodeContext, ref: number, pinned: Map<number, MetadataBlock> | undefined): Inode | undefined {
  const fail = (detail: string) => corrupt('squashfs', `inode at ${refBlock(ref)}:${refOffset(ref)}`, undefined, detail);
  if (refOffset(ref) >= 8192) throw fail('offset lies past the 8 KiB metadata block');
  const cursor: MetadataCursor = { block: ctx.inodeTable + refBlock(ref), offset: refOffset(ref) };
  const meta = ctx.meta;
  const h = meta.readSync(cursor, 16, INODE_TABLE, pinned);
  if (!h) return undefined;
  const rawType = u16(h, 0);
  if (rawType < 1 || rawType > 14) throw fail(`inode_type ${rawType} is unknown`);
  const extended = rawType > 7;
  const type = extended ? rawType - 7 : rawType;
  const ino: Inode = {
    ref,
    type,
    extended,
    inode_number: u32(h, 12),
    mode: TYPE_IFMT[type]! | (u16(h, 2) & 0o7777),
    uid_idx: u16(h, 4),
    gid_idx: u16(h, 6),
    mtime: u32(h, 8),
    nlink: 1,
    size: 0,
    xattr: NO_XATTR,
    rdev: 0,
    start_block: 0,
    fragment: NO_FRAGMENT,
    offset: 0,
    sparse: 0,
    blockList: cursor,
    blockCount: 0,
    dirStart: 0,
    dirOffset: 0,
    parent_inode: 0,
    dirIndex: NO_INDEX,
    target: NO_TARGET,
    attr: undefined,
  };
  if (ino.inode_number === 0) throw fail('inode_number is 0');
  switch (rawType) {
    case 1: {
      const b = meta.readSync(cursor, 16, INODE_TABLE, pinned);
      if (!b) return undefined;
      ino.dirStart = u32(b, 0);
      ino.nlink = u32(b, 4);
      ino.size = u16(b, 8);
      ino.dirOffset = u16(b, 10);
      ino.parent_inode = u32(b, 12);
      break;
    }
    case 8: {
      const b = meta.readSync(cursor, 24, INODE_TABLE, pinned);
      if (!b) return undefined;
      ino.nlink = u32(b, 0);
      ino.size = u32(b, 4);
      ino.dirStart = u32(b, 8);
      ino.parent_inode = u32(b, 12);
      const i_count = u16(b, 16);
      ino.dirOffset = u16(b, 18);
      ino.xattr = u32(b, 20);
      // Each index entry covers at least one metadata block of listing.
      if (i_count > Math.ceil(ino.size / 8192) + 2) throw fail(`directory index count ${i_count} is too large for a ${ino.size}-byte listing`);
      if (i_count > 0) ino.dirIndex = [];
      for (let i = 0; i < i_count; i++) {
        const e = meta.readSync(cursor, 12, INODE_TABLE, pinned);
        if (!e) return undefined;
        const size = u32(e, 8) + 1;
        if (size > NAME_MAX) throw fail(`directory index entry ${i} name of ${size} bytes`);
        const index = u32(e, 0);
        const start_block = u32(e, 4);
        const name = meta.readSync(cursor, size, INODE_TABLE, pinned);
        if (!name) return undefined;
        ino.dirIndex.push({ index, start_block, name: name.slice() });
      }
      break;
    }
    case 2: {
      const b = meta.readSync(cursor, 16, INODE_TABLE, pinned);
      if (!b) return undefined;
      ino.start_block = u32(b, 0);
      ino.fragment = u32(b, 4);
      ino.offset = u32(b, 8);
      ino.size = u32(b, 12);
      break;
    }
    case 9: {
      const b = meta.readSync(cursor, 40, INODE_TABLE, pinned);
      if (!b) return undefined;
      ino.start_block = u64(b, 0);
      ino.size = u64(b, 8);
      ino.sparse = u64(b, 16);
      ino.nlink = u32(b, 24);
      ino.fragment = u32(b, 28);
      ino.offset = u32(b, 32);
      ino.xattr = u32(b, 36);
      break;
    }
    case 3:
    case 10: {
      const b = meta.readSync(cursor, 8, INODE_TABLE, pinned);
      if (!b) return undefined;
      ino.nlink = u32(b, 0);
      const len = u32(b, 4);
      if (len > SYMLINK_MAX) throw fail(`symlink target of ${len} bytes`);
      const target = meta.readSync(cursor, len, INODE_TABLE, pinned);
      if (!target) return undefined;
      ino.target = target.slice();
      ino.size = len;
      if (rawType === 10) {
        const x = meta.readSync(cursor, 4, INODE_TABLE, pinned);
        if (!x) return undefined;
        ino.xattr = u32(x, 0);
      }
      break;
    }
    case 4:
    case 5:
    case 11:
    case 12: {
      const b = meta.readSync(cursor, rawType > 7 ? 12 : 8, INODE_TABLE, pinned);
      if (!b) return undefined;
      ino.nlink = u32(b, 0);
      ino.rdev = u32(b, 4);
      if (rawType > 7) ino.xattr = u32(b, 8);
      break;
    }
    default: {
      // fifo, socket
      const b = meta.readSync(cursor, rawType > 7 ? 8 : 4, INODE_TABLE, pinned);
      if (!b) return undefined;
      ino.nlink = u32(b, 0);
      if (rawType > 7) ino.xattr = u32(b, 4);
    }
  }
  if (type === 2) {
    if (!Number.isSafeInteger(ino.size)) throw fail(`file_size ${ino.size} is too large`);
    if (ino.start_block > ctx.bytesUsed) throw fail(`start_block ${ino.start_block} lies past the end of the image`);
    const hasFragment = ino.fragment !== NO_FRAGMENT;
    if (hasFragment && ino.fragment >= ctx.fragments) throw fail(`fragment ${ino.fragment} is out of range (${ctx.fragments} fragments)`);
    if (hasFragment && ino.offset >= ctx.blockSize) throw fail(`fragment offset ${ino.offset} lies past the block size`);
    ino.blockCount = hasFragment ? Math.floor(ino.size / ctx.blockSize) : Math.ceil(ino.size / ctx.blockSize);
  }
  if (type === 1 && ino.size < 3) throw fail(`directory file_size ${ino.size} is below 3`);
  if (ino.nlink === 0) throw fail('nlink is 0');
  return ino;
}
