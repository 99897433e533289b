/**
 * zisofs (version 1, mkzftree and libisofs): a file whose Rock Ridge ZF
 * entry says algorithm 'pz' is stored compressed, and reads as its
 * uncompressed size. The stored bytes are:
 *
 *   0   magic 37 E4 53 96 C9 DB D6 07
 *   8   uncompressed size (LE 32), 12 header size / 4, 13 log2 block size
 *   hs  block pointers: (blocks + 1) LE 32 offsets into the stored file;
 *       block i is the zlib stream between pointers i and i+1, and two
 *       equal pointers mean a block of zeros (a hole).
 *
 * Like Linux we take the header size and block size from the ZF entry.
 * Only the pointers a read needs are read, contiguous compressed blocks
 * come in one device read, and decompressed blocks go to a shared LRU.
 */
import { corrupt, unsupported } from '../../block/corrupt.js';
import { getCodec } from '../../codecs/index.js';
import type { LruCache } from '../../util/lru.js';
import type { ZisofsParams } from './rock-ridge.js';

const MAGIC = [0x37, 0xe4, 0x53, 0x96, 0xc9, 0xdb, 0xd6, 0x07];

/** Reads stored (compressed) bytes of the file at `pos`; the range is inside the stored size. */
export type StoredReader = (buf: Uint8Array, pos: number) => Promise<void>;

export class ZisofsFile {
  private readonly blockSize: number;
  private readonly blocks: number;
  private checked = false;

  constructor(
    private readonly params: ZisofsParams,
    private readonly storedSize: number,
    private readonly readStored: StoredReader,
    private readonly cache: LruCache<string, Uint8Array>,
    private readonly key: string,
    private readonly where: string,
  ) {
    if (params.algorithm !== 'pz') throw unsupported('iso9660', `${where}: zisofs algorithm '${params.algorithm}' is not supported`);
    if (params.blockLog2 < 15 || params.blockLog2 > 17) {
      throw corrupt('iso9660', `${where}: zisofs`, undefined, `block size 2^${params.blockLog2} is not 2^15, 2^16 or 2^17`);
    }
    if (params.headerSize < 16) throw corrupt('iso9660', `${where}: zisofs`, undefined, `header size ${params.headerSize} is below 16`);
    this.blockSize = 1 << params.blockLog2;
    this.blocks = Math.ceil(params.size / this.blockSize);
    if (params.headerSize + (this.blocks + 1) * 4 > storedSize) {
      throw corrupt('iso9660', `${where}: zisofs`, undefined, `${this.blocks} block pointers do not fit in ${storedSize} stored bytes`);
    }
  }

  get size(): number {
    return this.params.size;
  }

  private async checkMagic(): Promise<void> {
    if (this.checked) return;
    const head = new Uint8Array(8);
    await this.readStored(head, 0);
    if (!MAGIC.every((m, i) => head[i] === m)) throw corrupt('iso9660', `${this.where}: zisofs header`, undefined, 'magic number is wrong');
    this.checked = true;
  }

  async read(buf: Uint8Array, pos: number): Promise<number> {
    const size = this.params.size;
    if (pos >= size || buf.length === 0) return 0;
    await this.checkMagic();
    const n = Math.min(buf.length, size - pos);
    const bs = this.blockSize;
    const first = Math.floor(pos / bs);
    const last = Math.floor((pos + n - 1) / bs);
    const blocks = await this.blocksFor(first, last);
    for (let b = first; b <= last; b++) {
      const data = blocks[b - first]!;
      const blockStart = b * bs;
      const from = Math.max(pos, blockStart);
      const to = Math.min(pos + n, blockStart + data.length);
      buf.set(data.subarray(from - blockStart, to - blockStart), from - pos);
    }
    return n;
  }

  /** Decompressed blocks first..last, from the cache or the device. */
  private async blocksFor(first: number, last: number): Promise<Uint8Array[]> {
    const out: Array<Uint8Array | undefined> = [];
    let missing = false;
    for (let b = first; b <= last; b++) {
      const c = this.cache.get(`${this.key}:${b}`);
      out.push(c);
      if (!c) missing = true;
    }
    if (!missing) return out as Uint8Array[];
    const pointers = await this.pointers(first, last);
    const bs = this.blockSize;
    // Runs of missing blocks: their compressed bytes are contiguous, so one read each.
    for (let i = 0; i <= last - first; ) {
      if (out[i]) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 <= last - first && !out[j + 1]) j++;
      const start = pointers[i]!;
      const end = pointers[j + 1]!;
      const stored = new Uint8Array(end - start);
      if (stored.length) await this.readStored(stored, start);
      const codec = getCodec('zlib', `iso9660: ${this.where}: zisofs`);
      await Promise.all(
        Array.from({ length: j - i + 1 }, async (_, k) => {
          const idx = i + k;
          const b = first + idx;
          const want = Math.min(bs, this.params.size - b * bs);
          const a = pointers[idx]! - start;
          const z = pointers[idx + 1]! - start;
          let data: Uint8Array;
          if (a === z) data = new Uint8Array(want);
          else {
            try {
              data = await codec(stored.subarray(a, z), want);
            } catch (e) {
              throw corrupt('iso9660', `${this.where}: zisofs block ${b}`, undefined, `does not decompress (${(e as Error).message})`);
            }
            if (data.length !== want) {
              throw corrupt('iso9660', `${this.where}: zisofs block ${b}`, undefined, `decompresses to ${data.length} bytes, expected ${want}`);
            }
          }
          out[idx] = data;
          this.cache.set(`${this.key}:${b}`, data, data.length);
        }),
      );
      i = j + 1;
    }
    return out as Uint8Array[];
  }

  /** Block pointers first..last+1, checked to rise and stay inside the stored bytes. */
  private async pointers(first: number, last: number): Promise<number[]> {
    const raw = new Uint8Array((last - first + 2) * 4);
    await this.readStored(raw, this.params.headerSize + first * 4);
    const v = new DataView(raw.buffer);
    const out: number[] = [];
    const maxBlock = this.blockSize * 2 + 64; // deflate never grows data this much
    for (let i = 0; i < raw.length / 4; i++) {
      const p = v.getUint32(i * 4, true);
      const prev = out[i - 1];
      if (p > this.storedSize || (prev !== undefined && (p < prev || p - prev > maxBlock))) {
        throw corrupt('iso9660', `${this.where}: zisofs block pointer ${first + i}`, undefined, `value ${p} is out of order or past the ${this.storedSize} stored bytes`);
      }
      out.push(p);
    }
    return out;
  }
}
