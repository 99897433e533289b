/**
 * Compressed clusters: each is one cluster of guest data compressed on its
 * own (raw deflate for compression_type zlib, a zstd frame for zstd), stored
 * at a byte offset and padded to 512-byte sectors; the next one may start in
 * the same sector. The data must decompress to exactly one cluster.
 *
 * Neighbouring compressed clusters are read with one read of the file, and
 * decompressed in parallel (node:zlib runs on the threadpool). Sequential
 * readers get read-ahead: the device asks us to start on the clusters after
 * the current read, so the threadpool never drains between two reads. Whole
 * clusters wait in a bounded cache; a decompression in progress is shared.
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
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  private codec: Decompressor | undefined;
  /** Bumped when clusters are freed, so a late read-ahead does not cache stale bytes. */
  private generation = 0;

  constructor(
    private readonly file: BlockDevice,
    private readonly clusterSize: number,
    private readonly compression: CompressionType,
    cacheBytes = 16 << 20,
  ) {
    this.cache = new LruCache(Math.max(cacheBytes, 2 * clusterSize));
  }

  /** Bytes of read-ahead worth starting: half the cache, so it cannot evict itself. */
  get readAheadBytes(): number {
    return this.cache.capacity / 2;
  }

  private decompressor(): Decompressor {
    this.codec ??= getCodec(this.compression === 'zstd' ? 'zstd' : 'deflate-raw', `qcow2 ${this.compression} compressed clusters`);
    return this.codec;
  }

  /** Fills the parts of `buf` (which holds guest bytes from `bufStart`) that the COMPRESSED `extents` describe. */
  async read(extents: Extent[], buf: Uint8Array, bufStart: number): Promise<void> {
    const waits: Promise<void>[] = [];
    const todo: Member[] = [];
    for (const e of extents) {
      const copy = (whole: Uint8Array) => {
        const from = e.guest - e.cluster;
        buf.set(whole.subarray(from, from + e.length), e.guest - bufStart);
      };
      const hit = this.cache.get(e.host);
      if (hit) {
        copy(hit);
        // A sequential reader will not come back for it.
        if (e.length === this.clusterSize) this.cache.delete(e.host);
        continue;
      }
      const pending = this.inflight.get(e.host);
      if (pending) {
        waits.push(pending.then(copy));
        continue;
      }
      todo.push({ extent: e, ...this.range(e) });
    }
    for (const [group, start, end] of this.groups(todo)) {
      waits.push(
        ...this.decompressGroup(group, start, end, (m, out) => {
          const e = m.extent;
          const from = e.guest - e.cluster;
          buf.set(out.subarray(from, from + e.length), e.guest - bufStart);
          // Keep it only when the caller read part of it: sequential readers never come back.
          if (e.length < this.clusterSize) this.cache.set(e.host, out, out.length);
        }),
      );
    }
    await Promise.all(waits);
  }

  /**
   * Starts decompressing whole COMPRESSED clusters a sequential reader will
   * want next, into the cache. Errors are dropped: the real read reports them.
   */
  readAhead(extents: Extent[]): void {
    const generation = this.generation;
    const todo: Member[] = [];
    for (const e of extents) {
      if (this.cache.has(e.host) || this.inflight.has(e.host)) continue;
      try {
        todo.push({ extent: e, ...this.range(e) });
      } catch {
        return;
      }
    }
    for (const [group, start, end] of this.groups(todo)) {
      for (const p of this.decompressGroup(group, start, end, (m, out) => {
        if (this.generation === generation) this.cache.set(m.extent.host, out, out.length);
      })) {
        p.catch(() => {});
      }
    }
  }

  /** The whole decompressed cluster described by a COMPRESSED extent (for copy-on-write). */
  async cluster(e: Extent): Promise<Uint8Array> {
    const hit = this.cache.get(e.host) ?? (await this.inflight.get(e.host));
    if (hit) return hit;
    const { start, end } = this.range(e);
    const input = new Uint8Array(end - start);
    await this.file.read(input, start);
    return this.inflate(e, input);
  }

  /** Forgets clusters whose host bytes were freed. */
  forget(host: number): void {
    this.generation++;
    this.cache.delete(host);
  }

  private range(e: Extent): { start: number; end: number } {
    if (e.host >= this.file.size) {
      throw corrupt('qcow2', `compressed cluster (guest offset ${e.cluster})`, e.host, `lies beyond the end of the file (${this.file.size} bytes)`);
    }
    // The last sectors may lie past the end of the file: QEMU reads them as zeros, and the stream ends before them.
    return { start: e.host, end: Math.min(e.host + e.csize, this.file.size) };
  }

  /** Members in file order, cut into runs close enough to read at once. */
  private *groups(todo: Member[]): Generator<[Member[], number, number]> {
    let i = 0;
    while (i < todo.length) {
      const start = todo[i]!.start;
      let end = todo[i]!.end;
      let j = i + 1;
      while (j < todo.length) {
        const m = todo[j]!;
        if (m.start < start || m.start > end + MAX_GAP || Math.max(end, m.end) - start > MAX_SPAN) break;
        end = Math.max(end, m.end);
        j++;
      }
      yield [todo.slice(i, j), start, end];
      i = j;
    }
  }

  /** Reads [start, end) once and decompresses each member in parallel; one promise per member. */
  private decompressGroup(members: Member[], start: number, end: number, done: (m: Member, out: Uint8Array) => void): Promise<void>[] {
    const span = (async () => {
      const bytes = new Uint8Array(end - start);
      await this.file.read(bytes, start);
      return bytes;
    })();
    return members.map((m) => {
      const p = span.then((bytes) => this.inflate(m.extent, bytes.subarray(m.start - start, m.end - start)));
      this.inflight.set(m.extent.host, p);
      const clear = () => {
        if (this.inflight.get(m.extent.host) === p) this.inflight.delete(m.extent.host);
      };
      p.then(clear, clear);
      return p.then((out) => done(m, out));
    });
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
