/** MemInode: one memfs inode: attributes plus the content of its type. */
import { S_IFMT, S_IFDIR, S_IFLNK, S_IFREG, dtFromMode } from '../../fs/mode.js';
import type { Stat } from '../../fs/filesystem.js';
import type { Timespec } from '../../fs/time.js';
import { SparseData } from './file-data.js';
import { utf8Length } from '../../fs/names.js';

/** tmpfs's BOGO_DIRENT_SIZE: directories report 20 bytes per entry, plus 40. */
const DIRENT_SIZE = 20;

export interface DirRecord {
  readonly ino: number;
  /** DT_* of the child, kept here so readdir needs no inode lookups. */
  readonly type: number;
  /** Position for readdir cookies: increases with every insertion into this directory. */
  readonly seq: number;
}

export class MemInode {
  readonly ino: number;
  mode: number;
  uid: number;
  gid: number;
  rdev = 0;
  nlink = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly btime: Timespec;
  /** Regular files. */
  data?: SparseData;
  /** Symlinks. */
  target?: string;
  /** Directories: name → child, in insertion order (readdir order). */
  entries?: Map<string, DirRecord>;
  /** Directories: next readdir sequence number. */
  nextSeq = 1;
  /** Directories: the parent directory's inode number ('..'). */
  parent = 0;
  xattrs?: Map<string, Uint8Array>;
  /** References held by callers (lookup counts) and open handles: the inode lives while either is non-zero or it has a name. */
  nlookup = 0;
  opens = 0;

  constructor(ino: number, mode: number, uid: number, gid: number, now: Timespec) {
    this.ino = ino;
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    this.atime = this.mtime = this.ctime = this.btime = now;
    const type = mode & S_IFMT;
    if (type === S_IFREG) this.data = new SparseData();
    else if (type === S_IFDIR) this.entries = new Map();
  }

  get isDir(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }

  get isSymlink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }

  get dtype(): number {
    return dtFromMode(this.mode);
  }

  get size(): number {
    if (this.data) return this.data.size;
    if (this.entries) return 2 * DIRENT_SIZE + this.entries.size * DIRENT_SIZE;
    if (this.target !== undefined) return utf8Length(this.target);
    return 0;
  }

  stat(): Stat {
    return {
      ino: this.ino,
      mode: this.mode,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      size: this.size,
      blocks: this.data ? this.data.blocks : 0,
      blksize: 4096,
      atime: this.atime,
      mtime: this.mtime,
      ctime: this.ctime,
      btime: this.btime,
    };
  }
}
