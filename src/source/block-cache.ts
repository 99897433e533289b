/**
 * BlockCache: fixed-size blocks of a remote file, kept in an LRU bounded by
 * bytes, plus the blocks being fetched right now so that two reads wanting
 * the same block share one request.
 *
 * A fetch registers every block it will deliver (`begin`) before it sends
 * anything; as each block's bytes are complete it is handed to the waiters
 * and cached (`PendingBlock.resolve`). Failures reach the waiters and leave
 * nothing behind, so the next read asks again.
 *
 * Waiters are called synchronously, inside `resolve`, and must copy what
 * they need there and then. That keeps a block referenced only by the LRU,
 * so an evicted block's buffer can be reused for the next one instead of
 * being left to the garbage collector (a linear read of a large file
 * otherwise allocates, zero-fills and collects its whole size).
 */
import { LruCache } from '../util/lru.js';

export type BlockWaiter = (error: unknown, data?: Uint8Array) => void;

export interface PendingBlock {
  /** Hands `data` to every waiter, then caches it. */
  resolve(data: Uint8Array): void;
  /** Fails every waiter; nothing is cached. */
  reject(error: unknown): void;
}

export interface BlockCacheStats {
  /** Blocks found cached. */
  hits: number;
  /** Blocks found already being fetched. */
  shared: number;
  /** Blocks that had to be fetched. */
  misses: number;
}

/** Spare full-size buffers kept for reuse: enough for a burst of blocks, small next to any cache. */
const POOL_BLOCKS = 16;

export class BlockCache {
  readonly blockSize: number;
  private readonly lru: LruCache<number, Uint8Array>;
  private readonly pending = new Map<number, BlockWaiter[]>();
  private readonly pool: Uint8Array[] = [];
  readonly stats: BlockCacheStats = { hits: 0, shared: 0, misses: 0 };

  constructor(blockSize: number, capacityBytes: number) {
    this.blockSize = blockSize;
    this.lru = new LruCache(capacityBytes, {
      onEvict: (_block, data) => {
        if (data.length === this.blockSize && this.pool.length < POOL_BLOCKS) this.pool.push(data);
      },
    });
  }

  /** Bytes held (cached blocks only, not those in flight). */
  get cachedBytes(): number {
    return this.lru.cost;
  }

  /** A cached block (marking it recently used), or undefined. Use it before the next await. */
  get(block: number): Uint8Array | undefined {
    const data = this.lru.get(block);
    if (data) this.stats.hits++;
    return data;
  }

  /** If `block` is being fetched, adds `waiter` to it and returns true. */
  wait(block: number, waiter: BlockWaiter): boolean {
    const waiters = this.pending.get(block);
    if (!waiters) return false;
    this.stats.shared++;
    waiters.push(waiter);
    return true;
  }

  /** Cached or being fetched, without touching recency (for readahead planning). */
  has(block: number): boolean {
    return this.pending.has(block) || this.lru.has(block);
  }

  /** A buffer for a block of `length` bytes, reused when one is spare. Its old contents are garbage. */
  allocate(length: number): Uint8Array {
    if (length === this.blockSize) {
      const spare = this.pool.pop();
      if (spare) return spare;
    }
    return new Uint8Array(length);
  }

  /** Registers a fetch of `block` (with an optional first waiter); the caller must resolve or reject it. */
  begin(block: number, waiter?: BlockWaiter): PendingBlock {
    this.stats.misses++;
    const waiters: BlockWaiter[] = waiter ? [waiter] : [];
    this.pending.set(block, waiters);
    const current = () => this.pending.get(block) === waiters;
    return {
      resolve: (data) => {
        const live = current();
        if (live) this.pending.delete(block);
        for (const w of waiters) w(undefined, data);
        if (live) this.lru.set(block, data, data.length);
      },
      reject: (error) => {
        if (current()) this.pending.delete(block);
        for (const w of waiters) w(error);
      },
    };
  }

  /** Drops everything cached and fails every fetch in flight with `error`. */
  clear(error: unknown): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.lru.clear();
    this.pool.length = 0;
    for (const waiters of all) for (const w of waiters.splice(0)) w(error);
  }
}
