/**
 * The squashfs 4.0 superblock: 96 bytes at offset 0, little-endian
 * (field names as in squashfs_fs.h / the squashfs-tools docs).
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../../block/corrupt.js';
import type { CodecName } from '../../codecs/index.js';

export const SQUASHFS_MAGIC = 0x73717368; // "hsqs"
export const SUPERBLOCK_SIZE = 96;
/** Largest uncompressed metadata block. */
export const METADATA_SIZE = 8192;
/** Table start value meaning "no such table". */
export const INVALID_BLOCK = 0xffff_ffff_ffff_ffff;
export const NO_FRAGMENT = 0xffffffff;
export const NO_XATTR = 0xffffffff;

/** Superblock flags. */
export const FLAGS = {
  UNCOMPRESSED_INODES: 0x0001,
  UNCOMPRESSED_DATA: 0x0002,
  CHECK: 0x0004,
  UNCOMPRESSED_FRAGMENTS: 0x0008,
  NO_FRAGMENTS: 0x0010,
  ALWAYS_FRAGMENTS: 0x0020,
  DUPLICATES: 0x0040,
  EXPORTABLE: 0x0080,
  UNCOMPRESSED_XATTRS: 0x0100,
  NO_XATTRS: 0x0200,
  COMPRESSOR_OPTIONS: 0x0400,
  UNCOMPRESSED_IDS: 0x0800,
} as const;

/** compression id → name and the codec that decodes one block. */
export const COMPRESSORS: Record<number, { name: string; codec: CodecName }> = {
  1: { name: 'gzip', codec: 'zlib' },
  2: { name: 'lzma', codec: 'lzma' },
  3: { name: 'lzo', codec: 'lzo' },
  4: { name: 'xz', codec: 'xz' },
  5: { name: 'lz4', codec: 'lz4' },
  6: { name: 'zstd', codec: 'zstd' },
};

export interface Superblock {
  inodes: number;
  mkfs_time: number;
  block_size: number;
  fragments: number;
  compression: number;
  block_log: number;
  flags: number;
  no_ids: number;
  s_major: number;
  s_minor: number;
  root_inode: number;
  bytes_used: number;
  id_table_start: number;
  xattr_id_table_start: number;
  inode_table_start: number;
  directory_table_start: number;
  fragment_table_start: number;
  lookup_table_start: number;
}

/** Reads a 64-bit table pointer; all ones (no table) comes back as INVALID_BLOCK exactly. */
function u64(r: BinaryReader, off: number): number {
  return r.u32le(off) === 0xffffffff && r.u32le(off + 4) === 0xffffffff ? INVALID_BLOCK : r.u64le(off);
}

/** Parses and checks the superblock against the device size. */
export function parseSuperblock(bytes: Uint8Array, deviceSize: number): Superblock {
  const r = new BinaryReader(bytes, 'squashfs: superblock');
  const magic = r.u32le(0);
  r.check();
  if (magic !== SQUASHFS_MAGIC) throw corrupt('squashfs', 'superblock', 0, `bad magic 0x${magic.toString(16)}`);
  const sb: Superblock = {
    inodes: r.u32le(4),
    mkfs_time: r.u32le(8),
    block_size: r.u32le(12),
    fragments: r.u32le(16),
    compression: r.u16le(20),
    block_log: r.u16le(22),
    flags: r.u16le(24),
    no_ids: r.u16le(26),
    s_major: r.u16le(28),
    s_minor: r.u16le(30),
    root_inode: r.u64le(32),
    bytes_used: r.u64le(40),
    id_table_start: u64(r, 48),
    xattr_id_table_start: u64(r, 56),
    inode_table_start: u64(r, 64),
    directory_table_start: u64(r, 72),
    fragment_table_start: u64(r, 80),
    lookup_table_start: u64(r, 88),
  };
  r.check();
  if (sb.s_major !== 4 || sb.s_minor !== 0) {
    throw unsupported('squashfs', `version ${sb.s_major}.${sb.s_minor} (only 4.0 is supported; 3.x and older images use a different layout)`);
  }
  if (!COMPRESSORS[sb.compression]) throw unsupported('squashfs', `compression id ${sb.compression} is unknown`);
  if (sb.block_size < 4096 || sb.block_size > 1 << 20 || (sb.block_size & (sb.block_size - 1)) !== 0) {
    throw corrupt('squashfs', 'superblock', 12, `block_size ${sb.block_size} is not a power of two from 4 KiB to 1 MiB`);
  }
  if (1 << sb.block_log !== sb.block_size) throw corrupt('squashfs', 'superblock', 22, `block_log ${sb.block_log} does not match block_size ${sb.block_size}`);
  if (sb.bytes_used < SUPERBLOCK_SIZE || sb.bytes_used > deviceSize) {
    throw corrupt('squashfs', 'superblock', 40, `bytes_used ${sb.bytes_used} does not fit the ${deviceSize}-byte device`);
  }
  if (sb.no_ids === 0) throw corrupt('squashfs', 'superblock', 26, 'no_ids is 0 (every image has at least one id)');
  // Tables follow each other in this order; each start must lie inside the image.
  const order: Array<[keyof Superblock, number]> = [
    ['inode_table_start', 64],
    ['directory_table_start', 72],
  ];
  let prev = SUPERBLOCK_SIZE;
  for (const [name, off] of order) {
    const v = sb[name];
    if (v < prev || v >= sb.bytes_used) throw corrupt('squashfs', 'superblock', off, `${name} ${v} is outside [${prev}, ${sb.bytes_used})`);
    prev = v;
  }
  for (const [name, off] of [['id_table_start', 48], ['fragment_table_start', 80], ['lookup_table_start', 88], ['xattr_id_table_start', 56]] as const) {
    const v = sb[name];
    if (v === INVALID_BLOCK) continue;
    if (v < sb.directory_table_start || v >= sb.bytes_used) throw corrupt('squashfs', 'superblock', off, `${name} ${v} is outside the image's tables`);
  }
  if (sb.id_table_start === INVALID_BLOCK) throw corrupt('squashfs', 'superblock', 48, 'no id table');
  if (sb.fragments > 0 && sb.fragment_table_start === INVALID_BLOCK) throw corrupt('squashfs', 'superblock', 80, `${sb.fragments} fragments but no fragment table`);
  return sb;
}

/** Inode reference: metadata block start (relative to its table) << 16 | offset inside the block. */
export function refBlock(ref: number): number {
  return Math.floor(ref / 65536);
}
export function refOffset(ref: number): number {
  return ref % 65536;
}
