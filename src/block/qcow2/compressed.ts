/**
 * Compressed clusters: each is one cluster of guest data compressed on its
 * own (raw deflate for compression_type zlib, a zstd frame for zstd), stored
 * at a byte offset and padded to 512-byte sectors; the next one may start in
 * the same sector. The data must decompress to exactly one cluster.
 *
 * Neighbouring compressed clusters are read with one read of the file, and
 * decompressed in parallel (node:zlib runs on the threadpool). A small cache
 * keeps whole clusters for callers that read a cluster piecemeal.
 */
import { getCodec, type Decompressor } from '../../codecs/index.js';
import { FsError } from '../../errors.js';
import { LruCache } from '../../util/lru.js';
import { corrupt } from '../corrupt.js';
import type { BlockDevice } from '../device.js';
import type { CompressionType } from './header.js';
import type { Extent } from './mapping.js';

/** Read neighbours together when the gap between them is at most this. */
const MAX_GAP = 64 << 10;
/** …and the whole read stays below this. */
const MAX_SPAN = 8 << 20;

interface Member {
  extent: Extent;
  start: number;
  end: number;
}

export class CompressedReader {
  private readonly cache: LruCache<number, Uint8Array>;
  private codec: Decompressor | undefined;

  constructor(
    private readonly file: BlockDevice,
    private readonly clusterSize: number,
    private readonly compression: CompressionType,
    cacheBytes = 4 << 20,
  ) {
    this.cache = new LruCache(Math.max(cacheBytes, clusterSize));
  }

  private decompressor(): Decompressor {
    this.codec ??= getCodec(this.compression === 'zstd' ? 'zstd' : 'deflate-raw', `qcow2 ${this.compression} compressed clusters`);
    return this.codec;
  }

  /** Fills the parts of `buf` (which holds guest bytes from `bufStart`) that the COMPRESSED `extents` describe. */
  async read(extents: Extent[], buf: Uint8Array, bufStart: number): Promise<void> {
    const todo: Member[] = [];
    for (const e of extents) {
      const hit = this.cache.get(e.host);
      if (hit) {
        const from = e.guest - e.cluster;
        buf.set(hit.subarray(from, from + e.length), e.guest - bufStart);
        continue;
      }
      todo.push({ extent: e, ...this.range(e) });
    }
    const tasks: Promise<void>[] = [];
    let i = 0;
    while (i < todo.length) {
      const groupStart = todo[i]!.start;
      let groupEnd = todo[i]!.end;
      let j = i + 1;
      while (j < todo.length) {
        const m = todo[j]!;
        if (m.start < groupStart || m.start > groupEnd + MAX_GAP || Math.max(groupEnd, m.end) - groupStart > MAX_SPAN) break;
        groupEnd = Math.max(groupEnd, m.end);
        j++;
      }
      tasks.push(this.readGroup(todo.slice(i, j), groupStart, groupEnd, buf, bufStart));
      i = j;
    }
    await Promise.all(tasks);
  }

  /** The whole decompressed cluster described by a COMPRESSED extent (for copy-on-write). */
  async cluster(e: Extent): Promise<Uint8Array> {
    const hit = this.cache.get(e.host);
    if (hit) return hit;
    const { start, end } = this.range(e);
    const input = new Uint8Array(end - start);
    await this.file.read(input, start);
    return this.inflate(e, input);
  }

  /** Forgets a cluster whose host bytes were freed. */
  forget(host: number): void {
    this.cache.delete(host);
  }

  private range(e: Extent): { start: number; end: number } {
    if (e.host >= this.file.size) {
      throw corrupt('qcow2', `compressed cluster (guest offset ${e.cluster})`, e.host, `lies beyond the end of the file (${this.file.size} bytes)`);
    }
    // The last sectors may lie past the end of the file: QEMU reads them as zeros, and the stream ends before them.
    return { start: e.host, end: Math.min(e.host + e.csize, this.file.size) };
  }

  private async readGroup(members: Member[], start: number, end: number, buf: Uint8Array, bufStart: number): Promise<void> {
    const span = new Uint8Array(end - start);
    await this.file.read(span, start);
    await Promise.all(
      members.map(async (m) => {
        const e = m.extent;
        const out = await this.inflate(e, span.subarray(m.start - start, m.end - start));
        const from = e.guest - e.cluster;
        buf.set(out.subarray(from, from + e.length), e.guest - bufStart);
        // Keep it only when the caller read part of it: sequential readers never come back.
        if (e.length < this.clusterSize) this.cache.set(e.host, out, out.length);
      }),
    );
  }

  private async inflate(e: Extent, input: Uint8Array): Promise<Uint8Array> {
    let out: Uint8Array;
    try {
      out = await this.decompressor()(input, this.clusterSize, { partial: true });
    } catch (err) {
      if (err instanceof FsError && err.code === 'EOPNOTSUPP') throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw corrupt('qcow2', `compressed cluster (guest offset ${e.cluster}, ${e.csize} bytes)`, e.host, why);
    }
    if (out.length !== this.clusterSize) {
      throw corrupt('qcow2', `compressed cluster (guest offset ${e.cluster}, ${e.csize} bytes)`, e.host, `decompresses to ${out.length} bytes, not one cluster (${this.clusterSize})`);
    }
    return out;
  }
}
