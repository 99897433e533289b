/** Stats, BigIntStats and StatFs shaped like Node's, built from the VFS's stat. */
import type { StatFs as DriverStatFs } from '../fs/filesystem.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../fs/mode.js';
import { toMs, toNs, type Timespec } from '../fs/time.js';
import type { VfsStat } from '../vfs/process.js';

abstract class StatsBase<T extends number | bigint> {
  abstract readonly mode: T;
  private type(): number {
    return Number(this.mode) & S_IFMT;
  }
  isFile(): boolean {
    return this.type() === S_IFREG;
  }
  isDirectory(): boolean {
    return this.type() === S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return this.type() === S_IFLNK;
  }
  isBlockDevice(): boolean {
    return this.type() === S_IFBLK;
  }
  isCharacterDevice(): boolean {
    return this.type() === S_IFCHR;
  }
  isFIFO(): boolean {
    return this.type() === S_IFIFO;
  }
  isSocket(): boolean {
    return this.type() === S_IFSOCK;
  }
}

/** fs.Stats: numbers, times in ms and as Dates. */
export class Stats extends StatsBase<number> {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly blksize: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;

  constructor(s: VfsStat) {
    super();
    this.dev = s.dev;
    this.ino = s.ino;
    this.mode = s.mode;
    this.nlink = s.nlink;
    this.uid = s.uid;
    this.gid = s.gid;
    this.rdev = s.rdev;
    this.size = s.size;
    this.blksize = s.blksize;
    this.blocks = s.blocks;
    this.atimeMs = toMs(s.atime);
    this.mtimeMs = toMs(s.mtime);
    this.ctimeMs = toMs(s.ctime);
    this.birthtimeMs = s.btime ? toMs(s.btime) : 0;
  }
  get atime(): Date {
    return new Date(this.atimeMs);
  }
  get mtime(): Date {
    return new Date(this.mtimeMs);
  }
  get ctime(): Date {
    return new Date(this.ctimeMs);
  }
  get birthtime(): Date {
    return new Date(this.birthtimeMs);
  }
}

const ms = (t: Timespec): bigint => BigInt(t.sec) * 1000n + BigInt(Math.floor(t.nsec / 1e6));

/** fs.BigIntStats (`{ bigint: true }`): bigints, and times to the nanosecond (atimeNs …). */
export class BigIntStats extends StatsBase<bigint> {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: bigint;
  readonly nlink: bigint;
  readonly uid: bigint;
  readonly gid: bigint;
  readonly rdev: bigint;
  readonly size: bigint;
  readonly blksize: bigint;
  readonly blocks: bigint;
  readonly atimeMs: bigint;
  readonly mtimeMs: bigint;
  readonly ctimeMs: bigint;
  readonly birthtimeMs: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly birthtimeNs: bigint;

  constructor(s: VfsStat) {
    super();
    this.dev = BigInt(s.dev);
    this.ino = BigInt(s.ino);
    this.mode = BigInt(s.mode);
    this.nlink = BigInt(s.nlink);
    this.uid = BigInt(s.uid);
    this.gid = BigInt(s.gid);
    this.rdev = BigInt(s.rdev);
    this.size = BigInt(s.size);
    this.blksize = BigInt(s.blksize);
    this.blocks = BigInt(s.blocks);
    this.atimeMs = ms(s.atime);
    this.mtimeMs = ms(s.mtime);
    this.ctimeMs = ms(s.ctime);
    this.birthtimeMs = s.btime ? ms(s.btime) : 0n;
    this.atimeNs = toNs(s.atime);
    this.mtimeNs = toNs(s.mtime);
    this.ctimeNs = toNs(s.ctime);
    this.birthtimeNs = s.btime ? toNs(s.btime) : 0n;
  }
  get atime(): Date {
    return new Date(Number(this.atimeMs));
  }
  get mtime(): Date {
    return new Date(Number(this.mtimeMs));
  }
  get ctime(): Date {
    return new Date(Number(this.ctimeMs));
  }
  get birthtime(): Date {
    return new Date(Number(this.birthtimeMs));
  }
}

/** fs.StatFs. */
export class StatFs {
  readonly type: number;
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
  constructor(s: DriverStatFs) {
    this.type = s.type;
    this.bsize = s.bsize;
    this.blocks = s.blocks;
    this.bfree = s.bfree;
    this.bavail = s.bavail;
    this.files = s.files;
    this.ffree = s.ffree;
  }
}
