/**
 * Reading directories: the entry stream for readdir (positions are byte
 * offsets in the directory file, so readdir cookies stay valid; inline
 * directories use the small positions of inline-data.ts), and lookup —
 * through the htree index when the directory has one, else through a
 * bounded per-directory name index built by one linear pass.
 */
import { FsError } from '../../errors.js';
import { utf8Encoder } from '../../binary/reader.js';
import { DT_DIR, S_IFDIR, S_IFMT } from '../../fs/mode.js';
import { TwoGenerationCache } from './cache.js';
import { casefold, casefoldBytes, EXT4_ENC_UTF8_12_1 } from './casefold.js';
import { parseDirRegion, verifyLeafChecksum, type DirParseContext, type DirRecord } from './directory.js';
import { COMPAT, INCOMPAT } from './features.js';
import { DX_HASH_TEA, dirHash, HASH_NAMES } from './hash.js';
import { BadDxDir, dxCountOffset, HtreeIndex, verifyDxChecksum } from './htree.js';
import { inlineDirRegions } from './inline-data.js';
import { EXT4_CASEFOLD_FL, EXT4_INDEX_FL } from './inode.js';
import { EXT2_FLAGS_UNSIGNED_HASH, hasCompat, hasIncompat } from './superblock.js';
import type { Ext4Volume, InodeState } from './volume.js';

/** Parsed directory blocks kept, counted in entries. */
const PARSED_BLOCK_ENTRIES = 65536;
/** Name-index entries kept over all directories; one directory may take a quarter. */
const NAME_INDEX_ENTRIES = 262144;
/** Directory blocks read ahead in one device read when a block is missing. */
const DIR_READAHEAD_BLOCKS = 16;
/** Entries one readdir call returns when the caller gives no limit. */
const DEFAULT_READDIR_BATCH = 4096;

interface DirState {
  htree?: HtreeIndex;
  hashVersion?: number;
  /** The index proved unusable: search linearly, as the kernel does. */
  htreeBroken?: boolean;
}

/** How lookups were answered, for tests and diagnostics. */
export interface LookupStats {
  /** Answered through the htree index. */
  htree: number;
  /** Directories read in full to build (or search without) a name index. */
  linearScans: number;
}

export class Ext4DirReader {
  readonly stats: LookupStats = { htree: 0, linearScans: 0 };
  private readonly vol: Ext4Volume;
  /** Parsed blocks by physical block (numbers hash faster than strings); the owner is checked on a hit. */
  private readonly parsed = new TwoGenerationCache<number, { ino: number; lblk: number; records: DirRecord[] }>(PARSED_BLOCK_ENTRIES);
  private readonly nameIndexes = new TwoGenerationCache<number, Map<string, DirRecord>>(NAME_INDEX_ENTRIES);

  constructor(vol: Ext4Volume) {
    this.vol = vol;
  }

  private parseCtx(dirIno: number): DirParseContext {
    return {
      dirIno,
      inodesCount: this.vol.sb.s_inodes_count,
      filetype: hasIncompat(this.vol.sb, INCOMPAT.filetype),
      warn: (m) => this.vol.warn(m),
    };
  }

  checkDir(state: InodeState): void {
    if ((state.inode.i_mode & S_IFMT) !== S_IFDIR) throw new FsError('ENOTDIR', `ext4: inode ${state.inode.ino} is not a directory`);
  }

  private dirBlocks(state: InodeState): number {
    return Math.ceil(state.inode.i_size / this.vol.sb.blockSize);
  }

  private isIndexed(state: InodeState): boolean {
    return (state.inode.i_flags & EXT4_INDEX_FL) !== 0 && hasCompat(this.vol.sb, COMPAT.dir_index) && !this.vol.hasInlineData(state);
  }

  private isCasefolded(state: InodeState): boolean {
    const sb = this.vol.sb;
    return (state.inode.i_flags & EXT4_CASEFOLD_FL) !== 0 && hasIncompat(sb, INCOMPAT.casefold) && sb.s_encoding === EXT4_ENC_UTF8_12_1;
  }

  /** Directory block `lblk`, checksum verified; undefined for a hole. */
  async block(state: InodeState, lblk: number): Promise<Uint8Array | undefined> {
    const vol = this.vol;
    const run = await vol.mapper(state).map(lblk, Math.max(1, Math.min(DIR_READAHEAD_BLOCKS, this.dirBlocks(state) - lblk)));
    if (run.physical === 0 || run.unwritten) return undefined;
    const what = `directory inode ${state.inode.ino} block ${lblk}`;
    if (run.length > 1 && !vol.blocks.isCached(run.physical)) await vol.blocks.prefetch(run.physical, run.length, what);
    return vol.blocks.block(run.physical, what);
  }

  private verify(state: InodeState, lblk: number, bytes: Uint8Array): void {
    const vol = this.vol;
    if (!vol.sb.metadataCsum) return;
    const what = `directory inode ${state.inode.ino} block ${lblk}`;
    if (this.isIndexed(state)) {
      const countOffset = dxCountOffset(bytes, vol.sb.blockSize, lblk === 0);
      if (countOffset !== undefined) {
        verifyDxChecksum(bytes, countOffset, state.inode.csumSeed, `${what} (htree index)`, vol.policy);
        return;
      }
    }
    verifyLeafChecksum(bytes, state.inode.csumSeed, what, vol.policy);
  }

  /** The entries of directory block `lblk` (none for a hole). */
  async blockRecords(state: InodeState, lblk: number): Promise<DirRecord[]> {
    const ino = state.inode.ino;
    const run = await this.vol.mapper(state).map(lblk, 1);
    if (run.physical === 0 || run.unwritten) return [];
    const hit = this.parsed.get(run.physical);
    if (hit && hit.ino === ino && hit.lblk === lblk) return hit.records;
    const bytes = await this.block(state, lblk);
    let records: DirRecord[] = [];
    if (bytes) {
      this.verify(state, lblk, bytes);
      const bs = this.vol.sb.blockSize;
      records = parseDirRegion(bytes, lblk * bs, bs, `block ${lblk}`, lblk === 0, this.parseCtx(ino));
    }
    this.parsed.set(run.physical, { ino, lblk, records }, records.length + 1);
    return records;
  }

  /** Every entry of an inline directory, with '.' and '..' made up. */
  private inlineRecords(state: InodeState): DirRecord[] {
    const { parent, regions } = inlineDirRegions(state.inode, this.vol.inlineExtra(state));
    const ino = state.inode.ino;
    const dot = (name: string, target: number, pos: number): DirRecord => ({ name, nameBytes: utf8Encoder.encode(name), ino: target, type: DT_DIR, pos, next: pos + 1 });
    const out = [dot('.', ino, 0), dot('..', parent, 1)];
    if (parent === 0 || parent > this.vol.sb.s_inodes_count) throw new FsError('EIO', `ext4: directory inode ${ino}: inline parent inode ${parent} is out of range`);
    for (const r of regions) out.push(...parseDirRegion(r.bytes, r.base, 4096, r.where, false, this.parseCtx(ino)));
    return out;
  }

  /** readdir: the entries at stream position ≥ `cookie`, at most `limit`. */
  async records(state: InodeState, cookie: number, limit = DEFAULT_READDIR_BATCH): Promise<DirRecord[]> {
    this.checkDir(state);
    if (this.vol.hasInlineData(state)) return this.inlineRecords(state).filter((r) => r.pos >= cookie).slice(0, limit);
    const out: DirRecord[] = [];
    const bs = this.vol.sb.blockSize;
    const nblocks = this.dirBlocks(state);
    const mapper = this.vol.mapper(state);
    for (let lblk = Math.floor(cookie / bs); lblk < nblocks && out.length < limit; ) {
      const run = await mapper.map(lblk, nblocks - lblk);
      if (run.physical === 0 || run.unwritten) {
        lblk += run.length; // holes hold no entries
        continue;
      }
      for (const r of await this.blockRecords(state, lblk)) {
        if (r.pos >= cookie && out.length < limit) out.push(r);
      }
      lblk++;
    }
    return out;
  }

  /** The entry named `name`, or undefined. */
  async lookup(state: InodeState, name: string): Promise<DirRecord | undefined> {
    this.checkDir(state);
    const bytes = utf8Encoder.encode(name);
    if (bytes.length > 255) throw new FsError('ENAMETOOLONG', `ext4: name longer than 255 bytes`);
    const folded = this.isCasefolded(state);
    const key = folded ? casefold(name) : name;
    const matches = (r: DirRecord): boolean => sameBytes(r.nameBytes, bytes) || r.name === name || (folded && casefold(r.name) === key);

    if (this.vol.hasInlineData(state)) return this.inlineRecords(state).find(matches);
    if (this.isIndexed(state)) {
      const found = await this.htreeLookup(state, folded ? casefoldBytes(name, bytes) : bytes, matches);
      if (found) {
        this.stats.htree++;
        return found;
      }
      // A miss is final unless the stored name may hash differently from ours:
      // a broken index, a casefolded directory, or a name that is not valid UTF-8.
      if (this.htreeUsable(state) && !folded && !name.includes('\ufffd')) return undefined;
    }
    return this.linearLookup(state, key, folded, matches);
  }

  private htreeUsable(state: InodeState): boolean {
    return !(state.dir as DirState | undefined)?.htreeBroken;
  }

  private async htreeLookup(state: InodeState, hashed: Uint8Array, matches: (r: DirRecord) => boolean): Promise<DirRecord | undefined> {
    const ds = ((state.dir as DirState | undefined) ??= {}) as DirState;
    if (ds.htreeBroken) return undefined;
    const vol = this.vol;
    try {
      if (!ds.htree) {
        const htree = new HtreeIndex({
          ino: state.inode.ino,
          blockSize: vol.sb.blockSize,
          dirBlocks: this.dirBlocks(state),
          metadataCsum: vol.sb.metadataCsum,
          csumSeed: state.inode.csumSeed,
          policy: vol.policy,
          largeDir: hasIncompat(vol.sb, INCOMPAT.large_dir),
          readBlock: (lblk) => this.block(state, lblk),
        });
        let version = (await htree.rootInfo()).hashVersion;
        if (version <= DX_HASH_TEA && vol.sb.s_flags & EXT2_FLAGS_UNSIGNED_HASH) version += 3;
        if (dirHash(new Uint8Array(0), version, vol.sb.s_hash_seed) === undefined) {
          throw new BadDxDir(`directory inode ${state.inode.ino}: unsupported hash ${HASH_NAMES[version] ?? version}`);
        }
        ds.htree = htree;
        ds.hashVersion = version;
      }
      const hash = dirHash(hashed, ds.hashVersion!, vol.sb.s_hash_seed)!.hash;
      let found: DirRecord | undefined;
      await ds.htree.search(hash, async (leaf) => {
        found = (await this.blockRecords(state, leaf)).find(matches);
        return found !== undefined;
      });
      return found;
    } catch (e) {
      if (!(e instanceof BadDxDir)) throw e;
      ds.htreeBroken = true;
      vol.warn(`ext4: ${e.message}; searching the directory linearly`);
      return undefined;
    }
  }

  private async linearLookup(state: InodeState, key: string, folded: boolean, matches: (r: DirRecord) => boolean): Promise<DirRecord | undefined> {
    const ino = state.inode.ino;
    const cached = this.nameIndexes.get(ino);
    if (cached) return cached.get(key);
    // One pass: find the name, and index the directory for the next lookups unless it is huge.
    this.stats.linearScans++;
    const built = new Map<string, DirRecord>();
    let tooBig = false;
    let found: DirRecord | undefined;
    for (let cookie = 0; ; ) {
      const batch = await this.records(state, cookie);
      if (batch.length === 0) break;
      for (const r of batch) {
        if (r.name === '.' || r.name === '..') continue;
        if (!found && matches(r)) found = r;
        if (tooBig) continue;
        const k = folded ? casefold(r.name) : r.name;
        if (!built.has(k)) built.set(k, r);
        tooBig = built.size > NAME_INDEX_ENTRIES / 4;
      }
      cookie = batch[batch.length - 1]!.next;
    }
    if (!tooBig) this.nameIndexes.set(ino, built, built.size + 1);
    return found;
  }

  /** Inode number of '..' (for lookup('..')). */
  async parent(state: InodeState): Promise<number> {
    const dots = await this.records(state, 0, 2);
    const dd = dots.find((r) => r.name === '..');
    if (!dd) throw new FsError('EIO', `ext4: directory inode ${state.inode.ino} has no '..' entry`);
    return dd.ino;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
