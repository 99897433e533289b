/**
 * Cluster chains: a file's or directory's clusters, followed through the
 * FAT lazily and remembered as runs of consecutive clusters, so mapping a
 * file offset is a binary search and a contiguous file is one run.
 *
 * Hostile chains: every link must be a data cluster number or end-of-chain
 * (free, reserved, bad and out-of-range values are EIO); a walk never takes
 * more steps than there are clusters, and Brent's cycle detection (O(1)
 * memory) finds a loop within about twice its length, so a chain that
 * comes back on itself is EIO long before that bound on large volumes.
 */
import { corrupt } from '../../block/corrupt.js';
import type { FatTable } from './fat-table.js';

const F = 'fat';

export class ClusterChain {
  /** What owns the chain, for messages ("file at entry 0x4a20"). */
  readonly what: string;
  first: number;
  private readonly fat: FatTable;
  /** Runs: file cluster index where each starts, its first disk cluster, its length. */
  private readonly runIndex: number[] = [];
  private readonly runCluster: number[] = [];
  private readonly runLength: number[] = [];
  /** Clusters mapped so far. */
  mapped = 0;
  /** True once end-of-chain was reached: `mapped` is the chain's length. */
  ended: boolean;
  private last = 0;
  // Brent's cycle detection state.
  private tortoise = 0;
  private power = 1;
  private lam = 0;

  constructor(fat: FatTable, first: number, what: string) {
    this.fat = fat;
    this.first = first;
    this.what = what;
    this.ended = first === 0;
    if (first !== 0 && !fat.isCluster(first)) {
      throw corrupt(F, what, undefined, `first cluster ${first} is outside clusters 2..${fat.limit - 1}`);
    }
  }

  get runs(): number {
    return this.runIndex.length;
  }

  /** The last cluster mapped (the chain's last once `ended`), 0 for an empty chain. */
  get lastCluster(): number {
    return this.last;
  }

  private push(cluster: number): void {
    const n = this.runIndex.length;
    if (n > 0 && this.runCluster[n - 1]! + this.runLength[n - 1]! === cluster) this.runLength[n - 1]!++;
    else {
      this.runIndex.push(this.mapped);
      this.runCluster.push(cluster);
      this.runLength.push(1);
    }
    this.mapped++;
    this.last = cluster;
  }

  /** Follows the chain until `count` clusters are mapped or it ends. */
  async ensure(count: number): Promise<void> {
    if (this.mapped === 0 && !this.ended) {
      this.push(this.first);
      this.tortoise = this.first;
    }
    while (this.mapped < count && !this.ended) {
      const v = await this.fat.get(this.last);
      if (this.fat.isEnd(v)) {
        this.ended = true;
        break;
      }
      if (!this.fat.isCluster(v)) {
        const kind = v === 0 ? 'is marked free' : v === this.fat.bad ? 'is marked bad' : `points to ${v}, outside clusters 2..${this.fat.limit - 1}`;
        throw corrupt(F, this.what, undefined, `cluster ${this.last} (link ${this.mapped} of the chain) ${kind}`);
      }
      if (v === this.tortoise || this.mapped >= this.fat.limit) {
        throw corrupt(F, this.what, undefined, `cluster chain loops back to cluster ${v} after ${this.mapped} clusters`);
      }
      if (this.power === this.lam) {
        this.tortoise = v;
        this.power *= 2;
        this.lam = 0;
      }
      this.lam++;
      this.push(v);
    }
  }

  /** Follows the chain to its end. */
  async ensureAll(): Promise<void> {
    await this.ensure(Infinity);
  }

  /**
   * The disk cluster holding file cluster `index` and how many clusters from
   * there on are consecutive on disk (within what is mapped). Call ensure first.
   */
  lookup(index: number): { cluster: number; run: number } | undefined {
    if (index >= this.mapped) return undefined;
    let lo = 0;
    let hi = this.runIndex.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runIndex[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    const off = index - this.runIndex[lo]!;
    return { cluster: this.runCluster[lo]! + off, run: this.runLength[lo]! - off };
  }

  /** Every cluster from file cluster `from` on (call ensureAll first), for freeing. */
  clustersFrom(from: number): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.runIndex.length; r++) {
      const start = this.runIndex[r]!;
      const len = this.runLength[r]!;
      for (let k = Math.max(0, from - start); k < len; k++) out.push(this.runCluster[r]! + k);
    }
    return out;
  }

  /** Records clusters just linked onto the end of the chain (the caller wrote the FAT). */
  appended(clusters: number[]): void {
    if (this.mapped === 0 && clusters.length) this.first = clusters[0]!;
    for (const c of clusters) this.push(c);
    this.ended = true;
  }

  /** Forgets everything from file cluster `keep` on (the caller freed it in the FAT). */
  truncated(keep: number): void {
    while (this.runIndex.length > 0) {
      const r = this.runIndex.length - 1;
      const start = this.runIndex[r]!;
      if (start >= keep) {
        this.runIndex.pop();
        this.runCluster.pop();
        this.runLength.pop();
      } else {
        this.runLength[r] = Math.min(this.runLength[r]!, keep - start);
        break;
      }
    }
    this.mapped = Math.min(this.mapped, keep);
    const n = this.runIndex.length;
    this.last = n ? this.runCluster[n - 1]! + this.runLength[n - 1]! - 1 : 0;
    this.ended = true;
  }
}
