/**
 * Directories, each read whole once (at most 2 MiB: 65536 slots) into a
 * DirIndex and kept in a bounded LRU keyed by the directory's first
 * cluster (0 for the FAT12/16 fixed root). Budget: `DIR_CACHE_COST`
 * cost units, one per entry plus one per 64 slots, about 40 MB at most.
 * Also places slots on the device and writes them.
 */
import { corrupt } from '../../block/corrupt.js';
import { FsError } from '../../errors.js';
import { LruCache } from '../../util/lru.js';
import { findClusters, linkClusters } from './allocate.js';
import { ClusterChain } from './chain.js';
import { DirIndex } from './directory.js';
import { MAX_DIR_SLOTS, SLOT } from './dirent.js';
import type { FatVolume } from './volume.js';

const F = 'fat';
const DIR_CACHE_COST = 100_000;
/** Key of the FAT12/16 fixed root directory. */
export const FIXED_ROOT_KEY = 0;

export interface FatDir {
  readonly key: number;
  readonly isRoot: boolean;
  readonly what: string;
  readonly index: DirIndex;
  /** Undefined for the fixed root. */
  readonly chain: ClusterChain | undefined;
}

export class DirCache {
  private readonly vol: FatVolume;
  private readonly cache = new LruCache<number, FatDir>(DIR_CACHE_COST);
  private readonly loading = new Map<number, Promise<FatDir>>();

  constructor(vol: FatVolume) {
    this.vol = vol;
  }

  get rootKey(): number {
    return this.vol.geo.fatType === 32 ? this.vol.geo.RootClus : FIXED_ROOT_KEY;
  }

  async get(key: number, what: string): Promise<FatDir> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    let p = this.loading.get(key);
    if (!p) {
      p = this.load(key, what);
      this.loading.set(key, p);
    }
    try {
      const dir = await p;
      if (!this.cache.has(key)) this.cache.set(key, dir, cost(dir.index));
      return dir;
    } finally {
      this.loading.delete(key);
    }
  }

  /** The cached directory, if it is cached (to keep it in step with a change). */
  peek(key: number): FatDir | undefined {
    return this.cache.peek(key);
  }

  invalidate(key: number): void {
    this.cache.delete(key);
  }

  /** Re-weighs a directory whose entry count changed. */
  touch(dir: FatDir): void {
    if (this.cache.peek(dir.key) === dir) this.cache.set(dir.key, dir, cost(dir.index));
  }

  private async load(key: number, what: string): Promise<FatDir> {
    const vol = this.vol;
    const isRoot = key === this.rootKey;
    const parse = (bytes: Uint8Array) =>
      DirIndex.parse(bytes, { cp: vol.cp, fat32: vol.geo.fatType === 32, isRoot, what, warn: (m) => vol.warn(m) });
    if (key === FIXED_ROOT_KEY && vol.geo.fatType !== 32) {
      const bytes = new Uint8Array(vol.geo.rootDirBytes);
      await vol.dev.read(bytes, vol.geo.rootDirOffset);
      return { key, isRoot, what, index: parse(bytes), chain: undefined };
    }
    const chain = new ClusterChain(vol.fat, key, what);
    const maxClusters = Math.ceil((MAX_DIR_SLOTS * SLOT) / vol.clusterSize);
    await chain.ensure(maxClusters + 1);
    if (chain.mapped > maxClusters) {
      throw corrupt(F, what, vol.clusterOffset(key), `directory is longer than ${MAX_DIR_SLOTS} entries (2 MiB)`);
    }
    const bytes = new Uint8Array(chain.mapped * vol.clusterSize);
    await vol.readChain(chain, 0, bytes);
    return { key, isRoot, what, index: parse(bytes), chain };
  }

  /** Device offset of slot `slot` of `dir`. */
  slotOffset(dir: FatDir, slot: number): number {
    if (!dir.chain) return this.vol.geo.rootDirOffset + slot * SLOT;
    const at = slot * SLOT;
    const m = dir.chain.lookup(Math.floor(at / this.vol.clusterSize));
    if (!m) throw corrupt(F, dir.what, undefined, `slot ${slot} lies past the directory's clusters`);
    return this.vol.clusterOffset(m.cluster) + (at % this.vol.clusterSize);
  }

  /** Writes consecutive slots starting at `slot` (split where clusters are not adjacent). */
  async writeSlots(dir: FatDir, slot: number, bytes: Uint8Array): Promise<void> {
    if (!dir.chain) {
      await this.vol.dev.write(bytes, this.vol.geo.rootDirOffset + slot * SLOT);
      return;
    }
    await this.vol.writeChain(dir.chain, slot * SLOT, bytes);
  }

  async readSlots(dir: FatDir, slot: number, count: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(count * SLOT);
    if (!dir.chain) await this.vol.dev.read(bytes, this.vol.geo.rootDirOffset + slot * SLOT);
    else await this.vol.readChain(dir.chain, slot * SLOT, bytes);
    return bytes;
  }

  /**
   * Makes room for `count` more consecutive slots at the end of `dir`:
   * new clusters are zeroed while still free, then linked, so a crash
   * never leaves garbage inside a directory. ENOSPC for a full fixed root
   * or a directory at 65536 slots.
   */
  async extend(dir: FatDir, count: number): Promise<void> {
    const vol = this.vol;
    if (!dir.chain) throw new FsError('ENOSPC', `${F}: the root directory is full (${dir.index.slots} entries)`);
    const perCluster = vol.clusterSize / SLOT;
    const need = count - dir.index.freeTail();
    const clusters = Math.ceil(need / perCluster);
    if (dir.index.slots + clusters * perCluster > MAX_DIR_SLOTS) {
      throw new FsError('ENOSPC', `${F}: ${dir.what}: a directory holds at most ${MAX_DIR_SLOTS} entries`);
    }
    const found = await findClusters(vol, clusters, dir.chain.lastCluster + 1);
    const zeros = new Uint8Array(vol.clusterSize);
    for (const c of found) await vol.dev.write(zeros, vol.clusterOffset(c));
    await linkClusters(vol, dir.chain, found);
    dir.index.grow(clusters * perCluster);
    this.touch(dir);
  }
}

function cost(index: DirIndex): number {
  return index.records.length + Math.ceil(index.slots / 64) + 1;
}
