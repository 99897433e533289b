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
 *
 * The age order lives in an array used as a queue beside the Map (not in
 * the Map's insertion order): evicting then takes an array read, not an
 * iterator and a result object per entry, and an entry given a second
 * chance moves without a Map delete and re-insert. Deleted entries stay in
 * the queue, marked dead, until eviction reaches them or the queue is
 * compacted.
 */
interface Slot<K, V> {
  key: K;
  value: V;
  cost: number;
  used: boolean;
  /** False once deleted, replaced or evicted: the queue skips it. */
  live: boolean;
}

export class LruCache<K, V> {
  private readonly map = new Map<K, Slot<K, V>>();
  /** Slots from oldest to newest, from `head` on; dead ones are skipped. */
  private queue: Array<Slot<K, V> | undefined> = [];
  private head = 0;
  private dead = 0;
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
    if (old) this.kill(old);
    const slot: Slot<K, V> = { key, value, cost, used: false, live: true };
    this.map.set(key, slot);
    this.queue.push(slot);
    this.total += cost;
    if (this.total > this.capacity) this.evict(slot);
  }

  /** Drops entries until the cost fits, never `keep` (the entry just added). */
  private evict(keep: Slot<K, V>): void {
    // Each pass over a live entry either drops it or clears its flag, so this ends.
    let guard = (this.queue.length - this.head) * 2 + 2;
    while (this.total > this.capacity && this.map.size > 1 && guard-- > 0) {
      const s = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (!s.live) {
        this.dead--;
        continue;
      }
      if (s === keep || s.used) {
        s.used = false;
        this.queue.push(s);
        continue;
      }
      s.live = false;
      this.map.delete(s.key);
      this.total -= s.cost;
      this.onEvict?.(s.key, s.value);
    }
    this.compact();
  }

  /** Removes a slot from the map and the cost; its queue place is skipped later. */
  private kill(s: Slot<K, V>): void {
    s.live = false;
    this.map.delete(s.key);
    this.total -= s.cost;
    this.dead++;
  }

  /** Keeps the queue about as long as the map: drops the consumed front and, when many, the dead. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.dead > 1024 && this.dead > this.map.size) {
      this.queue = this.queue.slice(this.head).filter((s) => s!.live);
      this.head = 0;
      this.dead = 0;
    }
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (!e) return false;
    this.kill(e);
    this.compact();
    return true;
  }

  clear(): void {
    this.map.clear();
    this.queue = [];
    this.head = 0;
    this.dead = 0;
    this.total = 0;
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, e] of this.map) yield [k, e.value];
  }
}
