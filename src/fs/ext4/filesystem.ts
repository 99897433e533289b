/**
 * Ext4FileSystem: the FileSystem interface over an ext2/3/4 volume, read
 * only. Inode numbers are ext4's own; readdir cookies are positions in the
 * directory file; stat reports what the kernel would (blocks in 512-byte
 * units as allocated, nanosecond times and crtime as btime when the inode
 * has room for them).
 */
import type { BlockDevice, DeviceDescription } from '../../block/device.js';
import { FsError } from '../../errors.js';
import { POSIX_CAPABILITIES, readOnlyCapabilities, type Capabilities } from '../capabilities.js';
import type { DirEntry, Entry, FileSystem, Ino, Stat, StatFs } from '../filesystem.js';
import { S_IFDIR, S_IFMT, S_IFREG } from '../mode.js';
import { Ext4DirReader, type LookupStats } from './dir-reader.js';
import { COMPAT, INCOMPAT, RO_COMPAT, featureNames } from './features.js';
import { groupHasSuper } from './group-descriptors.js';
import { HASH_NAMES } from './hash.js';
import { ROOT_INO } from './inode.js';
import { EXT4_SUPER_MAGIC, flavour, formatUuid, hasCompat, hasIncompat, hasRoCompat, type Ext4Superblock } from './superblock.js';
import { Ext4Volume, type Ext4Options, type InodeState } from './volume.js';

export type { Ext4Options } from './volume.js';

const EXT4_LINK_MAX = 65000;

export class Ext4FileSystem implements FileSystem {
  readonly name = 'ext4';
  readonly capabilities: Capabilities;
  readonly rootIno: Ino = ROOT_INO;
  /** 'ext2', 'ext3' or 'ext4', by the features in use (as blkid names it). */
  readonly flavour: 'ext2' | 'ext3' | 'ext4';
  readonly volume: Ext4Volume;
  private readonly dirs: Ext4DirReader;
  private statfsCache: StatFs | undefined;

  private constructor(volume: Ext4Volume) {
    this.volume = volume;
    this.dirs = new Ext4DirReader(volume);
    const sb = volume.sb;
    this.flavour = flavour(sb);
    const extents = hasIncompat(sb, INCOMPAT.extents);
    const maxBlocks = extents ? 0xffffffff : 12 + sb.blockSize / 4 + (sb.blockSize / 4) ** 2 + (sb.blockSize / 4) ** 3;
    const nsTimes = sb.s_inode_size > 128;
    this.capabilities = readOnlyCapabilities({
      ...POSIX_CAPABILITIES,
      xattrNamespaces: Object.freeze(['user', 'trusted', 'security']),
      renameNoReplace: false,
      renameExchange: false,
      maxNameLength: 255,
      maxFileSize: Math.min(Number.MAX_SAFE_INTEGER, maxBlocks * sb.blockSize),
      maxLinks: EXT4_LINK_MAX,
      timestampGranularityNs: nsTimes ? 1 : 1e9,
      birthTime: nsTimes,
    });
  }

  /** Opens the volume on `device` (read-only). */
  static async open(device: BlockDevice, options: Ext4Options = {}): Promise<Ext4FileSystem> {
    return new Ext4FileSystem(await Ext4Volume.open(device, options));
  }

  get superblock(): Ext4Superblock {
    return this.volume.sb;
  }

  /** How lookups were answered (htree or linear scans), for tests and diagnostics. */
  get lookupStats(): Readonly<LookupStats> {
    return this.dirs.stats;
  }

  /** Things the user should know: journal not replayed, checksums ignored, entries skipped … */
  get warnings(): readonly string[] {
    return this.volume.warnings;
  }

  private async state(ino: Ino): Promise<InodeState> {
    return this.volume.cachedInode(ino) ?? this.volume.inode(ino);
  }

  private stat(s: InodeState): Stat {
    const i = s.inode;
    let blocks = i.blocks512;
    // As ext4_file_getattr: an inline regular file reports the sectors its bytes
    // would take, so tools do not take it for a hole.
    if ((i.i_mode & S_IFMT) === S_IFREG && this.volume.hasInlineData(s)) blocks += Math.ceil(i.i_size / 512);
    return {
      ino: i.ino,
      mode: i.i_mode,
      nlink: i.i_links_count,
      uid: i.i_uid,
      gid: i.i_gid,
      rdev: i.rdev,
      size: i.i_size,
      blocks,
      blksize: this.volume.sb.blockSize,
      atime: i.atime,
      mtime: i.mtime,
      ctime: i.ctime,
      ...(i.crtime ? { btime: i.crtime } : {}),
    };
  }

  async lookup(dir: Ino, name: string): Promise<Entry> {
    const d = this.volume.cachedInode(dir) ?? (await this.volume.inode(dir));
    let ino: number;
    if (name === '.') {
      this.dirs.checkDir(d);
      ino = dir;
    } else if (name === '..') {
      this.dirs.checkDir(d);
      ino = await this.dirs.parent(d);
    } else {
      if (name.length === 0 || name.includes('/') || name.includes('\0')) throw new FsError('ENOENT', `ext4: no entry '${name}' in directory inode ${dir}`);
      const r = await this.dirs.lookup(d, name);
      if (!r) throw new FsError('ENOENT', `ext4: no entry '${name}' in directory inode ${dir}`);
      ino = r.ino;
    }
    const s = this.volume.cachedInode(ino) ?? (await this.volume.inode(ino));
    return { ino, attr: this.stat(s) };
  }

  async getattr(ino: Ino): Promise<Stat> {
    return this.stat(await this.state(ino));
  }

  async readlink(ino: Ino): Promise<string> {
    return this.volume.readlink(await this.state(ino));
  }

  async read(ino: Ino, _fh: number, buf: Uint8Array, pos: number): Promise<number> {
    if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `ext4: read at invalid position ${pos}`);
    const s = await this.state(ino);
    const type = s.inode.i_mode & S_IFMT;
    if (type === S_IFDIR) throw new FsError('EISDIR', `ext4: inode ${ino} is a directory`);
    if (type !== S_IFREG) throw new FsError('EINVAL', `ext4: inode ${ino} is not a regular file`);
    return this.volume.readData(s, buf, pos);
  }

  async readdir(ino: Ino, _fh: number, cookie: number, limit?: number): Promise<DirEntry[]> {
    if (!Number.isSafeInteger(cookie) || cookie < 0) throw new FsError('EINVAL', `ext4: readdir cookie ${cookie} is invalid`);
    const records = await this.dirs.records(await this.state(ino), cookie, limit);
    return records.map((r) => ({ name: r.name, ino: r.ino, type: r.type, next: r.next }));
  }

  async getxattr(ino: Ino, name: string): Promise<Uint8Array> {
    return this.volume.getxattr(await this.state(ino), name);
  }

  async listxattr(ino: Ino): Promise<string[]> {
    return this.volume.listxattr(await this.state(ino));
  }

  /**
   * statfs as ext4_statfs computes it: blocks less the metadata overhead
   * (per group: superblock and descriptor copies, reserved GDT blocks,
   * bitmaps, inode table; plus the internal journal), free counts from the
   * superblock, and the reserve (r_blocks plus, with extents, 2% capped at
   * 4096 clusters) kept out of bavail.
   */
  async statfs(): Promise<StatFs> {
    if (this.statfsCache) return this.statfsCache;
    const sb = this.volume.sb;
    let overhead = sb.s_overhead_clusters * sb.clusterRatio;
    if (overhead === 0 || overhead > sb.s_blocks_count || !hasRoCompat(sb, RO_COMPAT.bigalloc)) overhead = await this.computeOverhead();
    const resv = hasIncompat(sb, INCOMPAT.extents) ? Math.min(Math.floor(Math.floor(sb.s_blocks_count / sb.clusterRatio) / 50), 4096) * sb.clusterRatio : 0;
    const bfree = sb.s_free_blocks_count;
    const reserved = sb.s_r_blocks_count + resv;
    this.statfsCache = {
      type: EXT4_SUPER_MAGIC,
      bsize: sb.blockSize,
      frsize: sb.blockSize,
      blocks: sb.s_blocks_count - overhead,
      bfree,
      bavail: bfree > reserved ? bfree - reserved : 0,
      files: sb.s_inodes_count,
      ffree: sb.s_free_inodes_count,
      namemax: 255,
    };
    return this.statfsCache;
  }

  private async computeOverhead(): Promise<number> {
    const sb = this.volume.sb;
    const gdbCount = Math.ceil(sb.groupCount / sb.descPerBlock);
    const itb = this.volume.groups.itableBlocks;
    const metaBg = hasIncompat(sb, INCOMPAT.meta_bg);
    let overhead = sb.s_first_data_block;
    for (let g = 0; g < sb.groupCount; g++) {
      const hasSuper = groupHasSuper(sb, g) ? 1 : 0;
      let gdb: number;
      if (!metaBg || Math.floor(g / sb.descPerBlock) < sb.s_first_meta_bg) {
        gdb = hasSuper ? (metaBg ? sb.s_first_meta_bg : gdbCount) : 0;
      } else {
        const first = g - (g % sb.descPerBlock);
        gdb = g === first || g === first + 1 || g === first + sb.descPerBlock - 1 ? 1 : 0;
      }
      overhead += hasSuper + gdb + (hasSuper ? sb.s_reserved_gdt_blocks : 0) + itb + 2;
    }
    if (hasCompat(sb, COMPAT.has_journal) && sb.s_journal_inum !== 0) {
      try {
        const j = await this.volume.inode(sb.s_journal_inum, true);
        overhead += Math.floor(j.inode.i_size / sb.blockSize);
      } catch {
        // Counted as data then; the journal's state is already in the warnings.
      }
    }
    return overhead;
  }

  /** What this volume is, for `anymount info`. */
  describe(): DeviceDescription {
    const sb = this.volume.sb;
    const details: Record<string, unknown> = {
      label: sb.s_volume_name,
      uuid: formatUuid(sb.s_uuid),
      blockSize: sb.blockSize,
      blocks: sb.s_blocks_count,
      freeBlocks: sb.s_free_blocks_count,
      inodes: sb.s_inodes_count,
      freeInodes: sb.s_free_inodes_count,
      inodeSize: sb.s_inode_size,
      groups: sb.groupCount,
      features: [
        ...featureNames(COMPAT, sb.s_feature_compat),
        ...featureNames(INCOMPAT, sb.s_feature_incompat),
        ...featureNames(RO_COMPAT, sb.s_feature_ro_compat),
      ],
      defaultHash: HASH_NAMES[sb.s_def_hash_version] ?? sb.s_def_hash_version,
      lastMounted: sb.s_last_mounted,
    };
    const mib = (blocks: number): string => `${((blocks * sb.blockSize) / 1048576).toFixed(0)} MiB`;
    const label = sb.s_volume_name ? ` '${sb.s_volume_name}'` : '';
    return {
      format: this.flavour,
      summary: `${this.flavour}${label}, ${sb.blockSize}-byte blocks, ${mib(sb.s_blocks_count)}, ${mib(sb.s_free_blocks_count)} free`,
      details,
      ...(this.warnings.length ? { warnings: [...this.warnings] } : {}),
    };
  }

  async destroy(): Promise<void> {
    // Nothing to flush: read-only, and the device belongs to the caller.
  }
}

