/**
 * File data. A regular file is `blockCount` full blocks stored one after
 * another from start_block, then (optionally) a tail in a fragment block.
 * The block list has one u32 per block: low 24 bits its on-disk length,
 * bit 24 set when stored uncompressed, and length 0 for a sparse block
 * (all zeros, nothing on disk). Block k's disk position is start_block plus
 * the lengths of blocks 0..k-1.
 *
 * Block lists are read lazily in chunks of 2048 entries (8 KiB), with the
 * running disk position remembered at each chunk start, so a huge sparse
 * file costs nothing until read and a read near the end walks the list once.
 * Blocks stored uncompressed are read straight into the caller's buffer,
 * contiguous ones with one device read, and never cached (the image's page
 * cache holds them already). A read decompresses only the compressed blocks
 * it touches; those that lie next to each other on disk are fetched with
 * one device read, then decompressed
 * concurrently (on the Node side the codec pool spreads them over the
 * cores). A file read sequentially (each read starting where the last one
 * ended, or at 0) also starts on the blocks after the read — as many bytes
 * as the read itself, at most PREFETCH_MAX — so decompression runs ahead of
 * the reader; they wait in the data-block cache.
 */
import { corrupt } from '../../block/corrupt.js';
import type { BlockDevice } from '../../block/device.js';
import { LruCache } from '../../util/lru.js';
import { FsError } from '../../errors.js';
import { fragmentEntry, fragmentEntrySync } from './fragments.js';
import type { Inode } from './inode.js';
import type { Decompress, MetadataCursor, MetadataReader } from './metadata.js';
import type { LookupTable } from './table.js';

const CHUNK = 2048;
const UNCOMPRESSED = 0x1000000;
/** Largest single device read when coalescing blocks. */
const MAX_RUN = 8 << 20;
/** Most bytes of file data a sequential read starts decompressing ahead of itself. */
const PREFETCH_MAX = 1 << 20;
/** Files whose sequential position is remembered (for prefetch). */
const SEQUENTIAL_FILES = 256;

interface Layout {
  /** Metadata cursor of each chunk's first entry, as far as walked. */
  cursors: MetadataCursor[];
  /** Disk position of each chunk's first block. */
  disk: number[];
}

interface BlockRef {
  k: number;
  disk: number;
  word: number;
}

/** Blocks next to each other on disk, fetched with one device read. */
interface Run {
  start: number;
  end: number;
  blocks: BlockRef[];
}

/** Uncompressed bytes that lie next to each other both on disk and in the caller's buffer. */
interface DirectRun {
  /** First block, for messages. */
  k: number;
  disk: number;
  diskEnd: number;
  bufStart: number;
  bufEnd: number;
}

interface Chunk {
  words: Uint32Array;
  /** Disk position of each block in the chunk. */
  disk: Float64Array;
}

export interface DataContext {
  device: BlockDevice;
  meta: MetadataReader;
  decompress: Decompress;
  fragments: LookupTable | undefined;
  blockSize: number;
  bytesUsed: number;
}

export interface DataBudget {
  dataBytes: number;
  fragmentBytes: number;
  blockListBytes: number;
}

export class DataReader {
  private readonly layouts = new LruCache<number, Layout>(4096);
  private readonly chunks: LruCache<string, Promise<Chunk>>;
  private readonly blocks: LruCache<number, Promise<Uint8Array>>;
  private readonly fragBlocks: LruCache<number, Promise<Uint8Array>>;
  /** The fragment blocks of `fragBlocks` that have finished loading, for reads without a promise. */
  private readonly fragData = new Map<number, Uint8Array>();
  /** inode reference → where the last read of it ended. */
  private readonly sequential = new LruCache<number, number>(SEQUENTIAL_FILES);
  private readonly prefetchMax: number;

  constructor(private readonly ctx: DataContext, budget: DataBudget) {
    this.chunks = new LruCache(budget.blockListBytes);
    this.blocks = new LruCache(budget.dataBytes);
    this.fragBlocks = new LruCache(budget.fragmentBytes, { onEvict: (disk) => this.fragData.delete(disk) });
    // Read-ahead must not push out what the readers are about to use: an eighth of the cache at most.
    this.prefetchMax = Math.min(PREFETCH_MAX, Math.floor(budget.dataBytes / 8));
  }

  /** Reads up to buf.length bytes at pos; returns the count (short only at end of file). */
  async read(inode: Inode, buf: Uint8Array, pos: number): Promise<number> {
    if (pos >= inode.size || buf.length === 0) return 0;
    const len = Math.min(buf.length, inode.size - pos);
    const bs = this.ctx.blockSize;
    const first = Math.floor(pos / bs);
    const last = Math.floor((pos + len - 1) / bs);
    // Only the tail, in a fragment block already decompressed (most small files of a tree): no I/O, no promise.
    if (first >= inode.blockCount && this.tailSync(inode, buf, pos, len)) return len;
    const jobs: Promise<void>[] = [];
    let run: Run | undefined;
    const flush = () => {
      if (!run) return;
      const r = run;
      this.startRun(inode, r).forEach((p, i) => jobs.push(p.then((data) => this.place(inode, r.blocks[i]!.k, data, buf, pos, len))));
      run = undefined;
    };
    let direct: DirectRun | undefined;
    const flushDirect = () => {
      if (direct) jobs.push(this.readDirect(inode, direct, buf));
      direct = undefined;
    };
    for (let k = first; k <= last; k++) {
      // The part of block k this read wants, in file positions.
      if (k >= inode.blockCount) {
        flush();
        flushDirect();
        jobs.push(this.readTail(inode, buf, pos, len));
        break;
      }
      const { disk, word } = await this.block(inode, k);
      const size = word & 0xffffff;
      if (size === 0) {
        flush();
        flushDirect();
        this.place(inode, k, undefined, buf, pos, len);
        continue;
      }
      if (word & UNCOMPRESSED) {
        // Stored as is: read the wanted bytes straight into the caller's buffer (no cache:
        // the image's own page cache already holds them), one device read per contiguous stretch.
        flush();
        const blockStart = k * bs;
        const from = Math.max(pos, blockStart);
        const to = Math.min(pos + len, blockStart + this.expected(inode, k));
        if (to - blockStart > size) {
          flushDirect();
          jobs.push(Promise.reject(corrupt('squashfs', `inode ${inode.inode_number}: block ${k}`, disk, `holds ${size} bytes, needs ${to - blockStart}`)));
          continue;
        }
        const d = disk + (from - blockStart);
        if (direct && direct.diskEnd === d && direct.bufEnd === from - pos) {
          direct.diskEnd += to - from;
          direct.bufEnd += to - from;
        } else {
          flushDirect();
          direct = { k, disk: d, diskEnd: d + (to - from), bufStart: from - pos, bufEnd: to - pos };
        }
        continue;
      }
      flushDirect();
      const cached = this.blocks.get(disk);
      if (cached) {
        flush();
        jobs.push(cached.then((data) => this.place(inode, k, data, buf, pos, len)));
        continue;
      }
      if (!extendRun(run, k, disk, word)) {
        flush();
        run = newRun(k, disk, word);
      }
    }
    flush();
    flushDirect();
    const end = pos + len;
    // Only files with full blocks still ahead have anything to prefetch, now or on a later read.
    if (last + 1 < inode.blockCount) {
      if ((pos === 0 || this.sequential.get(inode.ref) === pos) && end < inode.size) {
        void this.prefetch(inode, last + 1, Math.min(len, this.prefetchMax)).catch(() => {});
      }
      this.sequential.set(inode.ref, end);
    }
    await settle(jobs);
    return len;
  }

  /**
   * Starts decompressing the full blocks from `from` on, about `bytes`
   * worth, into the cache. Errors are dropped: the read that wants the
   * block meets them again and reports them.
   */
  private async prefetch(inode: Inode, from: number, bytes: number): Promise<void> {
    const to = Math.min(inode.blockCount, from + Math.max(1, Math.ceil(bytes / this.ctx.blockSize)));
    let run: Run | undefined;
    const flush = () => {
      if (run) for (const p of this.startRun(inode, run)) p.catch(() => {});
      run = undefined;
    };
    for (let k = from; k < to; k++) {
      const { disk, word } = await this.block(inode, k);
      const size = word & 0xffffff;
      if (size === 0 || word & UNCOMPRESSED || this.blocks.has(disk)) {
        flush();
        continue;
      }
      if (!extendRun(run, k, disk, word)) {
        flush();
        run = newRun(k, disk, word);
      }
    }
    flush();
  }

  /** Reads stored (uncompressed) bytes of a file straight into the caller's buffer. */
  private async readDirect(inode: Inode, r: DirectRun, buf: Uint8Array): Promise<void> {
    if (r.diskEnd > this.ctx.bytesUsed) throw corrupt('squashfs', `inode ${inode.inode_number}: data block ${r.k}`, r.disk, 'lies past the end of the image');
    await this.ctx.device.read(buf.subarray(r.bufStart, r.bufEnd), r.disk);
  }

  /** Bytes block k must decompress to. */
  private expected(inode: Inode, k: number): number {
    return Math.min(this.ctx.blockSize, inode.size - k * this.ctx.blockSize);
  }

  /** Copies the wanted part of block k (zeros when `data` is undefined) into buf. */
  private place(inode: Inode, k: number, data: Uint8Array | undefined, buf: Uint8Array, pos: number, len: number): void {
    const bs = this.ctx.blockSize;
    const blockStart = k * bs;
    const from = Math.max(pos, blockStart);
    const to = Math.min(pos + len, blockStart + this.expected(inode, k));
    if (data) {
      if (data.length < to - blockStart) throw corrupt('squashfs', `inode ${inode.inode_number}: block ${k}`, undefined, `holds ${data.length} bytes, needs ${to - blockStart}`);
      buf.set(data.subarray(from - blockStart, to - blockStart), from - pos);
    }
    else buf.fill(0, from - pos, to - pos);
  }

  /** One device read for the run, then a decompression per block, each cached as it starts; one promise per block. */
  private startRun(inode: Inode, run: Run): Array<Promise<Uint8Array>> {
    if (run.end > this.ctx.bytesUsed) {
      const lastBlock = run.blocks[run.blocks.length - 1]!;
      const e = Promise.reject(corrupt('squashfs', `inode ${inode.inode_number}: data block ${lastBlock.k}`, lastBlock.disk, 'lies past the end of the image'));
      return run.blocks.map(() => e);
    }
    const raw = (async () => {
      const bytes = new Uint8Array(run.end - run.start);
      await this.ctx.device.read(bytes, run.start);
      return bytes;
    })();
    return run.blocks.map(({ k, disk, word }) => {
      const p = raw.then((bytes) => this.decode(inode, k, disk, bytes.subarray(disk - run.start, disk - run.start + (word & 0xffffff))));
      this.blocks.set(disk, p, this.ctx.blockSize);
      p.catch(() => {
        if (this.blocks.peek(disk) === p) this.blocks.delete(disk);
      });
      return p;
    });
  }

  /** Decompresses block k (stored blocks never come here: read() copies them straight to the caller). */
  private async decode(inode: Inode, k: number, disk: number, bytes: Uint8Array): Promise<Uint8Array> {
    const want = this.expected(inode, k);
    let data: Uint8Array;
    try {
      data = await this.ctx.decompress(bytes, this.ctx.blockSize, `data block at ${disk}`);
    } catch (e) {
      if (e instanceof FsError) throw corrupt('squashfs', `inode ${inode.inode_number}: data block ${k}`, disk, e.message);
      throw e;
    }
    if (data.length !== want) {
      throw corrupt('squashfs', `inode ${inode.inode_number}: data block ${k}`, disk, `holds ${data.length} bytes, expected ${want}`);
    }
    return data;
  }

  /** The tail read from a cached fragment block, if its entry and block are in memory; false otherwise (nothing done). */
  private tailSync(inode: Inode, buf: Uint8Array, pos: number, len: number): boolean {
    const frags = this.ctx.fragments;
    if (!frags) return false;
    const entry = fragmentEntrySync(frags, inode.fragment, this.ctx.bytesUsed);
    if (!entry) return false;
    const data = this.fragData.get(entry.start_block);
    if (!data) return false;
    this.fragBlocks.get(entry.start_block); // counts as a use
    this.placeTail(inode, entry.start_block, data, buf, pos, len);
    return true;
  }

  private placeTail(inode: Inode, disk: number, data: Uint8Array, buf: Uint8Array, pos: number, len: number): void {
    const k = inode.blockCount;
    const tail = inode.size - k * this.ctx.blockSize;
    if (inode.offset + tail > data.length) {
      throw corrupt('squashfs', `inode ${inode.inode_number}: fragment ${inode.fragment}`, disk, `tail of ${tail} bytes at offset ${inode.offset} lies past the ${data.length}-byte fragment block`);
    }
    this.place(inode, k, data.subarray(inode.offset, inode.offset + tail), buf, pos, len);
  }

  private async readTail(inode: Inode, buf: Uint8Array, pos: number, len: number): Promise<void> {
    const frags = this.ctx.fragments;
    if (!frags) throw corrupt('squashfs', `inode ${inode.inode_number}`, undefined, 'refers to a fragment but the image has no fragment table');
    const entry = await fragmentEntry(frags, inode.fragment, this.ctx.bytesUsed);
    const disk = entry.start_block;
    let p = this.fragBlocks.get(disk);
    if (!p) {
      const loading = this.loadFragment(inode.fragment, disk, entry.size);
      p = loading;
      this.fragBlocks.set(disk, loading, this.ctx.blockSize);
      loading.then(
        (data) => {
          if (this.fragBlocks.peek(disk) === loading) this.fragData.set(disk, data);
        },
        () => this.fragBlocks.delete(disk),
      );
    }
    this.placeTail(inode, disk, await p, buf, pos, len);
  }

  private async loadFragment(index: number, disk: number, word: number): Promise<Uint8Array> {
    const raw = new Uint8Array(word & 0xffffff);
    await this.ctx.device.read(raw, disk);
    if (word & UNCOMPRESSED) return raw;
    try {
      return await this.ctx.decompress(raw, this.ctx.blockSize, `fragment block at ${disk}`);
    } catch (e) {
      if (e instanceof FsError) throw corrupt('squashfs', `fragment ${index}`, disk, e.message);
      throw e;
    }
  }

  /** Disk position and size word of block k. */
  private async block(inode: Inode, k: number): Promise<{ disk: number; word: number }> {
    const c = Math.floor(k / CHUNK);
    const chunk = await this.chunk(inode, c);
    const i = k - c * CHUNK;
    return { disk: chunk.disk[i]!, word: chunk.words[i]! };
  }

  private chunk(inode: Inode, c: number): Promise<Chunk> {
    const key = `${inode.ref}:${c}`;
    let p = this.chunks.get(key);
    if (!p) {
      p = this.loadChunk(inode, c);
      const n = Math.min(CHUNK, inode.blockCount - c * CHUNK);
      this.chunks.set(key, p, n * 12);
      p.catch(() => this.chunks.delete(key));
    }
    return p;
  }

  private async loadChunk(inode: Inode, c: number): Promise<Chunk> {
    let layout = this.layouts.get(inode.ref);
    if (!layout) {
      layout = { cursors: [{ ...inode.blockList }], disk: [inode.start_block] };
      this.layouts.set(inode.ref, layout);
    }
    // Walk the list up to chunk c, remembering each chunk's start.
    while (layout.cursors.length <= c) {
      const prev = layout.cursors.length - 1;
      const chunk = await this.chunk(inode, prev);
      if (layout.cursors.length > c) break; // another read got there first
      const n = chunk.words.length;
      const lastSize = chunk.words[n - 1]! & 0xffffff;
      layout.disk.push(chunk.disk[n - 1]! + lastSize);
      const cursor = { ...layout.cursors[prev]! };
      await this.ctx.meta.skip(cursor, n * 4, `inode ${inode.inode_number} block list`);
      layout.cursors.push(cursor);
    }
    const n = Math.min(CHUNK, inode.blockCount - c * CHUNK);
    const cursor = { ...layout.cursors[c]! };
    const bytes = await this.ctx.meta.read(cursor, n * 4, `inode ${inode.inode_number} block list`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const words = new Uint32Array(n);
    const disk = new Float64Array(n);
    let at = layout.disk[c]!;
    for (let i = 0; i < n; i++) {
      const w = view.getUint32(i * 4, true);
      const size = w & 0xffffff;
      if (size > this.ctx.blockSize || (w & ~0x1ffffff) !== 0) {
        throw corrupt('squashfs', `inode ${inode.inode_number} block list`, undefined, `block ${c * CHUNK + i} size word 0x${w.toString(16)} is invalid`);
      }
      if (at + size > this.ctx.bytesUsed) {
        throw corrupt('squashfs', `inode ${inode.inode_number} block list`, at, `block ${c * CHUNK + i} (${size} bytes) lies past the end of the image`);
      }
      words[i] = w;
      disk[i] = at;
      at += size;
    }
    return { words, disk };
  }
}

/** A run of one compressed block. */
function newRun(k: number, disk: number, word: number): Run {
  return { start: disk, end: disk + (word & 0xffffff), blocks: [{ k, disk, word }] };
}

/** Adds block k to `run` if it follows the run on disk and the run stays within MAX_RUN; false otherwise (nothing done). */
function extendRun(run: Run | undefined, k: number, disk: number, word: number): boolean {
  const size = word & 0xffffff;
  if (!run || run.end !== disk || disk + size - run.start > MAX_RUN) return false;
  run.end += size;
  run.blocks.push({ k, disk, word });
  return true;
}

/** Waits for every job (none may still write into the caller's buffer afterwards), then throws the first failure. */
async function settle(jobs: Promise<void>[]): Promise<void> {
  if (jobs.length === 1) return jobs[0];
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
