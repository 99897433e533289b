/**
 * PagedTable: a large on-disk array of 32- or 64-bit entries (a VHD or VHDX
 * BAT, a VDI block map, a VMDK grain directory) read lazily in pages through
 * a bounded cache, so opening a 2 TiB image reads nothing proportional to its
 * size and memory stays bounded however large the table claims to be.
 */
import { corrupt } from '../corrupt.js';
import type { BlockDevice } from '../device.js';
import { LruCache } from '../../util/lru.js';

export interface PagedTableOptions {
  format: string;
  /** Structure name for messages ('BAT', 'grain directory'). */
  what: string;
  file: BlockDevice;
  offset: number;
  count: number;
  entryBytes: 4 | 8;
  bigEndian?: boolean;
  /** Bytes per page (default 64 KiB). */
  pageBytes?: number;
  /** Pages kept (default 32, i.e. 2 MiB). */
  cachePages?: number;
}

const TWO32 = 0x1_0000_0000;

export class PagedTable {
  readonly count: number;
  private readonly o: Required<PagedTableOptions>;
  private readonly perPage: number;
  private readonly cache: LruCache<number, DataView>;
  private readonly inflight = new Map<number, Promise<DataView>>();

  constructor(options: PagedTableOptions) {
    this.o = { bigEndian: false, pageBytes: 65536, cachePages: 32, ...options };
    const { format, what, file, offset, count, entryBytes } = this.o;
    const bytes = count * entryBytes;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(bytes) || offset + bytes > file.size) {
      throw corrupt(format, what, offset, `${count} entries (${bytes} bytes) extend past the end of the file (${file.size} bytes)`);
    }
    this.count = count;
    this.perPage = Math.floor(this.o.pageBytes / entryBytes);
    this.cache = new LruCache(this.o.cachePages);
  }

  /** Entry `i` (0 ≤ i < count) as a number (64-bit entries exact below 2^53). */
  async get(i: number): Promise<number> {
    const page = Math.floor(i / this.perPage);
    const view = this.cache.get(page) ?? (await this.load(page));
    const at = (i - page * this.perPage) * this.o.entryBytes;
    const be = this.o.bigEndian;
    if (this.o.entryBytes === 4) return view.getUint32(at, !be);
    return be ? view.getUint32(at, false) * TWO32 + view.getUint32(at + 4, false) : view.getUint32(at + 4, true) * TWO32 + view.getUint32(at, true);
  }

  private load(page: number): Promise<DataView> {
    let p = this.inflight.get(page);
    if (!p) {
      const first = page * this.perPage;
      const n = Math.min(this.perPage, this.count - first);
      const buf = new Uint8Array(n * this.o.entryBytes);
      p = this.o.file
        .read(buf, this.o.offset + first * this.o.entryBytes)
        .then(() => {
          const v = new DataView(buf.buffer);
          this.cache.set(page, v);
          return v;
        })
        .finally(() => this.inflight.delete(page));
      this.inflight.set(page, p);
    }
    return p;
  }
}
