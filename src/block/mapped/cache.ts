/**
 * AsyncCache: a bounded LRU of things loaded asynchronously (grain tables,
 * sector bitmaps, decompressed grains). Concurrent requests for the same key
 * share one load, so a burst of parallel reads never loads a table twice.
 */
import { LruCache } from '../../util/lru.js';

export class AsyncCache<K, V> {
  private readonly lru: LruCache<K, V>;
  private readonly inflight = new Map<K, Promise<V>>();

  /** `capacity` in entries, or in total cost when `set` costs are given by `cost`. */
  constructor(capacity: number, private readonly cost: (v: V) => number = () => 1) {
    this.lru = new LruCache(capacity);
  }

  get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.lru.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.inflight.get(key);
    if (!p) {
      p = load()
        .then((v) => {
          this.lru.set(key, v, this.cost(v));
          return v;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }
}
