/**
 * RegionCache: the bounded, cached reads one `identify` call makes of a
 * device. Many entries look at the same places (sector 0, 1024, 32768 …), so
 * reads go through 4 KiB chunks kept for the call; a miss reads every missing
 * chunk of the request in one device read. A byte budget caps what one call
 * may read, so a hostile field can never make detection scan a device.
 */
import type { BlockDevice } from '../block/device.js';

const CHUNK = 4096;

export interface RegionCacheOptions {
  /** Most bytes one call may read from the device (default 4 MiB). */
  maxBytes?: number;
  /** Largest single request (default 256 KiB). */
  maxRequest?: number;
}

export class RegionCache {
  readonly size: number;
  readonly sectorSize: number;
  /** Bytes read from the device so far. */
  bytesRead = 0;
  /** Device reads made so far. */
  reads = 0;
  private readonly dev: BlockDevice;
  private readonly chunks = new Map<number, Uint8Array>();
  private readonly maxBytes: number;
  private readonly maxRequest: number;

  constructor(dev: BlockDevice, options: RegionCacheOptions = {}) {
    this.dev = dev;
    this.size = Number.isSafeInteger(dev.size) && dev.size > 0 ? dev.size : 0;
    this.sectorSize = dev.sectorSize > 0 ? dev.sectorSize : 512;
    this.maxBytes = options.maxBytes ?? 4 << 20;
    this.maxRequest = options.maxRequest ?? 256 << 10;
  }

  /**
   * `length` bytes at `offset`, or undefined when the range is not wholly
   * inside the device, too large, over budget, or the device failed to read.
   */
  async bytes(offset: number, length: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) return undefined;
    if (length > this.maxRequest || offset + length > this.size) return undefined;
    if (length === 0) return new Uint8Array(0);
    const first = Math.floor(offset / CHUNK);
    const last = Math.floor((offset + length - 1) / CHUNK);
    if (!(await this.load(first, last))) return undefined;
    if (first === last) {
      const c = this.chunks.get(first)!;
      const at = offset - first * CHUNK;
      return c.subarray(at, at + length);
    }
    const out = new Uint8Array(length);
    for (let i = first; i <= last; i++) {
      const c = this.chunks.get(i)!;
      const chunkStart = i * CHUNK;
      const from = Math.max(offset, chunkStart);
      const to = Math.min(offset + length, chunkStart + c.length);
      out.set(c.subarray(from - chunkStart, to - chunkStart), from - offset);
    }
    return out;
  }

  /** Reads ahead a region many entries will want (the first 68 KiB), in one read. */
  async prefetch(offset: number, length: number): Promise<void> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return;
    await this.load(Math.floor(offset / CHUNK), Math.floor((end - 1) / CHUNK));
  }

  /** Makes chunks first..last present; runs of missing chunks are read in one go each. */
  private async load(first: number, last: number): Promise<boolean> {
    let i = first;
    while (i <= last) {
      if (this.chunks.has(i)) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 <= last && !this.chunks.has(j + 1)) j++;
      const start = i * CHUNK;
      const end = Math.min(this.size, (j + 1) * CHUNK);
      const n = end - start;
      if (n <= 0 || this.bytesRead + n > this.maxBytes) return false;
      const buf = new Uint8Array(n);
      try {
        this.reads++;
        this.bytesRead += n;
        await this.dev.read(buf, start);
      } catch {
        return false;
      }
      for (let k = i; k <= j; k++) {
        const s = (k - i) * CHUNK;
        this.chunks.set(k, buf.subarray(s, Math.min(n, s + CHUNK)));
      }
      i = j + 1;
    }
    return true;
  }
}
