/**
 * Linux filesystems. `aka.blkid` is blkid's TYPE; versions, labels and
 * UUIDs are printed as blkid prints them. Offsets follow each format's
 * superblock layout (kernel headers, libblkid's probers).
 */
import type { Check, Fields, FormatEntry, Signature } from '../types.js';

// ext2/3/4: superblock at 1024 (struct ext2_super_block).
const EXT = 1024;
const s_magic: Check = { u16le: EXT + 0x38, is: 0xef53 };
/** s_log_block_size ≤ 6 (64 KiB): cheap guard against stray 0xEF53. */
const s_log_block_size: Check = { u32le: EXT + 24, max: 6 };
const compat = EXT + 92;
const incompat = EXT + 96;
const roCompat = EXT + 100;
const HAS_JOURNAL = 0x4;
const JOURNAL_DEV = 0x8;
/** Features outside ext2's and ext3's sets (libblkid ext.c *_SUPP masks). */
const RO_NOT_EXT23 = 0xfffffff8;
const INCOMPAT_NOT_EXT2 = 0xffffffed;
const INCOMPAT_NOT_EXT3 = 0xffffffe9;
const TEST_FILESYS = 0x4;

const NEEDS_RECOVERY = 0x4;

const extFields: Fields = {
  warnings: [
    {
      when: { u32le: incompat, anyBits: NEEDS_RECOVERY },
      text: 'the journal needs recovery (not cleanly unmounted): anymount reads it without replaying the journal, so recent changes may be missing',
    },
  ],
  label: { at: EXT + 120, len: 16, enc: 'utf8' },
  uuid: { at: EXT + 104, format: 'uuid' },
  version: { join: [{ u32le: EXT + 76 }, '.', { u16le: EXT + 62 }] },
  blockSize: { shl: [1024, { u32le: EXT + 24 }] },
  size: { mul: [{ u32le: EXT + 4 }, { shl: [1024, { u32le: EXT + 24 }] }] },
  details: {
    compat: { flags: { u32le: compat }, names: { 0x4: 'has_journal', 0x8: 'ext_attr', 0x10: 'resize_inode', 0x20: 'dir_index', 0x200: 'sparse_super2' } },
    incompat: {
      flags: { u32le: incompat },
      names: { 0x2: 'filetype', 0x4: 'needs_recovery', 0x8: 'journal_dev', 0x10: 'meta_bg', 0x40: 'extents', 0x80: '64bit', 0x100: 'mmp', 0x200: 'flex_bg', 0x400: 'ea_inode', 0x1000: 'dirdata', 0x2000: 'metadata_csum_seed', 0x4000: 'large_dir', 0x8000: 'inline_data', 0x10000: 'encrypt', 0x20000: 'casefold' },
    },
    roCompat: {
      flags: { u32le: roCompat },
      names: { 0x1: 'sparse_super', 0x2: 'large_file', 0x8: 'huge_file', 0x10: 'uninit_bg', 0x20: 'dir_nlink', 0x40: 'extra_isize', 0x100: 'quota', 0x200: 'bigalloc', 0x400: 'metadata_csum', 0x1000: 'read-only', 0x2000: 'project', 0x8000: 'verity' },
    },
  },
};

/** Either byte order: a signature per endianness with the same checks. */
function bothEndians(sig: Omit<Signature, 'endian'>): Signature[] {
  return [
    { ...sig, endian: 'le' },
    { ...sig, endian: 'be' },
  ];
}

// minix: superblock at 1024; v1/v2 share a layout, v3 has its own (util-linux minix.h).
const MINIX = 1024;
function minixV12(magics: number[], version: string, zones: 'u16' | 'u32'): Signature[] {
  const nzones = zones === 'u16' ? { u16: MINIX + 2 } : { u32: MINIX + 20 };
  return bothEndians({
    checks: [
      { u16: MINIX + 16, oneOf: magics },
      { u16: MINIX + 18, noBits: 0xfffc }, // s_state: only VALID and ERROR bits
      { u16: MINIX + 10, is: 0 }, // s_log_zone_size
      { u16: MINIX + 0, min: 1 }, // s_ninodes
      { num: { mul: [{ u16: MINIX + 4 }, 8192] }, min: { add: [{ u16: MINIX + 0 }, 1] } },
      { u16: MINIX + 8, max: nzones },
      { num: { mul: [{ u16: MINIX + 6 }, 8192] }, min: { add: [{ sub: [nzones, { u16: MINIX + 8 }] }, 1] } },
      { not: s_magic },
      { not: { u32le: EXT, is: 0xe0f5e1e2 } }, // erofs
    ],
    fields: { version, size: { mul: [nzones, 1024] }, blockSize: 1024, details: { nameLength: { num: { u16: MINIX + 16 }, names: { 0x137f: '14', 0x138f: '30', 0x2468: '14', 0x2478: '30' } } } },
  });
}

export const FILESYSTEMS_LINUX = [
  {
    id: 'jbd',
    kind: 'filesystem',
    name: 'ext3/4 external journal',
    signatures: [{ checks: [s_magic, s_log_block_size, { u32le: incompat, allBits: JOURNAL_DEV }] }],
    fields: extFields,
    aka: { blkid: 'jbd' },
  },
  {
    id: 'ext4',
    kind: 'filesystem',
    name: 'Linux ext4',
    signatures: [
      {
        checks: [
          s_magic,
          s_log_block_size,
          { u32le: incompat, noBits: JOURNAL_DEV },
          { any: [{ u32le: roCompat, anyBits: RO_NOT_EXT23 }, { u32le: incompat, anyBits: INCOMPAT_NOT_EXT3 }] },
          { u32le: EXT + 0x160, noBits: TEST_FILESYS },
        ],
      },
    ],
    fields: extFields,
    drivers: { native: 'ext', guest: 'ext4' },
    aka: { blkid: 'ext4' },
  },
  {
    id: 'ext4dev',
    kind: 'filesystem',
    name: 'Linux ext4 (development flag)',
    signatures: [
      {
        checks: [
          s_magic,
          s_log_block_size,
          { u32le: incompat, noBits: JOURNAL_DEV },
          { any: [{ u32le: roCompat, anyBits: RO_NOT_EXT23 }, { u32le: incompat, anyBits: INCOMPAT_NOT_EXT3 }] },
          { u32le: EXT + 0x160, allBits: TEST_FILESYS },
        ],
      },
    ],
    fields: extFields,
    drivers: { native: 'ext', guest: 'ext4' },
    aka: { blkid: 'ext4dev' },
  },
  {
    id: 'ext3',
    kind: 'filesystem',
    name: 'Linux ext3',
    signatures: [
      {
        checks: [
          s_magic,
          s_log_block_size,
          { u32le: compat, allBits: HAS_JOURNAL },
          { u32le: roCompat, noBits: RO_NOT_EXT23 },
          { u32le: incompat, noBits: INCOMPAT_NOT_EXT3 },
        ],
      },
    ],
    fields: extFields,
    drivers: { native: 'ext', guest: 'ext3' },
    aka: { blkid: 'ext3' },
  },
  {
    id: 'ext2',
    kind: 'filesystem',
    name: 'Linux ext2',
    signatures: [
      {
        checks: [
          s_magic,
          s_log_block_size,
          { u32le: compat, noBits: HAS_JOURNAL },
          { u32le: roCompat, noBits: RO_NOT_EXT23 },
          { u32le: incompat, noBits: INCOMPAT_NOT_EXT2 },
        ],
      },
    ],
    fields: extFields,
    drivers: { native: 'ext', guest: 'ext2' },
    aka: { blkid: 'ext2' },
  },
  {
    id: 'btrfs',
    kind: 'filesystem',
    name: 'Btrfs',
    // Superblock at 64 KiB (struct btrfs_super_block).
    signatures: [{ base: 0x10000, checks: [{ at: 0x40, ascii: '_BHRfS_M' }, { u32le: 0x90, min: 512 }, { u64le: 0x30, is: 0x10000 }] }],
    fields: {
      label: { at: 0x12b, len: 256, enc: 'utf8' },
      uuid: { at: 0x20, format: 'uuid' },
      blockSize: { u32le: 0x90 },
      size: { u64le: 0x70 },
      details: { deviceUuid: { at: 0x10b, format: 'uuid' }, devices: { u64le: 0x88 }, nodeSize: { u32le: 0x94 } },
    },
    drivers: { guest: 'btrfs' },
    aka: { blkid: 'btrfs' },
  },
  {
    id: 'xfs',
    kind: 'filesystem',
    name: 'XFS',
    endian: 'be',
    signatures: [
      {
        checks: [
          { at: 0, ascii: 'XFSB' },
          { u32: 4, powerOf2: true, min: 512, max: 65536 },
          { u16: 102, powerOf2: true, min: 512, max: 32768 }, // sb_sectsize
          { u16: 104, powerOf2: true, min: 256, max: 2048 }, // sb_inodesize
          { u8: 126, is: 0 }, // sb_inprogress: mkfs did not finish
        ],
      },
    ],
    fields: {
      label: { at: 108, len: 12 },
      uuid: { at: 32, format: 'uuid' },
      blockSize: { u32: 4 },
      size: { mul: [{ u64: 8 }, { u32: 4 }] },
      details: { version: { and: [{ u16: 100 }, 0xf] }, agCount: { u32: 88 } },
    },
    drivers: { guest: 'xfs' },
    aka: { blkid: 'xfs' },
  },
  {
    id: 'f2fs',
    kind: 'filesystem',
    name: 'Flash-Friendly File System',
    signatures: [{ base: 1024, checks: [{ u32le: 0, is: 0xf2f52010 }, { u32le: 0x10, min: 9, max: 16 }] }],
    fields: {
      label: { at: 0x7c, len: 1024, enc: 'utf16le' },
      uuid: { at: 0x6c, format: 'uuid' },
      version: { join: [{ u16le: 4 }, '.', { u16le: 6 }] },
      blockSize: { shl: [1, { u32le: 0x10 }] },
      size: { mul: [{ u64le: 0x24 }, { shl: [1, { u32le: 0x10 }] }] },
    },
    drivers: { guest: 'f2fs' },
    aka: { blkid: 'f2fs' },
  },
  {
    id: 'jfs',
    kind: 'filesystem',
    name: 'JFS',
    // Superblock at 32 KiB; block sizes must agree with their log2 fields.
    signatures: [
      {
        base: 0x8000,
        checks: [
          { at: 0, ascii: 'JFS1' },
          { u16le: 20, max: 31 },
          { u16le: 28, max: 31 },
          { num: { u32le: 16 }, is: { shl: [1, { u16le: 20 }] } },
          { num: { u32le: 24 }, is: { shl: [1, { u16le: 28 }] } },
          { num: { u16le: 22 }, is: { sub: [{ u16le: 20 }, { u16le: 28 }] } },
        ],
      },
    ],
    fields: {
      label: { at: 152, len: 16 },
      uuid: { at: 136, format: 'uuid' },
      blockSize: { u32le: 16 },
      size: { mul: [{ u64le: 8 }, { u32le: 24 }] },
      version: { u32le: 4 },
    },
    drivers: { guest: 'jfs' },
    aka: { blkid: 'jfs' },
  },
  {
    id: 'reiserfs',
    kind: 'filesystem',
    name: 'ReiserFS',
    // Superblock at 64 KiB (8 KiB for 3.5 made by old tools); magic at 52.
    signatures: [
      ...(['ReIsEr2Fs', 'ReIsEr3Fs'] as const).map(
        (magic): Signature => ({
          base: 0x10000,
          checks: [{ at: 52, ascii: magic }, { u16le: 44, min: 512 }],
          fields: { version: magic === 'ReIsEr2Fs' ? '3.6' : 'JR', label: { at: 100, len: 16 }, uuid: { at: 84, format: 'uuid' } },
        }),
      ),
      { base: 0x10000, checks: [{ at: 52, ascii: 'ReIsErFs' }, { u16le: 44, min: 512 }], fields: { version: '3.5' } },
      { base: 0x2000, checks: [{ at: 52, ascii: 'ReIsErFs' }, { u16le: 44, min: 512 }], fields: { version: '3.5' } },
    ],
    fields: { blockSize: { u16le: 44 }, size: { mul: [{ u32le: 0 }, { u16le: 44 }] } },
    drivers: { guest: 'reiserfs' },
    aka: { blkid: 'reiserfs' },
  },
  {
    id: 'reiser4',
    kind: 'filesystem',
    name: 'Reiser4',
    signatures: [{ base: 0x10000, checks: [{ at: 0, ascii: 'ReIsEr4\0' }, { u8: 19, min: 2 }] }],
    fields: { label: { at: 36, len: 16 }, uuid: { at: 20, format: 'uuid' }, blockSize: { mul: [{ u8: 19 }, 256] } },
    aka: { blkid: 'reiser4' },
  },
  {
    id: 'squashfs',
    kind: 'filesystem',
    name: 'SquashFS',
    signatures: [{ checks: [{ at: 0, ascii: 'hsqs' }, { u16le: 28, is: 4 }, { u32le: 12, powerOf2: true }] }],
    fields: {
      version: { join: [{ u16le: 28 }, '.', { u16le: 30 }] },
      blockSize: { u32le: 12 },
      size: { u64le: 40 },
      details: { compression: { num: { u16le: 20 }, names: { 1: 'gzip', 2: 'lzma', 3: 'lzo', 4: 'xz', 5: 'lz4', 6: 'zstd' } }, inodes: { u32le: 4 } },
    },
    drivers: { native: 'squashfs', guest: 'squashfs' },
    aka: { blkid: 'squashfs', file: 'Squashfs filesystem' },
  },
  {
    id: 'squashfs3',
    kind: 'filesystem',
    name: 'SquashFS v3 or older',
    signatures: [
      { endian: 'be', checks: [{ at: 0, ascii: 'sqsh' }, { u16: 28, max: 3 }] },
      { endian: 'le', checks: [{ at: 0, ascii: 'hsqs' }, { u16: 28, max: 3 }] },
    ],
    fields: { version: { join: [{ u16: 28 }, '.', { u16: 30 }] }, blockSize: 1024 },
    aka: { blkid: 'squashfs3', file: 'Squashfs filesystem' },
  },
  {
    id: 'erofs',
    kind: 'filesystem',
    name: 'Enhanced Read-Only File System',
    signatures: [{ base: 1024, checks: [{ u32le: 0, is: 0xe0f5e1e2 }, { u8: 12, min: 9, max: 16 }] }],
    fields: {
      label: { at: 64, len: 16 },
      uuid: { at: 48, format: 'uuid' },
      blockSize: { shl: [1, { u8: 12 }] },
      size: { mul: [{ u32le: 36 }, { shl: [1, { u8: 12 }] }] },
    },
    drivers: { guest: 'erofs' },
    aka: { blkid: 'erofs' },
  },
  {
    id: 'cramfs',
    kind: 'filesystem',
    name: 'cramfs',
    // Either byte order (the magic says which); 'Compressed ROMFS' at 16.
    signatures: bothEndians({ checks: [{ u32: 0, is: 0x28cd3d45 }, { at: 16, ascii: 'Compressed ROMFS' }] }),
    fields: { label: { at: 48, len: 16 }, size: { u32: 4 }, version: { num: { and: [{ u32: 8 }, 1] }, names: { 0: '1', 1: '2' } }, blockSize: 4096 },
    drivers: { guest: 'cramfs' },
    aka: { blkid: 'cramfs', file: 'Linux Compressed ROM File System' },
  },
  {
    id: 'romfs',
    kind: 'filesystem',
    name: 'ROM filesystem',
    signatures: [{ checks: [{ at: 0, ascii: '-rom1fs-' }] }],
    fields: { label: { at: 16, len: 128 }, size: { u32be: 8 }, blockSize: 1024 },
    drivers: { guest: 'romfs' },
    aka: { blkid: 'romfs', file: 'romfs filesystem' },
  },
  {
    id: 'minix',
    kind: 'filesystem',
    name: 'Minix filesystem',
    signatures: [
      ...minixV12([0x137f, 0x138f], '1', 'u16'),
      ...minixV12([0x2468, 0x2478], '2', 'u32'),
      ...bothEndians({
        checks: [
          { u16: MINIX + 24, is: 0x4d5a },
          { u16: MINIX + 12, is: 0 },
          { u32: MINIX + 0, min: 1, max: 0xfffffffe },
          { num: { mul: [{ u16: MINIX + 6 }, 8192] }, min: { add: [{ u32: MINIX + 0 }, 1] } },
          { u16: MINIX + 10, max: { u32: MINIX + 20 } },
          { not: s_magic },
        ],
        fields: { version: '3', blockSize: { u16: MINIX + 28 }, size: { mul: [{ u32: MINIX + 20 }, { u16: MINIX + 28 }] } },
      }),
    ],
    drivers: { guest: 'minix' },
    aka: { blkid: 'minix' },
  },
  {
    id: 'nilfs2',
    kind: 'filesystem',
    name: 'NILFS2',
    // Primary superblock at 1024 (a backup sits 4 KiB before the end, 4 KiB aligned).
    signatures: [
      { base: 1024, checks: [{ u16le: 6, is: 0x3434 }, { u32le: 0, is: 2 }, { u16le: 8, min: 256, max: 1024 }, { u32le: 20, max: 6 }] },
      { base: { alignDown: [{ sub: ['size', 4096] }, 4096] }, checks: [{ u16le: 6, is: 0x3434 }, { u32le: 0, is: 2 }, { u16le: 8, min: 256, max: 1024 }, { u32le: 20, max: 6 }] },
    ],
    fields: {
      label: { at: 168, len: 80 },
      uuid: { at: 152, format: 'uuid' },
      version: { u32le: 0 },
      blockSize: { shl: [1024, { u32le: 20 }] },
      size: { u64le: 32 },
    },
    drivers: { guest: 'nilfs2' },
    aka: { blkid: 'nilfs2' },
  },
  {
    id: 'bcachefs',
    kind: 'filesystem',
    name: 'bcachefs',
    signatures: [{ base: 4096, checks: [{ at: 24, hex: 'c6 85 73 f6 66 ce 90 a9 d9 6a 60 cf 80 3d f7 ef' }, { u64le: 16, is: 8 }] }],
    fields: { uuid: { at: 56, format: 'uuid' }, label: { at: 72, len: 32 } },
    aka: { blkid: 'bcachefs' },
  },
  {
    id: 'ocfs2',
    kind: 'filesystem',
    name: 'Oracle Cluster File System 2',
    // The superblock is block 2 of the filesystem, so its place depends on the block size.
    signatures: [1024, 2048, 4096, 8192].map((at) => ({ base: at, checks: [{ at: 0, ascii: 'OCFSV2' }] })),
    fields: {
      label: { at: 272, len: 64 },
      uuid: { at: 336, format: 'uuid' },
      version: { join: [{ u16le: 192 }, '.', { u16le: 194 }] },
      blockSize: { shl: [1, { u32le: 248 }] },
    },
    drivers: { guest: 'ocfs2' },
    aka: { blkid: 'ocfs2' },
  },
  {
    id: 'gfs2',
    kind: 'filesystem',
    name: 'GFS2',
    endian: 'be',
    signatures: [{ base: 0x10000, checks: [{ u32: 0, is: 0x01161970 }, { u32: 4, is: 1 }, { u32: 24, min: 1800, max: 1899 }, { u32: 28, min: 1900, max: 1999 }] }],
    fields: { label: { at: 160, len: 64 }, uuid: { at: 256, format: 'uuid' }, version: '1', blockSize: { u32: 36 } },
    drivers: { guest: 'gfs2' },
    aka: { blkid: 'gfs2' },
  },
] as const satisfies readonly FormatEntry[];
