/**
 * TableCache: metadata tables (L2 table slices, refcount blocks) by host
 * offset, like QEMU's qcow2-cache.c.
 *
 * Clean tables live in an LRU bounded by bytes. A table modified by a writer
 * is marked dirty and pinned outside the LRU until `flush()` writes it, so
 * eviction can never drop an unwritten change. Concurrent loads of the same
 * table share one read. Callers choose when to flush, and so the order
 * between caches (refcount blocks before the L2 tables that need them).
 */
import { LruCache } from '../../util/lru.js';
import type { BlockDevice } from '../device.js';
import { readStructure } from '../device.js';

export class TableCache {
  private readonly clean: LruCache<number, Uint8Array>;
  private readonly dirty = new Map<number, Uint8Array>();
  private readonly loading = new Map<number, Promise<Uint8Array>>();

  constructor(
    private readonly file: BlockDevice,
    /** Bytes per table. */
    readonly tableSize: number,
    capacityBytes: number,
    /** For messages: "qcow2: L2 table". */
    private readonly what: string,
  ) {
    this.clean = new LruCache(Math.max(capacityBytes, tableSize));
  }

  /** The table at `offset`, read from the file on a miss. */
  get(offset: number): Promise<Uint8Array> {
    const hit = this.dirty.get(offset) ?? this.clean.get(offset);
    if (hit) return Promise.resolve(hit);
    let p = this.loading.get(offset);
    if (!p) {
      p = this.load(offset);
      this.loading.set(offset, p);
    }
    return p;
  }

  private async load(offset: number): Promise<Uint8Array> {
    try {
      const bytes = await readStructure(this.file, offset, this.tableSize, this.what);
      // A writer may have put a newer copy in while we read.
      const newer = this.dirty.get(offset) ?? this.clean.peek(offset);
      if (newer) return newer;
      this.clean.set(offset, bytes, bytes.length);
      return bytes;
    } finally {
      this.loading.delete(offset);
    }
  }

  /** Installs `bytes` as the current content at `offset` (clean: already on disk). */
  put(offset: number, bytes: Uint8Array): void {
    this.dirty.delete(offset);
    this.clean.set(offset, bytes, bytes.length);
  }

  /** Records that `bytes` (the table at `offset`) changed and must be written by the next flush. */
  markDirty(offset: number, bytes: Uint8Array): void {
    this.clean.delete(offset);
    this.dirty.set(offset, bytes);
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  /** Writes every dirty table, in offset order, merging neighbours into one write. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const entries = [...this.dirty.entries()].sort((a, b) => a[0] - b[0]);
    let i = 0;
    while (i < entries.length) {
      let j = i + 1;
      while (j < entries.length && entries[j]![0] === entries[j - 1]![0] + this.tableSize) j++;
      const start = entries[i]![0];
      if (j - i === 1) {
        await this.file.write(entries[i]![1], start);
      } else {
        const joined = new Uint8Array((j - i) * this.tableSize);
        for (let k = i; k < j; k++) joined.set(entries[k]![1], (k - i) * this.tableSize);
        await this.file.write(joined, start);
      }
      for (let k = i; k < j; k++) {
        const [off, bytes] = entries[k]!;
        // Only mark clean if nobody re-dirtied it with another buffer meanwhile.
        if (this.dirty.get(off) === bytes) this.put(off, bytes);
      }
      i = j;
    }
  }

  /** Forgets the table at `offset` (its cluster was freed). */
  drop(offset: number): void {
    this.dirty.delete(offset);
    this.clean.delete(offset);
  }

  /** Forgets everything not dirty. */
  clear(): void {
    this.clean.clear();
  }
}
