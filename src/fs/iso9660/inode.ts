/**
 * Inodes: what getattr, read and readlink need, built from directory
 * records and their Rock Ridge fields.
 *
 * Numbers (stable for the life of the image, never 0):
 * - a directory is the byte offset of its own '.' record, which is the
 *   first byte of its extent (extent × block size), whoever lists it;
 * - a file with a Rock Ridge PX serial number is 2 × serial + 1 (odd), so
 *   hard links share it and never meet the even numbers below;
 * - any other file is the byte offset of its directory record (the first
 *   one of a multi-extent file);
 * - the virtual El Torito directory and its files take small even numbers
 *   below 32768, where no record can lie (the system area).
 *
 * Attributes follow Linux isofs: without Rock Ridge every file is r-x for
 * all (0555), owned by 0:0, nlink 1, with the record date as atime, mtime
 * and ctime; blocks is the recorded data length in 512-byte units (for
 * zisofs files the compressed length), directory sizes are their extent's
 * length. With Rock Ridge, PX, PN and TF override those; TF creation
 * becomes btime.
 */
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_IFCHR, S_IFBLK, fileTypeOf } from '../mode.js';
import type { Ino, Stat } from '../filesystem.js';
import { EPOCH, type Timespec } from '../time.js';
import { FLAG_DIRECTORY, type DirectoryRecord } from './directory-record.js';
import type { RockRidgeInfo, ZisofsParams } from './rock-ridge.js';
import { warn, type IsoVolume } from './volume.js';

/** A piece of a file's stored data: device byte offset and length. */
export interface Extent {
  readonly offset: number;
  readonly length: number;
}

export interface IsoInode {
  readonly ino: Ino;
  readonly stat: Stat;
  /** Stored data, in file order (files only). */
  readonly extents: readonly Extent[];
  readonly storedSize: number;
  readonly symlink?: string;
  readonly symlinkError?: string;
  readonly zisofs?: ZisofsParams;
  /** Why reading the data is refused (interleaved, sparse or unknown compression): EOPNOTSUPP. */
  readonly refuse?: string;
  /** Byte offset of the (first) record the inode came from; see `inodeWhere`. */
  readonly recordOffset: number;
  /** Directories: their extent (logical block), length and the parent's inode number. */
  readonly dir?: { readonly extent: number; readonly size: number; readonly parent: Ino };
}

/** The parts of a record an inode needs (multi-extent files keep one per extent). */
export interface RecordExtent {
  readonly offset: number;
  readonly extent: number;
  readonly extAttrLength: number;
  readonly dataLength: number;
  readonly fileUnitSize: number;
  readonly interleaveGap: number;
}

export function recordExtent(r: DirectoryRecord): RecordExtent {
  return {
    offset: r.offset,
    extent: r.extent,
    extAttrLength: r.extAttrLength,
    dataLength: r.dataLength,
    fileUnitSize: r.fileUnitSize,
    interleaveGap: r.interleaveGap,
  };
}

const DEFAULT_PERMS = 0o555;

function times(rr: RockRidgeInfo | undefined, date: Timespec | undefined): Pick<Stat, 'atime' | 'mtime' | 'ctime' | 'btime'> {
  const d = date ?? EPOCH;
  const t = rr?.times;
  const out: { atime: Timespec; mtime: Timespec; ctime: Timespec; btime?: Timespec } = {
    atime: t?.access ?? d,
    mtime: t?.modify ?? d,
    ctime: t?.attributes ?? d,
  };
  if (t?.creation) out.btime = t.creation;
  return out;
}

/** The mode a Rock Ridge PX gives, kept consistent with what the record is (a directory or not). */
function rrMode(vol: IsoVolume, rr: RockRidgeInfo | undefined, isDir: boolean, where: string): number {
  if (rr?.mode === undefined) return (isDir ? S_IFDIR : S_IFREG) | DEFAULT_PERMS;
  const type = rr.mode & S_IFMT;
  const perms = rr.mode & 0o7777;
  if (isDir) {
    if (type !== S_IFDIR) warn(vol, `${where}: PX mode ${rr.mode.toString(8)} is not a directory, but the record is one`);
    return S_IFDIR | perms;
  }
  if (type === S_IFDIR || fileTypeOf(rr.mode) === undefined) {
    warn(vol, `${where}: PX mode ${rr.mode.toString(8)} does not fit a file record; shown as a regular file`);
    return S_IFREG | perms;
  }
  return type | perms;
}

/**
 * A file (anything but a directory) from its record(s) and Rock Ridge
 * fields. `records` has one entry per extent of a multi-extent file.
 */
export function buildFileInode(vol: IsoVolume, ino: Ino, records: readonly RecordExtent[], date: Timespec | undefined, rr: RockRidgeInfo | undefined): IsoInode {
  const bs = vol.blockSize;
  const where = `file at record offset ${records[0]!.offset}`;
  const extents: Extent[] = [];
  let storedSize = 0;
  let refuse: string | undefined;
  for (const r of records) {
    storedSize += r.dataLength;
    if (r.dataLength > 0) extents.push({ offset: (r.extent + r.extAttrLength) * bs, length: r.dataLength });
    if (r.fileUnitSize !== 0 || r.interleaveGap !== 0) refuse = 'interleaved files are not supported';
  }
  const mode = rrMode(vol, rr, false, where);
  const type = mode & S_IFMT;
  let size = type === S_IFREG ? storedSize : 0;
  let zisofs: ZisofsParams | undefined;
  let symlink: string | undefined;
  let symlinkError: string | undefined;
  if (type === S_IFLNK) {
    if (rr?.incomplete) symlinkError = `its Rock Ridge fields are incomplete: ${rr.incomplete}`;
    else if (rr?.symlink !== undefined) {
      symlink = rr.symlink;
      size = rr.symlinkBytes ?? 0;
    } else symlinkError = rr?.symlinkError ?? 'symlink has no SL entry';
  }
  if (type === S_IFREG && rr?.zisofs) {
    zisofs = rr.zisofs;
    if (zisofs.algorithm === 'pz') size = zisofs.size;
    else refuse = `zisofs algorithm '${zisofs.algorithm}' is not supported`;
  }
  if (type === S_IFREG && rr?.sparse) refuse = 'Rock Ridge sparse files (SF) are not supported';
  const stat: Stat = {
    ino,
    mode,
    nlink: Math.max(1, rr?.nlink ?? 1),
    uid: rr?.uid ?? 0,
    gid: rr?.gid ?? 0,
    rdev: type === S_IFCHR || type === S_IFBLK ? (rr?.rdev ?? 0) : 0,
    size,
    blocks: Math.ceil(storedSize / 512),
    blksize: bs,
    ...times(rr, date),
  };
  return {
    ino,
    stat,
    extents,
    storedSize,
    recordOffset: records[0]!.offset,
    ...(symlink !== undefined ? { symlink } : {}),
    ...(symlinkError !== undefined ? { symlinkError } : {}),
    ...(zisofs ? { zisofs } : {}),
    ...(refuse ? { refuse } : {}),
  };
}

/** A directory from its '.' record, its Rock Ridge fields and its parent's inode number. */
export function buildDirectoryInode(vol: IsoVolume, ino: Ino, dot: DirectoryRecord, rr: RockRidgeInfo | undefined, parent: Ino): IsoInode {
  const where = `directory at block ${ino / vol.blockSize}`;
  const size = dot.dataLength;
  const stat: Stat = {
    ino,
    mode: rrMode(vol, rr, true, where),
    nlink: Math.max(1, rr?.nlink ?? 1),
    uid: rr?.uid ?? 0,
    gid: rr?.gid ?? 0,
    rdev: 0,
    size,
    blocks: Math.ceil(size / 512),
    blksize: vol.blockSize,
    ...times(rr, dot.date),
  };
  return { ino, stat, extents: [], storedSize: 0, recordOffset: ino, dir: { extent: ino / vol.blockSize, size, parent } };
}

/** What an inode is, for messages (built on demand: a string per cached inode would cost more than the rest of it). */
export function inodeWhere(inode: IsoInode): string {
  return inode.dir ? `directory at offset ${inode.recordOffset}` : `file at record offset ${inode.recordOffset}`;
}

export function isDirectoryRecord(r: { flags: number }): boolean {
  return (r.flags & FLAG_DIRECTORY) !== 0;
}
