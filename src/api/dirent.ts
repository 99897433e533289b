/** fs.Dirent and fs.Dir over the VFS's getdents. */
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, dtFromMode } from '../fs/mode.js';
import type { VfsProcess } from '../vfs/process.js';
import { toNodeError } from './errors.js';

export class Dirent {
  readonly name: string;
  /** The directory the entry is in (Node ≥ 20.12). */
  readonly parentPath: string;
  /** Same as parentPath (older Node name). */
  readonly path: string;
  private readonly dtype: number;

  constructor(name: string, parentPath: string, dtype: number) {
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    this.dtype = dtype;
  }
  isFile(): boolean {
    return this.dtype === DT_REG;
  }
  isDirectory(): boolean {
    return this.dtype === DT_DIR;
  }
  isSymbolicLink(): boolean {
    return this.dtype === DT_LNK;
  }
  isBlockDevice(): boolean {
    return this.dtype === DT_BLK;
  }
  isCharacterDevice(): boolean {
    return this.dtype === DT_CHR;
  }
  isFIFO(): boolean {
    return this.dtype === DT_FIFO;
  }
  isSocket(): boolean {
    return this.dtype === DT_SOCK;
  }
}

/**
 * Entries of the directory open as `fd`, '.' and '..' left out; a driver
 * that cannot tell a type cheaply (DT_UNKNOWN) gets an lstat, as Node does.
 */
export async function readDirents(proc: VfsProcess, fd: number, dirPath: string, limit: number): Promise<Dirent[] | null> {
  const batch = await proc.getdents(fd, limit);
  if (batch.length === 0) return null;
  const out: Dirent[] = [];
  for (const e of batch) {
    if (e.name === '.' || e.name === '..') continue;
    let type = e.type;
    if (type === 0) type = dtFromMode((await proc.lstat(joinPath(dirPath, e.name))).mode);
    out.push(new Dirent(e.name, dirPath, type));
  }
  return out;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** fs.Dir: an open directory read entry by entry (`for await (const d of dir)`). */
export class Dir {
  readonly path: string;
  private readonly proc: VfsProcess;
  private readonly fd: number;
  private readonly bufferSize: number;
  private buffer: Dirent[] = [];
  private done = false;
  private closed = false;

  constructor(proc: VfsProcess, fd: number, path: string, bufferSize = 32) {
    this.proc = proc;
    this.fd = fd;
    this.path = path;
    this.bufferSize = bufferSize;
  }

  /** The next entry, or null at the end. */
  async read(): Promise<Dirent | null> {
    if (this.closed) throw toNodeError(Object.assign(new Error('directory handle was closed'), { code: 'EBADF' }), 'read', this.path);
    while (this.buffer.length === 0 && !this.done) {
      try {
        const next = await readDirents(this.proc, this.fd, this.path, this.bufferSize);
        if (next === null) this.done = true;
        else this.buffer = next;
      } catch (e) {
        throw toNodeError(e, 'scandir', this.path);
      }
    }
    return this.buffer.shift() ?? null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.proc.close(this.fd);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Dirent> {
    try {
      for (;;) {
        const d = await this.read();
        if (d === null) return;
        yield d;
      }
    } finally {
      await this.close();
    }
  }
}
