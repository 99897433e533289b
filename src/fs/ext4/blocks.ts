/**
 * Ext4Blocks: block-addressed reads of the volume. Metadata blocks
 * (descriptors, inode tables, extent and indirect blocks, directory and
 * xattr blocks) go through a byte-bounded LRU cache, with concurrent
 * misses for one block sharing one device read. File data bypasses the
 * cache: it is read straight into the caller's buffer.
 */
import type { BlockDevice } from '../../block/device.js';
import { FsError } from '../../errors.js';
import { TwoGenerationCache } from './cache.js';

/** Default metadata cache budget. */
export const METADATA_CACHE_BYTES = 16 << 20;

export class Ext4Blocks {
  readonly device: BlockDevice;
  readonly blockSize: number;
  readonly blocksCount: number;
  private readonly cache: TwoGenerationCache<number, Uint8Array>;
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  /** Device reads issued, for tests and benches that check coalescing. */
  deviceReads = 0;

  constructor(device: BlockDevice, blockSize: number, blocksCount: number, cacheBytes = METADATA_CACHE_BYTES) {
    this.device = device;
    this.blockSize = blockSize;
    this.blocksCount = blocksCount;
    this.cache = new TwoGenerationCache(Math.max(cacheBytes, blockSize * 16));
  }

  /** EIO unless blocks [pblk, pblk+count) lie inside the volume. */
  checkRange(pblk: number, count: number, what: string): void {
    if (!Number.isSafeInteger(pblk) || pblk < 0 || count < 0 || pblk + count > this.blocksCount) {
      throw new FsError('EIO', `ext4: ${what}: block ${pblk}${count > 1 ? ` (+${count})` : ''} lies outside the volume (${this.blocksCount} blocks)`);
    }
  }

  /** One metadata block, cached. The result is shared: never modify it. */
  async block(pblk: number, what: string): Promise<Uint8Array> {
    const hit = this.cache.get(pblk);
    if (hit) return hit;
    this.checkRange(pblk, 1, what);
    let p = this.inflight.get(pblk);
    if (!p) {
      p = this.readUncached(pblk);
      this.inflight.set(pblk, p);
    }
    try {
      return await p;
    } finally {
      this.inflight.delete(pblk);
    }
  }

  private async readUncached(pblk: number): Promise<Uint8Array> {
    const buf = new Uint8Array(this.blockSize);
    this.deviceReads++;
    await this.device.read(buf, pblk * this.blockSize);
    this.cache.set(pblk, buf, this.blockSize);
    return buf;
  }

  /**
   * Reads `count` contiguous metadata blocks from `pblk` in one device read
   * and caches each (readahead of directory blocks and inode tables).
   * Blocks already cached are kept as they are.
   */
  async prefetch(pblk: number, count: number, what: string): Promise<void> {
    if (count <= 1) return;
    this.checkRange(pblk, count, what);
    const buf = new Uint8Array(count * this.blockSize);
    this.deviceReads++;
    await this.device.read(buf, pblk * this.blockSize);
    for (let i = 0; i < count; i++) {
      // A copy, so one cached block does not keep the whole read alive.
      if (!this.cache.has(pblk + i)) this.cache.set(pblk + i, buf.slice(i * this.blockSize, (i + 1) * this.blockSize), this.blockSize);
    }
  }

  /** A cached block, or undefined (no read). */
  cached(pblk: number): Uint8Array | undefined {
    return this.cache.get(pblk);
  }

  isCached(pblk: number): boolean {
    return this.cache.has(pblk);
  }

  /** Reads raw bytes (file data) at a byte offset inside the volume, uncached. */
  async readData(buf: Uint8Array, byteOffset: number): Promise<void> {
    this.deviceReads++;
    await this.device.read(buf, byteOffset);
  }

  get cachedBytes(): number {
    return this.cache.cost;
  }
}
