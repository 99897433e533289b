/**
 * Block group descriptors: one per group, 32 bytes (64 or more with the
 * 64bit feature), packed into descriptor blocks. Without meta_bg those
 * blocks follow the superblock; with meta_bg, descriptor block n (from
 * s_first_meta_bg on) sits in the first group of its meta group, after that
 * group's superblock backup if it has one. Read lazily: a descriptor block
 * is fetched (and its descriptors checked) only when a group is used.
 */
import { BinaryReader } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import { TwoGenerationCache } from './cache.js';
import type { Ext4Blocks } from './blocks.js';
import { chksum, chksumSkipping, crc16, le32 } from './checksum.js';
import { COMPAT, INCOMPAT, RO_COMPAT } from './features.js';
import { hasCompat, hasIncompat, hasRoCompat, type Ext4Superblock } from './superblock.js';

export const BG_INODE_UNINIT = 0x1;
export const BG_BLOCK_UNINIT = 0x2;
const BG_CHECKSUM = 0x1e;

export interface GroupDescriptor {
  bg_block_bitmap: number;
  bg_inode_bitmap: number;
  bg_inode_table: number;
  bg_free_blocks_count: number;
  bg_free_inodes_count: number;
  bg_used_dirs_count: number;
  bg_flags: number;
  bg_itable_unused: number;
  bg_checksum: number;
}

export interface ChecksumPolicy {
  ignoreChecksums: boolean;
  warn(message: string): void;
}

/** Reports a checksum mismatch: EIO naming it, or a warning when told to read anyway. */
export function checksumMismatch(policy: ChecksumPolicy, what: string, stored: number, computed: number): void {
  checksumProblem(policy, what, `checksum 0x${stored.toString(16)} does not match 0x${computed.toString(16)}`);
}

export function checksumProblem(policy: ChecksumPolicy, what: string, detail: string): void {
  const msg = `ext4: ${what}: ${detail}`;
  if (!policy.ignoreChecksums) throw new FsError('EIO', `${msg} (open with ignore-checksums to read anyway)`);
  policy.warn(`${msg} (ignored)`);
}

/** True if group `g` holds a superblock backup (and so a descriptor table copy). */
export function groupHasSuper(sb: Ext4Superblock, g: number): boolean {
  if (g === 0) return true;
  if (hasCompat(sb, COMPAT.sparse_super2)) return g === sb.s_backup_bgs[0] || g === sb.s_backup_bgs[1];
  if (g <= 1 || !hasRoCompat(sb, RO_COMPAT.sparse_super)) return true;
  if (g % 2 === 0) return false;
  for (const base of [3, 5, 7]) {
    let p = base;
    while (p < g) p *= base;
    if (p === g) return true;
  }
  return false;
}

export function groupFirstBlock(sb: Ext4Superblock, g: number): number {
  return sb.s_first_data_block + g * sb.s_blocks_per_group;
}

export class GroupDescriptors {
  private readonly sb: Ext4Superblock;
  private readonly blocks: Ext4Blocks;
  private readonly policy: ChecksumPolicy;
  private readonly parsed = new TwoGenerationCache<number, GroupDescriptor>(4096);
  /** Blocks holding the inode tables, for the range check below. */
  readonly itableBlocks: number;

  constructor(sb: Ext4Superblock, blocks: Ext4Blocks, policy: ChecksumPolicy) {
    this.sb = sb;
    this.blocks = blocks;
    this.policy = policy;
    this.itableBlocks = Math.ceil((sb.s_inodes_per_group * sb.s_inode_size) / sb.blockSize);
  }

  /** Physical block of descriptor block `n` (group n × descPerBlock onwards). */
  descriptorBlock(n: number): number {
    const sb = this.sb;
    const sbBlock = Math.floor(1024 / sb.blockSize);
    if (!hasIncompat(sb, INCOMPAT.meta_bg) || n < sb.s_first_meta_bg) return sbBlock + n + 1;
    const g = n * sb.descPerBlock;
    let skip = groupHasSuper(sb, g) ? 1 : 0;
    if (sb.blockSize === 1024 && n === 0 && sb.s_first_data_block === 0) skip++;
    return groupFirstBlock(sb, g) + skip;
  }

  /** A descriptor already parsed, or undefined. */
  cached(group: number): GroupDescriptor | undefined {
    return this.parsed.get(group);
  }

  async get(group: number): Promise<GroupDescriptor> {
    const sb = this.sb;
    if (!Number.isSafeInteger(group) || group < 0 || group >= sb.groupCount) {
      throw new FsError('EIO', `ext4: group ${group} does not exist (${sb.groupCount} groups)`);
    }
    const hit = this.parsed.get(group);
    if (hit) return hit;
    const n = Math.floor(group / sb.descPerBlock);
    const pblk = this.descriptorBlock(n);
    const block = await this.blocks.block(pblk, `group descriptor block ${n}`);
    const off = (group % sb.descPerBlock) * sb.descSize;
    const raw = block.subarray(off, off + sb.descSize);
    const r = new BinaryReader(raw, `ext4: group descriptor ${group}`);
    const wide = sb.descSize >= 64;
    const hi32 = (o: number): number => (wide ? r.u32le(o) * 0x1_0000_0000 : 0);
    const hi16 = (o: number): number => (wide ? r.u16le(o) * 0x10000 : 0);
    const d: GroupDescriptor = {
      bg_block_bitmap: r.u32le(0x0) + hi32(0x20),
      bg_inode_bitmap: r.u32le(0x4) + hi32(0x24),
      bg_inode_table: r.u32le(0x8) + hi32(0x28),
      bg_free_blocks_count: r.u16le(0xc) + hi16(0x2c),
      bg_free_inodes_count: r.u16le(0xe) + hi16(0x2e),
      bg_used_dirs_count: r.u16le(0x10) + hi16(0x30),
      bg_flags: r.u16le(0x12),
      bg_itable_unused: r.u16le(0x1c) + hi16(0x32),
      bg_checksum: r.u16le(BG_CHECKSUM),
    };
    r.check();
    const where = `group descriptor ${group} (block ${pblk} offset ${off})`;
    this.verify(group, raw, d.bg_checksum, where);
    if (d.bg_inode_table <= sb.s_first_data_block || d.bg_inode_table + this.itableBlocks > sb.s_blocks_count) {
      throw new FsError('EIO', `ext4: ${where}: inode table at block ${d.bg_inode_table} (+${this.itableBlocks}) lies outside the volume or over the superblock`);
    }
    this.parsed.set(group, d);
    return d;
  }

  private verify(group: number, raw: Uint8Array, stored: number, where: string): void {
    const sb = this.sb;
    let computed: number;
    if (sb.metadataCsum) {
      computed = chksumSkipping(chksum(sb.csumSeed, le32(group)), raw, BG_CHECKSUM, 2) & 0xffff;
    } else if (sb.gdtCsum) {
      let c = crc16(0xffff, sb.s_uuid);
      c = crc16(c, le32(group));
      c = crc16(c, raw.subarray(0, BG_CHECKSUM));
      if (hasIncompat(sb, INCOMPAT['64bit'])) c = crc16(c, raw.subarray(BG_CHECKSUM + 2));
      computed = c;
    } else {
      return;
    }
    if (computed !== stored) checksumMismatch(this.policy, where, stored, computed);
  }
}
