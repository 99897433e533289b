/** FileHandle: what `open()` returns, with the methods of Node's fs/promises FileHandle. */
import { FsError } from '../errors.js';
import { fromMs, type Timespec } from '../fs/time.js';
import type { VfsProcess } from '../vfs/process.js';
import { decode, toBytes } from './encoding.js';
import { toNodeError } from './errors.js';
import { BigIntStats, Stats } from './stats.js';

export type TimeLike = number | string | Date;

/** Node's time arguments (seconds as number or numeric string, or a Date) as a Timespec. */
export function toTimespec(t: TimeLike): Timespec {
  if (t instanceof Date) return fromMs(t.getTime());
  const n = typeof t === 'string' ? Number(t) : t;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new FsError('EINVAL', `invalid time ${String(t)}`);
  return fromMs(n * 1000);
}

export function toMode(mode: number | string | undefined, fallback: number): number {
  if (mode === undefined) return fallback;
  const m = typeof mode === 'string' ? parseInt(mode, 8) : mode;
  if (!Number.isInteger(m) || m < 0) throw new FsError('EINVAL', `invalid mode ${String(mode)}`);
  return m;
}

export interface ReadResult<T extends ArrayBufferView> {
  bytesRead: number;
  buffer: T;
}

export interface WriteResult<T> {
  bytesWritten: number;
  buffer: T;
}

/** How results become the caller's byte type (Uint8Array, or Buffer under Node). */
export type BytesFactory = (b: Uint8Array) => Uint8Array;

const CHUNK = 1 << 20;

export class FileHandle {
  readonly fd: number;
  private readonly proc: VfsProcess;
  private readonly bytes: BytesFactory;
  private readonly path: string;
  private closed = false;

  constructor(proc: VfsProcess, fd: number, path: string, bytes: BytesFactory) {
    this.proc = proc;
    this.fd = fd;
    this.path = path;
    this.bytes = bytes;
  }

  private async call<T>(syscall: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw toNodeError(new FsError('EBADF', 'file handle is closed'), syscall);
    try {
      return await fn();
    } catch (e) {
      throw toNodeError(e, syscall);
    }
  }

  /**
   * read(buffer, offset?, length?, position?) or read({ buffer, offset,
   * length, position }); position null reads at (and advances) the offset.
   */
  async read<T extends ArrayBufferView = Uint8Array>(
    bufferOrOptions?: T | { buffer?: T; offset?: number; length?: number; position?: number | null },
    offset?: number,
    length?: number,
    position?: number | null,
  ): Promise<ReadResult<T>> {
    let buffer: T;
    if (bufferOrOptions === undefined || !ArrayBuffer.isView(bufferOrOptions)) {
      const o = (bufferOrOptions ?? {}) as { buffer?: T; offset?: number; length?: number; position?: number | null };
      buffer = o.buffer ?? (this.bytes(new Uint8Array(16384)) as unknown as T);
      offset = o.offset;
      length = o.length;
      position = o.position;
    } else buffer = bufferOrOptions;
    const view = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const off = offset ?? 0;
    const len = length ?? view.length - off;
    if (off < 0 || len < 0 || off + len > view.length) throw toNodeError(new FsError('EINVAL', 'offset and length out of range'), 'read');
    const bytesRead = await this.call('read', () => this.proc.read(this.fd, view.subarray(off, off + len), position ?? null));
    return { bytesRead, buffer };
  }

  /** write(buffer, offset?, length?, position?) or write(string, position?, encoding?). */
  async write<T extends ArrayBufferView | string>(data: T, offsetOrPosition?: number | null, lengthOrEncoding?: number | string, position?: number | null): Promise<WriteResult<T>> {
    let bytes: Uint8Array;
    let pos: number | null;
    if (typeof data === 'string') {
      bytes = toBytes(data, typeof lengthOrEncoding === 'string' ? lengthOrEncoding : 'utf8');
      pos = offsetOrPosition ?? null;
    } else {
      const all = toBytes(data);
      const off = offsetOrPosition ?? 0;
      const len = typeof lengthOrEncoding === 'number' ? lengthOrEncoding : all.length - off;
      bytes = all.subarray(off, off + len);
      pos = position ?? null;
    }
    const bytesWritten = await this.call('write', () => this.writeAll(bytes, pos));
    return { bytesWritten, buffer: data };
  }

  private async writeAll(bytes: Uint8Array, pos: number | null): Promise<number> {
    let done = 0;
    while (done < bytes.length) {
      const n = await this.proc.write(this.fd, bytes.subarray(done, Math.min(bytes.length, done + CHUNK)), pos === null ? null : pos + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  /** The whole file from the current offset (Node reads from the current position too). */
  async readFile(options?: { encoding?: string | null } | string | null): Promise<Uint8Array | string> {
    const encoding = typeof options === 'string' ? options : options?.encoding ?? null;
    const data = await this.call('read', async () => {
      const size = (await this.proc.fstat(this.fd)).size;
      const parts: Uint8Array[] = [];
      let total = 0;
      const first = new Uint8Array(Math.max(size, 1));
      let n = await this.proc.read(this.fd, first, null);
      if (n > 0) {
        parts.push(first.subarray(0, n));
        total += n;
      }
      // Files may grow while being read, or report no size (procfs-like drivers): read until EOF.
      while (n > 0) {
        const more = new Uint8Array(CHUNK);
        n = await this.proc.read(this.fd, more, null);
        if (n > 0) {
          parts.push(more.subarray(0, n));
          total += n;
        }
      }
      if (parts.length === 1) return parts[0]!;
      const out = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    });
    return encoding ? decode(data, encoding) : this.bytes(data);
  }

  async writeFile(data: string | ArrayBufferView, options?: { encoding?: string | null } | string | null): Promise<void> {
    const encoding = typeof options === 'string' ? options : options?.encoding ?? 'utf8';
    const bytes = toBytes(data, encoding);
    await this.call('write', () => this.writeAll(bytes, null));
  }

  async appendFile(data: string | ArrayBufferView, options?: { encoding?: string | null } | string | null): Promise<void> {
    return this.writeFile(data, options);
  }

  stat(options: { bigint: true }): Promise<BigIntStats>;
  stat(options?: { bigint?: false }): Promise<Stats>;
  async stat(options?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
    const s = await this.call('fstat', () => this.proc.fstat(this.fd));
    return options?.bigint ? new BigIntStats(s) : new Stats(s);
  }

  async truncate(len = 0): Promise<void> {
    await this.call('ftruncate', () => this.proc.ftruncate(this.fd, len));
  }

  async chmod(mode: number | string): Promise<void> {
    await this.call('fchmod', () => this.proc.fchmod(this.fd, toMode(mode, 0)));
  }

  async chown(uid: number, gid: number): Promise<void> {
    await this.call('fchown', () => this.proc.fchown(this.fd, uid, gid));
  }

  async utimes(atime: TimeLike, mtime: TimeLike): Promise<void> {
    await this.call('futime', () => this.proc.futimens(this.fd, toTimespec(atime), toTimespec(mtime)));
  }

  async sync(): Promise<void> {
    await this.call('fsync', () => this.proc.fsync(this.fd, false));
  }

  async datasync(): Promise<void> {
    await this.call('fdatasync', () => this.proc.fsync(this.fd, true));
  }

  /** The file from its start as a web ReadableStream of byte chunks. */
  readableWebStream(options: { highWaterMark?: number } = {}): ReadableStream<Uint8Array> {
    const size = options.highWaterMark ?? 65536;
    let pos = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const buf = new Uint8Array(size);
        const n = await this.call('read', () => this.proc.read(this.fd, buf, pos));
        if (n === 0) controller.close();
        else {
          pos += n;
          controller.enqueue(this.bytes(buf.subarray(0, n)));
        }
      },
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.proc.close(this.fd);
    } catch (e) {
      throw toNodeError(e, 'close', this.path);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
