/**
 * Refusing writes correctly. Image drivers that only read simply omit the
 * modifying operations and declare `readOnlyCapabilities`; the VFS then
 * answers EROFS before calling them. `ReadOnlyFileSystem` wraps any driver
 * (a memfs standing in for an image, a writable image opened read-only) so
 * it looks exactly like such a driver.
 */
import { FsError } from '../errors.js';
import { readOnlyCapabilities, type Capabilities } from './capabilities.js';
import type { DirEntry, Entry, FileSystem, FsChange, Ino, Stat, StatFs } from './filesystem.js';

export function readOnlyError(fs: { name: string }, operation: string): FsError {
  return new FsError('EROFS', `${fs.name}: ${operation}: read-only file system`);
}

/** Throws EROFS unless the driver declares write capability. */
export function assertWritable(fs: FileSystem, operation: string): void {
  if (!fs.capabilities.write) throw readOnlyError(fs, operation);
}

export class ReadOnlyFileSystem implements FileSystem {
  readonly name: string;
  readonly capabilities: Capabilities;
  readonly rootIno: Ino;
  private readonly inner: FileSystem;

  constructor(inner: FileSystem) {
    this.inner = inner;
    this.name = inner.name;
    this.rootIno = inner.rootIno;
    this.capabilities = readOnlyCapabilities(inner.capabilities);
  }

  lookup(dir: Ino, name: string): Promise<Entry> {
    return this.inner.lookup(dir, name);
  }
  forget(ino: Ino, nlookup: number): void {
    this.inner.forget?.(ino, nlookup);
  }
  getattr(ino: Ino, fh?: number): Promise<Stat> {
    return this.inner.getattr(ino, fh);
  }
  readlink(ino: Ino): Promise<string> {
    return this.inner.readlink(ino);
  }
  statfs(): Promise<StatFs> {
    return this.inner.statfs();
  }
  async open(ino: Ino, flags: number): Promise<number> {
    // Writable opens never reach a read-only driver (the VFS refuses them);
    // refuse here too so a host that forgets gets the right answer.
    if ((flags & 3) !== 0) throw readOnlyError(this, 'open for writing');
    return this.inner.open ? this.inner.open(ino, flags) : 0;
  }
  read(ino: Ino, fh: number, buf: Uint8Array, pos: number): Promise<number> {
    return this.inner.read(ino, fh, buf, pos);
  }
  async release(ino: Ino, fh: number): Promise<void> {
    await this.inner.release?.(ino, fh);
  }
  async opendir(ino: Ino): Promise<number> {
    return this.inner.opendir ? this.inner.opendir(ino) : 0;
  }
  readdir(ino: Ino, fh: number, cookie: number, limit?: number): Promise<DirEntry[]> {
    return this.inner.readdir(ino, fh, cookie, limit);
  }
  async releasedir(ino: Ino, fh: number): Promise<void> {
    await this.inner.releasedir?.(ino, fh);
  }
  async getxattr(ino: Ino, name: string): Promise<Uint8Array> {
    if (!this.inner.getxattr) throw new FsError('EOPNOTSUPP', `${this.name}: extended attributes are not supported`);
    return this.inner.getxattr(ino, name);
  }
  async listxattr(ino: Ino): Promise<string[]> {
    return this.inner.listxattr ? this.inner.listxattr(ino) : [];
  }
  watch(listener: (change: FsChange) => void): () => void {
    return this.inner.watch ? this.inner.watch(listener) : () => {};
  }
  async destroy(): Promise<void> {
    await this.inner.destroy?.();
  }
}
