/**
 * Metadata blocks (the first block of each directory, continuation
 * areas) read through a small LRU: getattr, '..' lookups and SUSP
 * continuation areas hit the same few blocks again and again.
 * Budget: METADATA_CACHE_BLOCKS blocks (2 MiB at 2048-byte blocks).
 * Whole directories are read past it (directory.ts caches their index).
 */
import { readStructure, type BlockDevice } from '../../block/device.js';
import { LruCache } from '../../util/lru.js';

export const METADATA_CACHE_BLOCKS = 1024;

export class MetadataCache {
  private readonly cache = new LruCache<number, Promise<Uint8Array>>(METADATA_CACHE_BLOCKS);

  constructor(
    private readonly dev: BlockDevice,
    readonly blockSize: number,
  ) {}

  private block(n: number, what: string): Promise<Uint8Array> {
    let p = this.cache.get(n);
    if (!p) {
      // The image may end inside its last block.
      p = readStructure(this.dev, n * this.blockSize, Math.min(this.blockSize, this.dev.size - n * this.blockSize), `iso9660: ${what}`);
      p.catch(() => this.cache.delete(n));
      this.cache.set(n, p);
    }
    return p;
  }

  /** `length` bytes at device byte `offset`, which may span blocks; EIO past the end of the image. */
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    const bs = this.blockSize;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.dev.size) {
      return readStructure(this.dev, offset, length, `iso9660: ${what}`);
    }
    const first = Math.floor(offset / bs);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / bs);
    if (first === last) {
      const b = await this.block(first, what);
      return b.subarray(offset - first * bs, offset - first * bs + length);
    }
    const out = new Uint8Array(length);
    for (let n = first; n <= last; n++) {
      const b = await this.block(n, what);
      const from = Math.max(offset, n * bs);
      const to = Math.min(offset + length, (n + 1) * bs);
      out.set(b.subarray(from - n * bs, to - n * bs), from - offset);
    }
    return out;
  }
}
