/**
 * Inline data (inline_data feature, EXT4_INLINE_DATA_FL): small files and
 * directories kept inside the inode. The first 60 bytes live in i_block,
 * the rest in the value of the in-inode xattr "system.data" (index 7,
 * name "data"). A directory's inline area starts with the parent's inode
 * number (4 bytes, no '.' or '..' entries), then ordinary entries; the
 * system.data value, if not empty, holds more entries.
 */
import { FsError } from '../../errors.js';
import type { Ext4Inode } from './inode.js';
import { XATTR_INDEX_SYSTEM, type XattrEntry } from './xattr.js';

export const INLINE_IBLOCK_SIZE = 60;
/** Stream positions of inline directory entries (readdir cookies): '.' 0, '..' 1, i_block entries from 2, system.data entries after them. */
export const INLINE_DIR_IBLOCK_BASE = 2;
export const INLINE_DIR_XATTR_BASE = INLINE_DIR_IBLOCK_BASE + INLINE_IBLOCK_SIZE - 4;

/** The system.data value among the in-inode xattrs (empty if absent). */
export function systemDataValue(ibody: XattrEntry[], ino: number): Uint8Array {
  const e = ibody.find((x) => x.index === XATTR_INDEX_SYSTEM && x.suffix === 'data');
  if (!e) return new Uint8Array(0);
  if (!e.value) throw new FsError('EIO', `ext4: inode ${ino}: inline data value stored in an EA inode`);
  return e.value;
}

/**
 * Copies inline file bytes [pos, pos+buf.length) ∩ [0, i_size) into buf;
 * returns the count. Bytes past what the inode holds read as zeros, as the
 * kernel's inline read path zero-fills the rest of the file (mke2fs -d
 * makes such files from ones that end in a hole).
 */
export function readInlineFile(inode: Ext4Inode, extra: Uint8Array, buf: Uint8Array, pos: number): number {
  const size = inode.i_size;
  if (pos >= size) return 0;
  const n = Math.min(buf.length, size - pos);
  const stored = Math.min(size, INLINE_IBLOCK_SIZE + extra.length);
  const end = pos + n;
  let at = 0;
  if (pos < INLINE_IBLOCK_SIZE) {
    const part = inode.i_block.subarray(pos, Math.min(end, stored, INLINE_IBLOCK_SIZE));
    buf.set(part, at);
    at += part.length;
  }
  if (at < n && pos + at < stored) {
    const from = pos + at - INLINE_IBLOCK_SIZE;
    const part = extra.subarray(from, Math.min(end, stored) - INLINE_IBLOCK_SIZE);
    buf.set(part, at);
    at += part.length;
  }
  buf.fill(0, at, n);
  return n;
}

/** The parent inode and the entry regions of an inline directory. */
export function inlineDirRegions(inode: Ext4Inode, extra: Uint8Array): { parent: number; regions: Array<{ bytes: Uint8Array; base: number; where: string }> } {
  const ib = inode.i_block;
  const parent = (ib[0]! | (ib[1]! << 8) | (ib[2]! << 16) | (ib[3]! << 24)) >>> 0;
  const regions = [{ bytes: ib.subarray(4, INLINE_IBLOCK_SIZE), base: INLINE_DIR_IBLOCK_BASE, where: 'inline data (i_block)' }];
  if (extra.length) regions.push({ bytes: extra, base: INLINE_DIR_XATTR_BASE, where: 'inline data (system.data)' });
  return { parent, regions };
}
