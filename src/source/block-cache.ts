/**
 * BlockCache: fixed-size blocks of a remote file, kept in an LRU bounded by
 * bytes, plus the blocks being fetched right now so that two reads wanting
 * the same block share one request.
 *
 * A fetch registers every block it will deliver (`begin`) before it sends
 * anything; as each block's bytes are complete it is handed to waiters and
 * cached (`Pending.resolve`). Failures reach the waiters and leave nothing
 * behind, so the next read asks again.
 */
import { LruCache } from '../util/lru.js';

export interface Pending {
  readonly promise: Promise<Uint8Array>;
  resolve(data: Uint8Array): void;
  reject(error: unknown): void;
}

export interface BlockCacheStats {
  /** Blocks found cached. */
  hits: number;
  /** Blocks found already being fetched by someone else. */
  shared: number;
  /** Blocks that had to be fetched. */
  misses: number;
}

export class BlockCache {
  readonly blockSize: number;
  private readonly lru: LruCache<number, Uint8Array>;
  private readonly pending = new Map<number, Pending>();
  readonly stats: BlockCacheStats = { hits: 0, shared: 0, misses: 0 };

  constructor(blockSize: number, capacityBytes: number) {
    this.blockSize = blockSize;
    this.lru = new LruCache(capacityBytes);
  }

  /** Bytes held (cached blocks only, not those in flight). */
  get cachedBytes(): number {
    return this.lru.cost;
  }

  get capacityBytes(): number {
    return this.lru.capacity;
  }

  /** A cached block (marking it recently used), or undefined. */
  get(block: number): Uint8Array | undefined {
    const data = this.lru.get(block);
    if (data) this.stats.hits++;
    return data;
  }

  /** The fetch already under way for a block, or undefined. */
  inFlight(block: number): Promise<Uint8Array> | undefined {
    const p = this.pending.get(block);
    if (p) this.stats.shared++;
    return p?.promise;
  }

  /** Cached or being fetched, without touching recency (for readahead planning). */
  has(block: number): boolean {
    return this.pending.has(block) || this.lru.has(block);
  }

  /** Registers a fetch of `block`; the caller must resolve or reject it. */
  begin(block: number): Pending {
    this.stats.misses++;
    let resolve!: (d: Uint8Array) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<Uint8Array>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Readahead blocks may have no waiter; their failure must not become an unhandled rejection.
    promise.catch(() => {});
    const entry: Pending = {
      promise,
      resolve: (data) => {
        if (this.pending.get(block) !== entry) return resolve(data);
        this.pending.delete(block);
        this.lru.set(block, data, data.length);
        resolve(data);
      },
      reject: (error) => {
        if (this.pending.get(block) === entry) this.pending.delete(block);
        reject(error);
      },
    };
    this.pending.set(block, entry);
    return entry;
  }

  /** Drops everything cached and fails every fetch in flight with `error`. */
  clear(error: unknown): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.lru.clear();
    for (const p of pending) p.reject(error);
  }
}
