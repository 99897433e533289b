/**
 * Ext4Volume: an opened ext2/3/4 volume below the FileSystem interface:
 * the superblock, group descriptors, block and inode caches, and per-inode
 * state (mapper, in-inode xattrs, inline data). Everything is read on
 * demand; the caches are bounded (budgets in README.md).
 */
import type { BlockDevice } from '../../block/device.js';
import { readStructure } from '../../block/device.js';
import { FsError } from '../../errors.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../fs/mode.js';
import { TwoGenerationCache } from './cache.js';
import { aclFromDisk } from './acl.js';
import { BlockMapMapper } from './block-map.js';
import type { BlockMapper } from './block-run.js';
import { Ext4Blocks, METADATA_CACHE_BYTES } from './blocks.js';
import { ExtentMapper, type ExtentContext, type ExtentNode } from './extents.js';
import { COMPAT, INCOMPAT, RO_COMPAT, featureNames } from './features.js';
import { readMapped } from './file-data.js';
import { GroupDescriptors, type ChecksumPolicy } from './group-descriptors.js';
import { readInlineFile, systemDataValue } from './inline-data.js';
import {
  EXT4_EA_INODE_FL,
  EXT4_ENCRYPT_FL,
  EXT4_EXTENTS_FL,
  EXT4_INLINE_DATA_FL,
  ROOT_INO,
  ibodyXattrOffset,
  parseInode,
  type Ext4Inode,
} from './inode.js';
import { mmpWarning, parseJournalSuperblock, stateWarnings, type JournalState } from './journal.js';
import { SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, hasCompat, hasIncompat, parseSuperblock, type Ext4Superblock } from './superblock.js';
import {
  XATTR_INDEX_POSIX_ACL_ACCESS,
  XATTR_INDEX_POSIX_ACL_DEFAULT,
  XATTR_SIZE_MAX,
  parseIbodyXattrs,
  parseXattrBlock,
  xattrName,
  type XattrEntry,
} from './xattr.js';

export interface Ext4Options {
  /** Report checksum mismatches as warnings instead of EIO. */
  ignoreChecksums?: boolean;
  /** Metadata block cache budget in bytes (default 16 MiB). */
  cacheBytes?: number;
}

/** Most warnings kept; later ones are counted, not stored. */
const MAX_WARNINGS = 100;
/** Parsed inodes kept (each ~ its on-disk size plus ~300 bytes; at worst one 16 KiB slab each). */
const INODE_CACHE_ENTRIES = 4096;
/** Parsed extent tree nodes kept. */
const EXTENT_NODE_CACHE_ENTRIES = 2048;
/** Inode table readahead on a miss, in bytes. */
const INODE_READAHEAD_BYTES = 32 << 10;
/** Inode copies are carved from slabs of this size (so a cached inode keeps at most one slab alive). */
const INODE_SLAB_BYTES = 16 << 10;
/** Longest symlink target Linux accepts (PATH_MAX less the NUL). */
const MAX_SYMLINK = 4095;

/** Per-inode state kept in the inode cache. */
export interface InodeState {
  readonly inode: Ext4Inode;
  mapper?: BlockMapper;
  ibody?: XattrEntry[];
  /** Reserved for the directory layer (parsed index, name index). */
  dir?: unknown;
}

export class Ext4Volume {
  readonly device: BlockDevice;
  readonly sb: Ext4Superblock;
  readonly blocks: Ext4Blocks;
  readonly groups: GroupDescriptors;
  readonly policy: ChecksumPolicy;
  readonly warnings: string[] = [];
  private droppedWarnings = 0;
  private readonly inodes = new TwoGenerationCache<number, InodeState>(INODE_CACHE_ENTRIES);
  private readonly inflight = new Map<number, Promise<InodeState>>();
  private slab = new Uint8Array(0);
  private slabUsed = 0;
  private readonly extentCtx: ExtentContext;
  readonly journal: JournalState | undefined;

  private constructor(device: BlockDevice, sb: Ext4Superblock, options: Ext4Options, warnings: string[]) {
    this.device = device;
    this.sb = sb;
    this.policy = { ignoreChecksums: options.ignoreChecksums ?? false, warn: (m) => this.warn(m) };
    for (const w of warnings) this.warn(w);
    this.blocks = new Ext4Blocks(device, sb.blockSize, sb.s_blocks_count, options.cacheBytes ?? METADATA_CACHE_BYTES);
    this.groups = new GroupDescriptors(sb, this.blocks, this.policy);
    this.extentCtx = {
      blocks: this.blocks,
      policy: this.policy,
      metadataCsum: sb.metadataCsum,
      firstFileBlock: sb.firstFileBlock,
      nodeCache: new TwoGenerationCache<number, ExtentNode>(EXTENT_NODE_CACHE_ENTRIES),
    };
  }

  static async open(device: BlockDevice, options: Ext4Options = {}): Promise<Ext4Volume> {
    if (device.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
      throw new FsError('EIO', `ext4: device of ${device.size} bytes is too small to hold a superblock`);
    }
    const raw = await readStructure(device, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, 'ext4: superblock');
    const early: string[] = [];
    const sb = parseSuperblock(raw, device.size, options.ignoreChecksums ?? false, (w) => early.push(w));
    const unknownRo = sb.s_feature_ro_compat & ~Object.values(RO_COMPAT).reduce((a, b) => a | b, 0);
    if (unknownRo) early.push(`ext4: unknown read-only-compatible feature(s) ${featureNames(RO_COMPAT, unknownRo).join(', ')}: reading anyway`);
    const vol = new Ext4Volume(device, sb, options, early);
    await vol.groups.get(0);
    const root = await vol.inode(ROOT_INO);
    if ((root.inode.i_mode & S_IFMT) !== S_IFDIR) throw new FsError('EIO', `ext4: root inode 2 is not a directory (mode 0o${root.inode.i_mode.toString(8)})`);
    (vol as { journal: JournalState | undefined }).journal = await vol.checkState();
    return vol;
  }

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    else if (++this.droppedWarnings === 1) this.warnings.push('ext4: more warnings were dropped');
  }

  /** Journal and MMP state → warnings; never fails the open. */
  private async checkState(): Promise<JournalState | undefined> {
    const sb = this.sb;
    let journal: JournalState | undefined;
    let journalError: string | undefined;
    if (sb.s_journal_inum !== 0 && hasCompat(sb, COMPAT.has_journal)) {
      try {
        const j = await this.inode(sb.s_journal_inum, true);
        const block = new Uint8Array(Math.min(sb.blockSize, 1024));
        if ((await this.readData(j, block, 0)) === block.length) journal = parseJournalSuperblock(block);
        if (!journal) journalError = 'the journal superblock is unreadable';
      } catch (e) {
        journalError = `the journal inode is unreadable: ${(e as Error).message}`;
      }
    }
    for (const w of stateWarnings(sb, journal, journalError)) this.warn(w);
    if (hasIncompat(sb, INCOMPAT.mmp)) {
      try {
        const w = mmpWarning(await this.blocks.block(sb.s_mmp_block, 'MMP block'));
        if (w) this.warn(w);
      } catch (e) {
        this.warn(`ext4: MMP block unreadable: ${(e as Error).message}`);
      }
    }
    return journal;
  }

  /**
   * Inode `ino`, parsed and cached. `internal` allows the reserved inodes
   * (journal, EA inodes' owners) that directory entries may not name.
   */
  async inode(ino: number, internal = false): Promise<InodeState> {
    return this.cachedInode(ino, internal) ?? this.loadShared(ino);
  }

  /** The inode if it is cached (or its block is): no await on the hot path. Throws for invalid numbers. */
  cachedInode(ino: number, internal = false): InodeState | undefined {
    const hit = this.inodes.get(ino);
    if (hit) return hit;
    const sb = this.sb;
    if (!Number.isSafeInteger(ino) || ino < 1 || ino > sb.s_inodes_count || (!internal && ino !== ROOT_INO && ino < sb.s_first_ino)) {
      throw new FsError('EIO', `ext4: inode number ${ino} is not valid (first ${sb.s_first_ino}, count ${sb.s_inodes_count})`);
    }
    const group = Math.floor((ino - 1) / sb.s_inodes_per_group);
    const gd = this.groups.cached(group);
    if (!gd) return undefined;
    const byteInTable = ((ino - 1) % sb.s_inodes_per_group) * sb.s_inode_size;
    const block = this.blocks.cached(gd.bg_inode_table + Math.floor(byteInTable / sb.blockSize));
    return block ? this.parse(ino, block, byteInTable % sb.blockSize) : undefined;
  }

  private async loadShared(ino: number): Promise<InodeState> {
    let p = this.inflight.get(ino);
    if (!p) {
      p = this.load(ino);
      this.inflight.set(ino, p);
    }
    try {
      return await p;
    } finally {
      this.inflight.delete(ino);
    }
  }

  private async load(ino: number): Promise<InodeState> {
    const sb = this.sb;
    const group = Math.floor((ino - 1) / sb.s_inodes_per_group);
    const index = (ino - 1) % sb.s_inodes_per_group;
    const gd = await this.groups.get(group);
    const byteInTable = index * sb.s_inode_size;
    const pblk = gd.bg_inode_table + Math.floor(byteInTable / sb.blockSize);
    if (!this.blocks.isCached(pblk)) {
      // Neighbouring inodes are usually wanted next (a directory's children).
      const tableEnd = gd.bg_inode_table + this.groups.itableBlocks;
      const count = Math.min(Math.max(1, INODE_READAHEAD_BYTES / sb.blockSize), tableEnd - pblk);
      await this.blocks.prefetch(pblk, count, `inode table of group ${group}`);
    }
    const block = await this.blocks.block(pblk, `inode table of group ${group}`);
    return this.parse(ino, block, byteInTable % sb.blockSize);
  }

  private parse(ino: number, block: Uint8Array, off: number): InodeState {
    // Copies go into shared slabs: one small ArrayBuffer per inode made the
    // garbage collector the largest cost of listing a big directory.
    const size = this.sb.s_inode_size;
    if (this.slabUsed + size > this.slab.length) {
      this.slab = new Uint8Array(Math.max(INODE_SLAB_BYTES, size));
      this.slabUsed = 0;
    }
    const raw = this.slab.subarray(this.slabUsed, this.slabUsed + size);
    raw.set(block.subarray(off, off + size));
    this.slabUsed += size;
    const state: InodeState = { inode: parseInode(raw, ino, this.sb, this.policy) };
    this.inodes.set(ino, state);
    return state;
  }

  mapper(state: InodeState): BlockMapper {
    if (!state.mapper) {
      const inode = state.inode;
      state.mapper = inode.i_flags & EXT4_EXTENTS_FL ? new ExtentMapper(inode, this.extentCtx) : new BlockMapMapper(inode, this.blocks, this.sb.firstFileBlock);
    }
    return state.mapper;
  }

  hasInlineData(state: InodeState): boolean {
    return (state.inode.i_flags & EXT4_INLINE_DATA_FL) !== 0;
  }

  /** In-inode xattr entries (parsed once). */
  ibodyXattrs(state: InodeState): XattrEntry[] {
    if (!state.ibody) {
      const inode = state.inode;
      const start = ibodyXattrOffset(inode);
      state.ibody = inode.raw.length > start ? parseIbodyXattrs(inode.raw.subarray(start), inode.ino, hasIncompat(this.sb, INCOMPAT.ea_inode)) : [];
    }
    return state.ibody;
  }

  /** The system.data value of an inline-data inode. */
  inlineExtra(state: InodeState): Uint8Array {
    return systemDataValue(this.ibodyXattrs(state), state.inode.ino);
  }

  /** Reads file bytes at `pos` (regular files, slow symlinks, EA inodes, the journal). */
  async readData(state: InodeState, buf: Uint8Array, pos: number): Promise<number> {
    const inode = state.inode;
    if (inode.i_flags & EXT4_ENCRYPT_FL) throw new FsError('EOPNOTSUPP', `ext4: inode ${inode.ino} is encrypted`);
    if (this.hasInlineData(state)) return readInlineFile(inode, this.inlineExtra(state), buf, pos);
    return readMapped(this.blocks, this.mapper(state), inode.i_size, buf, pos);
  }

  async readlink(state: InodeState): Promise<string> {
    const inode = state.inode;
    if ((inode.i_mode & S_IFMT) !== S_IFLNK) throw new FsError('EINVAL', `ext4: inode ${inode.ino} is not a symlink`);
    const size = inode.i_size;
    if (size === 0 || size > MAX_SYMLINK) throw new FsError('EIO', `ext4: inode ${inode.ino}: symlink length ${size} is invalid`);
    let bytes: Uint8Array;
    if (this.isFastSymlink(state)) {
      if (size >= 60) throw new FsError('EIO', `ext4: inode ${inode.ino}: fast symlink length ${size} does not fit i_block`);
      bytes = inode.i_block.subarray(0, size);
    } else {
      bytes = new Uint8Array(size);
      const n = await this.readData(state, bytes, 0);
      if (n !== size) throw new FsError('EIO', `ext4: inode ${inode.ino}: symlink target is short`);
    }
    if (bytes.includes(0)) throw new FsError('EIO', `ext4: inode ${inode.ino}: symlink target contains NUL`);
    return new TextDecoder().decode(bytes);
  }

  /** The kernel's rule: no inline data, and no blocks beyond an xattr block. */
  private isFastSymlink(state: InodeState): boolean {
    const inode = state.inode;
    if (this.hasInlineData(state)) return false;
    if (inode.i_flags & EXT4_EA_INODE_FL) return inode.i_size < 60;
    const eaBlocks = inode.i_file_acl ? (this.sb.blockSize * this.sb.clusterRatio) / 512 : 0;
    return inode.blocks512 - eaBlocks === 0;
  }

  /** All xattr entries of an inode: in-inode first, then the xattr block. */
  async xattrEntries(state: InodeState): Promise<XattrEntry[]> {
    const entries = [...this.ibodyXattrs(state)];
    const acl = state.inode.i_file_acl;
    if (acl) {
      const block = await this.blocks.block(acl, `inode ${state.inode.ino}: xattr block`);
      entries.push(...parseXattrBlock(block, acl, state.inode.ino, this.sb.metadataCsum, this.sb.csumSeed, this.policy, hasIncompat(this.sb, INCOMPAT.ea_inode)));
    }
    return entries;
  }

  async listxattr(state: InodeState): Promise<string[]> {
    const names: string[] = [];
    for (const e of await this.xattrEntries(state)) {
      const n = xattrName(e);
      if (n !== undefined && !names.includes(n)) names.push(n);
    }
    return names;
  }

  async getxattr(state: InodeState, name: string): Promise<Uint8Array> {
    for (const e of await this.xattrEntries(state)) {
      if (xattrName(e) !== name) continue;
      const value = e.value ?? (await this.eaInodeValue(state.inode.ino, e));
      if (e.index === XATTR_INDEX_POSIX_ACL_ACCESS || e.index === XATTR_INDEX_POSIX_ACL_DEFAULT) {
        return aclFromDisk(value, `inode ${state.inode.ino}: ${name}`);
      }
      return value.slice();
    }
    throw new FsError('ENODATA', `ext4: inode ${state.inode.ino}: no xattr '${name}'`);
  }

  /** A value stored in its own inode (ea_inode): the inode's data, exactly e_value_size bytes. */
  private async eaInodeValue(owner: number, e: XattrEntry): Promise<Uint8Array> {
    const state = await this.inode(e.valueInum, true);
    const inode = state.inode;
    const what = `inode ${owner}: xattr value inode ${e.valueInum}`;
    if (!(inode.i_flags & EXT4_EA_INODE_FL)) throw new FsError('EIO', `ext4: ${what} lacks the EA_INODE flag`);
    if ((inode.i_mode & S_IFMT) !== S_IFREG) throw new FsError('EIO', `ext4: ${what} is not a regular file`);
    if (inode.i_size !== e.valueSize || e.valueSize > XATTR_SIZE_MAX) {
      throw new FsError('EIO', `ext4: ${what} holds ${inode.i_size} bytes, the entry says ${e.valueSize}`);
    }
    const value = new Uint8Array(e.valueSize);
    await this.readData(state, value, 0);
    return value;
  }
}
