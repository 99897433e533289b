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

  private constructor(vfs: Vfs, proc: VfsProcess, dir: string, label: string) {
    this.vfs = vfs;
    this.proc = proc;
    this.dir = dir;
    this.label = label;
  }

  /** A target whose cwd is `dir` (absolute in the Vfs). */
  static async create(vfs: Vfs, dir: string, creds?: Creds, label = 'vfs'): Promise<VfsTarget> {
    const proc = vfs.process(creds ? { creds: { uid: creds.uid, gid: creds.gid, groups: creds.groups ?? [] } } : {});
    await proc.chdir(dir);
    return new VfsTarget(vfs, proc, dir, label);
  }

  open(path: string, flags: number, mode?: number): Promise<number> {
    return this.proc.open(path, flags, mode);
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
    return toTStat(await this.proc.stat(path));
  }
  async lstat(path: string): Promise<TStat> {
    return toTStat(await this.proc.lstat(path));
  }
  access(path: string, mode: number): Promise<void> {
    return this.proc.access(path, mode);
  }
  async readdir(path: string): Promise<string[]> {
    return (await this.entries(path)).map(([n]) => n);
  }
  readdirTypes(path: string): Promise<Array<[string, string]>> {
    return this.entries(path);
  }
  private async entries(path: string): Promise<Array<[string, string]>> {
    const fd = await this.proc.open(path, O_RDONLY | O_DIRECTORY);
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
    return this.proc.readlink(path);
  }
  async realpath(path: string): Promise<string> {
    const real = await this.proc.realpath(path);
    return real === this.dir ? '.' : real.startsWith(this.dir + '/') ? real.slice(this.dir.length + 1) : real;
  }
  mkdir(path: string, mode = 0o777): Promise<void> {
    return this.proc.mkdir(path, mode);
  }
  rmdir(path: string): Promise<void> {
    return this.proc.rmdir(path);
  }
  unlink(path: string): Promise<void> {
    return this.proc.unlink(path);
  }
  rename(from: string, to: string, flags = 0): Promise<void> {
    return this.proc.rename(from, to, flags);
  }
  link(from: string, to: string): Promise<void> {
    return this.proc.link(from, to);
  }
  symlink(target: string, path: string): Promise<void> {
    return this.proc.symlink(target, path);
  }
  mknod(path: string, mode: number, rdev = 0): Promise<void> {
    return this.proc.mknod(path, mode, rdev);
  }
  chmod(path: string, mode: number): Promise<void> {
    return this.proc.chmod(path, mode);
  }
  chown(path: string, uid: number, gid: number): Promise<void> {
    return this.proc.chown(path, uid, gid);
  }
  lchown(path: string, uid: number, gid: number): Promise<void> {
    return this.proc.lchown(path, uid, gid);
  }
  truncate(path: string, length: number): Promise<void> {
    return this.proc.truncate(path, length);
  }
  utimens(path: string, atime: TTime, mtime: TTime, nofollow = false): Promise<void> {
    return this.proc.utimens(path, timeArg(atime), timeArg(mtime), nofollow ? 0x100 : 0);
  }
  getxattr(path: string, name: string, nofollow = false): Promise<Uint8Array> {
    return this.proc.getxattr(path, name, !nofollow);
  }
  async listxattr(path: string, nofollow = false): Promise<string[]> {
    return (await this.proc.listxattr(path, !nofollow)).sort();
  }
  setxattr(path: string, name: string, value: Uint8Array | string, flags = 0, nofollow = false): Promise<void> {
    return this.proc.setxattr(path, name, bytes(value), flags, !nofollow);
  }
  removexattr(path: string, name: string, nofollow = false): Promise<void> {
    return this.proc.removexattr(path, name, !nofollow);
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
