/**
 * ext2/3/4 feature flags (s_feature_compat, s_feature_incompat,
 * s_feature_ro_compat) with the names e2fsprogs gives them, and which
 * incompatible ones this reader understands.
 *
 * The rule of the format: an unknown compat bit is harmless, an unknown
 * ro_compat bit only forbids writing (we never write), an unknown incompat
 * bit means the data cannot be read correctly, so we refuse by name.
 */

export const COMPAT = {
  dir_prealloc: 0x1,
  imagic_inodes: 0x2,
  has_journal: 0x4,
  ext_attr: 0x8,
  resize_inode: 0x10,
  dir_index: 0x20,
  lazy_bg: 0x40,
  exclude_inode: 0x80,
  exclude_bitmap: 0x100,
  sparse_super2: 0x200,
  fast_commit: 0x400,
  stable_inodes: 0x800,
  orphan_file: 0x1000,
} as const;

export const INCOMPAT = {
  compression: 0x1,
  filetype: 0x2,
  needs_recovery: 0x4,
  journal_dev: 0x8,
  meta_bg: 0x10,
  extents: 0x40,
  '64bit': 0x80,
  mmp: 0x100,
  flex_bg: 0x200,
  ea_inode: 0x400,
  dirdata: 0x1000,
  metadata_csum_seed: 0x2000,
  large_dir: 0x4000,
  inline_data: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const;

export const RO_COMPAT = {
  sparse_super: 0x1,
  large_file: 0x2,
  btree_dir: 0x4,
  huge_file: 0x8,
  gdt_csum: 0x10,
  dir_nlink: 0x20,
  extra_isize: 0x40,
  has_snapshot: 0x80,
  quota: 0x100,
  bigalloc: 0x200,
  metadata_csum: 0x400,
  replica: 0x800,
  read_only: 0x1000,
  project: 0x2000,
  shared_blocks: 0x4000,
  verity: 0x8000,
  orphan_present: 0x10000,
} as const;

/**
 * Incompatible features we read. needs_recovery is here because we open
 * anyway and warn (the journal is not replayed). mmp only guards writers.
 * Refused: compression (never merged), journal_dev (an external journal,
 * not a filesystem), dirdata (Lustre's extra dirent data), encrypt.
 */
export const SUPPORTED_INCOMPAT =
  INCOMPAT.filetype |
  INCOMPAT.needs_recovery |
  INCOMPAT.meta_bg |
  INCOMPAT.extents |
  INCOMPAT['64bit'] |
  INCOMPAT.mmp |
  INCOMPAT.flex_bg |
  INCOMPAT.ea_inode |
  INCOMPAT.metadata_csum_seed |
  INCOMPAT.large_dir |
  INCOMPAT.inline_data |
  INCOMPAT.casefold;

/** Names of the bits set in `value`, unknown ones as hex ('filetype', 'extents', '0x800000'). */
export function featureNames(table: Readonly<Record<string, number>>, value: number): string[] {
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [name, bit] of Object.entries(table)) {
    if (rest & bit) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  for (let bit = 1; rest; bit = (bit << 1) >>> 0) {
    if (rest & bit) {
      names.push(`0x${bit.toString(16)}`);
      rest = (rest & ~bit) >>> 0;
    }
  }
  return names;
}
