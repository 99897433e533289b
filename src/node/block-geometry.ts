/**
 * How big a block device is, and its logical sector size. fstat says 0 for
 * a block device; Linux sysfs knows both (`size` in 512-byte units whatever
 * the logical sector size, `queue/logical_block_size`). Without sysfs (some
 * containers) the size is found by reading: pread at or past the end of a
 * block device returns 0 bytes.
 */
import { readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { FsError } from '../errors.js';

export interface BlockGeometry {
  size: number;
  sectorSize: number;
  /** Where the answer came from. */
  source: 'sysfs' | 'probe';
}

/** glibc's gnu_dev_major / gnu_dev_minor on a 64-bit dev_t (st_rdev). */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const lo = rdev % 2 ** 32;
  const hi = Math.floor(rdev / 2 ** 32);
  const major = (((lo >>> 8) & 0xfff) | (hi & ~0xfff)) >>> 0;
  const minor = ((lo & 0xff) | ((lo >>> 12) & ~0xff & 0xfffff) | ((hi & 0xfff) << 20)) >>> 0;
  return { major, minor };
}

export async function blockDeviceGeometry(handle: FileHandle, rdev: number, sysfsRoot = '/sys'): Promise<BlockGeometry> {
  return (await sysfsGeometry(rdev, sysfsRoot)) ?? { size: await probeSizeByReading(handle), sectorSize: 512, source: 'probe' };
}

/** Size and sector size from sysfs, or undefined when sysfs does not have the device. */
export async function sysfsGeometry(rdev: number, sysfsRoot = '/sys'): Promise<BlockGeometry | undefined> {
  const { major, minor } = deviceNumbers(rdev);
  const dir = `${sysfsRoot}/dev/block/${major}:${minor}`;
  const sectors = await readNumber(`${dir}/size`);
  if (sectors === undefined) return undefined;
  // A partition has no queue/ of its own; its disk (the parent directory) has.
  const sectorSize = (await readNumber(`${dir}/queue/logical_block_size`)) ?? (await readNumber(`${dir}/../queue/logical_block_size`)) ?? 512;
  return { size: sectors * 512, sectorSize, source: 'sysfs' };
}

async function readNumber(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The size of whatever `handle` reads, found by reading single bytes:
 * double the offset until a read comes back empty, then bisect. About
 * 2·log2(size) reads; block devices end on a 512-byte boundary, so the
 * bisection works in sectors once the end is bracketed.
 */
export async function probeSizeByReading(handle: FileHandle): Promise<number> {
  const one = new Uint8Array(1);
  const readable = async (pos: number): Promise<boolean> => {
    try {
      return (await handle.read(one, 0, 1, pos)).bytesRead === 1;
    } catch (e) {
      // Some drivers answer a read past the end with EINVAL or ENXIO instead of 0 bytes.
      const code = (e as { code?: string }).code;
      if (code === 'EINVAL' || code === 'ENXIO' || code === 'ENOSPC') return false;
      throw e;
    }
  };
  if (!(await readable(0))) return 0;
  let lo = 0; // known readable
  let hi = 512; // to be tested
  while (await readable(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 2 ** 52) throw new FsError('EIO', 'block device size probe found no end below 4 PiB');
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await readable(mid)) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}
