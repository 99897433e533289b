/**
 * LruCache: a Map bounded by total cost (entry count by default, or bytes),
 * evicting the least recently used entry. Map keeps insertion order, so
 * re-inserting on hit is enough to track recency.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; cost: number }>();
  private total = 0;
  readonly capacity: number;
  private readonly onEvict?: (key: K, value: V) => void;

  constructor(capacity: number, options: { onEvict?: (key: K, value: V) => void } = {}) {
    this.capacity = capacity;
    if (options.onEvict) this.onEvict = options.onEvict;
  }

  get size(): number {
    return this.map.size;
  }

  /** Sum of the costs of the entries held. */
  get cost(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Looks without touching recency. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  set(key: K, value: V, cost = 1): void {
    const old = this.map.get(key);
    if (old) {
      this.total -= old.cost;
      this.map.delete(key);
    }
    this.map.set(key, { value, cost });
    this.total += cost;
    while (this.total > this.capacity && this.map.size > 1) {
      const [k, e] = this.map.entries().next().value as [K, { value: V; cost: number }];
      if (k === key) break;
      this.map.delete(k);
      this.total -= e.cost;
      this.onEvict?.(k, e.value);
    }
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (!e) return false;
    this.map.delete(key);
    this.total -= e.cost;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, e] of this.map) yield [k, e.value];
  }
}
