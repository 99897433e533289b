/**
 * Metadata blocks: the inode, directory, fragment, id, export and xattr
 * tables are stored as a chain of blocks, each a 2-byte header (bit 15 set:
 * stored uncompressed; low 15 bits: size on disk) then at most 8 KiB of
 * data once decompressed. A reference (block start, offset) names a byte
 * inside a block; reads that run past a block's end continue in the next
 * block of the chain, which starts right after this one on disk.
 */
import { corrupt } from '../../block/corrupt.js';
import type { BlockDevice } from '../../block/device.js';
import { LruCache } from '../../util/lru.js';
import { FsError } from '../../errors.js';
import { METADATA_SIZE } from './superblock.js';

export interface MetadataBlock {
  data: Uint8Array;
  /** Disk position of the next block in the chain. */
  next: number;
}

/** A position in a chain of metadata blocks: the block's disk position and an offset in its data. */
export interface MetadataCursor {
  block: number;
  offset: number;
}

export type Decompress = (input: Uint8Array, maxOutput: number, what: string) => Promise<Uint8Array>;

/** A cached block: the load in progress, and the block once it is in. */
interface CachedBlock {
  promise: Promise<MetadataBlock>;
  block: MetadataBlock | undefined;
}

export class MetadataReader {
  private readonly cache: LruCache<number, CachedBlock>;
  private lastPos = -1;
  private last: CachedBlock | undefined;
  /**
   * The block a `readSync` could not answer without I/O. Parsers run
   * synchronously over cached blocks (no promise per field read) and, when
   * a block is missing, load it and start over (see `parseWithLoads`).
   */
  missing = -1;

  constructor(
    private readonly device: BlockDevice,
    /** End of the image (bytes_used): no metadata block may reach past it. */
    private readonly end: number,
    private readonly decompress: Decompress,
    budgetBytes: number,
  ) {
    this.cache = new LruCache(Math.max(1, Math.floor(budgetBytes / METADATA_SIZE)));
  }

  private entry(pos: number): CachedBlock {
    // Reads come in runs on one block (an inode's fields, a directory's entries): the last block
    // answers without an LRU lookup.
    if (pos === this.lastPos && this.last) return this.last;
    let c = this.cache.get(pos);
    if (!c) {
      const loading = this.load(pos);
      const fresh: CachedBlock = { promise: loading, block: undefined };
      c = fresh;
      this.cache.set(pos, fresh);
      loading.then(
        (b) => (fresh.block = b),
        () => {
          if (this.cache.peek(pos) === fresh) this.cache.delete(pos);
          if (this.last === fresh) this.last = undefined;
        },
      );
    }
    this.lastPos = pos;
    this.last = c;
    return c;
  }

  /** The metadata block at disk position `pos` (decompressed, cached). */
  block(pos: number): Promise<MetadataBlock> {
    return this.entry(pos).promise;
  }

  /** The block at `pos` if it is decompressed and cached; never starts I/O. */
  peek(pos: number): MetadataBlock | undefined {
    if (pos === this.lastPos && this.last) return this.last.block;
    const c = this.cache.get(pos);
    if (!c) return undefined;
    this.lastPos = pos;
    this.last = c;
    return c.block;
  }

  private async load(pos: number): Promise<MetadataBlock> {
    if (!Number.isSafeInteger(pos) || pos < 0 || pos + 2 > this.end) {
      throw corrupt('squashfs', 'metadata block', pos, `lies outside the image (${this.end} bytes)`);
    }
    const head = new Uint8Array(2);
    await this.device.read(head, pos);
    const header = head[0]! | (head[1]! << 8);
    const size = header & 0x7fff;
    const stored = (header & 0x8000) !== 0;
    if (size === 0 || size > METADATA_SIZE) throw corrupt('squashfs', 'metadata block', pos, `size ${size} is not 1..${METADATA_SIZE}`);
    if (pos + 2 + size > this.end) throw corrupt('squashfs', 'metadata block', pos, `${size} bytes run past the end of the image`);
    const raw = new Uint8Array(size);
    await this.device.read(raw, pos + 2);
    let data: Uint8Array = raw;
    if (!stored) {
      try {
        data = await this.decompress(raw, METADATA_SIZE, `metadata block at ${pos}`);
      } catch (e) {
        if (e instanceof FsError) throw corrupt('squashfs', 'metadata block', pos, e.message);
        throw e;
      }
    }
    if (data.length === 0) throw corrupt('squashfs', 'metadata block', pos, 'decompresses to nothing');
    return { data, next: pos + 2 + size };
  }

  /**
   * Reads `length` bytes at the cursor from cached blocks only, following
   * the chain, and advances the cursor. When a block is not in the cache,
   * returns undefined with the cursor unmoved and `missing` set to it.
   * `pinned` holds blocks a caller loaded for this parse (they answer even
   * if the cache has dropped them since).
   */
  readSync(cursor: MetadataCursor, length: number, what: string, pinned?: Map<number, MetadataBlock>): Uint8Array | undefined {
    const first = this.peek(cursor.block) ?? pinned?.get(cursor.block);
    if (!first) {
      this.missing = cursor.block;
      return undefined;
    }
    if (cursor.offset + length <= first.data.length) {
      const out = first.data.subarray(cursor.offset, cursor.offset + length);
      this.advance(cursor, first, length);
      return out;
    }
    // Runs past the block: make sure every block it needs is here before copying or moving.
    let blk = first;
    let pos = cursor.block;
    let offset = cursor.offset;
    let left = length;
    for (;;) {
      if (offset > blk.data.length) throw corrupt('squashfs', what, pos, `offset ${offset} lies past the ${blk.data.length}-byte metadata block`);
      left -= Math.min(left, blk.data.length - offset);
      if (left === 0) break;
      pos = blk.next;
      const next = this.peek(pos) ?? pinned?.get(pos);
      if (!next) {
        this.missing = pos;
        return undefined;
      }
      blk = next;
      offset = 0;
    }
    const out = new Uint8Array(length);
    let done = 0;
    blk = first;
    for (;;) {
      const n = Math.min(length - done, blk.data.length - cursor.offset);
      out.set(blk.data.subarray(cursor.offset, cursor.offset + n), done);
      done += n;
      this.advance(cursor, blk, n);
      if (done === length) return out;
      blk = (this.peek(cursor.block) ?? pinned?.get(cursor.block))!;
    }
  }

  /**
   * Runs the synchronous parser `parse` over cached blocks; each time it
   * stops on a missing block (returns undefined), loads that block, pins
   * it for this parse and runs it again from the start. Every round pins
   * one more block, so this ends even when the cache is smaller than what
   * the parse spans.
   */
  async parseWithLoads<T>(parse: (pinned: Map<number, MetadataBlock> | undefined) => T | undefined): Promise<T> {
    let r = parse(undefined);
    if (r !== undefined) return r;
    const pinned = new Map<number, MetadataBlock>();
    for (;;) {
      const pos = this.missing;
      if (pinned.has(pos)) throw new FsError('EIO', `squashfs: metadata block at ${pos} is missing after being loaded`);
      pinned.set(pos, await this.block(pos));
      r = parse(pinned);
      if (r !== undefined) return r;
    }
  }

  /** Reads `length` bytes at the cursor, following the chain, and advances the cursor. */
  async read(cursor: MetadataCursor, length: number, what: string): Promise<Uint8Array> {
    return this.readSync(cursor, length, what) ?? this.parseWithLoads((pinned) => this.readSync(cursor, length, what, pinned));
  }

  /** Moves the cursor `length` bytes on without copying (directory seeks). */
  async skip(cursor: MetadataCursor, length: number, what: string): Promise<void> {
    let left = length;
    while (left > 0) {
      const blk = await this.block(cursor.block);
      if (cursor.offset > blk.data.length) {
        throw corrupt('squashfs', what, cursor.block, `offset ${cursor.offset} lies past the ${blk.data.length}-byte metadata block`);
      }
      const n = Math.min(left, blk.data.length - cursor.offset);
      left -= n;
      this.advance(cursor, blk, n);
    }
  }

  private advance(cursor: MetadataCursor, blk: MetadataBlock, n: number): void {
    cursor.offset += n;
    if (cursor.offset === blk.data.length) {
      cursor.block = blk.next;
      cursor.offset = 0;
    }
  }
}
