/**
 * FuseDevice: the read loop on an open /dev/fuse descriptor.
 *
 * Node has no way to poll a character device, so requests are read with
 * blocking read(2) calls on the libuv threadpool, several outstanding at
 * once so that a slow driver call never leaves the kernel waiting for a
 * reader. Each outstanding read holds a pool thread for as long as the
 * mount is idle: with UV_THREADPOOL_SIZE threads and R readers, only the
 * rest serve file I/O, DNS and zlib for the whole process. `readersFor()`
 * keeps at least 4 threads free; raise UV_THREADPOOL_SIZE at process start
 * (before anything uses the pool) to get more readers.
 *
 * Replies go out with writev(2) straight from the caller's buffers, on the
 * main thread: a reply never blocks (the kernel copies it to the waiting
 * request or drops it with ENOENT if the request was interrupted).
 */
import * as fs from 'node:fs';
import { FUSE_IN_HEADER_SIZE, FUSE_MIN_READ_BUFFER } from '../../hosts/fuse/protocol.js';

/** Requests up to this size are copied out so the read buffer can go straight back to the kernel. */
const COPY_BELOW = 64 << 10;

/**
 * The pool size libuv started with. Read once at load: the pool starts
 * before user code runs (the ESM loader reads files through it), so a
 * later change to process.env.UV_THREADPOOL_SIZE changes nothing.
 */
const POOL_AT_START = ((): number => {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
})();

export function threadpoolSize(): number {
  return POOL_AT_START;
}

/**
 * How many reads to keep outstanding so the threadpool keeps at least 3
 * threads (4 when there is room) for everything else.
 */
export function readersFor(poolSize = threadpoolSize(), wanted = 4): number {
  return Math.max(1, Math.min(wanted, poolSize - 4));
}

export interface FuseDeviceHandler {
  /** One request; the promise settles when its reply went out. */
  handle(request: Uint8Array): Promise<void>;
}

export class FuseDevice {
  readonly fd: number;
  private readonly bufferSize: number;
  private readonly spare: Uint8Array[] = [];
  private closed = false;

  /** `maxWrite`: the largest WRITE payload agreed at INIT; the kernel refuses smaller read buffers. */
  constructor(fd: number, maxWrite: number) {
    this.fd = fd;
    this.bufferSize = Math.max(FUSE_MIN_READ_BUFFER, maxWrite + FUSE_IN_HEADER_SIZE + 4096);
  }

  /** Writes one reply or notification; false if the kernel no longer waits for it (ENOENT). */
  send(parts: Uint8Array[]): boolean {
    try {
      fs.writevSync(this.fd, parts);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENODEV' || code === 'EBADF') return false;
      throw e;
    }
  }

  /**
   * Reads requests until the kernel says the mount is gone (ENODEV) and
   * hands each to `handler`. Resolves then, once every handler settled;
   * rejects on any other read error.
   */
  run(handler: FuseDeviceHandler, readers: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let active = readers;
      let failure: Error | undefined;
      const pending = new Set<Promise<void>>();
      const finish = (err?: Error): void => {
        if (err && !failure) failure = err;
        this.closed = true;
        if (--active > 0) return;
        void Promise.allSettled([...pending]).then(() => (failure ? reject(failure) : resolve()));
      };
      const loop = (buf: Uint8Array): void => {
        if (this.closed) return finish();
        fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
          if (err) {
            const code = err.code;
            if (code === 'EINTR' || code === 'EAGAIN' || code === 'ENOENT') return loop(buf);
            if (code === 'ENODEV' || code === 'EBADF') return finish();
            return finish(err);
          }
          if (n === 0) return finish();
          if (n <= COPY_BELOW) {
            const request = buf.slice(0, n);
            loop(buf);
            track(handler.handle(request));
          } else {
            // A large WRITE: the driver reads the payload in place; the buffer returns when it is done.
            const next = this.spare.pop() ?? new Uint8Array(this.bufferSize);
            loop(next);
            track(handler.handle(buf.subarray(0, n)).finally(() => this.spare.push(buf)));
          }
        });
      };
      const track = (p: Promise<void>): void => {
        const q = p.catch((e: unknown) => {
          // A handler that throws is a bug in the session, not in the image: stop serving.
          this.closed = true;
          failure ??= e as Error;
        }).finally(() => pending.delete(q));
        pending.add(q);
      };
      for (let i = 0; i < readers; i++) loop(new Uint8Array(this.bufferSize));
    });
  }

  /** Stops issuing reads (outstanding ones end with ENODEV at unmount) and closes the descriptor. */
  close(): void {
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
