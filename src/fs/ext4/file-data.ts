/**
 * Reading file data through a BlockMapper: holes and unwritten extents
 * become zeros; mapped runs that are contiguous on disk (across extent or
 * indirect-block boundaries too) become one device read straight into the
 * caller's buffer, and the separate reads of one request run concurrently.
 */
import type { Ext4Blocks } from './blocks.js';
import type { BlockMapper } from './block-run.js';

export async function readMapped(blocks: Ext4Blocks, mapper: BlockMapper, size: number, buf: Uint8Array, pos: number): Promise<number> {
  if (pos >= size || buf.length === 0) return 0;
  const n = Math.min(buf.length, size - pos);
  const bs = blocks.blockSize;
  const reads: Promise<void>[] = [];
  // The device read being gathered: device byte offset, buffer offset, length.
  let devOff = -1;
  let bufOff = 0;
  let len = 0;
  const flush = (): void => {
    if (len > 0) reads.push(blocks.readData(buf.subarray(bufOff, bufOff + len), devOff));
    len = 0;
  };
  try {
    for (let done = 0; done < n; ) {
      const filePos = pos + done;
      const lblk = Math.floor(filePos / bs);
      const inBlock = filePos - lblk * bs;
      const want = Math.ceil((inBlock + n - done) / bs);
      const run = await mapper.map(lblk, want);
      const bytes = Math.min(run.length * bs - inBlock, n - done);
      if (run.physical === 0 || run.unwritten) {
        flush();
        buf.fill(0, done, done + bytes);
      } else {
        blocks.checkRange(run.physical, run.length, 'file data');
        const at = run.physical * bs + inBlock;
        if (len > 0 && devOff + len === at && bufOff + len === done) {
          len += bytes;
        } else {
          flush();
          devOff = at;
          bufOff = done;
          len = bytes;
        }
      }
      done += bytes;
    }
    flush();
  } catch (e) {
    // Reads already started must not end as unhandled rejections.
    await Promise.allSettled(reads);
    throw e;
  }
  await Promise.all(reads);
  return n;
}
