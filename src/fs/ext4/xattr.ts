/**
 * Extended attributes. They live in two places, searched in this order:
 *
 * - in the inode, after i_extra_isize: a 4-byte magic 0xEA020000, then
 *   entries; value offsets count from the first entry;
 * - in one xattr block (i_file_acl): a 32-byte header {magic, refcount,
 *   h_blocks (1), hash, checksum}, then entries; value offsets count from
 *   the block start. With metadata_csum the header checksum is crc32c over
 *   the block number and the block (checksum field as zero).
 *
 * An entry is {e_name_len u8, e_name_index u8, e_value_offs u16,
 * e_value_inum u32, e_value_size u32, e_hash u32, name}, padded to 4
 * bytes; four zero bytes end the list. e_name_index picks the prefix
 * ("user.", "trusted." …). With ea_inode, e_value_inum names an inode
 * (flagged EXT4_EA_INODE_FL) whose data is the value.
 */
import { FsError } from '../../errors.js';
import { utf8Decoder } from '../../binary/reader.js';
import { chksum, le64 } from './checksum.js';
import { checksumMismatch, type ChecksumPolicy } from './group-descriptors.js';

export const XATTR_MAGIC = 0xea020000;
const ENTRY_HEADER = 16;
const BLOCK_HEADER = 32;
const H_CHECKSUM = 0x10;
/** Linux's XATTR_SIZE_MAX: no value is larger. */
export const XATTR_SIZE_MAX = 65536;

/** e_name_index → prefix, for the namespaces Linux shows (system.data and others stay hidden, as in the kernel). */
export const XATTR_PREFIXES: Record<number, string> = {
  1: 'user.',
  2: 'system.posix_acl_access',
  3: 'system.posix_acl_default',
  4: 'trusted.',
  6: 'security.',
  10: 'gnu.',
};
export const XATTR_INDEX_SYSTEM = 7;
export const XATTR_INDEX_POSIX_ACL_ACCESS = 2;
export const XATTR_INDEX_POSIX_ACL_DEFAULT = 3;

export interface XattrEntry {
  readonly index: number;
  /** The name without its prefix (bytes as stored, decoded). */
  readonly suffix: string;
  /** The value in place (undefined when it lives in an EA inode). */
  readonly value: Uint8Array | undefined;
  readonly valueInum: number;
  readonly valueSize: number;
}

/**
 * Parses the entries of one xattr region. `entriesAt`: where entries start
 * in `region`; `valuesBase`: what value offsets count from.
 */
export function parseXattrEntries(region: Uint8Array, entriesAt: number, valuesBase: number, what: string, eaInode: boolean): XattrEntry[] {
  const out: XattrEntry[] = [];
  const view = new DataView(region.buffer, region.byteOffset, region.byteLength);
  const fail = (off: number, detail: string): FsError => new FsError('EIO', `ext4: ${what}: entry at offset ${off}: ${detail}`);
  let off = entriesAt;
  // Values sit after the entries; remember where the entries end to check that.
  const values: Array<[number, number, number]> = [];
  while (true) {
    if (off + 4 > region.length) throw fail(off, 'entry list runs past the end without a terminator');
    if (view.getUint32(off, true) === 0) break;
    if (off + ENTRY_HEADER > region.length) throw fail(off, 'entry header runs past the end');
    const nameLen = region[off]!;
    const index = region[off + 1]!;
    const valueOffs = view.getUint16(off + 2, true);
    const valueInum = view.getUint32(off + 4, true);
    const valueSize = view.getUint32(off + 8, true);
    const next = off + ((ENTRY_HEADER + nameLen + 3) & ~3);
    if (next + 4 > region.length) throw fail(off, `name of ${nameLen} bytes runs past the end`);
    if (valueSize > XATTR_SIZE_MAX) throw fail(off, `value size ${valueSize} exceeds ${XATTR_SIZE_MAX}`);
    let value: Uint8Array | undefined;
    if (valueInum !== 0) {
      if (!eaInode) throw fail(off, `value in inode ${valueInum}, but the filesystem lacks ea_inode`);
    } else if (valueSize > 0) {
      const start = valuesBase + valueOffs;
      if (start + valueSize > region.length) throw fail(off, `value (${valueSize} bytes at ${valueOffs}) runs past the end`);
      values.push([off, start, valueSize]);
      value = region.subarray(start, start + valueSize);
    } else {
      value = new Uint8Array(0);
    }
    const suffix = utf8Decoder.decode(region.subarray(off + ENTRY_HEADER, off + ENTRY_HEADER + nameLen));
    out.push({ index, suffix, value, valueInum, valueSize });
    off = next;
  }
  const entriesEnd = off + 4;
  for (const [at, start] of values) if (start < entriesEnd) throw fail(at, 'value overlaps the entry list');
  return out;
}

/** The entries of the in-inode area (`area` = bytes from 128 + i_extra_isize to the inode's end). */
export function parseIbodyXattrs(area: Uint8Array, ino: number, eaInode: boolean): XattrEntry[] {
  if (area.length < 8) return [];
  const magic = new DataView(area.buffer, area.byteOffset, 4).getUint32(0, true);
  if (magic !== XATTR_MAGIC) return [];
  const entries = area.subarray(4);
  return parseXattrEntries(entries, 0, 0, `inode ${ino}: in-inode xattrs`, eaInode);
}

/** The entries of an xattr block, header and checksum checked. */
export function parseXattrBlock(block: Uint8Array, pblk: number, ino: number, metadataCsum: boolean, csumSeed: number, policy: ChecksumPolicy, eaInode: boolean): XattrEntry[] {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const what = `inode ${ino}: xattr block ${pblk}`;
  const magic = view.getUint32(0, true);
  if (magic !== XATTR_MAGIC) throw new FsError('EIO', `ext4: ${what}: bad magic 0x${magic.toString(16)}`);
  const hBlocks = view.getUint32(8, true);
  if (hBlocks !== 1) throw new FsError('EIO', `ext4: ${what}: h_blocks ${hBlocks} (only 1 is valid)`);
  if (metadataCsum) {
    const stored = view.getUint32(H_CHECKSUM, true);
    let c = chksum(csumSeed, le64(pblk));
    c = chksum(c, block.subarray(0, H_CHECKSUM));
    c = chksum(c, new Uint8Array(4));
    c = chksum(c, block.subarray(H_CHECKSUM + 4));
    if (c !== stored) checksumMismatch(policy, what, stored, c);
  }
  return parseXattrEntries(block, BLOCK_HEADER, 0, what, eaInode);
}

/** The full name as listxattr shows it, or undefined for namespaces Linux hides. */
export function xattrName(e: XattrEntry): string | undefined {
  const prefix = XATTR_PREFIXES[e.index];
  if (prefix === undefined) return undefined;
  // The ACL names are complete; an entry with a suffix there is not one Linux shows.
  if (e.index === XATTR_INDEX_POSIX_ACL_ACCESS || e.index === XATTR_INDEX_POSIX_ACL_DEFAULT) return e.suffix === '' ? prefix : undefined;
  return prefix + e.suffix;
}
