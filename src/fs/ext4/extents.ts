/**
 * Extent trees (EXT4_EXTENTS_FL). The root node lives in i_block (room for
 * 4 entries); deeper nodes are whole blocks. Every node starts with a
 * 12-byte header (magic 0xF30A, entries, max, depth); index nodes hold
 * (ei_block, child block) pairs, leaves hold (ee_block, ee_len, start).
 * ee_len above 32768 marks an unwritten extent of ee_len - 32768 blocks.
 * With metadata_csum a block node ends in a crc32c over the header and
 * eh_max entries, seeded per inode.
 *
 * Each node is checked once when read (magic, counts, depth one less than
 * its parent, sorted non-overlapping keys, blocks inside the volume) and
 * kept parsed in a bounded cache; depth is bounded by 5 like the kernel,
 * so a lookup reads at most 5 blocks and cannot loop.
 */
import { BinaryReader } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import { TwoGenerationCache } from './cache.js';
import type { Ext4Blocks } from './blocks.js';
import { MAX_LOGICAL_BLOCKS, type BlockMapper, type BlockRun } from './block-run.js';
import { chksum } from './checksum.js';
import { checksumMismatch, type ChecksumPolicy } from './group-descriptors.js';
import type { Ext4Inode } from './inode.js';

export const EXT4_EXT_MAGIC = 0xf30a;
export const EXT4_MAX_EXTENT_DEPTH = 5;
const EXT_INIT_MAX_LEN = 32768;
const HEADER = 12;
const ENTRY = 12;

/** A parsed, validated node: parallel arrays, sorted by logical block. */
export interface ExtentNode {
  readonly depth: number;
  /** ei_block / ee_block of each entry. */
  readonly keys: Float64Array;
  /** Child block (index) or first physical block (leaf). */
  readonly targets: Float64Array;
  /** Leaf only: extent lengths (unwritten ones without the 32768 bias). */
  readonly lengths: Uint32Array;
  readonly unwritten: Uint8Array;
}

export interface ExtentContext {
  readonly blocks: Ext4Blocks;
  readonly policy: ChecksumPolicy;
  readonly metadataCsum: boolean;
  /** First block that may hold file data (after the superblock and primary descriptors). */
  readonly firstFileBlock: number;
  /** Parsed block nodes, shared by all inodes, keyed by physical block. */
  readonly nodeCache: TwoGenerationCache<number, ExtentNode>;
}

function treeError(ino: number, where: string, detail: string): FsError {
  return new FsError('EIO', `ext4: inode ${ino}: extent ${where}: ${detail}`);
}

/** Parses and validates one node; `bytes` is i_block (root) or a whole block. */
export function parseExtentNode(bytes: Uint8Array, ino: number, where: string, expectedDepth: number | undefined, ctx: ExtentContext): ExtentNode {
  const r = new BinaryReader(bytes, `ext4: inode ${ino}: extent ${where}`);
  const magic = r.u16le(0);
  const entries = r.u16le(2);
  const max = r.u16le(4);
  const depth = r.u16le(6);
  r.check();
  if (magic !== EXT4_EXT_MAGIC) throw treeError(ino, where, `bad magic 0x${magic.toString(16)}`);
  const capacity = Math.floor((bytes.length - HEADER) / ENTRY);
  if (max === 0 || max > capacity) throw treeError(ino, where, `eh_max ${max} is out of range (1..${capacity})`);
  if (entries > max) throw treeError(ino, where, `eh_entries ${entries} exceeds eh_max ${max}`);
  if (depth > EXT4_MAX_EXTENT_DEPTH) throw treeError(ino, where, `depth ${depth} exceeds ${EXT4_MAX_EXTENT_DEPTH}`);
  if (expectedDepth !== undefined && depth !== expectedDepth) throw treeError(ino, where, `depth ${depth}, expected ${expectedDepth}`);

  const keys = new Float64Array(entries);
  const targets = new Float64Array(entries);
  const lengths = new Uint32Array(depth === 0 ? entries : 0);
  const unwritten = new Uint8Array(depth === 0 ? entries : 0);
  const volumeBlocks = ctx.blocks.blocksCount;
  let prevEnd = 0;
  for (let i = 0; i < entries; i++) {
    const o = HEADER + i * ENTRY;
    const key = r.u32le(o);
    if (i > 0 && key < prevEnd) throw treeError(ino, where, `entry ${i} (logical block ${key}) is out of order or overlaps`);
    keys[i] = key;
    if (depth === 0) {
      let len = r.u16le(o + 4);
      if (len > EXT_INIT_MAX_LEN) {
        len -= EXT_INIT_MAX_LEN;
        unwritten[i] = 1;
      }
      const start = r.u16le(o + 6) * 0x1_0000_0000 + r.u32le(o + 8);
      if (len === 0) throw treeError(ino, where, `extent ${i} has zero length`);
      if (key + len > MAX_LOGICAL_BLOCKS) throw treeError(ino, where, `extent ${i} runs past logical block 2^32`);
      if (start < ctx.firstFileBlock || start + len > volumeBlocks) {
        throw treeError(ino, where, `extent ${i} (blocks ${start}..${start + len - 1}) lies outside the volume's data area (${ctx.firstFileBlock}..${volumeBlocks - 1})`);
      }
      lengths[i] = len;
      targets[i] = start;
      prevEnd = key + len;
    } else {
      const child = r.u16le(o + 8) * 0x1_0000_0000 + r.u32le(o + 4);
      if (child < ctx.firstFileBlock || child >= volumeBlocks) throw treeError(ino, where, `index ${i} points at block ${child}, outside the volume's data area`);
      targets[i] = child;
      prevEnd = key + 1;
    }
  }
  r.check();
  return { depth, keys, targets, lengths, unwritten };
}

/** Index of the last key ≤ lblk, or -1. */
function search(keys: Float64Array, lblk: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= lblk) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export class ExtentMapper implements BlockMapper {
  private readonly inode: Ext4Inode;
  private readonly ctx: ExtentContext;
  private root: ExtentNode | undefined;
  /** Last leaf extent found: sequential reads mostly hit it. */
  private last: BlockRun | undefined;

  constructor(inode: Ext4Inode, ctx: ExtentContext) {
    this.inode = inode;
    this.ctx = ctx;
  }

  private rootNode(): ExtentNode {
    this.root ??= parseExtentNode(this.inode.i_block, this.inode.ino, 'root (i_block)', undefined, this.ctx);
    return this.root;
  }

  private async child(pblk: number, depth: number): Promise<ExtentNode> {
    const cached = this.ctx.nodeCache.get(pblk);
    if (cached && cached.depth === depth) return cached;
    const where = `block ${pblk}`;
    const block = await this.ctx.blocks.block(pblk, `inode ${this.inode.ino}: extent block`);
    const node = parseExtentNode(block, this.inode.ino, where, depth, this.ctx);
    if (this.ctx.metadataCsum) {
      const max = block[4]! | (block[5]! << 8);
      const tail = HEADER + max * ENTRY;
      if (tail + 4 > block.length) throw treeError(this.inode.ino, where, 'no room for the checksum tail');
      const stored = (block[tail]! | (block[tail + 1]! << 8) | (block[tail + 2]! << 16) | (block[tail + 3]! << 24)) >>> 0;
      const computed = chksum(this.inode.csumSeed, block.subarray(0, tail));
      if (stored !== computed) checksumMismatch(this.ctx.policy, `inode ${this.inode.ino}: extent block ${pblk}`, stored, computed);
    }
    this.ctx.nodeCache.set(pblk, node);
    return node;
  }

  async map(lblk: number, max: number): Promise<BlockRun> {
    if (lblk >= MAX_LOGICAL_BLOCKS) return hole(lblk, lblk + max, max);
    const last = this.last;
    if (last && lblk >= last.logical && lblk < last.logical + last.length) return clip(last, lblk, max);

    let node = this.rootNode();
    // Logical block where the subtree we are in ends (the next sibling's key).
    let bound = MAX_LOGICAL_BLOCKS;
    for (let level = 0; node.depth > 0; level++) {
      if (level > EXT4_MAX_EXTENT_DEPTH) throw treeError(this.inode.ino, 'tree', 'too deep');
      const i = search(node.keys, lblk);
      if (i < 0) {
        const next = node.keys.length ? node.keys[0]! : bound;
        return hole(lblk, Math.min(next, bound), max);
      }
      if (i + 1 < node.keys.length) bound = Math.min(bound, node.keys[i + 1]!);
      node = await this.child(node.targets[i]!, node.depth - 1);
    }
    const i = search(node.keys, lblk);
    if (i >= 0) {
      const start = node.keys[i]!;
      const len = node.lengths[i]!;
      if (lblk < start + len) {
        const run: BlockRun = { logical: start, length: len, physical: node.targets[i]!, unwritten: node.unwritten[i] === 1 };
        this.last = run;
        return clip(run, lblk, max);
      }
    }
    const next = i + 1 < node.keys.length ? node.keys[i + 1]! : bound;
    return hole(lblk, Math.min(next, bound), max);
  }
}

function clip(run: BlockRun, lblk: number, max: number): BlockRun {
  const skip = lblk - run.logical;
  return { logical: lblk, length: Math.min(run.length - skip, max), physical: run.physical + skip, unwritten: run.unwritten };
}

function hole(lblk: number, end: number, max: number): BlockRun {
  return { logical: lblk, length: Math.max(1, Math.min(end - lblk, max)), physical: 0, unwritten: false };
}
