/**
 * The kernel's FUSE wire protocol (include/uapi/linux/fuse.h), version 7.38:
 * one type per message with the kernel's names, its size, and a decoder or
 * encoder over a DataView. Everything is little-endian on the machines we
 * run on (the kernel writes host order; x86-64 and arm64 are both LE).
 *
 * 64-bit fields are read as numbers: nodeids, file handles and unique ids
 * are ours or small; offsets and sizes beyond 2^53 are refused by the
 * session before they reach a driver.
 */
import { setU64le as setU64 } from '../../binary/reader.js';

export const FUSE_KERNEL_VERSION = 7;
/** The minor we speak; structures below are laid out as of this minor. */
export const FUSE_KERNEL_MINOR_VERSION = 38;
export const FUSE_ROOT_ID = 1;

// ---- opcodes (enum fuse_opcode) ----
export const FUSE_LOOKUP = 1;
export const FUSE_FORGET = 2;
export const FUSE_GETATTR = 3;
export const FUSE_SETATTR = 4;
export const FUSE_READLINK = 5;
export const FUSE_SYMLINK = 6;
export const FUSE_MKNOD = 8;
export const FUSE_MKDIR = 9;
export const FUSE_UNLINK = 10;
export const FUSE_RMDIR = 11;
export const FUSE_RENAME = 12;
export const FUSE_LINK = 13;
export const FUSE_OPEN = 14;
export const FUSE_READ = 15;
export const FUSE_WRITE = 16;
export const FUSE_STATFS = 17;
export const FUSE_RELEASE = 18;
export const FUSE_FSYNC = 20;
export const FUSE_SETXATTR = 21;
export const FUSE_GETXATTR = 22;
export const FUSE_LISTXATTR = 23;
export const FUSE_REMOVEXATTR = 24;
export const FUSE_FLUSH = 25;
export const FUSE_INIT = 26;
export const FUSE_OPENDIR = 27;
export const FUSE_READDIR = 28;
export const FUSE_RELEASEDIR = 29;
export const FUSE_FSYNCDIR = 30;
export const FUSE_GETLK = 31;
export const FUSE_SETLK = 32;
export const FUSE_SETLKW = 33;
export const FUSE_ACCESS = 34;
export const FUSE_CREATE = 35;
export const FUSE_INTERRUPT = 36;
export const FUSE_BMAP = 37;
export const FUSE_DESTROY = 38;
export const FUSE_IOCTL = 39;
export const FUSE_POLL = 40;
export const FUSE_NOTIFY_REPLY = 41;
export const FUSE_BATCH_FORGET = 42;
export const FUSE_FALLOCATE = 43;
export const FUSE_READDIRPLUS = 44;
export const FUSE_RENAME2 = 45;
export const FUSE_LSEEK = 46;
export const FUSE_COPY_FILE_RANGE = 47;
export const FUSE_SETUPMAPPING = 48;
export const FUSE_REMOVEMAPPING = 49;
export const FUSE_SYNCFS = 50;
export const FUSE_TMPFILE = 51;
export const FUSE_STATX = 52;

// ---- notifications (enum fuse_notify_code), sent with unique 0 ----
export const FUSE_NOTIFY_INVAL_INODE = 2;
export const FUSE_NOTIFY_INVAL_ENTRY = 3;
export const FUSE_NOTIFY_DELETE = 6;

// ---- INIT flags (fuse_init_in.flags / flags2 << 32) ----
export const FUSE_ASYNC_READ = 1 << 0;
export const FUSE_POSIX_LOCKS = 1 << 1;
export const FUSE_FILE_OPS = 1 << 2;
export const FUSE_ATOMIC_O_TRUNC = 1 << 3;
export const FUSE_EXPORT_SUPPORT = 1 << 4;
export const FUSE_BIG_WRITES = 1 << 5;
export const FUSE_DONT_MASK = 1 << 6;
export const FUSE_SPLICE_WRITE = 1 << 7;
export const FUSE_SPLICE_MOVE = 1 << 8;
export const FUSE_SPLICE_READ = 1 << 9;
export const FUSE_FLOCK_LOCKS = 1 << 10;
export const FUSE_HAS_IOCTL_DIR = 1 << 11;
export const FUSE_AUTO_INVAL_DATA = 1 << 12;
export const FUSE_DO_READDIRPLUS = 1 << 13;
export const FUSE_READDIRPLUS_AUTO = 1 << 14;
export const FUSE_ASYNC_DIO = 1 << 15;
export const FUSE_WRITEBACK_CACHE = 1 << 16;
export const FUSE_NO_OPEN_SUPPORT = 1 << 17;
export const FUSE_PARALLEL_DIROPS = 1 << 18;
export const FUSE_HANDLE_KILLPRIV = 1 << 19;
export const FUSE_POSIX_ACL = 1 << 20;
export const FUSE_ABORT_ERROR = 1 << 21;
export const FUSE_MAX_PAGES = 1 << 22;
export const FUSE_CACHE_SYMLINKS = 1 << 23;
export const FUSE_NO_OPENDIR_SUPPORT = 1 << 24;
export const FUSE_EXPLICIT_INVAL_DATA = 1 << 25;
export const FUSE_MAP_ALIGNMENT = 1 << 26;
export const FUSE_SUBMOUNTS = 1 << 27;
export const FUSE_HANDLE_KILLPRIV_V2 = 1 << 28;
export const FUSE_SETXATTR_EXT = 1 << 29;
export const FUSE_INIT_EXT = 1 << 30;
export const FUSE_INIT_RESERVED = 2 ** 31;

// ---- fuse_setattr_in.valid ----
export const FATTR_MODE = 1 << 0;
export const FATTR_UID = 1 << 1;
export const FATTR_GID = 1 << 2;
export const FATTR_SIZE = 1 << 3;
export const FATTR_ATIME = 1 << 4;
export const FATTR_MTIME = 1 << 5;
export const FATTR_FH = 1 << 6;
export const FATTR_ATIME_NOW = 1 << 7;
export const FATTR_MTIME_NOW = 1 << 8;
export const FATTR_LOCKOWNER = 1 << 9;
export const FATTR_CTIME = 1 << 10;
export const FATTR_KILL_SUIDGID = 1 << 11;

// ---- fuse_open_out.open_flags ----
export const FOPEN_DIRECT_IO = 1 << 0;
export const FOPEN_KEEP_CACHE = 1 << 1;
export const FOPEN_NONSEEKABLE = 1 << 2;
export const FOPEN_CACHE_DIR = 1 << 3;
export const FOPEN_STREAM = 1 << 4;
export const FOPEN_NOFLUSH = 1 << 5;

/** fuse_getattr_in.getattr_flags: fh is valid. */
export const FUSE_GETATTR_FH = 1 << 0;
/** fuse_release_in.release_flags. */
export const FUSE_RELEASE_FLUSH = 1 << 0;
/** fuse_fsync_in.fsync_flags: fdatasync. */
export const FUSE_FSYNC_FDATASYNC = 1 << 0;
/** fuse_write_in.write_flags: written from the page cache (writeback). */
export const FUSE_WRITE_CACHE = 1 << 0;

// ---- sizes ----
export const FUSE_IN_HEADER_SIZE = 40;
export const FUSE_OUT_HEADER_SIZE = 16;
export const FUSE_ATTR_SIZE = 88;
export const FUSE_ENTRY_OUT_SIZE = 40 + FUSE_ATTR_SIZE;
export const FUSE_ATTR_OUT_SIZE = 16 + FUSE_ATTR_SIZE;
export const FUSE_OPEN_OUT_SIZE = 16;
export const FUSE_WRITE_OUT_SIZE = 8;
export const FUSE_STATFS_OUT_SIZE = 80;
export const FUSE_GETXATTR_OUT_SIZE = 8;
export const FUSE_LSEEK_OUT_SIZE = 8;
export const FUSE_INIT_OUT_SIZE = 64;
export const FUSE_DIRENT_HEADER_SIZE = 24;
export const FUSE_DIRENTPLUS_HEADER_SIZE = FUSE_ENTRY_OUT_SIZE + FUSE_DIRENT_HEADER_SIZE;
/** The kernel refuses reads of /dev/fuse into buffers smaller than this. */
export const FUSE_MIN_READ_BUFFER = 8192;

const TWO32 = 0x1_0000_0000;

export function getU64(v: DataView, off: number): number {
  return v.getUint32(off, true) + v.getUint32(off + 4, true) * TWO32;
}
/** Signed 64-bit (times, lseek offsets). */
export function getI64(v: DataView, off: number): number {
  return v.getUint32(off, true) + v.getInt32(off + 4, true) * TWO32;
}
export { setU64 };
/** Two's complement for negative values (times before 1970). */
export function setI64(v: DataView, off: number, value: number): void {
  const hi = Math.floor(value / TWO32);
  v.setUint32(off, value - hi * TWO32, true);
  v.setInt32(off + 4, hi, true);
}
export function alignDirent(n: number): number {
  return (n + 7) & ~7;
}

// ---- the request header ----

export interface fuse_in_header {
  len: number;
  opcode: number;
  unique: number;
  nodeid: number;
  uid: number;
  gid: number;
  pid: number;
}

export function decodeInHeader(v: DataView): fuse_in_header {
  return {
    len: v.getUint32(0, true),
    opcode: v.getUint32(4, true),
    unique: getU64(v, 8),
    nodeid: getU64(v, 16),
    uid: v.getUint32(24, true),
    gid: v.getUint32(28, true),
    pid: v.getUint32(32, true),
  };
}

export function encodeOutHeader(v: DataView, len: number, error: number, unique: number): void {
  v.setUint32(0, len, true);
  v.setInt32(4, error, true);
  setU64(v, 8, unique);
}

// ---- request bodies: one interface and decoder each, at body offset `o` ----

export interface fuse_init_in { major: number; minor: number; max_readahead: number; flags: number; flags2: number }
export const fuse_init_in_size = 16;
export function decodeInitIn(v: DataView, o: number): fuse_init_in {
  const flags = v.getUint32(o + 12, true);
  // flags2 exists when the kernel sets FUSE_INIT_EXT (minor ≥ 36); the body is then 64 bytes.
  const flags2 = flags & FUSE_INIT_EXT && v.byteLength >= o + 20 ? v.getUint32(o + 16, true) : 0;
  return { major: v.getUint32(o, true), minor: v.getUint32(o + 4, true), max_readahead: v.getUint32(o + 8, true), flags, flags2 };
}

export interface fuse_forget_in { nlookup: number }
export const fuse_forget_in_size = 8;
export const decodeForgetIn = (v: DataView, o: number): fuse_forget_in => ({ nlookup: getU64(v, o) });

export interface fuse_batch_forget_in { count: number }
export const fuse_batch_forget_in_size = 8;
export const decodeBatchForgetIn = (v: DataView, o: number): fuse_batch_forget_in => ({ count: v.getUint32(o, true) });
/** fuse_forget_one: nodeid, nlookup. */
export const FUSE_FORGET_ONE_SIZE = 16;

export interface fuse_getattr_in { getattr_flags: number; fh: number }
export const fuse_getattr_in_size = 16;
export const decodeGetattrIn = (v: DataView, o: number): fuse_getattr_in => ({ getattr_flags: v.getUint32(o, true), fh: getU64(v, o + 8) });

export interface fuse_setattr_in {
  valid: number; fh: number; size: number; lock_owner: number;
  atime: number; mtime: number; ctime: number; atimensec: number; mtimensec: number; ctimensec: number;
  mode: number; uid: number; gid: number;
}
export const fuse_setattr_in_size = 88;
export function decodeSetattrIn(v: DataView, o: number): fuse_setattr_in {
  return {
    valid: v.getUint32(o, true), fh: getU64(v, o + 8), size: getU64(v, o + 16), lock_owner: getU64(v, o + 24),
    atime: getI64(v, o + 32), mtime: getI64(v, o + 40), ctime: getI64(v, o + 48),
    atimensec: v.getUint32(o + 56, true), mtimensec: v.getUint32(o + 60, true), ctimensec: v.getUint32(o + 64, true),
    mode: v.getUint32(o + 68, true), uid: v.getUint32(o + 76, true), gid: v.getUint32(o + 80, true),
  };
}

export interface fuse_mknod_in { mode: number; rdev: number; umask: number }
export const fuse_mknod_in_size = 16;
export const decodeMknodIn = (v: DataView, o: number): fuse_mknod_in => ({ mode: v.getUint32(o, true), rdev: v.getUint32(o + 4, true), umask: v.getUint32(o + 8, true) });

export interface fuse_mkdir_in { mode: number; umask: number }
export const fuse_mkdir_in_size = 8;
export const decodeMkdirIn = (v: DataView, o: number): fuse_mkdir_in => ({ mode: v.getUint32(o, true), umask: v.getUint32(o + 4, true) });

export interface fuse_rename_in { newdir: number }
export const fuse_rename_in_size = 8;
export const decodeRenameIn = (v: DataView, o: number): fuse_rename_in => ({ newdir: getU64(v, o) });

export interface fuse_rename2_in { newdir: number; flags: number }
export const fuse_rename2_in_size = 16;
export const decodeRename2In = (v: DataView, o: number): fuse_rename2_in => ({ newdir: getU64(v, o), flags: v.getUint32(o + 8, true) });

export interface fuse_link_in { oldnodeid: number }
export const fuse_link_in_size = 8;
export const decodeLinkIn = (v: DataView, o: number): fuse_link_in => ({ oldnodeid: getU64(v, o) });

export interface fuse_open_in { flags: number; open_flags: number }
export const fuse_open_in_size = 8;
export const decodeOpenIn = (v: DataView, o: number): fuse_open_in => ({ flags: v.getUint32(o, true), open_flags: v.getUint32(o + 4, true) });

export interface fuse_create_in { flags: number; mode: number; umask: number; open_flags: number }
export const fuse_create_in_size = 16;
export const decodeCreateIn = (v: DataView, o: number): fuse_create_in => ({
  flags: v.getUint32(o, true), mode: v.getUint32(o + 4, true), umask: v.getUint32(o + 8, true), open_flags: v.getUint32(o + 12, true),
});

export interface fuse_release_in { fh: number; flags: number; release_flags: number; lock_owner: number }
export const fuse_release_in_size = 24;
export const decodeReleaseIn = (v: DataView, o: number): fuse_release_in => ({
  fh: getU64(v, o), flags: v.getUint32(o + 8, true), release_flags: v.getUint32(o + 12, true), lock_owner: getU64(v, o + 16),
});

export interface fuse_flush_in { fh: number; lock_owner: number }
export const fuse_flush_in_size = 24;
export const decodeFlushIn = (v: DataView, o: number): fuse_flush_in => ({ fh: getU64(v, o), lock_owner: getU64(v, o + 16) });

/** Also READDIR and READDIRPLUS. */
export interface fuse_read_in { fh: number; offset: number; size: number; read_flags: number; flags: number }
export const fuse_read_in_size = 40;
export const decodeReadIn = (v: DataView, o: number): fuse_read_in => ({
  fh: getU64(v, o), offset: getU64(v, o + 8), size: v.getUint32(o + 16, true), read_flags: v.getUint32(o + 20, true), flags: v.getUint32(o + 32, true),
});

export interface fuse_write_in { fh: number; offset: number; size: number; write_flags: number; flags: number }
export const fuse_write_in_size = 40;
export const decodeWriteIn = (v: DataView, o: number): fuse_write_in => ({
  fh: getU64(v, o), offset: getU64(v, o + 8), size: v.getUint32(o + 16, true), write_flags: v.getUint32(o + 20, true), flags: v.getUint32(o + 32, true),
});

/** Also FSYNCDIR. */
export interface fuse_fsync_in { fh: number; fsync_flags: number }
export const fuse_fsync_in_size = 16;
export const decodeFsyncIn = (v: DataView, o: number): fuse_fsync_in => ({ fh: getU64(v, o), fsync_flags: v.getUint32(o + 8, true) });

export interface fuse_setxattr_in { size: number; flags: number }
export const fuse_setxattr_in_size = 8;
export const decodeSetxattrIn = (v: DataView, o: number): fuse_setxattr_in => ({ size: v.getUint32(o, true), flags: v.getUint32(o + 4, true) });

/** Also LISTXATTR. */
export interface fuse_getxattr_in { size: number }
export const fuse_getxattr_in_size = 8;
export const decodeGetxattrIn = (v: DataView, o: number): fuse_getxattr_in => ({ size: v.getUint32(o, true) });

export interface fuse_access_in { mask: number }
export const fuse_access_in_size = 8;
export const decodeAccessIn = (v: DataView, o: number): fuse_access_in => ({ mask: v.getUint32(o, true) });

export interface fuse_interrupt_in { unique: number }
export const fuse_interrupt_in_size = 8;
export const decodeInterruptIn = (v: DataView, o: number): fuse_interrupt_in => ({ unique: getU64(v, o) });

export interface fuse_fallocate_in { fh: number; offset: number; length: number; mode: number }
export const fuse_fallocate_in_size = 32;
export const decodeFallocateIn = (v: DataView, o: number): fuse_fallocate_in => ({
  fh: getU64(v, o), offset: getU64(v, o + 8), length: getU64(v, o + 16), mode: v.getUint32(o + 24, true),
});

export interface fuse_lseek_in { fh: number; offset: number; whence: number }
export const fuse_lseek_in_size = 24;
export const decodeLseekIn = (v: DataView, o: number): fuse_lseek_in => ({ fh: getU64(v, o), offset: getI64(v, o + 8), whence: v.getUint32(o + 16, true) });

export interface fuse_copy_file_range_in { fh_in: number; off_in: number; nodeid_out: number; fh_out: number; off_out: number; len: number; flags: number }
export const fuse_copy_file_range_in_size = 56;
export const decodeCopyFileRangeIn = (v: DataView, o: number): fuse_copy_file_range_in => ({
  fh_in: getU64(v, o), off_in: getU64(v, o + 8), nodeid_out: getU64(v, o + 16), fh_out: getU64(v, o + 24),
  off_out: getU64(v, o + 32), len: getU64(v, o + 40), flags: getU64(v, o + 48),
});

// ---- reply bodies ----

export interface fuse_attr {
  ino: number; size: number; blocks: number;
  atime: number; mtime: number; ctime: number; atimensec: number; mtimensec: number; ctimensec: number;
  mode: number; nlink: number; uid: number; gid: number; rdev: number; blksize: number;
}

export function encodeAttr(v: DataView, o: number, a: fuse_attr): void {
  setU64(v, o, a.ino);
  setU64(v, o + 8, a.size);
  setU64(v, o + 16, a.blocks);
  setI64(v, o + 24, a.atime);
  setI64(v, o + 32, a.mtime);
  setI64(v, o + 40, a.ctime);
  v.setUint32(o + 48, a.atimensec, true);
  v.setUint32(o + 52, a.mtimensec, true);
  v.setUint32(o + 56, a.ctimensec, true);
  v.setUint32(o + 60, a.mode, true);
  v.setUint32(o + 64, a.nlink, true);
  v.setUint32(o + 68, a.uid, true);
  v.setUint32(o + 72, a.gid, true);
  v.setUint32(o + 76, a.rdev, true);
  v.setUint32(o + 80, a.blksize, true);
  v.setUint32(o + 84, 0, true);
}

/** A cache timeout in seconds, split as the kernel wants it. */
export interface Validity { sec: number; nsec: number }

export interface fuse_entry_out { nodeid: number; generation: number; entry_valid: Validity; attr_valid: Validity; attr: fuse_attr }

export function encodeEntryOut(v: DataView, o: number, e: fuse_entry_out): void {
  setU64(v, o, e.nodeid);
  setU64(v, o + 8, e.generation);
  setU64(v, o + 16, e.entry_valid.sec);
  setU64(v, o + 24, e.attr_valid.sec);
  v.setUint32(o + 32, e.entry_valid.nsec, true);
  v.setUint32(o + 36, e.attr_valid.nsec, true);
  encodeAttr(v, o + 40, e.attr);
}

export function encodeAttrOut(v: DataView, o: number, valid: Validity, attr: fuse_attr): void {
  setU64(v, o, valid.sec);
  v.setUint32(o + 8, valid.nsec, true);
  v.setUint32(o + 12, 0, true);
  encodeAttr(v, o + 16, attr);
}

export function encodeOpenOut(v: DataView, o: number, fh: number, open_flags: number): void {
  setU64(v, o, fh);
  v.setUint32(o + 8, open_flags, true);
  v.setUint32(o + 12, 0, true);
}

export interface fuse_kstatfs { blocks: number; bfree: number; bavail: number; files: number; ffree: number; bsize: number; namelen: number; frsize: number }

export function encodeStatfsOut(v: DataView, o: number, s: fuse_kstatfs): void {
  setU64(v, o, s.blocks);
  setU64(v, o + 8, s.bfree);
  setU64(v, o + 16, s.bavail);
  setU64(v, o + 24, s.files);
  setU64(v, o + 32, s.ffree);
  v.setUint32(o + 40, s.bsize, true);
  v.setUint32(o + 44, s.namelen, true);
  v.setUint32(o + 48, s.frsize, true);
}

export interface fuse_init_out {
  major: number; minor: number; max_readahead: number; flags: number; max_background: number; congestion_threshold: number;
  max_write: number; time_gran: number; max_pages: number; flags2: number;
}

export function encodeInitOut(v: DataView, o: number, i: fuse_init_out): void {
  v.setUint32(o, i.major, true);
  v.setUint32(o + 4, i.minor, true);
  v.setUint32(o + 8, i.max_readahead, true);
  v.setUint32(o + 12, i.flags, true);
  v.setUint16(o + 16, i.max_background, true);
  v.setUint16(o + 18, i.congestion_threshold, true);
  v.setUint32(o + 20, i.max_write, true);
  v.setUint32(o + 24, i.time_gran, true);
  v.setUint16(o + 28, i.max_pages, true);
  v.setUint16(o + 30, 0, true); // map_alignment
  v.setUint32(o + 32, i.flags2, true);
}

/** fuse_dirent: ino, off, namelen, type, then the name, padded to 8 bytes. Returns the bytes used. */
export function encodeDirent(v: DataView, o: number, ino: number, off: number, type: number, name: Uint8Array): number {
  setU64(v, o, ino);
  setU64(v, o + 8, off);
  v.setUint32(o + 16, name.length, true);
  v.setUint32(o + 20, type, true);
  new Uint8Array(v.buffer, v.byteOffset + o + FUSE_DIRENT_HEADER_SIZE, name.length).set(name);
  const size = alignDirent(FUSE_DIRENT_HEADER_SIZE + name.length);
  for (let i = FUSE_DIRENT_HEADER_SIZE + name.length; i < size; i++) v.setUint8(o + i, 0);
  return size;
}

export function encodeNotifyInvalEntry(v: DataView, o: number, parent: number, namelen: number): void {
  setU64(v, o, parent);
  v.setUint32(o + 8, namelen, true);
  v.setUint32(o + 12, 0, true);
}

export function encodeNotifyInvalInode(v: DataView, o: number, ino: number, off: number, len: number): void {
  setU64(v, o, ino);
  setI64(v, o + 8, off);
  setI64(v, o + 16, len);
}
