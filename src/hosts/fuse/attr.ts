/**
 * Stat → fuse_attr, and what the kernel may cache for how long.
 *
 * Owner mapping: by default every file shows the image's own uid, gid and
 * mode bits. `uid`/`gid` replace the owner of every file (what vfat's
 * uid=/gid= do, and what a user mounting someone else's image wants);
 * `umask` clears permission bits on display. Writes still store what the
 * caller asks for: the mapping is a view, not a change.
 *
 * Cache policy follows the driver's `consistency`: an immutable image may
 * be cached for a day (names, attributes, data, directory listings, even
 * "no such file"); a writable image changed only through this mount is
 * cached briefly, and the kernel invalidates what its own operations
 * change; a remote filesystem is not cached at all.
 */
import type { Consistency } from '../../fs/capabilities.js';
import type { Stat } from '../../fs/filesystem.js';
import { S_IFMT } from '../../fs/mode.js';
import type { Validity, fuse_attr } from './protocol.js';

export interface OwnerMapping {
  /** Show every file as owned by this uid. */
  uid?: number;
  gid?: number;
  /** Permission bits to clear on display (vfat's umask=). */
  umask?: number;
}

export interface CachePolicy {
  /** Seconds the kernel may keep a name → inode. */
  entryTimeout: number;
  /** Seconds it may keep attributes. */
  attrTimeout: number;
  /** Seconds it may remember that a name does not exist (0: ask every time). */
  negativeTimeout: number;
  /** Keep file data in the page cache across opens (FOPEN_KEEP_CACHE). */
  keepCache: boolean;
  /** Cache directory listings (FOPEN_CACHE_DIR) and symlink targets. */
  cacheDirs: boolean;
}

const DAY = 86400;

export function cachePolicyFor(consistency: Consistency): CachePolicy {
  switch (consistency) {
    case 'immutable':
      return { entryTimeout: DAY, attrTimeout: DAY, negativeTimeout: DAY, keepCache: true, cacheDirs: true };
    case 'local-exclusive':
      return { entryTimeout: 1, attrTimeout: 1, negativeTimeout: 1, keepCache: true, cacheDirs: false };
    case 'remote':
      return { entryTimeout: 0, attrTimeout: 0, negativeTimeout: 0, keepCache: false, cacheDirs: false };
  }
}

export function validity(seconds: number): Validity {
  const sec = Math.floor(seconds);
  return { sec, nsec: Math.round((seconds - sec) * 1e9) };
}

/** The largest power of two ≤ n (the kernel takes ilog2 of st_blksize), 0 for nothing. */
function powerOfTwoBelow(n: number): number {
  if (!(n >= 1)) return 0;
  return 2 ** Math.floor(Math.log2(Math.min(n, 2 ** 30)));
}

const TWO32 = 0x1_0000_0000;

export function toFuseAttr(st: Stat, owners: OwnerMapping = {}): fuse_attr {
  let mode = st.mode;
  if (owners.umask !== undefined) mode = (mode & S_IFMT) | (mode & ~S_IFMT & ~owners.umask);
  return {
    ino: st.ino,
    size: st.size,
    blocks: st.blocks,
    atime: st.atime.sec,
    mtime: st.mtime.sec,
    ctime: st.ctime.sec,
    atimensec: st.atime.nsec,
    mtimensec: st.mtime.nsec,
    ctimensec: st.ctime.nsec,
    mode,
    nlink: Math.min(st.nlink, TWO32 - 1),
    uid: owners.uid ?? st.uid,
    gid: owners.gid ?? st.gid,
    // Our rdev is glibc's makedev; the kernel's new_decode_dev reads the same layout in 32 bits.
    rdev: st.rdev % TWO32,
    blksize: powerOfTwoBelow(st.blksize),
  };
}
