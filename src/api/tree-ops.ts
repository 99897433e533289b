/** Whole-tree operations behind rm/rmdir { recursive } and cp { recursive }, as Node does them. */
import { FsError, isFsError } from '../errors.js';
import { O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_TRUNC, O_WRONLY } from '../fs/flags.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../fs/mode.js';
import type { VfsProcess } from '../vfs/process.js';
import { joinPath } from './dirent.js';
import { nodeCodeError } from './errors.js';

export interface CpOptions {
  /** Copy directories with their contents (required for directories). */
  recursive?: boolean;
  /** Overwrite existing files (default true). */
  force?: boolean;
  /** With force false: fail if the destination exists (ERR_FS_CP_EEXIST). */
  errorOnExist?: boolean;
  /** Copy what symlinks point to instead of the links. */
  dereference?: boolean;
  /** Keep atime and mtime. */
  preserveTimestamps?: boolean;
  /** Copy only what this accepts. */
  filter?: (src: string, dest: string) => boolean | Promise<boolean>;
  /** Copy symlink targets as they are; by default relative targets become absolute (as Node's cp does). */
  verbatimSymlinks?: boolean;
}

/** path.resolve without a host: absolute, '.' and '..' folded, no symlinks followed. */
export function resolvePath(cwd: string, ...parts: string[]): string {
  let path = cwd;
  for (const p of parts) path = p.startsWith('/') ? p : `${path}/${p}`;
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

function dirname(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
}

async function names(proc: VfsProcess, dir: string): Promise<string[]> {
  const fd = await proc.open(dir, O_RDONLY | O_DIRECTORY);
  const out: string[] = [];
  try {
    for (;;) {
      const batch = await proc.getdents(fd, 1024);
      if (batch.length === 0) return out;
      for (const e of batch) if (e.name !== '.' && e.name !== '..') out.push(e.name);
    }
  } finally {
    await proc.close(fd);
  }
}

/**
 * Directories being walked, by device and inode: a corrupt image can make a
 * directory its own descendant, and a recursive walk must stop (EIO), not
 * recurse until the stack breaks.
 */
export class WalkGuard {
  private readonly active = new Set<string>();

  async enter(proc: VfsProcess, path: string): Promise<string> {
    const s = await proc.lstat(path);
    const key = `${s.dev}:${s.ino}`;
    if (this.active.has(key)) throw new FsError('EIO', `directory cycle: '${path}' is its own ancestor (a corrupt filesystem, or symlinks followed round in a loop)`, { path });
    this.active.add(key);
    return key;
  }

  leave(key: string): void {
    this.active.delete(key);
  }
}

/** Removes a directory and everything below it (depth first; symlinks are removed, never followed). */
export async function removeTree(proc: VfsProcess, path: string, guard = new WalkGuard()): Promise<void> {
  const key = await guard.enter(proc, path);
  for (const name of await names(proc, path)) {
    const child = joinPath(path, name);
    const s = await proc.lstat(child);
    if ((s.mode & S_IFMT) === S_IFDIR) await removeTree(proc, child, guard);
    else await proc.unlink(child);
  }
  guard.leave(key);
  await proc.rmdir(path);
}

export async function copyTree(proc: VfsProcess, src: string, dest: string, options: CpOptions): Promise<void> {
  const srcReal = await proc.realpath(src);
  let destReal: string | undefined;
  try {
    destReal = await proc.realpath(dest);
  } catch (e) {
    if (!isFsError(e, 'ENOENT')) throw e;
  }
  if (destReal === srcReal) throw nodeCodeError('ERR_FS_CP_EINVAL', 'EINVAL', 'src and dest cannot be the same', 'cp', dest);
  const s = options.dereference ? await proc.stat(src) : await proc.lstat(src);
  if ((s.mode & S_IFMT) === S_IFDIR) {
    if (!options.recursive) throw nodeCodeError('ERR_FS_EISDIR', 'EISDIR', 'Recursive option is required to copy a directory', 'cp', src);
    if (destReal && (destReal + '/').startsWith(srcReal + '/')) {
      throw nodeCodeError('ERR_FS_CP_EINVAL', 'EINVAL', `cannot copy ${src} to a subdirectory of self ${dest}`, 'cp', dest);
    }
  }
  await copyEntry(proc, src, dest, options, new WalkGuard());
}

async function copyEntry(proc: VfsProcess, src: string, dest: string, options: CpOptions, guard: WalkGuard): Promise<void> {
  if (options.filter && !(await options.filter(src, dest))) return;
  const s = options.dereference ? await proc.stat(src) : await proc.lstat(src);
  const type = s.mode & S_IFMT;
  let existing;
  try {
    existing = await proc.lstat(dest);
  } catch (e) {
    if (!isFsError(e, 'ENOENT')) throw e;
  }
  if (type === S_IFDIR) {
    if (!existing) await proc.mkdir(dest, s.mode & 0o7777);
    else if ((existing.mode & S_IFMT) !== S_IFDIR) throw nodeCodeError('ERR_FS_CP_DIR_TO_NON_DIR', 'EISDIR', 'cannot overwrite non-directory with directory', 'cp', dest);
    const key = await guard.enter(proc, src);
    for (const name of await names(proc, src)) await copyEntry(proc, joinPath(src, name), joinPath(dest, name), options, guard);
    guard.leave(key);
  } else {
    if (existing) {
      if ((existing.mode & S_IFMT) === S_IFDIR) throw nodeCodeError('ERR_FS_CP_NON_DIR_TO_DIR', 'ENOTDIR', 'cannot overwrite directory with non-directory', 'cp', dest);
      if (options.force === false) {
        if (options.errorOnExist) throw nodeCodeError('ERR_FS_CP_EEXIST', 'EEXIST', 'Target already exists', 'cp', dest);
        return;
      }
      await proc.unlink(dest);
    }
    if (type === S_IFLNK) {
      let target = await proc.readlink(src);
      if (!options.verbatimSymlinks && !target.startsWith('/')) target = resolvePath(proc.getcwd(), dirname(src), target);
      await proc.symlink(target, dest);
    }
    else if (type === S_IFREG) await copyFileData(proc, src, dest, s.mode & 0o7777);
    else await proc.mknod(dest, s.mode, s.rdev);
  }
  if (options.preserveTimestamps && type !== S_IFLNK) await proc.utimens(dest, s.atime, s.mtime);
}

async function copyFileData(proc: VfsProcess, src: string, dest: string, mode: number): Promise<void> {
  const from = await proc.open(src, O_RDONLY);
  try {
    const to = await proc.open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, mode);
    try {
      const buf = new Uint8Array(1 << 20);
      for (let pos = 0; ; ) {
        const n = await proc.read(from, buf, pos);
        if (n === 0) break;
        for (let done = 0; done < n; ) done += await proc.write(to, buf.subarray(done, n), pos + done);
        pos += n;
      }
    } finally {
      await proc.close(to);
    }
  } finally {
    await proc.close(from);
  }
}


