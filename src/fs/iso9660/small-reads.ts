/**
 * Small file reads through a few aligned windows: writers lay files out in
 * directory order, so a walk that reads many small files (a tree copy, a
 * grep) finds the next file in the window the last one came from, and the
 * device sees one read per window instead of one per file. Only pieces up
 * to SMALL_READ_MAX go through it; larger reads go straight to the device.
 * Budget: WINDOWS × WINDOW_BYTES (1 MiB).
 */
import type { BlockDevice } from '../../block/device.js';
import { LruCache } from '../../util/lru.js';

export const WINDOW_BYTES = 128 << 10;
export const WINDOWS = 8;
export const SMALL_READ_MAX = 16 << 10;

export class SmallReads {
  private readonly windows = new LruCache<number, Promise<Uint8Array>>(WINDOWS);

  constructor(private readonly dev: BlockDevice) {}

  private window(index: number): Promise<Uint8Array> {
    let w = this.windows.get(index);
    if (!w) {
      const start = index * WINDOW_BYTES;
      const buf = new Uint8Array(Math.min(WINDOW_BYTES, this.dev.size - start));
      w = this.dev.read(buf, start).then(() => buf);
      w.catch(() => this.windows.delete(index));
      this.windows.set(index, w);
    }
    return w;
  }

  /** Fills `buf` from device offset `offset` (inside the device). */
  async read(buf: Uint8Array, offset: number): Promise<void> {
    if (buf.length > SMALL_READ_MAX) return this.dev.read(buf, offset);
    const first = Math.floor(offset / WINDOW_BYTES);
    const last = Math.floor((offset + buf.length - 1) / WINDOW_BYTES);
    for (let i = first; i <= last; i++) {
      const w = await this.window(i);
      const from = Math.max(offset, i * WINDOW_BYTES);
      const to = Math.min(offset + buf.length, i * WINDOW_BYTES + w.length);
      buf.set(w.subarray(from - i * WINDOW_BYTES, to - i * WINDOW_BYTES), from - offset);
    }
  }
}
