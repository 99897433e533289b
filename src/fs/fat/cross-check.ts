/**
 * Before the first change to a volume: walk every directory and every
 * cluster chain once, marking clusters in a bitmap (1 bit per cluster), to
 * find chains that share clusters (cross-linked) or cannot be followed.
 * Writing to such a file would corrupt another one, and freeing it would
 * hand the other file's clusters out again, so those files are refused
 * writes, truncation and removal of their clusters (EIO: run fsck.fat).
 * Allocation itself only ever takes clusters the FAT marks free, so our
 * own writes never create a cross-link.
 *
 * Cost: reading all directories and the FAT once. Option `crossCheck`:
 * 'auto' runs it on volumes of up to 4 Mi clusters (every FAT12/16 volume,
 * FAT32 up to 16 GiB with 4 KiB clusters), 'always', 'never'.
 */
import { FsError } from '../../errors.js';
import { ClusterChain } from './chain.js';
import type { FatContext } from './context.js';
import type { FatDir } from './dir-cache.js';
import { ATTR_DIRECTORY } from './dirent.js';

const AUTO_LIMIT = 4 << 20;

export async function crossCheck(ctx: FatContext): Promise<void> {
  const vol = ctx.vol;
  const count = vol.geo.clusterCount;
  if (vol.crossCheck === 'never' || (vol.crossCheck === 'auto' && count > AUTO_LIMIT)) return;
  const seen = new Uint8Array(Math.ceil((count + 2) / 8));
  const shared = new Set<number>();
  const chains: number[] = [];

  const mark = (clusters: number[]): boolean => {
    let dup = false;
    for (const c of clusters) {
      const bit = 1 << (c & 7);
      if (seen[c >> 3]! & bit) {
        shared.add(c);
        dup = true;
      } else seen[c >> 3]! |= bit;
    }
    return dup;
  };

  const visitedDirs = new Set<number>();
  const queue: FatDir[] = [await ctx.dirOf(ctx.root)];
  visitedDirs.add(queue[0]!.key);
  if (queue[0]!.chain) mark(queue[0]!.chain.clustersFrom(0));
  while (queue.length) {
    const dir = queue.shift()!;
    for (const rec of dir.index.records) {
      const first = rec.entry.firstCluster;
      if (first === 0) continue;
      const isDir = (rec.entry.attr & ATTR_DIRECTORY) !== 0;
      if (!vol.fat.isCluster(first)) {
        ctx.crossLinked.add(first);
        continue;
      }
      if (isDir) {
        if (visitedDirs.has(first)) {
          // A second entry for a directory already seen (or a loop): its clusters are shared.
          ctx.crossLinked.add(first);
          continue;
        }
        visitedDirs.add(first);
        try {
          const sub = await ctx.dirs.get(first, `directory '${rec.name}'`);
          if (sub.chain) {
            const clusters = sub.chain.clustersFrom(0);
            mark(clusters);
            chains.push(first);
          }
          queue.push(sub);
        } catch (e) {
          if (!(e instanceof FsError)) throw e;
          ctx.crossLinked.add(first);
          vol.warn(`cross-check: ${e.message}`);
        }
        continue;
      }
      const chain = new ClusterChain(vol.fat, first, `file '${rec.name}'`);
      try {
        await chain.ensureAll();
        mark(chain.clustersFrom(0));
        chains.push(first);
      } catch (e) {
        if (!(e instanceof FsError)) throw e;
        ctx.crossLinked.add(first);
        vol.warn(`cross-check: ${e.message}`);
      }
    }
  }
  if (shared.size === 0) return;
  // Second pass: which chains hold a shared cluster.
  const root = queue.length === 0 ? ctx.dirs.rootKey : 0;
  for (const first of root ? [root, ...chains] : chains) {
    const chain = new ClusterChain(vol.fat, first, 'cross-check');
    try {
      await chain.ensureAll();
    } catch {
      ctx.crossLinked.add(first);
      continue;
    }
    if (chain.clustersFrom(0).some((x) => shared.has(x))) ctx.crossLinked.add(first);
  }
  vol.warn(`cross-check: ${shared.size} clusters are shared by more than one chain; the files owning them are refused changes (run fsck.fat)`);
}
