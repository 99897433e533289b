/**
 * ClusterMap: guest offset → where its bytes are, through the L1 table and
 * L2 tables (QEMU's qcow2-cluster.c, read side).
 *
 * Both levels are loaded lazily and cached with a bound, so opening an image
 * reads neither (a 2 TiB image opens like a 1 GiB one), and a scan reads
 * each table once. L2 tables are cached in slices (QEMU's l2-cache-entry-size)
 * so images with 2 MiB clusters do not read a 2 MiB table for one entry.
 */
import { FsError } from '../../errors.js';
import { LruCache } from '../../util/lru.js';
import { dataView } from '../../binary/reader.js';
import { corrupt } from '../corrupt.js';
import { readStructure, type BlockDevice } from '../device.js';
import { TableCache } from './cache.js';
import type { Qcow2Header } from './header.js';
import { decodeL1Entry, decodeL2Entry, emptyDescriptor, SUBCLUSTERS, type ClusterDescriptor, type L2Format } from './l2.js';

/** Kinds of guest ranges. */
export const DATA = 0;
export const ZERO = 1;
/** Unallocated here: the backing file's bytes, or zeros without one. */
export const BACKING = 2;
export const COMPRESSED = 3;

export interface Extent {
  kind: typeof DATA | typeof ZERO | typeof BACKING | typeof COMPRESSED;
  guest: number;
  length: number;
  /** DATA: host offset of `guest`. COMPRESSED: host offset of the compressed data. */
  host: number;
  /** COMPRESSED: compressed bytes, and the guest offset of the cluster's start. */
  csize: number;
  cluster: number;
}

const L1_CHUNK = 4096;
/** L2 slice size: a slice of 64 KiB maps 8192 clusters. */
const MAX_L2_SLICE = 65536;

export interface ClusterMapOptions {
  /** Bytes of L2 slices to keep (default 32 MiB, QEMU's maximum default). */
  l2CacheBytes?: number;
}

export class ClusterMap {
  readonly clusterSize: number;
  readonly subclusterSize: number;
  /** Entries per L2 table. */
  readonly l2Entries: number;
  readonly entryBytes: number;
  readonly sliceBytes: number;
  readonly sliceEntries: number;
  /** Guest bytes one L2 table maps. */
  readonly l2Span: number;
  readonly format: L2Format;
  readonly l2: TableCache;
  private readonly l1Chunks = new LruCache<number, Uint8Array>(1024);
  private readonly l1Loading = new Map<number, Promise<Uint8Array>>();
  private readonly scratch: ClusterDescriptor = emptyDescriptor();

  constructor(
    private readonly file: BlockDevice,
    readonly header: Qcow2Header,
    options: ClusterMapOptions = {},
  ) {
    this.clusterSize = header.clusterSize;
    this.entryBytes = header.extendedL2 ? 16 : 8;
    this.subclusterSize = header.extendedL2 ? this.clusterSize / SUBCLUSTERS : this.clusterSize;
    this.l2Entries = this.clusterSize / this.entryBytes;
    this.sliceBytes = Math.min(this.clusterSize, MAX_L2_SLICE);
    this.sliceEntries = this.sliceBytes / this.entryBytes;
    this.l2Span = this.l2Entries * this.clusterSize;
    this.format = { cluster_bits: header.cluster_bits, extendedL2: header.extendedL2, version: header.version };
    this.l2 = new TableCache(file, this.sliceBytes, options.l2CacheBytes ?? 32 << 20, 'qcow2: L2 table');
  }

  private async l1Chunk(chunk: number): Promise<Uint8Array> {
    const hit = this.l1Chunks.get(chunk);
    if (hit) return hit;
    let p = this.l1Loading.get(chunk);
    if (!p) {
      p = (async () => {
        try {
          const start = chunk * L1_CHUNK;
          const n = Math.min(L1_CHUNK, this.header.l1_size * 8 - start);
          const bytes = await readStructure(this.file, this.header.l1_table_offset + start, n, 'qcow2: L1 table');
          this.l1Chunks.set(chunk, bytes);
          return bytes;
        } finally {
          this.l1Loading.delete(chunk);
        }
      })();
      this.l1Loading.set(chunk, p);
    }
    return p;
  }

  /** L1 entry `index`: the L2 table offset (0: unallocated) and its COPIED flag. */
  async l1Entry(index: number): Promise<{ l2: number; copied: boolean }> {
    if (index >= this.header.l1_size) return { l2: 0, copied: false };
    const chunk = await this.l1Chunk(Math.floor((index * 8) / L1_CHUNK));
    const e = decodeL1Entry(dataView(chunk), (index * 8) % L1_CHUNK);
    if (e.l2 % this.clusterSize !== 0) {
      throw corrupt('qcow2', `L1 entry ${index}`, this.header.l1_table_offset + index * 8, `L2 table offset 0x${e.l2.toString(16)} is not cluster-aligned`);
    }
    if (e.l2 !== 0 && e.l2 + this.sliceBytes > this.file.size) {
      throw corrupt('qcow2', `L1 entry ${index}`, this.header.l1_table_offset + index * 8, `L2 table at 0x${e.l2.toString(16)} lies beyond the end of the file (${this.file.size} bytes)`);
    }
    return e;
  }

  /**
   * The first L1 index in [index, limit) whose L2 table is allocated (or
   * `limit`): skips runs of empty entries a chunk at a time, so mapping a
   * huge sparse image costs one pass over its L1 table, without awaits per entry.
   */
  async nextAllocatedL1(index: number, limit: number): Promise<number> {
    const end = Math.min(limit, this.header.l1_size);
    let i = index;
    while (i < end) {
      const chunkNo = Math.floor((i * 8) / L1_CHUNK);
      const view = dataView(await this.l1Chunk(chunkNo));
      const chunkEnd = Math.min(end, ((chunkNo + 1) * L1_CHUNK) / 8);
      for (; i < chunkEnd; i++) {
        const at = (i * 8) % L1_CHUNK;
        if ((view.getUint32(at, false) & 0x00ffffff) !== 0 || (view.getUint32(at + 4, false) & 0xfffffe00) !== 0) return i;
      }
    }
    return limit;
  }

  /** Updates a cached L1 entry after the writer wrote it to the file. */
  l1Updated(index: number, entry: Uint8Array): void {
    const chunk = this.l1Chunks.peek(Math.floor((index * 8) / L1_CHUNK));
    if (chunk) chunk.set(entry, (index * 8) % L1_CHUNK);
  }

  /** Slice `slice` of the L2 table at host offset `l2`. */
  l2Slice(l2: number, slice: number): Promise<Uint8Array> {
    return this.l2.get(l2 + slice * this.sliceBytes);
  }

  /** Decodes the L2 entry of the guest cluster containing `guest`, or undefined when its L2 table is unallocated. */
  async descriptor(guest: number, d: ClusterDescriptor = emptyDescriptor()): Promise<ClusterDescriptor | undefined> {
    const l1i = Math.floor(guest / this.l2Span);
    const { l2 } = await this.l1Entry(l1i);
    if (l2 === 0) return undefined;
    const ci = Math.floor((guest - l1i * this.l2Span) / this.clusterSize);
    const si = Math.floor(ci / this.sliceEntries);
    const slice = await this.l2Slice(l2, si);
    return decodeL2Entry(dataView(slice), ci - si * this.sliceEntries, this.format, l2 + si * this.sliceBytes, d);
  }

  /**
   * Lists what [offset, offset+length) maps to, merging neighbours of the
   * same kind (DATA only when contiguous in the file). Stops early once
   * `maxExtents` are listed, so callers that want only the first run stay cheap.
   */
  async extents(offset: number, length: number, maxExtents = Infinity): Promise<Extent[]> {
    const out: Extent[] = [];
    const end = offset + length;
    const cs = this.clusterSize;
    const scs = this.subclusterSize;
    const d = this.scratch;
    let pos = offset;
    while (pos < end && out.length <= maxExtents) {
      const l1i = Math.floor(pos / this.l2Span);
      const tableStart = l1i * this.l2Span;
      const tableEnd = Math.min(end, tableStart + this.l2Span);
      const { l2 } = await this.l1Entry(l1i);
      if (l2 === 0) {
        // Unallocated up to the next L2 table in use.
        const next = await this.nextAllocatedL1(l1i + 1, Math.ceil(end / this.l2Span));
        const runEnd = Math.min(end, next * this.l2Span);
        push(out, BACKING, pos, runEnd - pos, 0);
        pos = runEnd;
        continue;
      }
      while (pos < tableEnd && out.length <= maxExtents) {
        const si = Math.floor((pos - tableStart) / (this.sliceEntries * cs));
        const sliceStart = tableStart + si * this.sliceEntries * cs;
        const sliceEnd = Math.min(tableEnd, sliceStart + this.sliceEntries * cs);
        const sliceHost = l2 + si * this.sliceBytes;
        const view = dataView(await this.l2Slice(l2, si));
        while (pos < sliceEnd) {
          const idx = Math.floor((pos - sliceStart) / cs);
          const clusterStart = sliceStart + idx * cs;
          const cend = Math.min(sliceEnd, clusterStart + cs);
          decodeL2Entry(view, idx, this.format, sliceHost, d);
          if (d.compressed) {
            out.push({ kind: COMPRESSED, guest: pos, length: cend - pos, host: d.host, csize: d.csize, cluster: clusterStart });
          } else if (scs === cs) {
            if (d.alloc) push(out, DATA, pos, cend - pos, d.host + (pos - clusterStart));
            else push(out, d.zero ? ZERO : BACKING, pos, cend - pos, 0);
          } else {
            // Extended L2: one run per subcluster status.
            while (pos < cend) {
              const sc = Math.floor((pos - clusterStart) / scs);
              const scEnd = Math.min(cend, clusterStart + (sc + 1) * scs);
              if ((d.alloc >>> sc) & 1) push(out, DATA, pos, scEnd - pos, d.host + (pos - clusterStart));
              else push(out, (d.zero >>> sc) & 1 ? ZERO : BACKING, pos, scEnd - pos, 0);
              pos = scEnd;
            }
          }
          pos = cend;
        }
      }
    }
    return out;
  }

  /** Drops cached tables (after the file changed under us). */
  invalidate(): void {
    this.l1Chunks.clear();
    this.l2.clear();
  }
}

function push(out: Extent[], kind: Extent['kind'], guest: number, length: number, host: number): void {
  const last = out[out.length - 1];
  if (last && last.kind === kind && last.guest + last.length === guest && (kind !== DATA || last.host + last.length === host)) {
    last.length += length;
    return;
  }
  out.push({ kind, guest, length, host, csize: 0, cluster: 0 });
}

export function assertNever(x: never): never {
  throw new FsError('EIO', `qcow2: unexpected extent kind ${String(x)}`);
}
