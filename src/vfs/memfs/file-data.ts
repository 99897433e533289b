/**
 * SparseData: the bytes of a memfs file. Holes cost nothing and read as
 * zeros. Storage is kept in 64 KiB chunks (few allocations for big files),
 * but a chunk's array starts at the 4 KiB pages actually needed and doubles
 * (small files stay small), and allocation is counted in 4 KiB pages like
 * tmpfs, so st_blocks (and `du`) match what tmpfs reports.
 */

export const PAGE_SIZE = 4096;
const CHUNK_SIZE = 65536;
const PAGES_PER_CHUNK = CHUNK_SIZE / PAGE_SIZE;
const SLAB_CHUNKS = 64;

interface Chunk {
  bytes: Uint8Array;
  /** One bit per 4 KiB page that holds written data. */
  pages: number;
}

function popcount16(x: number): number {
  x = x - ((x >>> 1) & 0x5555);
  x = (x & 0x3333) + ((x >>> 2) & 0x3333);
  x = (x + (x >>> 4)) & 0x0f0f;
  return (x + (x >>> 8)) & 0x1f;
}

function roundUpPage(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}

export class SparseData {
  private readonly chunks = new Map<number, Chunk>();
  private allocatedPages = 0;
  size = 0;

  /** Bytes of allocated pages (what statfs and size limits count). */
  get allocatedBytes(): number {
    return this.allocatedPages * PAGE_SIZE;
  }

  /** st_blocks: allocated pages in 512-byte units. */
  get blocks(): number {
    return this.allocatedPages * (PAGE_SIZE / 512);
  }

  /** Pages a write of `length` bytes at `pos` would newly allocate (for ENOSPC checks). */
  pagesNeeded(pos: number, length: number): number {
    if (length === 0) return 0;
    let needed = 0;
    const first = Math.floor(pos / PAGE_SIZE);
    const last = Math.floor((pos + length - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      const chunk = this.chunks.get(Math.floor(p / PAGES_PER_CHUNK));
      if (!chunk || !(chunk.pages & (1 << p % PAGES_PER_CHUNK))) needed++;
    }
    return needed;
  }

  read(buf: Uint8Array, pos: number): number {
    if (pos >= this.size) return 0;
    const n = Math.min(buf.length, this.size - pos);
    let done = 0;
    while (done < n) {
      const at = pos + done;
      const index = Math.floor(at / CHUNK_SIZE);
      const inChunk = at - index * CHUNK_SIZE;
      const len = Math.min(n - done, CHUNK_SIZE - inChunk);
      const chunk = this.chunks.get(index);
      const stored = chunk ? Math.max(0, Math.min(len, chunk.bytes.length - inChunk)) : 0;
      if (stored > 0) buf.set(chunk!.bytes.subarray(inChunk, inChunk + stored), done);
      if (stored < len) buf.fill(0, done + stored, done + len);
      done += len;
    }
    return n;
  }

  write(data: Uint8Array, pos: number): void {
    let done = 0;
    while (done < data.length) {
      const at = pos + done;
      const index = Math.floor(at / CHUNK_SIZE);
      const inChunk = at - index * CHUNK_SIZE;
      const len = Math.min(data.length - done, CHUNK_SIZE - inChunk);
      if (inChunk === 0 && data.length - done >= 2 * CHUNK_SIZE && !this.chunks.has(index)) this.allocateRun(index, data.length - done);
      const chunk = this.chunkFor(index, inChunk + len);
      chunk.bytes.set(data.subarray(done, done + len), inChunk);
      this.markPages(chunk, inChunk, inChunk + len);
      done += len;
    }
    if (pos + data.length > this.size) this.size = pos + data.length;
  }

  /** Sets the size; shrinking frees whole pages past the end and zeroes the rest of the last one. */
  truncate(size: number): void {
    if (size < this.size) {
      const keepChunks = Math.ceil(size / CHUNK_SIZE);
      if (this.chunks.size > 0) {
        for (const [index, chunk] of this.chunks) {
          if (index >= keepChunks) {
            this.allocatedPages -= popcount16(chunk.pages);
            this.chunks.delete(index);
          }
        }
      }
      const lastIndex = Math.floor(size / CHUNK_SIZE);
      const last = this.chunks.get(lastIndex);
      if (last) {
        const inChunk = size - lastIndex * CHUNK_SIZE;
        if (inChunk < last.bytes.length) last.bytes.fill(0, inChunk);
        const firstFreePage = Math.ceil(inChunk / PAGE_SIZE);
        const keepMask = firstFreePage >= 16 ? 0xffff : (1 << firstFreePage) - 1;
        const freed = last.pages & ~keepMask;
        this.allocatedPages -= popcount16(freed);
        last.pages &= keepMask;
        if (last.pages === 0) this.chunks.delete(lastIndex);
      }
    }
    this.size = size;
  }

  /**
   * A big write over absent chunks: one allocation for up to 4 MiB of them
   * (views into one buffer), instead of one zero-filled array per 64 KiB.
   */
  private allocateRun(index: number, bytes: number): void {
    let count = 0;
    while (count < SLAB_CHUNKS && (count + 1) * CHUNK_SIZE <= bytes && !this.chunks.has(index + count)) count++;
    if (count < 2) return;
    const slab = new Uint8Array(count * CHUNK_SIZE);
    for (let i = 0; i < count; i++) this.chunks.set(index + i, { bytes: slab.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE), pages: 0 });
  }

  private chunkFor(index: number, end: number): Chunk {
    let chunk = this.chunks.get(index);
    if (!chunk) {
      chunk = { bytes: new Uint8Array(roundUpPage(end)), pages: 0 };
      this.chunks.set(index, chunk);
    } else if (chunk.bytes.length < end) {
      const grown = new Uint8Array(Math.min(CHUNK_SIZE, Math.max(roundUpPage(end), chunk.bytes.length * 2)));
      grown.set(chunk.bytes);
      chunk.bytes = grown;
    }
    return chunk;
  }

  private markPages(chunk: Chunk, from: number, to: number): void {
    const first = Math.floor(from / PAGE_SIZE);
    const last = Math.floor((to - 1) / PAGE_SIZE);
    const mask = ((1 << (last + 1)) - 1) & ~((1 << first) - 1) & 0xffff;
    const added = mask & ~chunk.pages;
    if (added) {
      this.allocatedPages += popcount16(added);
      chunk.pages |= added;
    }
  }
}
