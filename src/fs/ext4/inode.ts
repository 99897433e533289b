/**
 * The on-disk inode (struct ext4_inode): 128 bytes of the original ext2
 * layout, then i_extra_isize bytes of extensions (nanosecond and epoch
 * bits of the times, crtime, the high half of the checksum), then in-inode
 * extended attributes up to s_inode_size.
 */
import { BinaryReader } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, makedev } from '../../fs/mode.js';
import { timespec, type Timespec } from '../../fs/time.js';
import { chksum, inodeSeed } from './checksum.js';
import { checksumMismatch, type ChecksumPolicy } from './group-descriptors.js';
import { INCOMPAT, RO_COMPAT } from './features.js';
import { hasIncompat, hasRoCompat, type Ext4Superblock } from './superblock.js';

export const GOOD_OLD_INODE_SIZE = 128;
export const ROOT_INO = 2;
export const I_BLOCK_OFFSET = 0x28;
export const I_BLOCK_SIZE = 60;

/** i_flags bits we act on. */
export const EXT4_INDEX_FL = 0x1000;
export const EXT4_ENCRYPT_FL = 0x800;
export const EXT4_HUGE_FILE_FL = 0x40000;
export const EXT4_EXTENTS_FL = 0x80000;
export const EXT4_VERITY_FL = 0x100000;
export const EXT4_EA_INODE_FL = 0x200000;
export const EXT4_INLINE_DATA_FL = 0x10000000;
export const EXT4_CASEFOLD_FL = 0x40000000;

const I_CHECKSUM_LO = 0x7c;
const ZERO2 = new Uint8Array(2);
const I_CHECKSUM_HI = 0x82;

export interface Ext4Inode {
  readonly ino: number;
  readonly i_mode: number;
  readonly i_uid: number;
  readonly i_gid: number;
  readonly i_size: number;
  readonly i_links_count: number;
  readonly i_flags: number;
  readonly i_generation: number;
  readonly i_file_acl: number;
  readonly i_extra_isize: number;
  readonly atime: Timespec;
  readonly ctime: Timespec;
  readonly mtime: Timespec;
  readonly crtime: Timespec | undefined;
  /** Space used in 512-byte units (huge_file blocks converted). */
  readonly blocks512: number;
  /** Device number for char/block devices (makedev encoding), else 0. */
  readonly rdev: number;
  /** The 60 bytes of i_block: extent root, block map, fast symlink or inline data. */
  readonly i_block: Uint8Array;
  /** The whole on-disk inode (s_inode_size bytes), for in-inode xattrs. */
  readonly raw: Uint8Array;
  /** Seed for this inode's extent and directory block checksums. */
  readonly csumSeed: number;
}

/** Where the in-inode xattr area starts (after the fixed part and i_extra_isize). */
export function ibodyXattrOffset(inode: Ext4Inode): number {
  return GOOD_OLD_INODE_SIZE + inode.i_extra_isize;
}

const KNOWN_TYPES = new Set([S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK]);

function inodeError(ino: number, detail: string): FsError {
  return new FsError('EIO', `ext4: inode ${ino}: ${detail}`);
}

/**
 * Parses inode `ino` from its on-disk bytes (a copy: the result keeps it).
 * Verifies the metadata_csum checksum and the fields later code trusts.
 */
export function parseInode(raw: Uint8Array, ino: number, sb: Ext4Superblock, policy: ChecksumPolicy): Ext4Inode {
  const r = new BinaryReader(raw, `ext4: inode ${ino}`);
  const inodeSize = raw.length;
  const i_mode = r.u16le(0x0);
  const i_flags = r.u32le(0x20);
  const i_generation = r.u32le(0x64);
  const i_links_count = r.u16le(0x1a);
  let extra = 0;
  if (inodeSize > GOOD_OLD_INODE_SIZE) {
    extra = r.u16le(0x80);
    if (GOOD_OLD_INODE_SIZE + extra > inodeSize || extra & 3) {
      throw inodeError(ino, `bad i_extra_isize ${extra} (inode size ${inodeSize})`);
    }
  }
  r.check();

  let csumSeed = 0;
  if (sb.metadataCsum) {
    csumSeed = inodeSeed(sb.csumSeed, ino, i_generation);
    const hasHi = extra >= I_CHECKSUM_HI + 2 - GOOD_OLD_INODE_SIZE;
    // The checksum covers the whole inode with its own field(s) as zeros.
    let c = chksum(csumSeed, raw.subarray(0, I_CHECKSUM_LO));
    c = chksum(c, ZERO2);
    if (hasHi) {
      c = chksum(c, raw.subarray(I_CHECKSUM_LO + 2, I_CHECKSUM_HI));
      c = chksum(c, ZERO2);
      c = chksum(c, raw.subarray(I_CHECKSUM_HI + 2));
    } else {
      c = chksum(c, raw.subarray(I_CHECKSUM_LO + 2));
    }
    let stored = r.u16le(I_CHECKSUM_LO);
    if (hasHi) stored = (stored | (r.u16le(I_CHECKSUM_HI) << 16)) >>> 0;
    else c &= 0xffff;
    if (c !== stored) checksumMismatch(policy, `inode ${ino}`, stored, c);
  }

  if (i_links_count === 0 && i_mode === 0) throw inodeError(ino, 'deleted or never used inode referenced');
  const type = i_mode & S_IFMT;
  if (!KNOWN_TYPES.has(type)) throw inodeError(ino, `bogus i_mode 0o${i_mode.toString(8)}`);

  const sizeHigh = r.u32le(0x6c);
  const wideSize = type === S_IFREG || hasIncompat(sb, INCOMPAT.large_dir);
  if (wideSize && sizeHigh >= 0x200000) throw inodeError(ino, `i_size_high 0x${sizeHigh.toString(16)} makes an impossible size`);
  const i_size = r.u32le(0x4) + (wideSize ? sizeHigh * 0x1_0000_0000 : 0);

  let blocks512 = r.u32le(0x1c);
  if (hasRoCompat(sb, RO_COMPAT.huge_file)) {
    blocks512 += r.u16le(0x74) * 0x1_0000_0000;
    if (i_flags & EXT4_HUGE_FILE_FL) blocks512 *= sb.blockSize / 512;
  }

  const fits = (off: number): boolean => off + 4 <= GOOD_OLD_INODE_SIZE + extra;
  const time = (base: number, extraOff: number): Timespec => {
    const sec = r.i32le(base);
    if (!fits(extraOff)) return { sec, nsec: 0 };
    const x = r.u32le(extraOff);
    return timespec(sec + (x & 3) * 0x1_0000_0000, x >>> 2);
  };

  const i_block = raw.subarray(I_BLOCK_OFFSET, I_BLOCK_OFFSET + I_BLOCK_SIZE);
  let rdev = 0;
  if (type === S_IFCHR || type === S_IFBLK) {
    const old = r.u32le(I_BLOCK_OFFSET);
    if (old) {
      rdev = makedev((old >>> 8) & 0xff, old & 0xff);
    } else {
      const dev = r.u32le(I_BLOCK_OFFSET + 4);
      rdev = makedev((dev & 0xfff00) >>> 8, (dev & 0xff) | ((dev >>> 12) & 0xfff00));
    }
  }

  const inode: Ext4Inode = {
    ino,
    i_mode,
    i_uid: r.u16le(0x2) + r.u16le(0x78) * 0x10000,
    i_gid: r.u16le(0x18) + r.u16le(0x7a) * 0x10000,
    i_size,
    i_links_count,
    i_flags,
    i_generation,
    i_file_acl: r.u32le(0x68) + r.u16le(0x76) * 0x1_0000_0000,
    i_extra_isize: extra,
    atime: time(0x8, 0x8c),
    ctime: time(0xc, 0x84),
    mtime: time(0x10, 0x88),
    crtime: fits(0x90) ? time(0x90, 0x94) : undefined,
    blocks512,
    rdev,
    i_block,
    raw,
    csumSeed,
  };
  r.check();
  if (inode.i_file_acl !== 0 && (inode.i_file_acl < sb.firstFileBlock || inode.i_file_acl >= sb.s_blocks_count)) {
    throw inodeError(ino, `xattr block ${inode.i_file_acl} lies outside the volume's data area`);
  }
  if (i_flags & EXT4_INLINE_DATA_FL && !hasIncompat(sb, INCOMPAT.inline_data)) {
    throw inodeError(ino, 'inline data flag set but the filesystem lacks the inline_data feature');
  }
  return inode;
}
