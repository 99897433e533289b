/**
 * HostFileIo: the host calls extractTree makes — per regular file on its
 * descriptor (create, write, truncate, chown, chmod, utimes, close), and by
 * path for directories, symlinks and links.
 *
 * They start synchronous: a tree is mostly small files, and on a local
 * disk or tmpfs each call takes a microsecond or two, while going through
 * the libuv threadpool costs the main thread several times that per call
 * (creating 2 KB files in /dev/shm, main-thread CPU per file: ~6 µs with
 * the sync calls, ~20 µs with node:fs callbacks, ~45 µs with FileHandle
 * promises) — and the main thread is what a decompressing extraction waits
 * on. If any call takes longer than SLOW_CALL_MS (a network filesystem, a
 * disk under writeback pressure), the rest of the extraction switches to
 * the callback API so a slow host never stalls the event loop again — but
 * only after SLOW_CALLS slow calls in a row: one call that spans the
 * thread being preempted (the extraction workers share the cores) says
 * nothing about the host, and switching for it cost the walking thread
 * ~45 µs per directory call for the rest of the run.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';

const SLOW_CALL_MS = 4;
const SLOW_CALLS = 3;

export class HostFileIo {
  /** False once a call was slow: from then on everything goes through the threadpool. */
  sync = true;
  private slowInARow = 0;

  /**
   * `alwaysSync`: never switch to the threadpool (an extraction worker
   * thread has no event loop to keep free; waiting for the threadpool only
   * leaves it idle).
   */
  constructor(private readonly alwaysSync = false) {}

  private timed<T>(run: () => T): T {
    if (this.alwaysSync) return run();
    const t0 = performance.now();
    try {
      return run();
    } finally {
      if (performance.now() - t0 <= SLOW_CALL_MS) this.slowInARow = 0;
      else if (++this.slowInARow >= SLOW_CALLS) this.sync = false;
    }
  }

  async open(path: string, flags: number, mode: number): Promise<number> {
    if (this.sync) return this.timed(() => fs.openSync(path, flags, mode));
    return new Promise((resolve, reject) => fs.open(path, flags, mode, (e, fd) => (e ? reject(e) : resolve(fd))));
  }

  async close(fd: number): Promise<void> {
    if (this.sync) return this.timed(() => fs.closeSync(fd));
    return new Promise((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
  }

  private async writeAt(fd: number, data: Uint8Array, pos: number): Promise<number> {
    if (this.sync) return this.timed(() => fs.writeSync(fd, data, 0, data.length, pos));
    return new Promise((resolve, reject) => fs.write(fd, data, 0, data.length, pos, (e, n) => (e ? reject(e) : resolve(n))));
  }

  async truncate(fd: number, size: number): Promise<void> {
    if (this.sync) return this.timed(() => fs.ftruncateSync(fd, size));
    return new Promise((resolve, reject) => fs.ftruncate(fd, size, (e) => (e ? reject(e) : resolve())));
  }

  async chown(fd: number, uid: number, gid: number): Promise<void> {
    if (this.sync) return this.timed(() => fs.fchownSync(fd, uid, gid));
    return new Promise((resolve, reject) => fs.fchown(fd, uid, gid, (e) => (e ? reject(e) : resolve())));
  }

  async chmod(fd: number, mode: number): Promise<void> {
    if (this.sync) return this.timed(() => fs.fchmodSync(fd, mode));
    return new Promise((resolve, reject) => fs.fchmod(fd, mode, (e) => (e ? reject(e) : resolve())));
  }

  async utimes(fd: number, atime: number | Date, mtime: number | Date): Promise<void> {
    if (this.sync) return this.timed(() => fs.futimesSync(fd, atime, mtime));
    return new Promise((resolve, reject) => fs.futimes(fd, atime, mtime, (e) => (e ? reject(e) : resolve())));
  }

  // By path (directories, symlinks, links; never followed where it matters: lchown, lutimes, lstat).

  async mkdir(path: string, mode: number): Promise<void> {
    if (this.sync) return this.timed(() => void fs.mkdirSync(path, { mode }));
    await fsp.mkdir(path, { mode });
  }

  async lstat(path: string): Promise<fs.Stats> {
    if (this.sync) return this.timed(() => fs.lstatSync(path));
    return fsp.lstat(path);
  }

  async unlink(path: string): Promise<void> {
    if (this.sync) return this.timed(() => fs.unlinkSync(path));
    return fsp.unlink(path);
  }

  async symlink(target: string, path: string): Promise<void> {
    if (this.sync) return this.timed(() => fs.symlinkSync(target, path));
    return fsp.symlink(target, path);
  }

  async link(existing: string, path: string): Promise<void> {
    if (this.sync) return this.timed(() => fs.linkSync(existing, path));
    return fsp.link(existing, path);
  }

  async lchownPath(path: string, uid: number, gid: number): Promise<void> {
    if (this.sync) return this.timed(() => fs.lchownSync(path, uid, gid));
    return fsp.lchown(path, uid, gid);
  }

  async chmodPath(path: string, mode: number): Promise<void> {
    if (this.sync) return this.timed(() => fs.chmodSync(path, mode));
    return fsp.chmod(path, mode);
  }

  async utimesPath(path: string, atime: number | Date, mtime: number | Date, symlink: boolean): Promise<void> {
    if (this.sync) return this.timed(() => (symlink ? fs.lutimesSync(path, atime, mtime) : fs.utimesSync(path, atime, mtime)));
    return symlink ? fsp.lutimes(path, atime, mtime) : fsp.utimes(path, atime, mtime);
  }

  /**
   * Writes the non-zero 64 KiB runs of `data` at `pos`; zero runs stay holes,
   * like cp --sparse=auto. Returns where the last byte written ends (pos when
   * everything was zero), so the caller knows whether the file needs extending.
   */
  async writeSparse(fd: number, data: Uint8Array, pos: number): Promise<number> {
    const SEG = 65536;
    let runStart = -1;
    let end = pos;
    for (let off = 0; off < data.length; off += SEG) {
      const zero = isZero(data.subarray(off, off + SEG));
      if (!zero && runStart < 0) runStart = off;
      if (zero && runStart >= 0) {
        await this.writeAll(fd, data.subarray(runStart, off), pos + runStart);
        end = pos + off;
        runStart = -1;
      }
    }
    if (runStart >= 0) {
      await this.writeAll(fd, data.subarray(runStart), pos + runStart);
      end = pos + data.length;
    }
    return end;
  }

  private async writeAll(fd: number, data: Uint8Array, pos: number): Promise<void> {
    let done = 0;
    while (done < data.length) done += await this.writeAt(fd, data.subarray(done), pos + done);
  }
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
