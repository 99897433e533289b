/**
 * Hashed directories (dir_index, EXT4_INDEX_FL). The index hides inside
 * the directory file as blocks that look empty to a linear reader:
 *
 * - block 0, dx_root: '.' (rec_len 12) and '..' (rec_len covering the rest
 *   of the block), then dx_root_info at 24 {reserved_zero, hash_version,
 *   info_length 8, indirect_levels, flags}, then at 32 the entry array;
 * - dx_node blocks: one fake entry (inode 0, rec_len = block size), then
 *   the entry array at 8.
 *
 * An entry array starts with {limit u16, count u16, block u32} (entry 0,
 * whose hash is implicitly 0), followed by count-1 {hash u32, block u32}
 * sorted by hash. Blocks are logical blocks of the directory. With
 * metadata_csum the array has one slot less and a dx_tail {reserved,
 * crc32c} follows the last slot. Leaves are ordinary directory blocks.
 *
 * A lookup hashes the name (hash.ts), descends root → nodes (at most 2
 * index levels, 3 with large_dir) picking the last entry whose hash ≤ the
 * name's, searches that leaf, and moves on to the next leaf only while its
 * starting hash, less the collision bit, equals the name's hash.
 */
import { chksum } from './checksum.js';
import { checksumMismatch, checksumProblem, type ChecksumPolicy } from './group-descriptors.js';
import { decodeRecLen } from './directory.js';

const DX_ROOT_ENTRIES = 32;
const DX_NODE_ENTRIES = 8;
const DX_TAIL_SIZE = 8;

/** Thrown for an index the kernel would also ignore (then the directory is searched linearly). */
export class BadDxDir extends Error {}

export interface HtreeDir {
  readonly ino: number;
  readonly blockSize: number;
  /** Blocks in the directory (i_size / block size). */
  readonly dirBlocks: number;
  readonly metadataCsum: boolean;
  readonly csumSeed: number;
  readonly policy: ChecksumPolicy;
  /** large_dir: a third index level is allowed. */
  readonly largeDir: boolean;
  /** A directory block by logical number; undefined for a hole. */
  readBlock(lblk: number): Promise<Uint8Array | undefined>;
}

interface DxFrame {
  hashes: Uint32Array;
  blocks: Uint32Array;
  at: number;
}

export interface DxRootInfo {
  readonly hashVersion: number;
  readonly indirectLevels: number;
}

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** Where the entry array of an index block starts, or undefined if `block` is not one. */
export function dxCountOffset(block: Uint8Array, blockSize: number, isRoot: boolean): number | undefined {
  if (isRoot) {
    if (decodeRecLen(u16(block, 4), blockSize) !== 12) return undefined;
    if (decodeRecLen(u16(block, 12 + 4), blockSize) !== blockSize - 12) return undefined;
    if (u32(block, 24) !== 0 || block[24 + 5] !== 8) return undefined;
    return DX_ROOT_ENTRIES;
  }
  if (u32(block, 0) === 0 && decodeRecLen(u16(block, 4), blockSize) === blockSize && block[6] === 0) return DX_NODE_ENTRIES;
  return undefined;
}

/** Checks the dx_tail checksum of an index block. */
export function verifyDxChecksum(block: Uint8Array, countOffset: number, seed: number, what: string, policy: ChecksumPolicy): void {
  const limit = u16(block, countOffset);
  const count = u16(block, countOffset + 2);
  const tail = countOffset + limit * 8;
  if (tail + DX_TAIL_SIZE > block.length || count > limit) {
    checksumProblem(policy, what, 'no room for the index checksum');
    return;
  }
  let c = chksum(seed, block.subarray(0, countOffset + count * 8));
  c = chksum(c, block.subarray(tail, tail + 4));
  c = chksum(c, new Uint8Array(4));
  const stored = u32(block, tail + 4);
  if (c !== stored) checksumMismatch(policy, what, stored, c);
}

function readEntries(block: Uint8Array, countOffset: number, expectedLimit: number, what: string): DxFrame {
  const limit = u16(block, countOffset);
  const count = u16(block, countOffset + 2);
  if (limit !== expectedLimit) throw new BadDxDir(`${what}: limit ${limit}, expected ${expectedLimit}`);
  if (count === 0 || count > limit) throw new BadDxDir(`${what}: count ${count} is not in 1..${limit}`);
  const hashes = new Uint32Array(count);
  const blocks = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const o = countOffset + i * 8;
    hashes[i] = i === 0 ? 0 : u32(block, o);
    blocks[i] = u32(block, o + 4) & 0x0fffffff;
  }
  return { hashes, blocks, at: 0 };
}

/** Index of the last entry whose hash ≤ `hash` (entry 0 always qualifies). */
function probe(frame: DxFrame, hash: number): number {
  let lo = 1;
  let hi = frame.hashes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (frame.hashes[mid]! > hash) hi = mid - 1;
    else lo = mid + 1;
  }
  return lo - 1;
}

/** Parsed index blocks kept per directory (each is at most a block's worth of entries). */
const FRAME_CACHE_BLOCKS = 64;

export class HtreeIndex {
  private readonly dir: HtreeDir;
  /** Verified, parsed index blocks by logical block: lookups then neither re-read nor re-check them. */
  private readonly frames = new Map<number, { hashes: Uint32Array; blocks: Uint32Array; levels: number }>();

  constructor(dir: HtreeDir) {
    this.dir = dir;
  }

  private limit(countOffset: number): number {
    return (this.dir.blockSize - countOffset) / 8 - (this.dir.metadataCsum ? 1 : 0);
  }

  private async indexBlock(lblk: number, isRoot: boolean): Promise<{ block: Uint8Array; countOffset: number }> {
    const d = this.dir;
    const what = `directory inode ${d.ino}: htree ${isRoot ? 'root' : 'node'} (block ${lblk})`;
    if (lblk >= d.dirBlocks) throw new BadDxDir(`${what}: block lies past the directory's end (${d.dirBlocks} blocks)`);
    const block = await d.readBlock(lblk);
    if (!block) throw new BadDxDir(`${what}: is a hole`);
    const countOffset = dxCountOffset(block, d.blockSize, isRoot);
    if (countOffset === undefined) throw new BadDxDir(`${what}: not an index block`);
    if (d.metadataCsum) verifyDxChecksum(block, countOffset, d.csumSeed, `directory inode ${d.ino}: htree block ${lblk}`, d.policy);
    return { block, countOffset };
  }

  async rootInfo(): Promise<DxRootInfo> {
    const { block } = await this.indexBlock(0, true);
    return { hashVersion: block[24 + 4]!, indirectLevels: block[24 + 6]! };
  }

  /**
   * The leaf blocks that may hold a name of hash `hash`, in order: the one
   * the index points at, then each following leaf whose starting hash
   * continues the same hash (collisions spilling over). `visit` is called
   * on each until it returns true.
   */
  /** The parsed entries of index block `lblk` (the root when 0), with a fresh cursor. */
  private async frame(lblk: number): Promise<DxFrame> {
    let f = this.frames.get(lblk);
    if (!f) {
      const d = this.dir;
      const isRoot = lblk === 0;
      const { block, countOffset } = await this.indexBlock(lblk, isRoot);
      const what = `directory inode ${d.ino}: htree ${isRoot ? 'root' : `node (block ${lblk})`}`;
      const e = readEntries(block, countOffset, this.limit(countOffset), what);
      f = { hashes: e.hashes, blocks: e.blocks, levels: isRoot ? block[24 + 6]! : 0 };
      if (this.frames.size >= FRAME_CACHE_BLOCKS) this.frames.delete(this.frames.keys().next().value!);
      this.frames.set(lblk, f);
    }
    return { hashes: f.hashes, blocks: f.blocks, at: 0 };
  }

  async search(hash: number, visit: (leafLblk: number) => Promise<boolean>): Promise<void> {
    const d = this.dir;
    await this.frame(0);
    const levels = this.frames.get(0)!.levels;
    if (levels >= (d.largeDir ? 3 : 2)) throw new BadDxDir(`directory inode ${d.ino}: htree depth ${levels + 1} exceeds ${d.largeDir ? 3 : 2}`);
    const frames: DxFrame[] = [];
    let frame = await this.frame(0);
    for (let level = 0; ; level++) {
      frame.at = probe(frame, hash);
      frames.push(frame);
      if (level === levels) break;
      frame = await this.frame(frame.blocks[frame.at]!);
    }
    // Bounded: each step moves forward through the leaves, which are finite.
    for (let steps = 0; steps <= d.dirBlocks; steps++) {
      const bottom = frames[frames.length - 1]!;
      const leaf = bottom.blocks[bottom.at]!;
      if (leaf >= d.dirBlocks) throw new BadDxDir(`directory inode ${d.ino}: htree points at block ${leaf}, past the directory's end`);
      if (await visit(leaf)) return;
      if (!(await this.next(frames, hash))) return;
    }
  }

  /** Moves to the next leaf if it continues `hash` (ext4_htree_next_block). */
  private async next(frames: DxFrame[], hash: number): Promise<boolean> {
    let p = frames.length - 1;
    let up = 0;
    while (++frames[p]!.at >= frames[p]!.hashes.length) {
      if (p === 0) return false;
      p--;
      up++;
    }
    const bhash = frames[p]!.hashes[frames[p]!.at]!;
    if (((bhash & ~1) >>> 0) !== hash) return false;
    while (up-- > 0) {
      const f = await this.frame(frames[p]!.blocks[frames[p]!.at]!);
      p++;
      frames[p] = f;
    }
    return true;
  }
}
