/**
 * HostTarget: the conformance Target over a real Linux directory, through
 * node:fs (and host-syscalls.ts for what node:fs lacks). Run in this
 * process it acts as root; `as(creds)` starts a worker process that drops
 * to those credentials (host-worker.ts) and forwards every call to it, so
 * the kernel itself answers the permission cases.
 */
import * as fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Creds, Target, TStat, TTime } from '../target.js';
import * as sys from './host-syscalls.js';

function bytes(d: Uint8Array | string): Uint8Array {
  return typeof d === 'string' ? new TextEncoder().encode(d) : d;
}

function toTStat(s: fs.BigIntStats): TStat {
  return {
    ino: Number(s.ino), dev: Number(s.dev), mode: Number(s.mode), nlink: Number(s.nlink), uid: Number(s.uid), gid: Number(s.gid),
    rdev: Number(s.rdev), size: Number(s.size), blocks: Number(s.blocks), atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs,
  };
}

function typeName(d: fs.Dirent): string {
  return d.isFile() ? 'file' : d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other';
}

/** The operations on paths relative to `base` (joined without normalising); node:fs calls are synchronous. */
export class HostOps {
  readonly base: string;
  private readonly fds = new Set<number>();

  constructor(base: string) {
    this.base = base;
  }

  p(path: string): string {
    if (path === '') return '';
    return path.startsWith('/') ? path : `${this.base}/${path}`;
  }

  open(path: string, flags: number, mode = 0o666): number {
    const fd = fs.openSync(this.p(path), flags, mode);
    this.fds.add(fd);
    return fd;
  }
  close(fd: number): void {
    fs.closeSync(fd);
    this.fds.delete(fd);
  }
  read(fd: number, length: number, position: number | null = null): Uint8Array {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, position);
    return new Uint8Array(buf.subarray(0, n));
  }
  write(fd: number, data: Uint8Array | string, position: number | null = null): number {
    return fs.writeSync(fd, bytes(data), 0, bytes(data).length, position);
  }
  fstat(fd: number): TStat {
    return toTStat(fs.fstatSync(fd, { bigint: true }));
  }
  ftruncate(fd: number, length: number): void {
    fs.ftruncateSync(fd, length);
  }
  lseek(_fd: number, _offset: number, _whence: number): number {
    throw Object.assign(new Error('lseek is not available through node:fs'), { code: 'ENOSYS' });
  }
  dup(_fd: number): number {
    throw Object.assign(new Error('dup is not available through node:fs'), { code: 'ENOSYS' });
  }
  stat(path: string): TStat {
    return toTStat(fs.statSync(this.p(path), { bigint: true }));
  }
  lstat(path: string): TStat {
    return toTStat(fs.lstatSync(this.p(path), { bigint: true }));
  }
  access(path: string, mode: number): void {
    fs.accessSync(this.p(path), mode);
  }
  readdir(path: string): string[] {
    return fs.readdirSync(this.p(path)).sort();
  }
  readdirTypes(path: string): Array<[string, string]> {
    return fs.readdirSync(this.p(path), { withFileTypes: true }).map((d): [string, string] => [d.name, typeName(d)]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }
  readlink(path: string): string {
    return fs.readlinkSync(this.p(path));
  }
  realpath(path: string): string {
    const real = fs.realpathSync.native(this.p(path));
    const root = fs.realpathSync.native(this.base);
    return real === root ? '.' : real.startsWith(root + '/') ? real.slice(root.length + 1) : real;
  }
  mkdir(path: string, mode = 0o777): void {
    fs.mkdirSync(this.p(path), { mode });
  }
  rmdir(path: string): void {
    fs.rmdirSync(this.p(path));
  }
  unlink(path: string): void {
    fs.unlinkSync(this.p(path));
  }
  async rename(from: string, to: string, flags = 0): Promise<void> {
    if (flags) await sys.renameat2(this.p(from), this.p(to), flags);
    else fs.renameSync(this.p(from), this.p(to));
  }
  link(from: string, to: string): void {
    fs.linkSync(this.p(from), this.p(to));
  }
  symlink(target: string, path: string): void {
    fs.symlinkSync(target, this.p(path));
  }
  mknod(path: string, mode: number, rdev = 0): Promise<void> {
    return sys.mknod(this.p(path), mode, rdev);
  }
  chmod(path: string, mode: number): void {
    fs.chmodSync(this.p(path), mode);
  }
  chown(path: string, uid: number, gid: number): void {
    fs.chownSync(this.p(path), uid, gid);
  }
  lchown(path: string, uid: number, gid: number): void {
    fs.lchownSync(this.p(path), uid, gid);
  }
  truncate(path: string, length: number): Promise<void> {
    return sys.truncate(this.p(path), length);
  }
  utimens(path: string, atime: TTime, mtime: TTime, nofollow = false): Promise<void> {
    return sys.utimensat(this.p(path), atime, mtime, nofollow);
  }
  getxattr(path: string, name: string, nofollow = false): Promise<Uint8Array> {
    return sys.getxattr(this.p(path), name, nofollow);
  }
  async listxattr(path: string, nofollow = false): Promise<string[]> {
    return (await sys.listxattr(this.p(path), nofollow)).sort();
  }
  setxattr(path: string, name: string, value: Uint8Array | string, flags = 0, nofollow = false): Promise<void> {
    return sys.setxattr(this.p(path), name, bytes(value), flags, nofollow);
  }
  removexattr(path: string, name: string, nofollow = false): Promise<void> {
    return sys.removexattr(this.p(path), name, nofollow);
  }
  umask(mask: number): number {
    return process.umask(mask);
  }
  closeAll(): void {
    for (const fd of this.fds) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fds.clear();
  }
}

export const OPERATIONS = [
  'open', 'close', 'read', 'write', 'fstat', 'ftruncate', 'lseek', 'dup', 'stat', 'lstat', 'access', 'readdir', 'readdirTypes',
  'readlink', 'realpath', 'mkdir', 'rmdir', 'unlink', 'rename', 'link', 'symlink', 'mknod', 'chmod', 'chown', 'lchown',
  'truncate', 'utimens', 'getxattr', 'listxattr', 'setxattr', 'removexattr', 'umask',
] as const;

/** Wire encoding between the test and the worker: bigints and byte arrays survive JSON. */
export function encode(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $big: x.toString() } : x instanceof Uint8Array ? { $b64: Buffer.from(x).toString('base64') } : x));
}

export function decode(s: string): unknown {
  return JSON.parse(s, (_k, x) => {
    if (x && typeof x === 'object' && '$big' in x) return BigInt(x.$big);
    if (x && typeof x === 'object' && '$b64' in x) return new Uint8Array(Buffer.from(x.$b64, 'base64'));
    return x;
  });
}

function errnoError(e: unknown): Error {
  const code = (e as { code?: string }).code;
  return Object.assign(new Error((e as Error).message ?? String(e)), { code });
}

/** Target in this process (root). */
export class HostTarget implements Target {
  readonly label: string;
  readonly ops: HostOps;
  private readonly workers: HostWorkerTarget[] = [];

  constructor(base: string, label = 'linux') {
    this.ops = new HostOps(base);
    this.label = label;
    for (const op of OPERATIONS) {
      (this as unknown as Record<string, unknown>)[op] = async (...args: unknown[]) => {
        try {
          return await (this.ops as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!(...args);
        } catch (e) {
          throw errnoError(e);
        }
      };
    }
  }

  async as(creds: Creds): Promise<Target> {
    const w = await HostWorkerTarget.start(this.ops.base, creds, this.label);
    this.workers.push(w);
    return w;
  }

  async dispose(): Promise<void> {
    this.ops.closeAll();
    for (const w of this.workers.splice(0)) await w.dispose();
  }
}
export interface HostTarget extends Target {}

/** A worker process running with one set of credentials, shared by every target that uses them. */
class HostWorker {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private nextId = 1;

  constructor(creds: Creds) {
    const worker = fileURLToPath(new URL('./host-worker.js', import.meta.url));
    this.child = spawn(process.execPath, [worker, JSON.stringify(creds)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.unref();
    const rl = createInterface({ input: this.child.stdout! });
    rl.on('line', (line) => {
      const msg = decode(line) as { id: number; ok?: unknown; err?: string; message?: string };
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.err !== undefined) p.reject(Object.assign(new Error(msg.message ?? msg.err), { code: msg.err }));
      else p.resolve(msg.ok);
      if (this.pending.size === 0) this.unref();
    });
    this.unref();
  }

  /** While nothing is pending the worker must not keep the test process alive. */
  private unref(): void {
    (this.child.stdout as unknown as { unref?: () => void }).unref?.();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
  }

  private ref(): void {
    (this.child.stdout as unknown as { ref?: () => void }).ref?.();
  }

  call(base: string, op: string, args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    this.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin!.write(encode({ id, base, op, args }) + '\n');
    });
  }
}

/**
 * One worker process per set of credentials, kept for the whole test file
 * (starting Node for each case would dominate the suite's time).
 */
const POOL = new Map<string, HostWorker>();

/** Target in a worker process running with other credentials. */
export class HostWorkerTarget implements Target {
  readonly label: string;
  private readonly worker: HostWorker;
  private readonly base: string;

  private constructor(worker: HostWorker, base: string, label: string) {
    this.worker = worker;
    this.base = base;
    this.label = label;
    for (const op of OPERATIONS) {
      (this as unknown as Record<string, unknown>)[op] = (...args: unknown[]) => this.worker.call(this.base, op, args);
    }
  }

  static async start(base: string, creds: Creds, label: string): Promise<HostWorkerTarget> {
    const key = JSON.stringify(creds);
    let w = POOL.get(key);
    if (!w) POOL.set(key, (w = new HostWorker(creds)));
    const t = new HostWorkerTarget(w, base, `${label} as ${creds.uid}`);
    await w.call(base, 'umask', [0o022]);
    return t;
  }

  async as(creds: Creds): Promise<Target> {
    return HostWorkerTarget.start(this.base, creds, this.label);
  }

  /** Closes what this target opened; the worker stays for the next case. */
  async dispose(): Promise<void> {
    await this.worker.call(this.base, 'closeAll', []);
  }
}
export interface HostWorkerTarget extends Target {}
