/**
 * extractTree: copy a tree out of any FileSystem onto the host, keeping
 * modes, times, symlinks and hardlinks where the host allows — and never
 * writing outside the destination, whatever the image says.
 *
 * Safety rules (hostile images are the normal case here):
 * - every name from the image is one plain component: '', '.', '..', names
 *   with '/', NUL or control characters are rewritten (safeName) and
 *   reported; duplicates after rewriting get a ~N suffix;
 * - nothing is ever written through a symlink: files are created with
 *   O_NOFOLLOW|O_EXCL, directories are checked with lstat, and whatever
 *   stands in the way (a symlink from the image or a stale file) is removed
 *   first, never followed;
 * - symlink targets are copied as text (they are data); since nothing is
 *   written through them, an absolute or '../..' target cannot lead a write
 *   outside DEST;
 * - a directory that appears inside itself (a cycle in a corrupt image) is
 *   skipped, as are setuid/setgid bits unless asked for, and device nodes
 *   unless running as root.
 */
import { constants, type Stats } from 'node:fs';
import { chmod, link, lchown, lstat, lutimes, mkdir, open, readlink as hostReadlink, rm, symlink, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FsError, toFsError } from '../errors.js';
import type { FileSystem, Ino, Stat } from '../fs/filesystem.js';
import { S_IFMT, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, devMajor, devMinor } from '../fs/mode.js';
import type { Timespec } from '../fs/time.js';
import { safeName, uniqueName, unsafeNameReason } from '../util/safe-name.js';

export interface ExtractOptions {
  /** chown to the image's owners (default: only when running as root, like tar). */
  sameOwner?: boolean;
  /** Keep setuid, setgid and sticky bits (default: only when running as root, like tar -p). */
  specialBits?: boolean;
  /** Create FIFOs and, as root, device nodes (default true). */
  specialFiles?: boolean;
  /** Called for every rewritten name, skipped entry and partial failure. */
  onWarning?: (message: string) => void;
  /** Called as data is copied. */
  onProgress?: (progress: ExtractProgress) => void;
  signal?: AbortSignal;
}

export interface ExtractProgress {
  entries: number;
  bytes: number;
  /** The image path being copied. */
  current: string;
}

export interface ExtractStats {
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  special: number;
  bytes: number;
  /** Names that had to be rewritten: image path → host path. */
  renamed: Array<{ from: string; to: string }>;
  skipped: Array<{ path: string; reason: string }>;
}

const CHUNK = 1 << 20;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

interface PendingDir {
  path: string;
  attr: Stat;
}

class Extractor {
  readonly stats: ExtractStats = { files: 0, directories: 0, symlinks: 0, hardlinks: 0, special: 0, bytes: 0, renamed: [], skipped: [] };
  private readonly linked = new Map<Ino, string>();
  private readonly dirsToFinish: PendingDir[] = [];
  private readonly buf = new Uint8Array(CHUNK);
  private entries = 0;
  private readonly sameOwner: boolean;
  private readonly specialBits: boolean;

  constructor(
    private readonly fs: FileSystem,
    private readonly options: ExtractOptions,
  ) {
    this.sameOwner = options.sameOwner ?? isRoot;
    this.specialBits = options.specialBits ?? isRoot;
  }

  warn(message: string): void {
    this.options.onWarning?.(message);
  }

  skip(path: string, reason: string): void {
    this.stats.skipped.push({ path, reason });
    this.warn(`${path}: skipped: ${reason}`);
  }

  private progress(current: string): void {
    this.options.signal?.throwIfAborted();
    this.options.onProgress?.({ entries: this.entries, bytes: this.stats.bytes, current });
  }

  /** Copies `attr`'s inode (named `imagePath` in the image) to host path `dest`. */
  async copy(ino: Ino, attr: Stat, imagePath: string, dest: string, ancestors: Set<Ino>): Promise<void> {
    this.entries++;
    this.progress(imagePath);
    const type = attr.mode & S_IFMT;
    if (type !== S_IFDIR && attr.nlink > 1) {
      const first = this.linked.get(ino);
      if (first !== undefined) {
        await this.clearWay(dest);
        try {
          await link(first, dest);
          this.stats.hardlinks++;
          return;
        } catch (e) {
          this.warn(`${imagePath}: hardlink to ${first} failed (${(e as Error).message}); copying instead`);
        }
      }
    }
    switch (type) {
      case S_IFDIR:
        return this.copyDir(ino, attr, imagePath, dest, ancestors);
      case S_IFREG:
        await this.copyFile(ino, attr, imagePath, dest);
        break;
      case S_IFLNK:
        await this.copySymlink(ino, attr, dest);
        break;
      case S_IFIFO:
      case S_IFCHR:
      case S_IFBLK:
        if (!(await this.copySpecial(attr, imagePath, dest))) return;
        break;
      case S_IFSOCK:
        return this.skip(imagePath, 'sockets cannot be extracted');
      default:
        return this.skip(imagePath, `unknown file type 0o${type.toString(8)}`);
    }
    if (attr.nlink > 1) this.linked.set(ino, dest);
    await this.setMetadata(dest, attr, type === S_IFLNK);
  }

  private async copyDir(ino: Ino, attr: Stat, imagePath: string, dest: string, ancestors: Set<Ino>): Promise<void> {
    if (ancestors.has(ino)) return this.skip(imagePath, 'directory contains itself (corrupt image)');
    await this.makeDir(dest);
    this.stats.directories++;
    // Modes and times are set after the children are in (a read-only directory could not take them).
    this.dirsToFinish.push({ path: dest, attr });
    ancestors.add(ino);
    const taken = new Set<string>();
    const fh = this.fs.opendir ? await this.fs.opendir(ino) : 0;
    try {
      let cookie = 0;
      for (;;) {
        const batch = await this.fs.readdir(ino, fh, cookie, 256);
        if (batch.length === 0) break;
        for (const entry of batch) {
          cookie = entry.next;
          if (entry.name === '.' || entry.name === '..') continue;
          const childImagePath = imagePath === '/' ? `/${entry.name}` : `${imagePath}/${entry.name}`;
          let hostName = entry.name;
          const reason = unsafeNameReason(entry.name);
          if (reason) hostName = safeName(entry.name);
          hostName = uniqueName(hostName, taken);
          taken.add(hostName);
          const childDest = join(dest, hostName);
          if (hostName !== entry.name) {
            this.stats.renamed.push({ from: childImagePath, to: childDest });
            this.warn(`${JSON.stringify(childImagePath)}: ${reason ?? 'duplicate name'}; written as ${JSON.stringify(hostName)}`);
          }
          let child;
          try {
            child = await this.fs.lookup(ino, entry.name);
          } catch (e) {
            this.skip(childImagePath, toFsError(e).message);
            continue;
          }
          try {
            await this.copy(child.ino, child.attr, childImagePath, childDest, ancestors);
          } catch (e) {
            if ((e as Error).name === 'AbortError') throw e;
            if (e instanceof FsError && e.code === 'EIO') this.skip(childImagePath, e.message);
            else throw e;
          } finally {
            this.fs.forget?.(child.ino, 1);
          }
        }
      }
    } finally {
      if (this.fs.releasedir) await this.fs.releasedir(ino, fh);
      ancestors.delete(ino);
    }
  }

  /** Makes `path` a real directory: an existing directory is kept; a symlink or file in the way is removed, never followed. */
  private async makeDir(path: string): Promise<void> {
    try {
      await mkdir(path, { mode: 0o700 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw toFsError(e, `mkdir ${path}`);
    }
    const st = await lstat(path);
    if (st.isDirectory()) return;
    await unlink(path);
    await mkdir(path, { mode: 0o700 });
  }

  /** Removes whatever non-directory stands at `path`, so the next create cannot follow it. */
  private async clearWay(path: string): Promise<void> {
    let st: Stats;
    try {
      st = await lstat(path);
    } catch {
      return;
    }
    if (st.isDirectory()) await rm(path, { recursive: true, force: true });
    else await unlink(path);
  }

  private async copyFile(ino: Ino, attr: Stat, imagePath: string, dest: string): Promise<void> {
    await this.clearWay(dest);
    const out = await open(dest, FILE_FLAGS, 0o600);
    let fh = 0;
    let opened = false;
    try {
      if (this.fs.open) {
        fh = await this.fs.open(ino, constants.O_RDONLY);
        opened = true;
      }
      let pos = 0;
      while (pos < attr.size) {
        const want = Math.min(CHUNK, attr.size - pos);
        const chunk = this.buf.subarray(0, want);
        const n = await this.fs.read(ino, fh, chunk, pos);
        if (n === 0) {
          this.warn(`${imagePath}: file ends at ${pos} bytes, ${attr.size} expected`);
          break;
        }
        await writeSparse(out, chunk.subarray(0, n), pos);
        pos += n;
        this.stats.bytes += n;
        this.progress(imagePath);
      }
      await out.truncate(pos);
      this.stats.files++;
    } finally {
      if (opened && this.fs.release) await this.fs.release(ino, fh);
      await out.close();
    }
  }

  private async copySymlink(ino: Ino, _attr: Stat, dest: string): Promise<void> {
    const target = await this.fs.readlink(ino);
    if (target.includes('\0')) throw new FsError('EIO', `${dest}: symlink target contains NUL`);
    await this.clearWay(dest);
    await symlink(target, dest);
    this.stats.symlinks++;
  }

  private async copySpecial(attr: Stat, imagePath: string, dest: string): Promise<boolean> {
    const type = attr.mode & S_IFMT;
    if (this.options.specialFiles === false) {
      this.skip(imagePath, 'special files not requested');
      return false;
    }
    if (type !== S_IFIFO && !isRoot) {
      this.skip(imagePath, 'device nodes need root');
      return false;
    }
    await this.clearWay(dest);
    // Node has no mknod(2); coreutils does it.
    const args = type === S_IFIFO ? ['mkfifo', [dest]] : ['mknod', [dest, type === S_IFCHR ? 'c' : 'b', String(devMajor(attr.rdev)), String(devMinor(attr.rdev))]];
    const r = spawnSync(args[0] as string, args[1] as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) {
      this.skip(imagePath, `${args[0]} failed: ${r.stderr?.toString().trim() || r.error?.message}`);
      return false;
    }
    this.stats.special++;
    return true;
  }

  private async setMetadata(path: string, attr: Stat, isSymlink: boolean): Promise<void> {
    if (this.sameOwner) {
      try {
        await lchown(path, attr.uid, attr.gid);
      } catch (e) {
        this.warn(`${path}: chown ${attr.uid}:${attr.gid} failed (${(e as Error).message})`);
      }
    }
    if (!isSymlink) {
      const mask = this.specialBits ? 0o7777 : 0o777;
      await chmod(path, attr.mode & mask);
    }
    try {
      if (isSymlink) await lutimes(path, seconds(attr.atime), seconds(attr.mtime));
      else await utimes(path, seconds(attr.atime), seconds(attr.mtime));
    } catch (e) {
      this.warn(`${path}: setting times failed (${(e as Error).message})`);
    }
  }

  /** Directory modes and times last, deepest first, so writing into them was possible. */
  async finishDirectories(): Promise<void> {
    for (const d of this.dirsToFinish.reverse()) await this.setMetadata(d.path, d.attr, false);
  }
}

/** Node turns negative numbers into "now" (fs.utimes), so times before 1970 go in as Dates (ms precision). */
function seconds(t: Timespec): number | Date {
  return t.sec >= 0 ? t.sec + t.nsec / 1e9 : new Date(t.sec * 1000 + Math.floor(t.nsec / 1e6));
}

function isZero(b: Uint8Array): boolean {
  // Compare eight bytes at a time where alignment allows.
  const words = b.byteOffset % 8 === 0 ? new BigUint64Array(b.buffer, b.byteOffset, b.length >>> 3) : undefined;
  let i = 0;
  if (words) {
    for (const w of words) if (w !== 0n) return false;
    i = words.length * 8;
  }
  for (; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Writes the non-zero 64 KiB runs of `data`; zero runs stay holes, like cp --sparse=auto. */
async function writeSparse(out: Awaited<ReturnType<typeof open>>, data: Uint8Array, pos: number): Promise<void> {
  const SEG = 65536;
  let runStart = -1;
  for (let off = 0; off < data.length; off += SEG) {
    const zero = isZero(data.subarray(off, off + SEG));
    if (!zero && runStart < 0) runStart = off;
    if (zero && runStart >= 0) {
      await writeAll(out, data.subarray(runStart, off), pos + runStart);
      runStart = -1;
    }
  }
  if (runStart >= 0) await writeAll(out, data.subarray(runStart), pos + runStart);
}

async function writeAll(out: Awaited<ReturnType<typeof open>>, data: Uint8Array, pos: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await out.write(data, done, data.length - done, pos + done);
    done += bytesWritten;
  }
}

/**
 * Copies the inode `ino` (a directory or anything else) of `fs` to `dest`.
 * A directory's contents go into `dest` (created if missing); anything else
 * becomes the file `dest`.
 */
export async function extractTree(fs: FileSystem, ino: Ino, imagePath: string, dest: string, options: ExtractOptions = {}): Promise<ExtractStats> {
  const x = new Extractor(fs, options);
  const attr = await fs.getattr(ino);
  await x.copy(ino, attr, imagePath, dest, new Set());
  await x.finishDirectories();
  return x.stats;
}

/** For tests and callers that resolve host paths: the target of a symlink on the host. */
export async function hostLinkTarget(path: string): Promise<string> {
  return hostReadlink(path);
}
