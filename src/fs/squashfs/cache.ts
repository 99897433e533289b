/**
 * Memory budget of one open squashfs image. Every cache is an LRU bounded
 * by bytes (or entries); together they stay under about 50 MiB whatever the
 * image holds:
 * - metadata blocks (inodes, directories, tables): 8 MiB of decompressed 8 KiB blocks;
 * - data blocks: 16 MiB of decompressed file blocks, so small reads inside one block
 *   (FUSE's 4–128 KiB reads of a 1 MiB block) decompress it once;
 * - fragment blocks: 8 MiB, since many small files share one fragment block;
 * - parsed inodes: 4096 entries; block-list chunks of files: 4 MiB;
 * - parsed directory headers with their entries: 4 MiB of listing (about
 *   three times that in memory), so lookups in a large directory parse
 *   each part of it once and then compare names without I/O.
 * The inode-number → inode-reference map is not a cache: it holds one entry
 * (about 40 bytes) per inode the caller has seen through lookup/readdir,
 * because squashfs inode numbers cannot be turned back into locations
 * without the optional export table.
 */
export const CACHE_BUDGET = {
  metadataBytes: 8 << 20,
  dataBytes: 16 << 20,
  fragmentBytes: 8 << 20,
  inodes: 4096,
  blockListBytes: 4 << 20,
  directoryBytes: 4 << 20,
} as const;
