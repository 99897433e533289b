/**
 * HttpDevice: a read-only BlockDevice over an HTTP(S) URL, read lazily with
 * Range requests.
 *
 * Reads go through a BlockCache of fixed-size blocks (re-reading metadata
 * costs nothing); the missing blocks of one read are fetched as one request
 * per contiguous run; a block already being fetched is waited for, not
 * fetched again; and a reader walking forward gets readahead, growing up to
 * `readaheadBytes`, fetched in the background so the next reads find their
 * blocks in flight or cached. See README.md for the decisions.
 */
import { FsError } from '../errors.js';
import { checkRange, readOnlyError, type BlockDevice, type DeviceDescription } from '../block/device.js';
import { formatSize } from '../util/units.js';
import { CloseSignal } from './close-signal.js';
import { BlockCache, type BlockCacheStats, type BlockWaiter, type PendingBlock } from './block-cache.js';
import { RangeClient, type ResourceInfo } from './http-client.js';
import type { FetchFunction } from './http-request.js';
import { SequentialDetector } from './readahead.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';

export interface HttpDeviceOptions {
  /** Sent with every request (e.g. Authorization). Credentials in the URL become Basic auth. */
  headers?: Record<string, string>;
  /** Cache budget in bytes (default 64 MiB). */
  cacheBytes?: number;
  /** Cache block size in bytes, the smallest fetch (default 256 KiB). */
  blockSize?: number;
  /** Largest readahead window in bytes (default 16 MiB, at most a quarter of the cache). */
  readaheadBytes?: number;
  /** Largest single request in bytes; longer reads are split (default 32 MiB). */
  maxRequestBytes?: number;
  /** Milliseconds without progress before an attempt fails (default 30 s). */
  timeoutMs?: number;
  /** An attempt also fails if slower than this on average, after timeoutMs of grace (default 16 KiB/s). */
  minBytesPerSecond?: number;
  /** Retry count and backoff (defaults: 5 retries, 250 ms doubling to 10 s, Retry-After up to 30 s). */
  retry?: Partial<RetryPolicy>;
  /** The fetch to use (default the global one); tests and browsers may pass their own. */
  fetch?: FetchFunction;
}

export interface HttpDeviceStats extends BlockCacheStats {
  /** Range requests started (not counting retries, HEAD or the probe). */
  requests: number;
  /** Range requests not finished yet (readahead included). */
  inFlight: number;
  /** Body bytes received. */
  bytesFetched: number;
  /** Bytes held by the cache now. */
  cachedBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export class HttpDevice implements BlockDevice {
  /** Where redirects ended, without credentials: the URL messages name. */
  readonly url: string;
  readonly size: number;
  readonly sectorSize = 512;
  readonly readOnly = true;
  private readonly client: RangeClient;
  private readonly info: ResourceInfo;
  private readonly cache: BlockCache;
  private readonly detector: SequentialDetector;
  private readonly maxRequestBlocks: number;
  private readonly closing: CloseSignal;
  private closed = false;
  private readonly counters = { requests: 0, inFlight: 0, bytesFetched: 0 };

  private constructor(client: RangeClient, info: ResourceInfo, closing: CloseSignal, cache: BlockCache, readaheadBytes: number, maxRequestBytes: number) {
    this.client = client;
    this.info = info;
    this.url = info.finalUrl;
    this.size = info.size;
    this.closing = closing;
    this.cache = cache;
    const bs = cache.blockSize;
    this.detector = new SequentialDetector({ initialBytes: Math.min(readaheadBytes, Math.max(bs, MiB)), maxBytes: readaheadBytes });
    this.maxRequestBlocks = Math.max(1, Math.floor(maxRequestBytes / bs));
  }

  /** Opens a URL: one HEAD (or a one-byte range GET) to learn its size; nothing else is read yet. */
  static async open(url: string | URL, options: HttpDeviceOptions = {}): Promise<HttpDevice> {
    const blockSize = positive('blockSize', options.blockSize ?? 256 * KiB, 512, 64 * MiB);
    const cacheBytes = positive('cacheBytes', options.cacheBytes ?? 64 * MiB, 0, 2 ** 40);
    const readaheadBytes = positive('readaheadBytes', options.readaheadBytes ?? Math.min(16 * MiB, Math.floor(cacheBytes / 4)), 0, 2 ** 40);
    const maxRequestBytes = positive('maxRequestBytes', options.maxRequestBytes ?? Math.max(blockSize, 32 * MiB), blockSize, 2 ** 40);
    const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000, 1, 2 ** 31 - 1);
    const minBytesPerSecond = positive('minBytesPerSecond', options.minBytesPerSecond ?? 16 * KiB, 1, 2 ** 40);
    const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (!Number.isInteger(retry.retries) || retry.retries < 0 || retry.retries > 100) throw new FsError('EINVAL', `http: retry.retries ${retry.retries} is not in 0..100`);
    const fetchFn = options.fetch ?? defaultFetch();
    const closing = new CloseSignal();
    const client = new RangeClient(String(url), { headers: options.headers ?? {}, fetch: fetchFn, timeoutMs, minBytesPerSecond, retry, closing });
    const info = await client.probe();
    return new HttpDevice(client, info, closing, new BlockCache(blockSize, cacheBytes), readaheadBytes, maxRequestBytes);
  }

  get blockSize(): number {
    return this.cache.blockSize;
  }

  /** Counters for benchmarks and `anymount info --verbose`. */
  get stats(): HttpDeviceStats {
    return { ...this.cache.stats, ...this.counters, cachedBytes: this.cache.cachedBytes };
  }

  async read(buf: Uint8Array, offset: number): Promise<void> {
    if (this.closed) throw new FsError('EBADF', `${this.url}: device is closed`);
    checkRange(this.url, this.size, offset, buf.length);
    if (buf.length === 0) return;
    const bs = this.cache.blockSize;
    const end = offset + buf.length;
    const first = Math.floor(offset / bs);
    const last = Math.floor((end - 1) / bs);
    const window = this.detector.onRead(offset, buf.length);
    const lastWanted = window > 0 ? Math.min(this.blockCount - 1, Math.floor((end + window - 1) / bs)) : last;

    // Blocks not cached are copied by a waiter when they arrive; the read ends when none is left.
    let outstanding = 0;
    let settle!: (error?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    const copy = (b: number, data: Uint8Array) => {
      const blockStart = b * bs;
      const from = Math.max(offset, blockStart);
      const to = Math.min(end, blockStart + data.length);
      buf.set(data.subarray(from - blockStart, to - blockStart), from - offset);
    };
    const waiterFor = (b: number): BlockWaiter => {
      outstanding++;
      return (error, data) => {
        if (error !== undefined) return settle(error);
        try {
          copy(b, data!);
        } catch (e) {
          return settle(new FsError('EIO', `${this.url}: copying block ${b}: ${String(e)}`)); // the caller's buffer went away
        }
        if (--outstanding === 0) settle();
      };
    };

    let runStart = -1;
    for (let b = first; b <= last; b++) {
      const data = this.cache.get(b);
      const inFlight = !data && this.cache.has(b);
      if (!data && !inFlight) {
        if (runStart < 0) runStart = b;
        continue;
      }
      if (runStart >= 0) {
        this.fetchRun(runStart, b - 1, first, last, waiterFor);
        runStart = -1;
      }
      if (data) copy(b, data);
      else this.cache.wait(b, waiterFor(b));
    }
    if (runStart >= 0) {
      // The last run of a sequential read reaches into the readahead window: one request for both.
      let runEnd = last;
      while (runEnd < lastWanted && !this.cache.has(runEnd + 1)) runEnd++;
      this.fetchRun(runStart, runEnd, first, last, waiterFor);
    }
    if (window > 0) this.readahead(last + 1, lastWanted);
    if (outstanding > 0) await done;
  }

  private get blockCount(): number {
    return Math.ceil(this.size / this.cache.blockSize);
  }

  /**
   * Background readahead: fetch the blocks of [from, to] not cached or in
   * flight, but only once at least half of that window is missing, so the
   * requests stay large and one is always ahead of the reader.
   */
  private readahead(from: number, to: number): void {
    if (from > to) return;
    let b = from;
    while (b <= to && this.cache.has(b)) b++;
    let runEnd = b;
    while (runEnd + 1 <= to && !this.cache.has(runEnd + 1)) runEnd++;
    if (b > to || (runEnd - b + 1) * 2 < to - from + 1) return;
    this.fetchRun(b, runEnd, -1, -1, () => () => {});
  }

  /**
   * Starts fetching blocks [startBlock, endBlock], split into requests of at
   * most maxRequestBlocks; blocks inside [first, last] (the caller's read)
   * get a waiter from `waiterFor`.
   */
  private fetchRun(startBlock: number, endBlock: number, first: number, last: number, waiterFor: (b: number) => BlockWaiter): void {
    for (let s = startBlock; s <= endBlock; s += this.maxRequestBlocks) {
      const e = Math.min(endBlock, s + this.maxRequestBlocks - 1);
      const pendings: PendingBlock[] = [];
      for (let b = s; b <= e; b++) pendings.push(this.cache.begin(b, b >= first && b <= last ? waiterFor(b) : undefined));
      void this.fetchBlocks(s, pendings);
    }
  }

  /** One range request filling consecutive blocks from `startBlock`; never rejects (failures go to the blocks' waiters). */
  private async fetchBlocks(startBlock: number, pendings: PendingBlock[]): Promise<void> {
    const bs = this.cache.blockSize;
    const start = startBlock * bs;
    const end = Math.min(this.size, (startBlock + pendings.length) * bs);
    let index = 0;
    let block = this.cache.allocate(Math.min(bs, end - start));
    let filled = 0;
    this.counters.requests++;
    this.counters.inFlight++;
    try {
      await this.client.readRange(start, end, (chunk) => {
        this.counters.bytesFetched += chunk.length;
        let at = 0;
        while (at < chunk.length) {
          const n = Math.min(block.length - filled, chunk.length - at);
          block.set(chunk.subarray(at, at + n), filled);
          filled += n;
          at += n;
          // The last block waits for the end of the body, so a body longer than asked fails all of it.
          if (filled === block.length && index < pendings.length - 1) {
            pendings[index]!.resolve(block);
            index++;
            block = this.cache.allocate(Math.min(bs, end - (start + index * bs)));
            filled = 0;
          }
        }
      });
      pendings[index]!.resolve(block);
    } catch (e) {
      const error = e instanceof FsError ? e : new FsError('EIO', `${this.url}: ${String(e)}`, { cause: e });
      for (let i = index; i < pendings.length; i++) pendings[i]!.reject(error);
    } finally {
      this.counters.inFlight--;
    }
  }

  async write(_buf: Uint8Array, _offset: number): Promise<void> {
    throw readOnlyError(this.url);
  }

  async flush(): Promise<void> {}

  /** Cancels requests in flight (their readers get ECANCELED) and drops the cache. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new FsError('ECANCELED', `${this.url}: device closed while reading`);
    this.closing.close(error);
    this.cache.clear(error);
  }

  describe(): DeviceDescription {
    const { etag, lastModified } = this.info.validators;
    return {
      format: 'http',
      summary: `${shortUrl(this.url)}, ${formatSize(this.size)}`,
      details: { url: this.url, size: this.size, etag, lastModified, acceptRanges: this.info.acceptRanges },
    };
  }
}

function defaultFetch(): FetchFunction {
  if (typeof globalThis.fetch !== 'function') throw new FsError('EOPNOTSUPP', 'http: no global fetch in this runtime; pass options.fetch');
  return (input, init) => globalThis.fetch(input, init);
}

function positive(name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new FsError('EINVAL', `http: option ${name} ${v} is not an integer in ${min}..${max}`);
  return v;
}

/** "https://host/path" — no query string (it may hold a signature) for one-line summaries. */
function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
