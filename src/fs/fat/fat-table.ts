/**
 * The File Allocation Table: one entry per cluster (12, 16 or 28 bits),
 * 0 for free, the next cluster of a chain, or end-of-chain. Entries 0 and
 * 1 are reserved; FAT[1] carries the clean-shutdown and no-error bits on
 * FAT16/32.
 *
 * Read lazily in chunks through a bounded LRU (CHUNK_BYTES each, budget
 * `cacheBytes`, 4 MiB by default). Changes stay in the cached chunk with
 * a dirty byte range until `commit`, which writes that range to every FAT
 * copy (only the active one when FAT32 mirroring is off), so both FATs
 * always agree on disk after each operation. A dirty chunk pushed out of
 * the cache is written first.
 */
import { corrupt } from '../../block/corrupt.js';
import type { BlockDevice } from '../../block/device.js';
import type { FatGeometry, FatType } from './boot-sector.js';

const F = 'fat';
const CHUNK_BYTES = 64 * 1024;

/** Entry value classes. */
export const FREE = 0;

interface Chunk {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Dirty byte range [lo, hi) inside the chunk; lo >= hi when clean. */
  lo: number;
  hi: number;
}

export class FatTable {
  readonly type: FatType;
  /** Value written to end a chain (what mkfs.fat and Linux write). */
  readonly eoc: number;
  /** Values from here up end a chain. */
  readonly eocMin: number;
  readonly bad: number;
  /** Highest cluster number + 1. */
  readonly limit: number;
  /** Highest cluster whose data lies inside the device: allocation never goes past it. */
  readonly lastUsable: number;
  private readonly dev: BlockDevice;
  private readonly geo: FatGeometry;
  private readonly usedBytes: number;
  private readonly chunkBytes: number;
  private readonly maxChunks: number;
  private readonly chunks = new Map<number, Chunk>();
  private readonly loading = new Map<number, Promise<Chunk>>();
  /** Free clusters, once counted (or taken from FSInfo); kept up to date by set(). */
  freeCount: number | undefined;
  /** Where the next free-cluster search starts. */
  nextFree = 2;

  constructor(dev: BlockDevice, geo: FatGeometry, options: { cacheBytes?: number } = {}) {
    this.dev = dev;
    this.geo = geo;
    this.type = geo.fatType;
    this.eoc = this.type === 12 ? 0xfff : this.type === 16 ? 0xffff : 0x0fffffff;
    this.eocMin = this.type === 12 ? 0xff8 : this.type === 16 ? 0xfff8 : 0x0ffffff8;
    this.bad = this.eocMin - 1;
    this.limit = geo.clusterCount + 2;
    const inDevice = Math.floor((dev.size - geo.dataOffset) / geo.clusterSize);
    this.lastUsable = Math.min(geo.clusterCount + 1, inDevice + 1);
    this.usedBytes = Math.ceil((this.limit * this.type) / 8);
    // FAT12 is at most 6 KiB: one chunk, so no entry straddles two.
    this.chunkBytes = this.type === 12 ? Math.max(8, this.usedBytes + 1) : CHUNK_BYTES;
    this.maxChunks = Math.max(2, Math.floor((options.cacheBytes ?? 4 << 20) / this.chunkBytes));
  }

  /** The FAT copies reads come from (first) and writes go to. */
  get copies(): number[] {
    if (this.geo.mirroringDisabled) return [this.geo.activeFat];
    return Array.from({ length: this.geo.NumFATs }, (_, i) => i);
  }

  /** Byte offset of FAT copy `copy` on the device. */
  copyOffset(copy: number): number {
    return this.geo.fatOffset + copy * this.geo.fatBytes;
  }

  /** EIO unless every FAT copy we would read or write lies inside the device. */
  checkFits(forWrite: boolean): void {
    for (const copy of forWrite ? this.copies : [this.copies[0]!]) {
      const end = this.copyOffset(copy) + this.usedBytes;
      if (end > this.dev.size) {
        throw corrupt(F, `FAT copy ${copy}`, this.copyOffset(copy), `ends at byte ${end}, past the end of the image (${this.dev.size} bytes)`);
      }
    }
  }

  private async chunk(i: number): Promise<Chunk> {
    const hit = this.chunks.get(i);
    if (hit) {
      this.chunks.delete(i);
      this.chunks.set(i, hit);
      return hit;
    }
    let p = this.loading.get(i);
    if (!p) {
      p = this.load(i);
      this.loading.set(i, p);
    }
    try {
      return await p;
    } finally {
      this.loading.delete(i);
    }
  }

  private async load(i: number): Promise<Chunk> {
    const start = i * this.chunkBytes;
    const len = Math.min(this.chunkBytes, this.usedBytes - start);
    const bytes = new Uint8Array(this.chunkBytes);
    await this.dev.read(bytes.subarray(0, len), this.copyOffset(this.copies[0]!) + start);
    const c: Chunk = { bytes, view: new DataView(bytes.buffer), lo: this.chunkBytes, hi: 0 };
    const again = this.chunks.get(i);
    if (again) return again;
    this.chunks.set(i, c);
    while (this.chunks.size > this.maxChunks) {
      const [k, old] = this.chunks.entries().next().value as [number, Chunk];
      this.chunks.delete(k);
      if (old.lo < old.hi) await this.writeChunk(k, old);
    }
    return c;
  }

  private async writeChunk(i: number, c: Chunk): Promise<void> {
    const lo = c.lo;
    const hi = Math.min(c.hi, this.usedBytes - i * this.chunkBytes);
    c.lo = this.chunkBytes;
    c.hi = 0;
    if (hi <= lo) return;
    for (const copy of this.copies) {
      await this.dev.write(c.bytes.subarray(lo, hi), this.copyOffset(copy) + i * this.chunkBytes + lo);
    }
  }

  /** The entry for cluster n (0 <= n < limit), FAT32 entries without their top 4 bits. */
  async get(n: number): Promise<number> {
    if (this.type === 12) {
      const c = await this.chunk(0);
      const off = Math.floor((n * 3) / 2);
      const v = c.bytes[off]! | (c.bytes[off + 1]! << 8);
      return n & 1 ? v >> 4 : v & 0xfff;
    }
    const off = n * (this.type / 8);
    const c = await this.chunk(Math.floor(off / this.chunkBytes));
    const at = off % this.chunkBytes;
    return this.type === 16 ? c.view.getUint16(at, true) : c.view.getUint32(at, true) & 0x0fffffff;
  }

  /** Sets the entry for cluster n, keeping the reserved top bits of FAT32 entries. */
  async set(n: number, value: number): Promise<void> {
    const before = await this.get(n);
    let c: Chunk;
    let at: number;
    let len: number;
    if (this.type === 12) {
      c = await this.chunk(0);
      at = Math.floor((n * 3) / 2);
      len = 2;
      const v = c.bytes[at]! | (c.bytes[at + 1]! << 8);
      const next = n & 1 ? (v & 0x000f) | ((value & 0xfff) << 4) : (v & 0xf000) | (value & 0xfff);
      c.bytes[at] = next & 0xff;
      c.bytes[at + 1] = next >> 8;
    } else {
      const off = n * (this.type / 8);
      c = await this.chunk(Math.floor(off / this.chunkBytes));
      at = off % this.chunkBytes;
      len = this.type / 8;
      if (this.type === 16) c.view.setUint16(at, value & 0xffff, true);
      else c.view.setUint32(at, ((c.view.getUint32(at, true) & 0xf0000000) | (value & 0x0fffffff)) >>> 0, true);
    }
    c.lo = Math.min(c.lo, at);
    c.hi = Math.max(c.hi, at + len);
    if (n >= 2 && this.freeCount !== undefined) {
      if (before === FREE && value !== FREE) this.freeCount--;
      else if (before !== FREE && value === FREE) this.freeCount++;
    }
  }

  /** Writes every changed range to every FAT copy. */
  async commit(): Promise<void> {
    for (const [i, c] of this.chunks) if (c.lo < c.hi) await this.writeChunk(i, c);
  }

  /** True while some change is not yet written to the FAT copies. */
  get dirty(): boolean {
    for (const c of this.chunks.values()) if (c.lo < c.hi) return true;
    return false;
  }

  isEnd(v: number): boolean {
    return v >= this.eocMin;
  }

  /** A value that may follow in a chain: a data cluster number. */
  isCluster(v: number): boolean {
    return v >= 2 && v < this.limit;
  }

  /**
   * Up to `count` free clusters, searching from `from` (wrapping around),
   * in ascending order from there, so a fresh volume gives contiguous runs.
   * Marks nothing. Fewer than `count` means the volume is that full.
   */
  async findFree(count: number, from = this.nextFree): Promise<number[]> {
    const out: number[] = [];
    const first = 2;
    const last = this.lastUsable;
    if (last < first || count <= 0) return out;
    let start = from >= first && from <= last ? from : first;
    const span = last - first + 1;
    for (let k = 0; k < span && out.length < count; ) {
      const n = first + ((start - first + k) % span);
      // Whole chunks at a time for FAT16/32 (a full volume is searched once per failed allocation).
      if (this.type !== 12) {
        const per = this.chunkBytes / (this.type / 8);
        const chunkIndex = Math.floor(n / per);
        const c = await this.chunk(chunkIndex);
        const endN = Math.min((chunkIndex + 1) * per, last + 1);
        let m = n;
        for (; m < endN && k < span && out.length < count; m++, k++) {
          const at = (m - chunkIndex * per) * (this.type / 8);
          const v = this.type === 16 ? c.view.getUint16(at, true) : c.view.getUint32(at, true) & 0x0fffffff;
          if (v === FREE) out.push(m);
        }
        continue;
      }
      if ((await this.get(n)) === FREE) out.push(n);
      k++;
    }
    return out;
  }

  /** Counts free clusters by reading the whole FAT (once; set() keeps the count after). */
  async countFree(): Promise<number> {
    if (this.freeCount !== undefined) return this.freeCount;
    let free = 0;
    for (let n = 2; n < this.limit; ) {
      if (this.type === 12) {
        if ((await this.get(n)) === FREE) free++;
        n++;
        continue;
      }
      const per = this.chunkBytes / (this.type / 8);
      const chunkIndex = Math.floor(n / per);
      // Read chunks directly so a full count does not flush the cache.
      const cached = this.chunks.get(chunkIndex);
      let view: DataView;
      if (cached) view = cached.view;
      else {
        const start = chunkIndex * this.chunkBytes;
        const bytes = new Uint8Array(Math.min(this.chunkBytes, this.usedBytes - start));
        await this.dev.read(bytes, this.copyOffset(this.copies[0]!) + start);
        view = new DataView(bytes.buffer);
      }
      const end = Math.min((chunkIndex + 1) * per, this.limit);
      for (; n < end; n++) {
        const at = (n - chunkIndex * per) * (this.type / 8);
        const v = this.type === 16 ? view.getUint16(at, true) : view.getUint32(at, true) & 0x0fffffff;
        if (v === FREE) free++;
      }
    }
    this.freeCount = free;
    return free;
  }

  /** Masks of the FAT[1] clean-shutdown and no-error bits (none on FAT12). */
  get statusBits(): { clean: number; noError: number } | undefined {
    if (this.type === 16) return { clean: 0x8000, noError: 0x4000 };
    if (this.type === 32) return { clean: 0x08000000, noError: 0x04000000 };
    return undefined;
  }
}
