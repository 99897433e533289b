/**
 * LeafCopier: the copy of one non-directory inode onto the host — a
 * regular file (data, holes, owner, mode, times on its descriptor), a
 * symlink, a FIFO or device node — and the metadata of directories. The
 * walking thread and the extraction workers (extract-worker.ts) run the
 * same code; the safety rules are extract.ts's (nothing is ever opened or
 * written through what stands at the destination: O_EXCL|O_NOFOLLOW, lstat,
 * removal first).
 */
import { constants, type Stats } from 'node:fs';
import { rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { FsError } from '../errors.js';
import type { FileSystem, Ino, Stat } from '../fs/filesystem.js';
import { S_IFMT, S_IFBLK, S_IFCHR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, devMajor, devMinor } from '../fs/mode.js';
import type { Timespec } from '../fs/time.js';
import type { HostFileIo } from './extract-io.js';

export interface LeafOptions {
  /** chown to the image's owners. */
  sameOwner: boolean;
  /** Keep setuid, setgid and sticky bits. */
  specialBits: boolean;
  /** Create FIFOs and, as root, device nodes. */
  specialFiles: boolean;
}

/** Where a copy reports what a sequential copy would print, in its order. */
export interface LeafLog {
  warn(message: string): void;
  skip(path: string, reason: string): void;
}

/** What a copy made at its destination. */
export type LeafKind = 'file' | 'symlink' | 'special' | undefined;

const CHUNK = 1 << 20;
/** Running as root: device nodes can be made, and owners and special bits are kept by default (extract.ts). */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const EUID = typeof process.geteuid === 'function' ? process.geteuid() : -1;
const EGID = typeof process.getegid === 'function' ? process.getegid() : -1;
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export class LeafCopier {
  private readonly buffers: Uint8Array[] = [];

  constructor(
    private readonly fs: FileSystem,
    readonly io: HostFileIo,
    private readonly options: LeafOptions,
    /** Called as file data is written (bytes), for progress. */
    private readonly onBytes: (n: number) => void,
  ) {}

  /** Copies the non-directory `ino` to `dest`; returns what it made there (undefined: skipped, with a log entry). */
  async copy(ino: Ino, attr: Stat, imagePath: string, dest: string, log: LeafLog): Promise<LeafKind> {
    const type = attr.mode & S_IFMT;
    switch (type) {
      case S_IFREG:
        await this.copyFile(ino, attr, imagePath, dest, log);
        return 'file';
      case S_IFLNK:
        await this.copySymlink(ino, dest);
        await this.setMetadata(dest, attr, true, log);
        return 'symlink';
      case S_IFIFO:
      case S_IFCHR:
      case S_IFBLK:
        if (!(await this.copySpecial(attr, imagePath, dest, log))) return undefined;
        await this.setMetadata(dest, attr, false, log);
        return 'special';
      case S_IFSOCK:
        log.skip(imagePath, 'sockets cannot be extracted');
        return undefined;
      default:
        log.skip(imagePath, `unknown file type 0o${type.toString(8)}`);
        return undefined;
    }
  }

  /** Removes whatever non-directory stands at `path`, so the next create cannot follow it. */
  async clearWay(path: string): Promise<void> {
    let st: Stats;
    try {
      st = await this.io.lstat(path);
    } catch {
      return;
    }
    if (st.isDirectory()) await rm(path, { recursive: true, force: true });
    else await this.io.unlink(path);
  }

  /** Creates `path` as a new file. O_EXCL|O_NOFOLLOW never opens what is there; whatever is there is removed first. */
  private async createFile(path: string): Promise<number> {
    try {
      return await this.io.open(path, FILE_FLAGS, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    await this.clearWay(path);
    return this.io.open(path, FILE_FLAGS, 0o600);
  }

  /** A CHUNK-sized buffer from the pool; as many exist as copies ever ran at once. */
  private buffer(): Uint8Array {
    return this.buffers.pop() ?? new Uint8Array(CHUNK);
  }

  private async copyFile(ino: Ino, attr: Stat, imagePath: string, dest: string, log: LeafLog): Promise<void> {
    const out = await this.createFile(dest);
    let fh = 0;
    let opened = false;
    const buf = attr.size > 0 ? this.buffer() : undefined;
    try {
      if (this.fs.open) {
        fh = await this.fs.open(ino, constants.O_RDONLY);
        opened = true;
      }
      let pos = 0;
      let written = 0;
      while (pos < attr.size) {
        const chunk = buf!.subarray(0, Math.min(CHUNK, attr.size - pos));
        const n = await this.fs.read(ino, fh, chunk, pos);
        if (n === 0) {
          log.warn(`${imagePath}: file ends at ${pos} bytes, ${attr.size} expected`);
          break;
        }
        written = await this.io.writeSparse(out, chunk.subarray(0, n), pos);
        pos += n;
        this.onBytes(n);
      }
      // A file that ends in a hole, or shorter than its size said: the length must still be right.
      if (written !== pos) await this.io.truncate(out, pos);
      // A new file already belongs to us: chown only when the image says otherwise.
      if (this.options.sameOwner && (attr.uid !== EUID || attr.gid !== EGID)) {
        try {
          await this.io.chown(out, attr.uid, attr.gid);
        } catch (e) {
          log.warn(`${dest}: chown ${attr.uid}:${attr.gid} failed (${(e as Error).message})`);
        }
      }
      await this.io.chmod(out, attr.mode & (this.options.specialBits ? 0o7777 : 0o777));
      try {
        await this.io.utimes(out, seconds(attr.atime), seconds(attr.mtime));
      } catch (e) {
        log.warn(`${dest}: setting times failed (${(e as Error).message})`);
      }
    } finally {
      if (buf) this.buffers.push(buf);
      if (opened && this.fs.release) await this.fs.release(ino, fh);
      await this.io.close(out);
    }
  }

  private async copySymlink(ino: Ino, dest: string): Promise<void> {
    const target = await this.fs.readlink(ino);
    if (target.includes('\0')) throw new FsError('EIO', `${dest}: symlink target contains NUL`);
    try {
      await this.io.symlink(target, dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      await this.clearWay(dest);
      await this.io.symlink(target, dest);
    }
  }

  private async copySpecial(attr: Stat, imagePath: string, dest: string, log: LeafLog): Promise<boolean> {
    const type = attr.mode & S_IFMT;
    if (!this.options.specialFiles) {
      log.skip(imagePath, 'special files not requested');
      return false;
    }
    if (type !== S_IFIFO && !isRoot) {
      log.skip(imagePath, 'device nodes need root');
      return false;
    }
    await this.clearWay(dest);
    // Node has no mknod(2); coreutils does it.
    const args = type === S_IFIFO ? ['mkfifo', [dest]] : ['mknod', [dest, type === S_IFCHR ? 'c' : 'b', String(devMajor(attr.rdev)), String(devMinor(attr.rdev))]];
    const r = spawnSync(args[0] as string, args[1] as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) {
      log.skip(imagePath, `${args[0]} failed: ${r.stderr?.toString().trim() || r.error?.message}`);
      return false;
    }
    return true;
  }

  /** Owner, mode and times by path (directories, symlinks, special files; regular files use their descriptor). */
  async setMetadata(path: string, attr: Stat, isSymlink: boolean, log: LeafLog): Promise<void> {
    if (this.options.sameOwner) {
      try {
        await this.io.lchownPath(path, attr.uid, attr.gid);
      } catch (e) {
        log.warn(`${path}: chown ${attr.uid}:${attr.gid} failed (${(e as Error).message})`);
      }
    }
    if (!isSymlink) {
      const mask = this.options.specialBits ? 0o7777 : 0o777;
      await this.io.chmodPath(path, attr.mode & mask);
    }
    try {
      await this.io.utimesPath(path, seconds(attr.atime), seconds(attr.mtime), isSymlink);
    } catch (e) {
      log.warn(`${path}: setting times failed (${(e as Error).message})`);
    }
  }
}

/** Node turns negative numbers into "now" (fs.utimes), so times before 1970 go in as Dates (ms precision). */
function seconds(t: Timespec): number | Date {
  return t.sec >= 0 ? t.sec + t.nsec / 1e9 : new Date(t.sec * 1000 + Math.floor(t.nsec / 1e6));
}
