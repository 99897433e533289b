/**
 * zstd through fzstd (pure JS, ~8 KB, no native build), bounded by the
 * expected output size. fzstd stops at the end of the frame, so sector
 * padding after it (qcow2) is ignored.
 */
import { decompress } from 'fzstd';
import { FsError } from '../errors.js';

export async function zstdDecompress(input: Uint8Array, maxOutput: number, options?: { partial?: boolean }): Promise<Uint8Array> {
  const out = new Uint8Array(maxOutput);
  try {
    const r = decompress(input, out);
    return r.length === out.length ? r : r.slice();
  } catch (e) {
    if (options?.partial && e instanceof RangeError) return out; // frame larger than the room we gave it
    throw new FsError('EIO', `zstd: corrupt compressed data (${(e as Error).message})`);
  }
}
