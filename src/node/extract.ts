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
 *
 * Concurrency: the walk (readdir, lookup, mkdir) runs one entry at a time,
 * in order; each non-directory entry becomes a task, FILES_IN_FLIGHT of them
 * at once, because most files are small (a fragment each) and one at a time
 * leaves the decompression workers and the disk idle between them. Every
 * name used is unique in its directory, so tasks never touch one another's
 * paths, and a directory exists before any task below it starts. A hardlink
 * waits for the copy of its first name. File metadata is set on the open
 * descriptor when its data is in; directory metadata after every task has
 * ended. Warnings, skips and renames come out in walk order, as a sequential
 * copy would give them (OrderedLog). The host calls are synchronous while
 * the host answers fast (HostFileIo, extract-io.ts).
 */
import { constants, type Stats } from 'node:fs';
import { readlink as hostReadlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FsError, toFsError } from '../errors.js';
import type { FileSystem, Ino, Stat } from '../fs/filesystem.js';
import { S_IFMT, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, devMajor, devMinor } from '../fs/mode.js';
import type { Timespec } from '../fs/time.js';
import { safeName, uniqueName, unsafeNameReason } from '../util/safe-name.js';
import { HostFileIo } from './extract-io.js';
import { OrderedLog, type LogSlot } from './extract-log.js';

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
/** Non-directory entries copied at once. */
const FILES_IN_FLIGHT = 8;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const EUID = typeof process.geteuid === 'function' ? process.geteuid() : -1;
const EGID = typeof process.getegid === 'function' ? process.getegid() : -1;
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

interface PendingDir {
  path: string;
  attr: Stat;
}

/** The copies of one multiply-linked inode form a chain: each waits for the one before it. */
interface LinkStep {
  /** Host path of the inode's first copy once the previous step is done; undefined if there is none. */
  previous: Promise<string | undefined> | undefined;
  resolve: (path: string | undefined) => void;
}

class Extractor {
  readonly stats: ExtractStats = { files: 0, directories: 0, symlinks: 0, hardlinks: 0, special: 0, bytes: 0, renamed: [], skipped: [] };
  /** inode → the last link step started for it. */
  private readonly linked = new Map<Ino, Promise<string | undefined>>();
  private readonly dirsToFinish: PendingDir[] = [];
  private readonly buffers: Uint8Array[] = [];
  private readonly io = new HostFileIo();
  private readonly log = new OrderedLog();
  private readonly running = new Set<Promise<void>>();
  /** The first failure that ends the extraction (by walk order), once there is one. */
  private failure: { order: number; error: unknown } | undefined;
  private order = 0;
  private entries = 0;
  /** The image path the walk has reached (for progress). */
  private current = '';
  private readonly sameOwner: boolean;
  private readonly specialBits: boolean;

  constructor(
    private readonly fs: FileSystem,
    private readonly options: ExtractOptions,
  ) {
    this.sameOwner = options.sameOwner ?? isRoot;
    this.specialBits = options.specialBits ?? isRoot;
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }

  private skip(path: string, reason: string): void {
    this.stats.skipped.push({ path, reason });
    this.warn(`${path}: skipped: ${reason}`);
  }

  /** Reports something at the walk's current position (after everything started before). */
  private note(action: () => void): void {
    const slot = this.log.slot();
    slot.add(action);
    slot.close();
  }

  private progress(): void {
    this.options.signal?.throwIfAborted();
    this.options.onProgress?.({ entries: this.entries, bytes: this.stats.bytes, current: this.current });
  }

  /** Copies `attr`'s inode (named `imagePath` in the image) to host path `dest`; then waits for every task. */
  async run(ino: Ino, attr: Stat, imagePath: string, dest: string): Promise<void> {
    try {
      if ((attr.mode & S_IFMT) === S_IFDIR) {
        await this.copyDir(ino, attr, imagePath, dest, new Set());
      } else {
        this.enter(imagePath);
        const slot = this.log.slot();
        try {
          await this.copyLeaf(ino, attr, imagePath, dest, slot, this.linkStep(ino, attr));
        } finally {
          slot.close();
        }
      }
    } catch (e) {
      this.fail(this.order++, e);
    }
    while (this.running.size) await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
    await this.finishDirectories();
  }

  private fail(order: number, error: unknown): void {
    if (!this.failure || order < this.failure.order) this.failure = { order, error };
  }

  private enter(imagePath: string): void {
    this.entries++;
    this.current = imagePath;
    this.progress();
  }

  private async copyDir(ino: Ino, attr: Stat, imagePath: string, dest: string, ancestors: Set<Ino>): Promise<void> {
    this.enter(imagePath);
    if (ancestors.has(ino)) return this.note(() => this.skip(imagePath, 'directory contains itself (corrupt image)'));
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
          if (this.failure) return;
          const childImagePath = imagePath === '/' ? `/${entry.name}` : `${imagePath}/${entry.name}`;
          let hostName = entry.name;
          const reason = unsafeNameReason(entry.name);
          if (reason) hostName = safeName(entry.name);
          hostName = uniqueName(hostName, taken);
          taken.add(hostName);
          const childDest = join(dest, hostName);
          if (hostName !== entry.name) {
            this.note(() => {
              this.stats.renamed.push({ from: childImagePath, to: childDest });
              this.warn(`${JSON.stringify(childImagePath)}: ${reason ?? 'duplicate name'}; written as ${JSON.stringify(hostName)}`);
            });
          }
          let child;
          try {
            child = await this.fs.lookup(ino, entry.name);
          } catch (e) {
            const message = toFsError(e).message;
            this.note(() => this.skip(childImagePath, message));
            continue;
          }
          if ((child.attr.mode & S_IFMT) === S_IFDIR) {
            try {
              await this.copyDir(child.ino, child.attr, childImagePath, childDest, ancestors);
            } catch (e) {
              this.childFailed(this.order++, e, childImagePath, undefined);
            } finally {
              this.fs.forget?.(child.ino, 1);
            }
          } else {
            this.enter(childImagePath);
            while (this.running.size >= FILES_IN_FLIGHT) await Promise.race(this.running);
            this.start(child.ino, child.attr, childImagePath, childDest);
          }
        }
      }
    } finally {
      if (this.fs.releasedir) await this.fs.releasedir(ino, fh);
      ancestors.delete(ino);
    }
  }

  /** An entry failed: EIO (a corrupt part of the image) skips it; anything else ends the extraction. */
  private childFailed(order: number, e: unknown, imagePath: string, slot: LogSlot | undefined): void {
    if ((e as Error).name !== 'AbortError' && e instanceof FsError && e.code === 'EIO') {
      const message = e.message;
      if (slot) slot.add(() => this.skip(imagePath, message));
      else this.note(() => this.skip(imagePath, message));
    } else this.fail(order, e);
  }

  /** Runs the copy of a non-directory entry as a task. */
  private start(ino: Ino, attr: Stat, imagePath: string, dest: string): void {
    const order = this.order++;
    const slot = this.log.slot();
    const step = this.linkStep(ino, attr);
    const task = this.copyLeaf(ino, attr, imagePath, dest, slot, step).then(
      () => {},
      (e: unknown) => this.childFailed(order, e, imagePath, slot),
    );
    this.running.add(task);
    void task.then(() => {
      this.fs.forget?.(ino, 1);
      slot.close();
      this.running.delete(task);
    });
  }

  /** For an inode with several names: its place in the chain of copies (registered in walk order). */
  private linkStep(ino: Ino, attr: Stat): LinkStep | undefined {
    if (attr.nlink <= 1) return undefined;
    const previous = this.linked.get(ino);
    let resolve!: (path: string | undefined) => void;
    this.linked.set(ino, new Promise((r) => (resolve = r)));
    return { previous, resolve };
  }

  private async copyLeaf(ino: Ino, attr: Stat, imagePath: string, dest: string, slot: LogSlot, step: LinkStep | undefined): Promise<void> {
    let made: string | undefined;
    try {
      const first = step?.previous ? await step.previous : undefined;
      if (first !== undefined) {
        await this.clearWay(dest);
        try {
          await this.io.link(first, dest);
          this.stats.hardlinks++;
          made = first;
          return;
        } catch (e) {
          const message = (e as Error).message;
          slot.add(() => this.warn(`${imagePath}: hardlink to ${first} failed (${message}); copying instead`));
        }
      }
      const type = attr.mode & S_IFMT;
      switch (type) {
        case S_IFREG:
          await this.copyFile(ino, attr, imagePath, dest, slot);
          made = dest;
          return;
        case S_IFLNK:
          await this.copySymlink(ino, dest);
          break;
        case S_IFIFO:
        case S_IFCHR:
        case S_IFBLK:
          if (!(await this.copySpecial(attr, imagePath, dest, slot))) return;
          break;
        case S_IFSOCK:
          return slot.add(() => this.skip(imagePath, 'sockets cannot be extracted'));
        default:
          return slot.add(() => this.skip(imagePath, `unknown file type 0o${type.toString(8)}`));
      }
      made = dest;
      await this.setMetadata(dest, attr, type === S_IFLNK, slot);
    } finally {
      step?.resolve(made);
    }
  }

  /** Makes `path` a real directory: an existing directory is kept; a symlink or file in the way is removed, never followed. */
  private async makeDir(path: string): Promise<void> {
    try {
      await this.io.mkdir(path, 0o700);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw toFsError(e, `mkdir ${path}`);
    }
    const st = await this.io.lstat(path);
    if (st.isDirectory()) return;
    await this.io.unlink(path);
    await this.io.mkdir(path, 0o700);
  }

  /** Removes whatever non-directory stands at `path`, so the next create cannot follow it. */
  private async clearWay(path: string): Promise<void> {
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

  /** A CHUNK-sized buffer; at most FILES_IN_FLIGHT of them ever exist, so small files allocate nothing. */
  private buffer(): Uint8Array {
    return this.buffers.pop() ?? new Uint8Array(CHUNK);
  }

  private async copyFile(ino: Ino, attr: Stat, imagePath: string, dest: string, slot: LogSlot): Promise<void> {
    const out = await this.createFile(dest);
    let fh = 0;
    let opened = false;
    const buf = this.buffer();
    try {
      if (this.fs.open) {
        fh = await this.fs.open(ino, constants.O_RDONLY);
        opened = true;
      }
      let pos = 0;
      let written = 0;
      while (pos < attr.size) {
        const chunk = buf.subarray(0, Math.min(CHUNK, attr.size - pos));
        const n = await this.fs.read(ino, fh, chunk, pos);
        if (n === 0) {
          const at = pos;
          slot.add(() => this.warn(`${imagePath}: file ends at ${at} bytes, ${attr.size} expected`));
          break;
        }
        written = await this.io.writeSparse(out, chunk.subarray(0, n), pos);
        pos += n;
        this.stats.bytes += n;
        this.progress();
      }
      // A file that ends in a hole, or shorter than its size said: the length must still be right.
      if (written !== pos) await this.io.truncate(out, pos);
      this.stats.files++;
      // A new file already belongs to us: chown only when the image says otherwise.
      if (this.sameOwner && (attr.uid !== EUID || attr.gid !== EGID)) {
        try {
          await this.io.chown(out, attr.uid, attr.gid);
        } catch (e) {
          const message = (e as Error).message;
          slot.add(() => this.warn(`${dest}: chown ${attr.uid}:${attr.gid} failed (${message})`));
        }
      }
      await this.io.chmod(out, attr.mode & (this.specialBits ? 0o7777 : 0o777));
      try {
        await this.io.utimes(out, seconds(attr.atime), seconds(attr.mtime));
      } catch (e) {
        const message = (e as Error).message;
        slot.add(() => this.warn(`${dest}: setting times failed (${message})`));
      }
    } finally {
      this.buffers.push(buf);
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
    this.stats.symlinks++;
  }

  private async copySpecial(attr: Stat, imagePath: string, dest: string, slot: LogSlot): Promise<boolean> {
    const type = attr.mode & S_IFMT;
    if (this.options.specialFiles === false) {
      slot.add(() => this.skip(imagePath, 'special files not requested'));
      return false;
    }
    if (type !== S_IFIFO && !isRoot) {
      slot.add(() => this.skip(imagePath, 'device nodes need root'));
      return false;
    }
    await this.clearWay(dest);
    // Node has no mknod(2); coreutils does it.
    const args = type === S_IFIFO ? ['mkfifo', [dest]] : ['mknod', [dest, type === S_IFCHR ? 'c' : 'b', String(devMajor(attr.rdev)), String(devMinor(attr.rdev))]];
    const r = spawnSync(args[0] as string, args[1] as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) {
      const why = `${args[0]} failed: ${r.stderr?.toString().trim() || r.error?.message}`;
      slot.add(() => this.skip(imagePath, why));
      return false;
    }
    this.stats.special++;
    return true;
  }

  /** Owner, mode and times by path (directories, symlinks, special files; regular files use their descriptor). */
  private async setMetadata(path: string, attr: Stat, isSymlink: boolean, slot: LogSlot | undefined): Promise<void> {
    const warn = (message: string) => (slot ? slot.add(() => this.warn(message)) : this.warn(message));
    if (this.sameOwner) {
      try {
        await this.io.lchownPath(path, attr.uid, attr.gid);
      } catch (e) {
        warn(`${path}: chown ${attr.uid}:${attr.gid} failed (${(e as Error).message})`);
      }
    }
    if (!isSymlink) {
      const mask = this.specialBits ? 0o7777 : 0o777;
      await this.io.chmodPath(path, attr.mode & mask);
    }
    try {
      await this.io.utimesPath(path, seconds(attr.atime), seconds(attr.mtime), isSymlink);
    } catch (e) {
      warn(`${path}: setting times failed (${(e as Error).message})`);
    }
  }

  /** Directory modes and times last, deepest first, so writing into them was possible. */
  private async finishDirectories(): Promise<void> {
    for (const d of this.dirsToFinish.reverse()) await this.setMetadata(d.path, d.attr, false, undefined);
  }
}

/** Node turns negative numbers into "now" (fs.utimes), so times before 1970 go in as Dates (ms precision). */
function seconds(t: Timespec): number | Date {
  return t.sec >= 0 ? t.sec + t.nsec / 1e9 : new Date(t.sec * 1000 + Math.floor(t.nsec / 1e6));
}

/**
 * Copies the inode `ino` (a directory or anything else) of `fs` to `dest`.
 * A directory's contents go into `dest` (created if missing); anything else
 * becomes the file `dest`.
 */
export async function extractTree(fs: FileSystem, ino: Ino, imagePath: string, dest: string, options: ExtractOptions = {}): Promise<ExtractStats> {
  const x = new Extractor(fs, options);
  const attr = await fs.getattr(ino);
  await x.run(ino, attr, imagePath, dest);
  return x.stats;
}

/** For tests and callers that resolve host paths: the target of a symlink on the host. */
export async function hostLinkTarget(path: string): Promise<string> {
  return hostReadlink(path);
}
