/**
 * AnymountFs: the `node:fs/promises` methods people already know, over any
 * Vfs or FileSystem (a disk image, an overlay, memfs):
 *
 *   const fs = await createFs(new MemFileSystem());
 *   await fs.writeFile('/hello.txt', 'hi');
 *   for (const d of await fs.readdir('/', { withFileTypes: true })) console.log(d.name, d.isFile());
 *
 * Paths resolve like a process's: absolute from the root, relative from
 * `fs.cwd()` (see `chdir`). Errors look like Node's (`code`, `errno`,
 * `syscall`, `path`). The class itself is browser-safe; under Node,
 * `createNodeFs` makes byte results Buffers and streams Node streams.
 */
import { FsError, isFsError } from '../errors.js';
import type { FileSystem } from '../fs/filesystem.js';
import { F_OK, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_TRUNC, O_WRONLY, parseOpenFlags } from '../fs/flags.js';
import { Vfs, type VfsOptions } from '../vfs/vfs.js';
import type { VfsProcess } from '../vfs/process.js';
import type { Credentials } from '../vfs/permissions.js';
import { Dir, Dirent, joinPath, readDirents } from './dirent.js';
import { toBytes } from './encoding.js';
import { nodeCodeError, toNodeError } from './errors.js';
import { FileHandle, toMode, toTimespec, type BytesFactory, type TimeLike } from './file-handle.js';
import { BigIntStats, StatFs, Stats } from './stats.js';
import { copyTree, removeTree, type CpOptions } from './tree-ops.js';

export type PathLike = string | URL;

export interface AnymountFsOptions extends VfsOptions {
  /** Credentials of the calling process (owner of new files; checked when `permissions` is on). Root if absent. */
  creds?: Credentials;
  /** File mode creation mask (default 0o022). */
  umask?: number;
  /** Turns byte results into the caller's type (the Node entry makes Buffers). */
  bytes?: BytesFactory;
}

export interface ReadFileOptions {
  encoding?: string | null;
  flag?: string | number;
}

export interface WriteFileOptions {
  encoding?: string | null;
  mode?: number | string;
  flag?: string | number;
}

export interface MkdirOptions {
  recursive?: boolean;
  mode?: number | string;
}

export interface RmOptions {
  recursive?: boolean;
  force?: boolean;
}

export interface ReaddirOptions {
  withFileTypes?: boolean;
  recursive?: boolean;
  encoding?: string | null;
}

export const constants = Object.freeze({
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, COPYFILE_EXCL: 1, COPYFILE_FICLONE: 2, COPYFILE_FICLONE_FORCE: 4,
  O_RDONLY, O_WRONLY, O_RDWR: 2, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY,
});

/** An AnymountFs over a FileSystem (mounted at '/' in a new Vfs) or over an existing Vfs. */
export async function createFs(source: FileSystem | Vfs, options: AnymountFsOptions = {}): Promise<AnymountFs> {
  const vfs = source instanceof Vfs ? source : await Vfs.create(source, options);
  return new AnymountFs(vfs, options);
}

export function toPath(p: PathLike): string {
  if (typeof p === 'string') return p;
  if (p instanceof URL) {
    if (p.protocol !== 'file:') throw new FsError('EINVAL', `only file: URLs name paths (got ${p.protocol})`);
    return decodeURIComponent(p.pathname);
  }
  throw new FsError('EINVAL', 'path must be a string or a file: URL');
}

export class AnymountFs {
  readonly vfs: Vfs;
  /** The process whose cwd, umask, credentials and descriptors these calls use. */
  readonly proc: VfsProcess;
  readonly constants = constants;
  /** @internal */
  readonly bytes: BytesFactory;

  constructor(vfs: Vfs, options: AnymountFsOptions = {}) {
    this.vfs = vfs;
    this.proc = vfs.process({ ...(options.creds ? { creds: options.creds } : {}), ...(options.umask !== undefined ? { umask: options.umask } : {}) });
    this.bytes = options.bytes ?? ((b) => b);
  }

  /**
   * Runs one call, turning its errors into Node-style ones naming the
   * syscall and path. Compound calls (rm, cp: syscall '') report the step
   * that failed, with its own syscall and path, as Node does.
   */
  private async call<T>(syscall: string, path: PathLike | undefined, fn: (p: string) => Promise<T>, dest?: string): Promise<T> {
    let p: string | undefined;
    try {
      p = path === undefined ? '' : toPath(path);
      return await fn(p);
    } catch (e) {
      throw syscall === '' ? toNodeError(e, '') : toNodeError(e, syscall, p, dest);
    }
  }

  // ---- working directory (anymount's own, like process.chdir) ----

  cwd(): string {
    return this.proc.getcwd();
  }

  chdir(path: PathLike): Promise<void> {
    return this.call('chdir', path, (p) => this.proc.chdir(p));
  }

  // ---- metadata ----

  access(path: PathLike, mode = F_OK): Promise<void> {
    return this.call('access', path, (p) => this.proc.access(p, mode));
  }

  stat(path: PathLike, options: { bigint: true }): Promise<BigIntStats>;
  stat(path: PathLike, options?: { bigint?: false }): Promise<Stats>;
  stat(path: PathLike, options?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
    return this.call('stat', path, async (p) => {
      const s = await this.proc.stat(p);
      return options?.bigint ? new BigIntStats(s) : new Stats(s);
    });
  }

  lstat(path: PathLike, options: { bigint: true }): Promise<BigIntStats>;
  lstat(path: PathLike, options?: { bigint?: false }): Promise<Stats>;
  lstat(path: PathLike, options?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
    return this.call('lstat', path, async (p) => {
      const s = await this.proc.lstat(p);
      return options?.bigint ? new BigIntStats(s) : new Stats(s);
    });
  }

  statfs(path: PathLike): Promise<StatFs> {
    return this.call('statfs', path, async (p) => new StatFs(await this.proc.statfs(p)));
  }

  chmod(path: PathLike, mode: number | string): Promise<void> {
    return this.call('chmod', path, (p) => this.proc.chmod(p, toMode(mode, 0)));
  }

  /** Linux cannot change a symlink's mode: EOPNOTSUPP, like Node on Linux. */
  lchmod(path: PathLike, mode: number | string): Promise<void> {
    return this.call('lchmod', path, (p) => this.proc.fchmodat(-100, p, toMode(mode, 0), 0x100));
  }

  chown(path: PathLike, uid: number, gid: number): Promise<void> {
    return this.call('chown', path, (p) => this.proc.chown(p, uid, gid));
  }

  lchown(path: PathLike, uid: number, gid: number): Promise<void> {
    return this.call('lchown', path, (p) => this.proc.lchown(p, uid, gid));
  }

  utimes(path: PathLike, atime: TimeLike, mtime: TimeLike): Promise<void> {
    return this.call('utime', path, (p) => this.proc.utimens(p, toTimespec(atime), toTimespec(mtime)));
  }

  lutimes(path: PathLike, atime: TimeLike, mtime: TimeLike): Promise<void> {
    return this.call('lutime', path, (p) => this.proc.utimens(p, toTimespec(atime), toTimespec(mtime), 0x100));
  }

  truncate(path: PathLike, len = 0): Promise<void> {
    return this.call('open', path, (p) => this.proc.truncate(p, len));
  }

  readlink(path: PathLike): Promise<string> {
    return this.call('readlink', path, (p) => this.proc.readlink(p));
  }

  realpath(path: PathLike): Promise<string> {
    return this.call('realpath', path, (p) => this.proc.realpath(p));
  }

  // ---- names ----

  /**
   * mkdir; with `recursive` it makes every missing parent, succeeds if the
   * directory exists, and returns the first directory it made (or undefined).
   */
  mkdir(path: PathLike, options?: MkdirOptions | number | string): Promise<string | undefined> {
    const opts: MkdirOptions = typeof options === 'object' ? options : { mode: options };
    const mode = toMode(opts.mode, 0o777);
    return this.call('mkdir', path, async (p) => {
      if (!opts.recursive) {
        await this.proc.mkdir(p, mode);
        return undefined;
      }
      return this.mkdirRecursive(p, mode);
    });
  }

  private async mkdirRecursive(p: string, mode: number): Promise<string | undefined> {
    try {
      await this.proc.mkdir(p, mode);
      return this.proc.realpath(p);
    } catch (e) {
      if (isFsError(e, 'EEXIST')) {
        const s = await this.proc.stat(p);
        if ((s.mode & 0o170000) !== 0o040000) throw e;
        return undefined;
      }
      if (!isFsError(e, 'ENOENT')) throw e;
    }
    const parent = parentOf(p);
    if (parent === p) throw new FsError('ENOENT', 'no such directory');
    const first = await this.mkdirRecursive(parent, mode);
    try {
      await this.proc.mkdir(p, mode);
    } catch (e) {
      if (!isFsError(e, 'EEXIST')) throw e;
    }
    return first ?? this.proc.realpath(p);
  }

  /** A new directory named prefix + six random characters. */
  mkdtemp(prefix: string): Promise<string> {
    return this.call('mkdtemp', prefix + 'XXXXXX', async () => {
      const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
      for (let attempt = 0; attempt < 100; attempt++) {
        let suffix = '';
        for (let i = 0; i < 6; i++) suffix += chars[Math.floor(Math.random() * chars.length)];
        try {
          await this.proc.mkdir(prefix + suffix, 0o700);
          return prefix + suffix;
        } catch (e) {
          if (!isFsError(e, 'EEXIST')) throw e;
        }
      }
      throw new FsError('EEXIST', 'no free temporary name');
    });
  }

  rmdir(path: PathLike, options?: { recursive?: boolean }): Promise<void> {
    return this.call('rmdir', path, async (p) => {
      if (options?.recursive) return removeTree(this.proc, p);
      await this.proc.rmdir(p);
    });
  }

  /** rm; `recursive` removes directories with everything in them, `force` ignores missing paths. */
  rm(path: PathLike, options: RmOptions = {}): Promise<void> {
    return this.call('', path, async (p) => {
      let s;
      try {
        s = await this.proc.lstat(p);
      } catch (e) {
        if (options.force && isFsError(e, 'ENOENT')) return;
        throw e;
      }
      if ((s.mode & 0o170000) === 0o040000) {
        if (!options.recursive) throw nodeCodeError('ERR_FS_EISDIR', 'EISDIR', 'Path is a directory', 'rm', p);
        return removeTree(this.proc, p);
      }
      await this.proc.unlink(p);
    });
  }

  unlink(path: PathLike): Promise<void> {
    return this.call('unlink', path, (p) => this.proc.unlink(p));
  }

  rename(oldPath: PathLike, newPath: PathLike): Promise<void> {
    const dest = toPath(newPath);
    return this.call('rename', oldPath, (p) => this.proc.rename(p, dest), dest);
  }

  link(existingPath: PathLike, newPath: PathLike): Promise<void> {
    const dest = toPath(newPath);
    return this.call('link', existingPath, (p) => this.proc.link(p, dest), dest);
  }

  /** symlink(target, path); the type argument (Windows only in Node) is ignored. */
  symlink(target: PathLike, path: PathLike, _type?: string | null): Promise<void> {
    const t = toPath(target);
    return this.call('symlink', t, () => this.proc.symlink(t, toPath(path)), toPath(path));
  }

  // ---- directories ----

  readdir(path: PathLike, options: ReaddirOptions & { withFileTypes: true }): Promise<Dirent[]>;
  readdir(path: PathLike, options?: (ReaddirOptions & { withFileTypes?: false }) | string | null): Promise<string[]>;
  readdir(path: PathLike, options?: ReaddirOptions | string | null): Promise<string[] | Dirent[]> {
    const opts: ReaddirOptions = typeof options === 'object' && options !== null ? options : {};
    return this.call('scandir', path, async (p) => {
      if (!opts.recursive) return opts.withFileTypes ? this.dirents(p) : this.names(p);
      const found: Array<{ rel: string; dirent: Dirent }> = [];
      // Node's order: a directory's entries, then its subdirectories taken last-first.
      const queue: Array<[dir: string, rel: string]> = [[p, '']];
      // A corrupt image may link a directory below itself: list each directory once.
      const seen = new Set<string>();
      while (queue.length) {
        const [dir, rel] = queue.pop()!;
        const st = await this.proc.stat(dir);
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) throw new FsError('EIO', `directory cycle at '${dir}' (corrupt filesystem)`, { path: dir });
        seen.add(key);
        const fd = await this.proc.open(dir, O_RDONLY | O_DIRECTORY);
        try {
          for (;;) {
            const batch = await readDirents(this.proc, fd, dir, 4096);
            if (batch === null) break;
            for (const d of batch) {
              const name = rel ? `${rel}/${d.name}` : d.name;
              found.push({ rel: name, dirent: d });
              if (opts.recursive && d.isDirectory()) queue.push([joinPath(dir, d.name), name]);
            }
          }
        } finally {
          await this.proc.close(fd);
        }
      }
      return opts.withFileTypes ? found.map((f) => f.dirent) : found.map((f) => f.rel);
    });
  }

  /** Plain readdir: names straight from getdents, no Dirent objects. */
  private async names(p: string): Promise<string[]> {
    const fd = await this.proc.open(p, O_RDONLY | O_DIRECTORY);
    const out: string[] = [];
    try {
      for (;;) {
        const batch = await this.proc.getdents(fd, 4096);
        if (batch.length === 0) return out;
        for (const e of batch) if (e.name !== '.' && e.name !== '..') out.push(e.name);
      }
    } finally {
      await this.proc.close(fd);
    }
  }

  private async dirents(p: string): Promise<Dirent[]> {
    const fd = await this.proc.open(p, O_RDONLY | O_DIRECTORY);
    const out: Dirent[] = [];
    try {
      for (let batch = await readDirents(this.proc, fd, p, 4096); batch; batch = await readDirents(this.proc, fd, p, 4096)) {
        for (const d of batch) out.push(d);
      }
      return out;
    } finally {
      await this.proc.close(fd);
    }
  }

  opendir(path: PathLike, options: { bufferSize?: number } = {}): Promise<Dir> {
    return this.call('opendir', path, async (p) => new Dir(this.proc, await this.proc.open(p, O_RDONLY | O_DIRECTORY), p, options.bufferSize ?? 32));
  }

  // ---- files ----

  open(path: PathLike, flags: string | number = 'r', mode: number | string = 0o666): Promise<FileHandle> {
    return this.call('open', path, async (p) => new FileHandle(this.proc, await this.proc.open(p, parseOpenFlags(flags), toMode(mode, 0o666)), p, this.bytes));
  }

  readFile(path: PathLike | FileHandle, options: { encoding: string; flag?: string | number } | string): Promise<string>;
  readFile(path: PathLike | FileHandle, options?: { encoding?: null; flag?: string | number } | null): Promise<Uint8Array>;
  async readFile(path: PathLike | FileHandle, options?: ReadFileOptions | string | null): Promise<Uint8Array | string> {
    const opts: ReadFileOptions = typeof options === 'string' ? { encoding: options } : options ?? {};
    if (path instanceof FileHandle) return path.readFile(opts);
    const fh = await this.open(path, opts.flag ?? 'r');
    try {
      return await fh.readFile(opts);
    } catch (e) {
      throw toNodeError(e, 'read', toPath(path));
    } finally {
      await fh.close();
    }
  }

  async writeFile(path: PathLike | FileHandle, data: string | ArrayBufferView, options?: WriteFileOptions | string | null): Promise<void> {
    const opts: WriteFileOptions = typeof options === 'string' ? { encoding: options } : options ?? {};
    if (path instanceof FileHandle) return path.writeFile(data, opts);
    const fh = await this.open(path, opts.flag ?? 'w', opts.mode ?? 0o666);
    try {
      await fh.writeFile(data, opts);
    } catch (e) {
      throw toNodeError(e, 'write', toPath(path));
    } finally {
      await fh.close();
    }
  }

  appendFile(path: PathLike | FileHandle, data: string | ArrayBufferView, options?: WriteFileOptions | string | null): Promise<void> {
    const opts: WriteFileOptions = typeof options === 'string' ? { encoding: options } : options ?? {};
    return this.writeFile(path, data, { ...opts, flag: opts.flag ?? 'a' });
  }

  /** copyFile; `mode` COPYFILE_EXCL (1) fails with EEXIST if the destination exists. */
  copyFile(src: PathLike, dest: PathLike, mode = 0): Promise<void> {
    const d = toPath(dest);
    return this.call('copyfile', src, async (s) => {
      const from = await this.proc.open(s, O_RDONLY);
      try {
        const st = await this.proc.fstat(from);
        const to = await this.proc.open(d, O_WRONLY | O_CREAT | O_TRUNC | (mode & 1 ? O_EXCL : 0), st.mode & 0o777);
        try {
          await copyDescriptor(this.proc, from, to);
        } finally {
          await this.proc.close(to);
        }
      } finally {
        await this.proc.close(from);
      }
    }, d);
  }

  /** cp: files, and with `recursive` whole trees (symlinks copied as links unless `dereference`). */
  cp(src: PathLike, dest: PathLike, options: CpOptions = {}): Promise<void> {
    const d = toPath(dest);
    return this.call('', src, (s) => copyTree(this.proc, s, d, options), d);
  }

  // ---- streams (web streams here; Node streams from createNodeFs) ----

  /** The file (or bytes start..end inclusive, like Node) as a web ReadableStream. */
  createReadStream(path: PathLike, options: { start?: number; end?: number; highWaterMark?: number } = {}): ReadableStream<Uint8Array> {
    const p = toPath(path);
    const size = options.highWaterMark ?? 65536;
    let fd = -1;
    let pos = options.start ?? 0;
    const end = options.end ?? Infinity;
    return new ReadableStream<Uint8Array>({
      start: async () => {
        fd = await this.call('open', p, (q) => this.proc.open(q, O_RDONLY));
      },
      pull: async (controller) => {
        const want = Math.min(size, end - pos + 1);
        if (want <= 0) {
          controller.close();
          await this.proc.close(fd);
          return;
        }
        const buf = new Uint8Array(want);
        const n = await this.call('read', p, () => this.proc.read(fd, buf, pos));
        if (n === 0) {
          controller.close();
          await this.proc.close(fd);
          return;
        }
        pos += n;
        controller.enqueue(this.bytes(buf.subarray(0, n)));
      },
      cancel: async () => {
        if (fd >= 0) await this.proc.close(fd);
      },
    });
  }

  /** A web WritableStream writing the file from the start (flags 'w' by default). */
  createWriteStream(path: PathLike, options: { flags?: string; mode?: number; start?: number } = {}): WritableStream<Uint8Array | string> {
    const p = toPath(path);
    let fd = -1;
    let pos = options.start ?? 0;
    return new WritableStream<Uint8Array | string>({
      start: async () => {
        fd = await this.call('open', p, (q) => this.proc.open(q, parseOpenFlags(options.flags ?? 'w'), options.mode ?? 0o666));
      },
      write: async (chunk) => {
        const bytes = toBytes(chunk);
        for (let done = 0; done < bytes.length; ) {
          const n = await this.call('write', p, () => this.proc.write(fd, bytes.subarray(done), pos));
          done += n;
          pos += n;
        }
      },
      close: async () => {
        await this.proc.close(fd);
      },
      abort: async () => {
        if (fd >= 0) await this.proc.close(fd);
      },
    });
  }

  // ---- extended attributes (not in node:fs; named like the syscalls) ----

  getxattr(path: PathLike, name: string): Promise<Uint8Array> {
    return this.call('getxattr', path, async (p) => this.bytes(await this.proc.getxattr(p, name)));
  }

  listxattr(path: PathLike): Promise<string[]> {
    return this.call('listxattr', path, (p) => this.proc.listxattr(p));
  }

  setxattr(path: PathLike, name: string, value: string | ArrayBufferView, flags = 0): Promise<void> {
    return this.call('setxattr', path, (p) => this.proc.setxattr(p, name, toBytes(value), flags));
  }

  removexattr(path: PathLike, name: string): Promise<void> {
    return this.call('removexattr', path, (p) => this.proc.removexattr(p, name));
  }

  /** Closes every open descriptor and the Vfs with every FileSystem mounted in it. */
  async close(): Promise<void> {
    await this.proc.closeAll();
    await this.vfs.close();
  }
}

function parentOf(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : trimmed.slice(0, i);
}

/** Copies one open file to another in 1 MiB pieces. */
export async function copyDescriptor(proc: VfsProcess, from: number, to: number): Promise<void> {
  const buf = new Uint8Array(1 << 20);
  for (let pos = 0; ; ) {
    const n = await proc.read(from, buf, pos);
    if (n === 0) return;
    let done = 0;
    while (done < n) done += await proc.write(to, buf.subarray(done, n), pos + done);
    pos += n;
  }
}

