/**
 * The ext2/3/4 superblock: 1024 bytes at byte offset 1024 of the volume,
 * little-endian, fields named as in the kernel's struct ext4_super_block.
 * `parseSuperblock` checks every field the reader relies on against sane
 * limits and the device size, so later arithmetic cannot overflow or
 * point outside the image.
 */
import { BinaryReader } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import { chksum } from './checksum.js';
import { COMPAT, INCOMPAT, RO_COMPAT, SUPPORTED_INCOMPAT, featureNames } from './features.js';

export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
export const EXT4_SUPER_MAGIC = 0xef53;
const S_CHECKSUM = 0x3fc;

/** s_flags bits. */
export const EXT2_FLAGS_SIGNED_HASH = 0x1;
export const EXT2_FLAGS_UNSIGNED_HASH = 0x2;

export interface Ext4Superblock {
  s_inodes_count: number;
  s_blocks_count: number;
  s_r_blocks_count: number;
  s_free_blocks_count: number;
  s_free_inodes_count: number;
  s_first_data_block: number;
  s_log_block_size: number;
  s_log_cluster_size: number;
  s_blocks_per_group: number;
  s_clusters_per_group: number;
  s_inodes_per_group: number;
  s_mtime: number;
  s_wtime: number;
  s_magic: number;
  s_state: number;
  s_rev_level: number;
  s_creator_os: number;
  s_first_ino: number;
  s_inode_size: number;
  s_feature_compat: number;
  s_feature_incompat: number;
  s_feature_ro_compat: number;
  s_uuid: Uint8Array;
  s_volume_name: string;
  s_last_mounted: string;
  s_reserved_gdt_blocks: number;
  s_journal_uuid: Uint8Array;
  s_journal_inum: number;
  s_journal_dev: number;
  s_hash_seed: Uint32Array;
  s_def_hash_version: number;
  s_desc_size: number;
  s_first_meta_bg: number;
  s_mkfs_time: number;
  s_min_extra_isize: number;
  s_want_extra_isize: number;
  s_flags: number;
  s_mmp_block: number;
  s_log_groups_per_flex: number;
  s_checksum_type: number;
  s_overhead_clusters: number;
  s_backup_bgs: [number, number];
  s_checksum_seed: number;
  s_encoding: number;
  s_encoding_flags: number;
  s_checksum: number;

  // Derived, checked values.
  blockSize: number;
  /** Cluster size in blocks (1 unless bigalloc). */
  clusterRatio: number;
  groupCount: number;
  /** Group descriptor size in bytes (32, or s_desc_size with 64bit). */
  descSize: number;
  descPerBlock: number;
  /**
   * First block after the boot block, primary superblock, primary group
   * descriptors and reserved descriptor blocks: no file data lies below it.
   */
  firstFileBlock: number;
  /** crc32c seed for metadata checksums (0 without metadata_csum). */
  csumSeed: number;
  metadataCsum: boolean;
  gdtCsum: boolean;
}

export function hasCompat(sb: Ext4Superblock, bit: number): boolean {
  return (sb.s_feature_compat & bit) !== 0;
}
export function hasIncompat(sb: Ext4Superblock, bit: number): boolean {
  return (sb.s_feature_incompat & bit) !== 0;
}
export function hasRoCompat(sb: Ext4Superblock, bit: number): boolean {
  return (sb.s_feature_ro_compat & bit) !== 0;
}

function bad(detail: string): FsError {
  return new FsError('EIO', `ext4: superblock at offset 1024: ${detail}`);
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/**
 * Parses and validates the superblock `bytes` (1024 bytes from offset 1024)
 * of a device of `deviceSize` bytes. Throws EIO for corrupt fields and
 * EOPNOTSUPP for valid images that use a feature we cannot read.
 * Checksum mismatches throw unless `ignoreChecksums`, which reports them
 * through `warn` instead.
 */
export function parseSuperblock(bytes: Uint8Array, deviceSize: number, ignoreChecksums: boolean, warn: (w: string) => void): Ext4Superblock {
  const r = new BinaryReader(bytes, 'ext4: superblock');
  const magic = r.u16le(0x38);
  r.check();
  if (magic !== EXT4_SUPER_MAGIC) throw bad(`bad magic 0x${magic.toString(16)} (expected 0xef53)`);

  const incompat = r.u32le(0x60);
  const ro = r.u32le(0x64);
  const is64 = (incompat & INCOMPAT['64bit']) !== 0;
  const hi = (off: number): number => (is64 ? r.u32le(off) * 0x1_0000_0000 : 0);
  const hashSeed = new Uint32Array(4);
  for (let i = 0; i < 4; i++) hashSeed[i] = r.u32le(0xec + 4 * i);

  const sb: Ext4Superblock = {
    s_inodes_count: r.u32le(0x0),
    s_blocks_count: r.u32le(0x4) + hi(0x150),
    s_r_blocks_count: r.u32le(0x8) + hi(0x154),
    s_free_blocks_count: r.u32le(0xc) + hi(0x158),
    s_free_inodes_count: r.u32le(0x10),
    s_first_data_block: r.u32le(0x14),
    s_log_block_size: r.u32le(0x18),
    s_log_cluster_size: r.u32le(0x1c),
    s_blocks_per_group: r.u32le(0x20),
    s_clusters_per_group: r.u32le(0x24),
    s_inodes_per_group: r.u32le(0x28),
    s_mtime: r.u32le(0x2c) + r.u8(0x275) * 0x1_0000_0000,
    s_wtime: r.u32le(0x30) + r.u8(0x274) * 0x1_0000_0000,
    s_magic: magic,
    s_state: r.u16le(0x3a),
    s_rev_level: r.u32le(0x4c),
    s_creator_os: r.u32le(0x48),
    s_first_ino: r.u32le(0x54),
    s_inode_size: r.u16le(0x58),
    s_feature_compat: r.u32le(0x5c),
    s_feature_incompat: incompat,
    s_feature_ro_compat: ro,
    s_uuid: r.slice(0x68, 16).slice(),
    s_volume_name: r.utf8(0x78, 16),
    s_last_mounted: r.utf8(0x88, 64),
    s_reserved_gdt_blocks: r.u16le(0xce),
    s_journal_uuid: r.slice(0xd0, 16).slice(),
    s_journal_inum: r.u32le(0xe0),
    s_journal_dev: r.u32le(0xe4),
    s_hash_seed: hashSeed,
    s_def_hash_version: r.u8(0xfc),
    s_desc_size: r.u16le(0xfe),
    s_first_meta_bg: r.u32le(0x104),
    s_mkfs_time: r.u32le(0x108) + r.u8(0x276) * 0x1_0000_0000,
    s_min_extra_isize: r.u16le(0x15c),
    s_want_extra_isize: r.u16le(0x15e),
    s_flags: r.u32le(0x160),
    s_mmp_block: r.u64le(0x168),
    s_log_groups_per_flex: r.u8(0x174),
    s_checksum_type: r.u8(0x175),
    s_overhead_clusters: r.u32le(0x248),
    s_backup_bgs: [r.u32le(0x24c), r.u32le(0x250)],
    s_checksum_seed: r.u32le(0x270),
    s_encoding: r.u16le(0x27c),
    s_encoding_flags: r.u16le(0x27e),
    s_checksum: r.u32le(S_CHECKSUM),
    blockSize: 0,
    clusterRatio: 1,
    groupCount: 0,
    descSize: 32,
    descPerBlock: 0,
    firstFileBlock: 0,
    csumSeed: 0,
    metadataCsum: (ro & RO_COMPAT.metadata_csum) !== 0,
    gdtCsum: false,
  };
  r.check();

  // Features first: an image we cannot read should say why, not trip on a field it uses.
  const unknown = (incompat & ~SUPPORTED_INCOMPAT) >>> 0;
  if (unknown) {
    throw new FsError('EOPNOTSUPP', `ext4: unsupported incompatible feature(s): ${featureNames(INCOMPAT, unknown).join(', ')} (0x${unknown.toString(16)})`);
  }

  if (sb.s_rev_level > 1) throw bad(`unknown revision ${sb.s_rev_level}`);
  if (sb.s_log_block_size > 6) throw bad(`block size 2^(10+${sb.s_log_block_size}) exceeds 64 KiB`);
  sb.blockSize = 1024 << sb.s_log_block_size;
  const bs = sb.blockSize;

  if (hasRoCompat(sb, RO_COMPAT.bigalloc)) {
    if (sb.s_log_cluster_size < sb.s_log_block_size || sb.s_log_cluster_size > sb.s_log_block_size + 16) {
      throw bad(`cluster size 2^(10+${sb.s_log_cluster_size}) does not fit block size ${bs}`);
    }
    sb.clusterRatio = 2 ** (sb.s_log_cluster_size - sb.s_log_block_size);
    if (sb.s_clusters_per_group === 0 || sb.s_clusters_per_group > bs * 8) throw bad(`s_clusters_per_group ${sb.s_clusters_per_group} is out of range`);
    if (sb.s_blocks_per_group !== sb.s_clusters_per_group * sb.clusterRatio) {
      throw bad(`s_blocks_per_group ${sb.s_blocks_per_group} is not s_clusters_per_group × ${sb.clusterRatio}`);
    }
  } else if (sb.s_blocks_per_group === 0 || sb.s_blocks_per_group > bs * 8) {
    throw bad(`s_blocks_per_group ${sb.s_blocks_per_group} is out of range (1..${bs * 8})`);
  }
  if (sb.s_inodes_per_group === 0 || sb.s_inodes_per_group > bs * 8) {
    throw bad(`s_inodes_per_group ${sb.s_inodes_per_group} is out of range (1..${bs * 8})`);
  }

  if (sb.s_rev_level === 0) {
    sb.s_inode_size = 128;
    sb.s_first_ino = 11;
  } else {
    if (sb.s_inode_size < 128 || sb.s_inode_size > bs || !isPow2(sb.s_inode_size)) throw bad(`inode size ${sb.s_inode_size} is invalid`);
    if (sb.s_first_ino < 11 || sb.s_first_ino > sb.s_inodes_count) throw bad(`first non-reserved inode ${sb.s_first_ino} is invalid`);
  }

  if (sb.s_blocks_count === 0 || sb.s_first_data_block >= sb.s_blocks_count) {
    throw bad(`s_first_data_block ${sb.s_first_data_block} lies outside ${sb.s_blocks_count} blocks`);
  }
  if (bs === 1024 ? sb.s_first_data_block > 1 : sb.s_first_data_block !== 0) {
    throw bad(`s_first_data_block ${sb.s_first_data_block} is wrong for ${bs}-byte blocks`);
  }
  // Like the kernel: a volume longer than its device is refused, not read halfway.
  if (sb.s_blocks_count * bs > deviceSize) {
    throw bad(`${sb.s_blocks_count} blocks of ${bs} bytes exceed the device (${deviceSize} bytes): truncated image?`);
  }
  sb.groupCount = Math.ceil((sb.s_blocks_count - sb.s_first_data_block) / sb.s_blocks_per_group);
  if (sb.s_inodes_count !== sb.groupCount * sb.s_inodes_per_group) {
    throw bad(`s_inodes_count ${sb.s_inodes_count} is not ${sb.groupCount} groups × ${sb.s_inodes_per_group}`);
  }

  if (is64) {
    if (sb.s_desc_size < 64 || sb.s_desc_size > 1024 || !isPow2(sb.s_desc_size)) throw bad(`group descriptor size ${sb.s_desc_size} is invalid`);
    sb.descSize = sb.s_desc_size;
  }
  sb.descPerBlock = bs / sb.descSize;
  const gdtBlocks = hasIncompat(sb, INCOMPAT.meta_bg) ? sb.s_first_meta_bg : Math.ceil(sb.groupCount / sb.descPerBlock);
  sb.firstFileBlock = Math.floor(1024 / bs) + 1 + gdtBlocks + sb.s_reserved_gdt_blocks;
  if (sb.firstFileBlock >= sb.s_blocks_count) throw bad(`descriptors and reserved blocks (${sb.firstFileBlock}) fill the volume`);
  if (hasIncompat(sb, INCOMPAT.meta_bg) && sb.s_first_meta_bg > Math.ceil(sb.groupCount / sb.descPerBlock)) {
    throw bad(`s_first_meta_bg ${sb.s_first_meta_bg} exceeds the descriptor blocks`);
  }
  if (hasIncompat(sb, INCOMPAT.inline_data) && sb.s_inode_size === 128) {
    // Inline data keeps its continuation in the in-inode xattr area, which 128-byte inodes lack.
    warn('ext4: inline_data with 128-byte inodes: inline files can hold at most 60 bytes');
  }

  if (sb.metadataCsum) {
    if (sb.s_checksum_type !== 1) throw bad(`unknown checksum type ${sb.s_checksum_type} (only crc32c, 1, exists)`);
    const computed = chksum(0xffffffff, bytes.subarray(0, S_CHECKSUM));
    if (computed !== sb.s_checksum) {
      const msg = `ext4: superblock at offset 1024: checksum 0x${sb.s_checksum.toString(16)} does not match 0x${computed.toString(16)}`;
      if (!ignoreChecksums) throw new FsError('EIO', `${msg} (open with ignore-checksums to read anyway)`);
      warn(`${msg} (ignored)`);
    }
    sb.csumSeed = hasIncompat(sb, INCOMPAT.metadata_csum_seed) ? sb.s_checksum_seed : chksum(0xffffffff, sb.s_uuid);
  } else {
    sb.gdtCsum = hasRoCompat(sb, RO_COMPAT.gdt_csum);
  }
  return sb;
}

/** 'ext2', 'ext3' or 'ext4', as blkid would name the volume. */
export function flavour(sb: Ext4Superblock): 'ext2' | 'ext3' | 'ext4' {
  const ext3Incompat = INCOMPAT.filetype | INCOMPAT.needs_recovery | INCOMPAT.meta_bg;
  const ext3Ro = RO_COMPAT.sparse_super | RO_COMPAT.large_file | RO_COMPAT.btree_dir;
  if ((sb.s_feature_incompat & ~ext3Incompat) !== 0 || (sb.s_feature_ro_compat & ~ext3Ro) !== 0) return 'ext4';
  return hasCompat(sb, COMPAT.has_journal) ? 'ext3' : 'ext2';
}

/** UUID in the usual 8-4-4-4-12 form. */
export function formatUuid(u: Uint8Array): string {
  const h = [...u].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
