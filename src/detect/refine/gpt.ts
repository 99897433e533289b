/**
 * GPT: 'EFI PART' is only evidence; the header CRC, MyLBA and the usable
 * range make it a table (UEFI 2.x §5.3.2, and what blkid checks). The
 * signature's `base` is the header (LBA 1, or the backup at the last LBA).
 */
import { crc32 } from '../../util/crc32.js';
import type { Refine } from './index.js';

export const refineGpt: Refine = async ({ match, scope }) => {
  const ss = scope.cache.sectorSize;
  const h = await scope.cache.bytes(scope.base, ss);
  if (!h || h.length < 92) return null;
  const v = new DataView(h.buffer, h.byteOffset, h.length);
  const hsz = v.getUint32(12, true);
  if (hsz < 92 || hsz > ss) return null;
  const copy = h.slice(0, hsz);
  copy.fill(0, 16, 20);
  if (crc32(copy) !== v.getUint32(16, true)) return null;
  const lba = scope.base / ss;
  const myLba = u64(v, 24);
  if (myLba !== lba) return null;
  const lastLba = Math.floor(scope.cache.size / ss) - 1;
  const firstUsable = u64(v, 40);
  const lastUsable = u64(v, 48);
  if (lastUsable < firstUsable || firstUsable > lastLba || lastUsable > lastLba) return null;
  if (firstUsable < lba && lba < lastUsable) return null;
  const entries = v.getUint32(80, true);
  const entrySize = v.getUint32(84, true);
  if (entrySize !== 128 || entries === 0 || entries * entrySize >= 0xffffffff) return null;
  const details: Record<string, unknown> = { ...match.details, entries, header: lba === 1 ? 'primary' : 'backup' };
  // The entry array's CRC too, when it is of a size we read (128 entries = 16 KiB is the norm).
  const arrayBytes = entries * entrySize;
  const arrayAt = u64(v, 72) * ss;
  const arr = arrayBytes <= 256 << 10 ? await scope.cache.bytes(arrayAt, arrayBytes) : undefined;
  if (!arr || crc32(arr) !== v.getUint32(88, true)) return null;
  let used = 0;
  for (let i = 0; i < entries; i++) {
    if (arr.subarray(i * 128, i * 128 + 16).some((b) => b !== 0)) used++;
  }
  details.partitions = used;
  return { ...match, details, confidence: 0.95 };
};

function u64(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * 0x1_0000_0000 + v.getUint32(at, true);
}
