/**
 * TwoGenerationCache: a bounded cache whose hits cost one Map lookup.
 *
 * An exact LRU reorders on every hit (a Map delete and insert), which
 * dominated lookups in large directories. Here entries live in a young or
 * an old generation: hits in the young one do nothing, hits in the old one
 * move the entry to the young one, and when the young generation reaches
 * half the budget it becomes the old one and the previous old one is
 * dropped. Recently used entries therefore survive, the total cost stays
 * within the budget, and nothing is ever scanned.
 */
export class TwoGenerationCache<K, V> {
  private young = new Map<K, { value: V; cost: number }>();
  private old = new Map<K, { value: V; cost: number }>();
  private youngCost = 0;
  private oldCost = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get(key: K): V | undefined {
    const y = this.young.get(key);
    if (y) return y.value;
    const o = this.old.get(key);
    if (!o) return undefined;
    this.old.delete(key);
    this.oldCost -= o.cost;
    this.insert(key, o);
    return o.value;
  }

  has(key: K): boolean {
    return this.young.has(key) || this.old.has(key);
  }

  set(key: K, value: V, cost = 1): void {
    this.delete(key);
    this.insert(key, { value, cost });
  }

  delete(key: K): boolean {
    const y = this.young.get(key);
    if (y) {
      this.young.delete(key);
      this.youngCost -= y.cost;
      return true;
    }
    const o = this.old.get(key);
    if (o) {
      this.old.delete(key);
      this.oldCost -= o.cost;
      return true;
    }
    return false;
  }

  /** Total cost held (at most the capacity, plus one entry larger than half of it). */
  get cost(): number {
    return this.youngCost + this.oldCost;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private insert(key: K, e: { value: V; cost: number }): void {
    if (this.youngCost + e.cost > this.capacity / 2 && this.young.size > 0) {
      this.old = this.young;
      this.oldCost = this.youngCost;
      this.young = new Map();
      this.youngCost = 0;
    }
    this.young.set(key, e);
    this.youngCost += e.cost;
  }
}
