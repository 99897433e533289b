/**
 * Metadata blocks (the first block of each directory, continuation
 * areas) read through a small LRU: getattr, '..' lookups and SUSP
 * continuation areas hit the same few blocks again and again.
 * Budget: METADATA_CACHE_BLOCKS blocks (2 MiB at 2048-byte blocks).
 * A miss reads the aligned window of READAHEAD_BLOCKS around it, because
 * writers put all directories (and their continuation areas) next to each
 * other: walking a tree then costs a read per 16 directories, not per one.
 * Larger directories are read past the cache (directory.ts caches their index).
 */
import { readStructure, type BlockDevice } from '../../block/device.js';
import { LruCache } from '../../util/lru.js';

export const METADATA_CACHE_BLOCKS = 1024;
export const READAHEAD_BLOCKS = 16;

export class MetadataCache {
  private readonly cache = new LruCache<number, Promise<Uint8Array>>(METADATA_CACHE_BLOCKS);

  constructor(
    private readonly dev: BlockDevice,
    readonly blockSize: number,
  ) {}

  private block(n: number, what: string): Promise<Uint8Array> {
    const hit = this.cache.get(n);
    if (hit) return hit;
    const bs = this.blockSize;
    const first = n - (n % READAHEAD_BLOCKS);
    const last = Math.min(first + READAHEAD_BLOCKS, Math.ceil(this.dev.size / bs)) - 1;
    // The image may end inside its last block.
    const window = readStructure(this.dev, first * bs, Math.min((last + 1) * bs, this.dev.size) - first * bs, `iso9660: ${what}`);
    let mine: Promise<Uint8Array> | undefined;
    for (let b = first; b <= last; b++) {
      if (b !== n && this.cache.peek(b)) continue;
      const p = window.then((w) => w.slice((b - first) * bs, (b - first + 1) * bs));
      p.catch(() => this.cache.delete(b));
      this.cache.set(b, p);
      if (b === n) mine = p;
    }
    return mine!;
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
