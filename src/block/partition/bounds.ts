/**
 * Checks every scheme applies to the partitions it found: fit them to the
 * disk (clamp the ones that run past the end, drop the ones that start past
 * it) and say where partitions overlap. Both only warn: a table that
 * disagrees with the disk size is usually a truncated or grown image, and
 * the partitions inside it are still worth reading.
 */
import type { BlockDevice } from '../device.js';
import type { Partition } from './table.js';

/**
 * Fits `p` to a disk of `diskSize` bytes. Returns the partition to keep
 * (possibly shortened) or undefined when it starts at or past the end.
 */
export function fitToDisk(p: Partition, diskSize: number, warnings: string[], scheme: string): Partition | undefined {
  if (p.start >= diskSize) {
    warnings.push(`${scheme}: partition ${p.index} starts at byte ${p.start}, past the end of the disk (${diskSize} bytes): dropped`);
    return undefined;
  }
  if (p.start + p.size > diskSize) {
    const size = diskSize - p.start;
    warnings.push(`${scheme}: partition ${p.index} ends at byte ${p.start + p.size}, past the end of the disk (${diskSize} bytes): clamped to ${size} bytes`);
    return { ...p, size };
  }
  return p;
}

/**
 * Warns about each pair of overlapping partitions (sorted sweep, so a
 * table of thousands stays cheap). Partitions flagged in `ignoreFlags`
 * (an extended container, a protective entry) are meant to overlap and
 * are skipped, as is a partition starting at byte 0 when `wholeDiskOk`
 * (an ISO hybrid's partition 1 covers the whole ISO, table included).
 */
export function warnOverlaps(parts: Partition[], warnings: string[], scheme: string, options: { ignoreFlags?: string[]; wholeDiskOk?: boolean; limit?: number } = {}): void {
  const ignore = options.ignoreFlags ?? [];
  const list = parts
    .filter((p) => p.size > 0 && !(p.flags ?? []).some((f) => ignore.includes(f)) && !(options.wholeDiskOk && p.start === 0))
    .sort((a, b) => a.start - b.start || a.index - b.index);
  const limit = options.limit ?? 16;
  let reported = 0;
  let reach: Partition | undefined; // the partition reaching furthest so far
  for (const p of list) {
    if (reach && p.start < reach.start + reach.size) {
      if (reported++ < limit) warnings.push(`${scheme}: partition ${p.index} overlaps partition ${reach.index}`);
    }
    if (!reach || p.start + p.size > reach.start + reach.size) reach = p;
  }
  if (reported > limit) warnings.push(`${scheme}: ${reported - limit} more overlaps not listed`);
}

/** True if the device holds an ISO 9660 volume descriptor ("CD001" at byte 32769). */
export async function hasIso9660(disk: BlockDevice): Promise<boolean> {
  if (disk.size < 32768 + 2048) return false;
  const b = new Uint8Array(5);
  await disk.read(b, 32769);
  return b[0] === 0x43 && b[1] === 0x44 && b[2] === 0x30 && b[3] === 0x30 && b[4] === 0x31;
}
