/**
 * LruCache: a Map bounded by total cost (entry count by default, or bytes),
 * evicting entries that have not been used recently.
 *
 * It is a second-chance (CLOCK) cache rather than a strict LRU: a hit only
 * sets a flag, so the hot path of every parser (metadata blocks, inodes,
 * L2 tables) costs one Map lookup instead of a delete and a re-insert. On
 * eviction the oldest entry is dropped unless it was used since it was last
 * considered, in which case it moves to the back with its flag cleared —
 * which approximates LRU closely, as the kernel's page cache does.
 */
interface Slot<V> {
  value: V;
  cost: number;
  used: boolean;
}

export class LruCache<K, V> {
  private readonly map = new Map<K, Slot<V>>();
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
    e.used = true;
    return e.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Looks without counting as a use. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  set(key: K, value: V, cost = 1): void {
    const old = this.map.get(key);
    if (old) {
      this.total -= old.cost;
      this.map.delete(key);
    }
    this.map.set(key, { value, cost, used: false });
    this.total += cost;
    this.evict(key);
  }

  /** Drops entries until the cost fits, never `keep` (the entry just added). */
  private evict(keep: K): void {
    // Each pass over an entry either drops it or clears its flag, so this ends.
    let guard = this.map.size * 2 + 2;
    while (this.total > this.capacity && this.map.size > 1 && guard-- > 0) {
      const [k, e] = this.map.entries().next().value as [K, Slot<V>];
      this.map.delete(k);
      if (k === keep || e.used) {
        e.used = false;
        this.map.set(k, e);
        continue;
      }
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
