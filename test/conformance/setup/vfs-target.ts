/** VfsTarget: the conformance Target over our Vfs (a VfsProcess whose cwd is the case's directory). */
import type { Vfs } from '../../../src/vfs/vfs.js';
import type { VfsProcess, VfsStat, TimeArg } from '../../../src/vfs/process.js';
import { fromNs, toNs } from '../../../src/fs/time.js';
import { O_DIRECTORY, O_RDONLY } from '../../../src/fs/flags.js';
import type { Creds, Target, TStat, TTime } from '../target.js';

function toTStat(s: VfsStat): TStat {
  return {
    ino: s.ino, dev: s.dev, mode: s.mode, nlink: s.nlink, uid: s.uid, gid: s.gid, rdev: s.rdev, size: s.size, blocks: s.blocks,
    atimeNs: toNs(s.atime), mtimeNs: toNs(s.mtime), ctimeNs: toNs(s.ctime),
  };
}

function timeArg(t: TTime): TimeArg {
  return typeof t === 'bigint' ? fromNs(t) : t;
}

const bytes = (d: Uint8Array | string): Uint8Array => (typeof d === 'string' ? new TextEncoder().encode(d) : d);
const DT_NAMES: Record<number, string> = { 4: 'dir', 8: 'file', 10: 'symlink' };

export class VfsTarget implements Target {
  readonly label: string;
  readonly vfs: Vfs;
  readonly proc: VfsProcess;
  private readonly dir: string;
  /** Set when paths are prefixed with `dir` instead of resolving from a cwd there (the directory may not exist yet). */
  private readonly prefix: string;

  private constructor(vfs: Vfs, proc: VfsProcess, dir: string, label: string, prefix: string) {
    this.vfs = vfs;
    this.proc = proc;
    this.dir = dir;
    this.label = label;
    this.prefix = prefix;
  }

  /** A target whose cwd is `dir` (absolute in the Vfs). */
  static async create(vfs: Vfs, dir: string, creds?: Creds, label = 'vfs'): Promise<VfsTarget> {
    const proc = vfs.process(creds ? { creds: { uid: creds.uid, gid: creds.gid, groups: creds.groups ?? [] } } : {});
    await proc.chdir(dir);
    return new VfsTarget(vfs, proc, dir, label, '');
  }

  /** A target that prefixes every path with `dir` (which may not exist, like an overlay's upper directory before copy-up). */
  static prefixed(vfs: Vfs, dir: string, label = 'vfs'): VfsTarget {
    return new VfsTarget(vfs, vfs.process(), dir, label, dir + '/');
  }

  private p(path: string): string {
    return this.prefix && path !== '' && !path.startsWith('/') ? this.prefix + path : path;
  }

  open(path: string, flags: number, mode?: number): Promise<number> {
    return this.proc.open(this.p(path), flags, mode);
  }
  close(fd: number): Promise<void> {
    return this.proc.close(fd);
  }
  async read(fd: number, length: number, position: number | null = null): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    const n = await this.proc.read(fd, buf, position);
    return buf.subarray(0, n);
  }
  write(fd: number, data: Uint8Array | string, position: number | null = null): Promise<number> {
    return this.proc.write(fd, bytes(data), position);
  }
  async fstat(fd: number): Promise<TStat> {
    return toTStat(await this.proc.fstat(fd));
  }
  ftruncate(fd: number, length: number): Promise<void> {
    return this.proc.ftruncate(fd, length);
  }
  lseek(fd: number, offset: number, whence: number): Promise<number> {
    return this.proc.lseek(fd, offset, whence);
  }
  async dup(fd: number): Promise<number> {
    return this.proc.dup(fd);
  }
  async stat(path: string): Promise<TStat> {
    return toTStat(await this.proc.stat(this.p(path)));
  }
  async lstat(path: string): Promise<TStat> {
    return toTStat(await this.proc.lstat(this.p(path)));
  }
  access(path: string, mode: number): Promise<void> {
    return this.proc.access(this.p(path), mode);
  }
  async readdir(path: string): Promise<string[]> {
    return (await this.entries(path)).map(([n]) => n);
  }
  readdirTypes(path: string): Promise<Array<[string, string]>> {
    return this.entries(path);
  }
  private async entries(path: string): Promise<Array<[string, string]>> {
    const fd = await this.proc.open(this.p(path), O_RDONLY | O_DIRECTORY);
    try {
      const out: Array<[string, string]> = [];
      for (;;) {
        const batch = await this.proc.getdents(fd, 256);
        if (batch.length === 0) break;
        for (const e of batch) if (e.name !== '.' && e.name !== '..') out.push([e.name, DT_NAMES[e.type] ?? 'other']);
      }
      return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    } finally {
      await this.proc.close(fd);
    }
  }
  readlink(path: string): Promise<string> {
    return this.proc.readlink(this.p(path));
  }
  async realpath(path: string): Promise<string> {
    const real = await this.proc.realpath(this.p(path));
    return real === this.dir ? '.' : real.startsWith(this.dir + '/') ? real.slice(this.dir.length + 1) : real;
  }
  mkdir(path: string, mode = 0o777): Promise<void> {
    return this.proc.mkdir(this.p(path), mode);
  }
  rmdir(path: string): Promise<void> {
    return this.proc.rmdir(this.p(path));
  }
  unlink(path: string): Promise<void> {
    return this.proc.unlink(this.p(path));
  }
  rename(from: string, to: string, flags = 0): Promise<void> {
    return this.proc.rename(this.p(from), this.p(to), flags);
  }
  link(from: string, to: string): Promise<void> {
    return this.proc.link(this.p(from), this.p(to));
  }
  symlink(target: string, path: string): Promise<void> {
    return this.proc.symlink(target, this.p(path));
  }
  mknod(path: string, mode: number, rdev = 0): Promise<void> {
    return this.proc.mknod(this.p(path), mode, rdev);
  }
  chmod(path: string, mode: number): Promise<void> {
    return this.proc.chmod(this.p(path), mode);
  }
  chown(path: string, uid: number, gid: number): Promise<void> {
    return this.proc.chown(this.p(path), uid, gid);
  }
  lchown(path: string, uid: number, gid: number): Promise<void> {
    return this.proc.lchown(this.p(path), uid, gid);
  }
  truncate(path: string, length: number): Promise<void> {
    return this.proc.truncate(this.p(path), length);
  }
  utimens(path: string, atime: TTime, mtime: TTime, nofollow = false): Promise<void> {
    return this.proc.utimens(this.p(path), timeArg(atime), timeArg(mtime), nofollow ? 0x100 : 0);
  }
  getxattr(path: string, name: string, nofollow = false): Promise<Uint8Array> {
    return this.proc.getxattr(this.p(path), name, !nofollow);
  }
  async listxattr(path: string, nofollow = false): Promise<string[]> {
    return (await this.proc.listxattr(this.p(path), !nofollow)).sort();
  }
  setxattr(path: string, name: string, value: Uint8Array | string, flags = 0, nofollow = false): Promise<void> {
    return this.proc.setxattr(this.p(path), name, bytes(value), flags, !nofollow);
  }
  removexattr(path: string, name: string, nofollow = false): Promise<void> {
    return this.proc.removexattr(this.p(path), name, !nofollow);
  }
  async umask(mask: number): Promise<number> {
    return this.proc.umask(mask);
  }
  async as(creds: Creds): Promise<Target> {
    return VfsTarget.create(this.vfs, this.dir, creds, `${this.label} as ${creds.uid}`);
  }
  async dispose(): Promise<void> {
    await this.proc.closeAll();
  }
}
